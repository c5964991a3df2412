"""The frozen results of comparing two profiles: one per column, and the report."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["PROFILE_REPORT_SCHEMA", "ProfileReport", "ProfileResult"]

PROFILE_REPORT_SCHEMA = "driftline.profile_report/1"


@dataclass(frozen=True)
class ProfileResult:
    """One column's comparison from profiles, with how far it can be from the exact one.

    Attributes
    ----------
    column, kind : the column and its kind (``numerical``, ``categorical``, ``binary``).
    method : the method that ran, as in the exact path (``ks`` for the default rule on
        numbers, ``chi_square``, ``z_test`` or ``fisher_exact`` on labels, or a distance).
    statistic : the estimated statistic (NaN when untested or too small for a verdict).
    bound : the exact statistic is within ``bound`` of ``statistic``: it lies in
        ``[low, high]``. 0 when the profiles give it exactly (histogram distances, exact
        frequency tables, sketches that still hold every value); otherwise it holds with the
        sketches' stated confidence (see ``docs/profiles.md``).
    low, high : the interval the exact statistic lies in.
    p_value : the p-value from the estimated statistic (``None`` for a distance).
    p_value_adjusted : ``p_value`` after the correction across columns.
    threshold : the bar on ``statistic``: for a distance its verdict threshold (with the
        exact path's small-sample floor), for a test the statistic its p-value needs to
        reach its level in the correction (the critical ``D`` of KS, the critical chi-square);
        ``None`` where there is no such value.
    effect_size, effect_size_name, effect_bound, effect_threshold : the effect the default
        rule's floor is compared with (``wasserstein_normed`` for numbers, ``total_variation``
        for labels), its bound, and the floor.
    drifted : the verdict when it is certain; ``None`` when uncertain, untested or when the
        samples are too small for a verdict.
    drifted_estimate : the verdict the estimates give, certain or not.
    uncertain : whether the exact statistic (or effect, or an adjusted p-value it affects)
        could lie on either side of its threshold, so that the exact path could decide either
        way. A certain verdict always agrees with the exact path's.
    correction, alpha : the correction across columns and the significance level.
    n_reference, n_current, n_missing_reference, n_missing_current : value counts (exact).
    tested, reason : ``False`` with the reason when the column could not be compared.
    warnings : notes on the verdict, in words.

    Examples
    --------
    >>> import numpy as np
    >>> from driftline.profile import compare_profiles, profile_frame
    >>> rng = np.random.default_rng(0)
    >>> ref = profile_frame({"x": rng.normal(size=5000)})
    >>> cur = profile_frame({"x": rng.normal(0.5, 1, size=5000)}, reference=ref)
    >>> r = compare_profiles(ref, cur).columns["x"]
    >>> r.method, r.drifted, r.uncertain, r.bound <= r.statistic
    ('ks', True, False, True)
    """

    column: str
    kind: str
    method: str
    statistic: float
    bound: float
    low: float
    high: float
    p_value: float | None
    p_value_adjusted: float | None
    threshold: float | None
    effect_size: float | None
    effect_size_name: str | None
    effect_bound: float | None
    effect_threshold: float | None
    drifted: bool | None
    drifted_estimate: bool | None
    uncertain: bool
    correction: str | None
    alpha: float
    n_reference: int
    n_current: int
    n_missing_reference: int = 0
    n_missing_current: int = 0
    tested: bool = True
    reason: str | None = None
    warnings: tuple[str, ...] = ()

    @property
    def exact(self) -> bool:
        """Whether the statistic and effect are exact (both bounds are 0)."""
        return self.bound == 0 and (self.effect_bound is None or self.effect_bound == 0)

    @property
    def verdict(self) -> str:
        """``drifted``, ``stable``, ``uncertain``, ``no verdict`` or ``untested``."""
        if not self.tested:
            return "untested"
        if self.uncertain:
            return "uncertain"
        return {True: "drifted", False: "stable", None: "no verdict"}[self.drifted]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (non-finite numbers as ``None``, ``"inf"`` or ``"-inf"``)."""
        out = {k: _clean(v) for k, v in asdict(self).items()}
        out["exact"] = self.exact
        out["verdict"] = self.verdict
        return out

    @classmethod
    def untested(cls, column: str, kind: str, reason: str, *, alpha: float = 0.05,
                 n_reference: int = 0, n_current: int = 0, n_missing_reference: int = 0,
                 n_missing_current: int = 0) -> ProfileResult:
        """A column that could not be compared, with the reason.

        Examples
        --------
        >>> ProfileResult.untested("x", "numerical", "no valid values in the current data").verdict
        'untested'
        """
        nan = math.nan
        return cls(column, kind, "none", nan, nan, nan, nan, None, None, None, None, None,
                   None, None, None, None, False, None, alpha, n_reference, n_current,
                   n_missing_reference, n_missing_current, tested=False, reason=reason)


