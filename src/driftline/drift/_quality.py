"""Data quality checks that run beside the drift tests, one :class:`ColumnQuality` per column.

Checks and their default limits (see :class:`QualityLimits`):

* ``missing_share``: share of current rows missing (NaN, None, NaT or ±inf). Warn when it rises
  more than 1 point above the reference's share, fail above 10 points or when every value is
  missing.
* ``out_of_range_share`` (numbers): share of current values outside the reference's
  ``[min, max]``. Warn above 1%, fail above 5%.
* ``unseen_categories`` (labels): share of current rows whose label never occurs in the
  reference. Warn when any, fail above 5%.
* ``type_mismatch``: share of current values whose type does not match the reference's (numbers
  that arrive as text that cannot be parsed, for example). Warn when any, fail above 5%.
* ``constant``: the column holds a single distinct value on one side (1.0) or not (0.0); warn.
* ``datetime_range`` (timestamps): share of current timestamps before the reference's first one.
  Warn when any.
* ``freshness`` (timestamps): seconds from the newest current timestamp to ``now``; warn when
  over ``max_age_seconds`` if that limit is set.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from driftline.drift._report import QualityCheck

__all__ = ["QualityLimits", "constant_check", "missing_check", "out_of_range_check",
           "share_check", "unseen_check"]


@dataclass(frozen=True)
class QualityLimits:
    """Warn and fail limits of the data quality checks (shares in [0, 1]).

    Examples
    --------
    >>> QualityLimits(out_of_range_fail=0.1).out_of_range_fail
    0.1
    """

    missing_increase_warn: float = 0.01
    missing_increase_fail: float = 0.10
    out_of_range_warn: float = 0.01
    out_of_range_fail: float = 0.05
    unseen_warn: float = 0.0
    unseen_fail: float = 0.05
    type_mismatch_warn: float = 0.0
    type_mismatch_fail: float = 0.05
    max_age_seconds: float | None = None


def _status(value: float, warn: float, fail: float) -> str:
    if value > fail:
        return "fail"
    return "warn" if value > warn else "ok"


def _pct(x: float) -> str:
    return f"{100 * x:.2f}%"


def missing_check(n_missing: int, n_rows: int, ref_share: float, limits: QualityLimits) -> QualityCheck:
    """The ``missing_share`` check.

    Examples
    --------
    >>> missing_check(50, 100, 0.0, QualityLimits()).status
    'fail'
    """
    share = n_missing / n_rows if n_rows else 0.0
    rise = share - ref_share
    status = "fail" if (n_rows and n_missing == n_rows) else _status(
        rise, limits.missing_increase_warn, limits.missing_increase_fail)
    msg = f"{_pct(share)} missing (reference {_pct(ref_share)})"
    if n_rows and n_missing == n_rows:
        msg = f"all {n_rows} values missing"
    return QualityCheck("missing_share", share, ref_share + limits.missing_increase_warn, status, msg)


def share_check(name: str, share: float, warn: float, fail: float, what: str) -> QualityCheck:
    """A generic share check with warn/fail limits.

    Examples
    --------
    >>> share_check("type_mismatch", 0.0, 0.0, 0.05, "values of the wrong type").status
    'ok'
    """
    return QualityCheck(name, share, warn, _status(share, warn, fail), f"{_pct(share)} {what}")


def out_of_range_check(
    current_sorted: np.ndarray, ref_min: float, ref_max: float, limits: QualityLimits
) -> QualityCheck:
    """Share of current values outside the reference range, from the sorted current values.

    Examples
    --------
    >>> out_of_range_check(np.array([0., 1., 5.]), 0.0, 2.0, QualityLimits()).value
    0.3333333333333333
    """
    n = current_sorted.size
    if n == 0 or not np.isfinite(ref_min):
        return QualityCheck("out_of_range_share", None, limits.out_of_range_warn, "ok",
                            "no values to check")
    below = int(np.searchsorted(current_sorted, ref_min, side="left"))
    above = n - int(np.searchsorted(current_sorted, ref_max, side="right"))
    share = (below + above) / n
    return share_check("out_of_range_share", share, limits.out_of_range_warn,
                       limits.out_of_range_fail,
                       f"outside the reference range [{ref_min:.6g}, {ref_max:.6g}]")


def unseen_check(
    labels: np.ndarray, counts: np.ndarray, known: set[str], limits: QualityLimits
) -> QualityCheck:
    """Share of current rows whose label the reference never had; names up to five of them.

    Examples
    --------
    >>> unseen_check(np.array(["a", "z"]), np.array([3, 1]), {"a"}, QualityLimits()).message
    "25.00% of rows have labels unseen in the reference: 'z'"
    """
    total = int(counts.sum())
    pairs = zip(labels, counts, strict=True)
    unseen = [(str(lab), int(c)) for lab, c in pairs if c and str(lab) not in known]
    share = sum(c for _, c in unseen) / total if total else 0.0
    unseen.sort(key=lambda t: -t[1])
    names = ", ".join(repr(lab) for lab, _ in unseen[:5]) + (" …" if len(unseen) > 5 else "")
    msg = f"{_pct(share)} of rows have labels unseen in the reference" + (f": {names}" if unseen else "")
    status = "fail" if share > limits.unseen_fail else ("warn" if share > limits.unseen_warn else "ok")
    return QualityCheck("unseen_categories", share, limits.unseen_warn, status, msg)


def constant_check(n_distinct_ref: int, n_distinct_cur: int) -> QualityCheck:
    """Flags a column with a single distinct value on either side.

    Examples
    --------
    >>> constant_check(5, 1).status
    'warn'
    """
    sides = [s for s, k in (("reference", n_distinct_ref), ("current", n_distinct_cur)) if k == 1]
    if sides:
        return QualityCheck("constant", 1.0, None, "warn",
                            f"a single distinct value in {' and '.join(sides)}", "flag")
    return QualityCheck("constant", 0.0, None, "ok", "more than one distinct value", "flag")