@dataclass(frozen=True)
class ProfileReport:
    """The comparison of two table profiles, column by column.

    ``drifted`` is ``True`` when some column certainly drifted, ``False`` when every column
    is certainly stable (or untested), and ``None`` when nothing certainly drifted but some
    column is uncertain: its exact verdict could go either way at the profiles' resolution
    (a larger ``k`` or finer histograms narrow the bounds).

    Examples
    --------
    >>> import numpy as np
    >>> from driftline.profile import compare_profiles, profile_frame
    >>> rng = np.random.default_rng(1)
    >>> ref = profile_frame({"x": rng.normal(size=3000), "c": rng.choice(["a", "b", "c"], 3000)})
    >>> cur = profile_frame({"x": rng.normal(size=3000), "c": rng.choice(["a", "b", "c"], 3000)},
    ...                     reference=ref)
    >>> report = compare_profiles(ref, cur)
    >>> report.drifted, report.drifted_columns, report.to_dict()["schema"]
    (False, (), 'driftline.profile_report/1')
    """

    columns: Mapping[str, ProfileResult]
    alpha: float
    correction: str
    method: str
    effect_floors: Mapping[str, float] = field(default_factory=dict)
    n_reference: int = 0
    n_current: int = 0

    @property
    def drifted_columns(self) -> tuple[str, ...]:
        """Columns that certainly drifted."""
        return tuple(n for n, r in self.columns.items() if r.drifted is True)

    @property
    def uncertain_columns(self) -> tuple[str, ...]:
        """Columns whose exact verdict could go either way."""
        return tuple(n for n, r in self.columns.items() if r.uncertain)

    @property
    def drifted(self) -> bool | None:
        """The table's verdict: ``True``, ``False`` or ``None`` (uncertain, see above)."""
        if self.drifted_columns:
            return True
        return None if self.uncertain_columns else False

    @property
    def drift_share(self) -> float:
        """The share of tested columns that certainly drifted (for information only)."""
        tested = [r for r in self.columns.values() if r.tested]
        return len(self.drifted_columns) / len(tested) if tested else 0.0

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict following the schema ``driftline.profile_report/1``."""
        return {
            "schema": PROFILE_REPORT_SCHEMA, "drifted": self.drifted,
            "drift_share": self.drift_share, "drifted_columns": list(self.drifted_columns),
            "uncertain_columns": list(self.uncertain_columns),
            "rule": {"method": self.method, "alpha": self.alpha, "correction": self.correction,
                     "effect_floors": dict(self.effect_floors)},
            "n_reference": self.n_reference, "n_current": self.n_current,
            "columns": {n: r.to_dict() for n, r in self.columns.items()},
        }


def _clean(v: Any) -> Any:
    if isinstance(v, float) and not math.isfinite(v):
        return None if math.isnan(v) else ("inf" if v > 0 else "-inf")
    if isinstance(v, tuple):
        return list(v)
    return v
