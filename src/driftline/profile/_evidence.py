"""One column's evidence from two profiles: each statistic with the interval its exact value
lies in.

Which method can run on what:

* **numerical**: ``ks`` (the default rule's test; from the sketches and histograms) and
  ``wasserstein`` (likewise), both with bounds; the histogram distances (``psi``,
  ``jensen_shannon``, ``hellinger``, ``kl_divergence``, ``total_variation``, ``linf``,
  ``bhattacharyya``, ``hist_intersection``) exactly, since the histograms share the
  reference's bins: each is the registered :mod:`driftline.stats` method run on the two
  count vectors, so thresholds and small-sample noise floors are the exact path's too.
* **categorical and binary** with exact frequency tables: every registered method, exactly, by
  running the exact path's own evaluation on the tables.
* **categorical beyond the cardinality limit**: ``chi_square`` and the total variation floor
  on the collapsed table (see ``_heavy``), with deterministic bounds.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace

import numpy as np

from driftline import stats
from driftline.drift._decision import evaluate
from driftline.errors import ParameterError, SmallSampleWarning
from driftline.profile._categorical import CategoricalProfile
from driftline.profile._heavy import chi_square_interval, collapsed, tvd_interval
from driftline.profile._ks import ks_critical, ks_interval, ks_p_value
from driftline.profile._numeric import NumericProfile
from driftline.profile._wasserstein import wasserstein_normed_interval
from driftline.stats import Sample

__all__ = ["HISTOGRAM_METHODS", "NUMERICAL_METHODS", "Evidence", "column_evidence"]

HISTOGRAM_METHODS = ("bhattacharyya", "hellinger", "hist_intersection", "jensen_shannon",
                     "kl_divergence", "linf", "psi", "total_variation")
NUMERICAL_METHODS = ("auto", "ks", "wasserstein", *HISTOGRAM_METHODS)
_HEAVY_METHODS = ("auto", "chi_square")
_WASSERSTEIN_MIN_N = 50


@dataclass(frozen=True)
class Evidence:
    """A column's statistic and effect, each with the interval its exact value lies in.

    A test has a p-value (with the range of the exact p-value) and is decided after the
    correction across columns; a distance is decided on its own threshold.
    """

    method: str
    statistic: float
    low: float
    high: float
    n_reference: int
    n_current: int
    n_missing_reference: int
    n_missing_current: int
    p_value: float | None = None
    p_low: float | None = None
    p_high: float | None = None
    critical: Callable[[float], float] | None = None
    effect_size: float | None = None
    effect_low: float | None = None
    effect_high: float | None = None
    effect_size_name: str | None = None
    effect_threshold: float | None = None
    warnings: tuple[str, ...] = ()

    @property
    def bound(self) -> float:
        """How far the exact statistic can be from :attr:`statistic`."""
        return _half_width(self.statistic, self.low, self.high)

    @property
    def effect_bound(self) -> float | None:
        """How far the exact effect size can be from :attr:`effect_size`."""
        if self.effect_size is None or self.effect_low is None or self.effect_high is None:
            return None
        return _half_width(self.effect_size, self.effect_low, self.effect_high)


def _half_width(x: float, lo: float, hi: float) -> float:
    if not math.isfinite(x):
        return 0.0 if x == lo == hi or math.isnan(x) else math.inf
    return max(hi - x, x - lo, 0.0)


def column_evidence(kind: str, ref: NumericProfile | CategoricalProfile,
                    cur: NumericProfile | CategoricalProfile, method: str, *, alpha: float,
                    floors: Mapping[str, float]) -> Evidence:
    """Evaluate ``method`` on one column's two (non-empty) profiles.

    Examples
    --------
    >>> import numpy as np
    >>> from driftline.profile import profile_frame
    >>> rng = np.random.default_rng(0)
    >>> ref = profile_frame({"x": rng.normal(size=2000)})
    >>> cur = profile_frame({"x": rng.normal(0.5, 1, size=2000)}, reference=ref)
    >>> ev = column_evidence("numerical", ref["x"], cur["x"], "auto", alpha=0.05,
    ...                      floors={"numerical": 0.1})
    >>> ev.method, ev.effect_size_name, ev.low <= ev.statistic <= ev.high
    ('ks', 'wasserstein_normed', True)
    """
    if isinstance(ref, NumericProfile) and isinstance(cur, NumericProfile):
        return _numerical(ref, cur, method, alpha, floors)
    assert isinstance(ref, CategoricalProfile) and isinstance(cur, CategoricalProfile)
    if ref.exact and cur.exact:
        return _exact_table(kind, ref, cur, method, alpha, floors)
    return _heavy(kind, ref, cur, method, alpha, floors)


def _sizes(ref: NumericProfile | CategoricalProfile,
           cur: NumericProfile | CategoricalProfile) -> tuple[int, int, int, int]:
    return ref.n, cur.n, ref.n_missing, cur.n_missing


def _numerical(ref: NumericProfile, cur: NumericProfile, method: str, alpha: float,
               floors: Mapping[str, float]) -> Evidence:
    notes: tuple[str, ...] = ()
    if method != "auto" and "numerical" not in stats.get(method).kinds:  # as the exact path
        notes = (f"method {method!r} does not support numerical columns; used the default.",)
        method = "auto"
    if method in ("auto", "ks"):
        ev = _ks(ref, cur, floors.get("numerical"))
        return replace(ev, warnings=notes + ev.warnings) if notes else ev
    if method == "wasserstein":
        return _wasserstein(ref, cur, alpha)
    if method in HISTOGRAM_METHODS:
        return _histogram(ref, cur, method, alpha)
    raise ParameterError(
        f"method {method!r} needs the raw values of a numerical column; from profiles it must "
        f"be one of {', '.join(repr(m) for m in NUMERICAL_METHODS)}.")


def _ks(ref: NumericProfile, cur: NumericProfile, floor: float | None) -> Evidence:
    d, lo, hi, _ = ks_interval(ref, cur)
    n, m = ref.n, cur.n
    # Without a floor the test's own statistic is the effect size, as in the exact path.
    w, w_lo, w_hi, notes = ((d, lo, hi, ()) if floor is None
                            else wasserstein_normed_interval(ref, cur))
    return Evidence(
        "ks", d, lo, hi, *_sizes(ref, cur), p_value=ks_p_value(d, n, m),
        p_low=ks_p_value(hi, n, m), p_high=ks_p_value(lo, n, m),
        critical=lambda level: ks_critical(level, n, m), effect_size=w, effect_low=w_lo,
        effect_high=w_hi,
        effect_size_name="ks_statistic" if floor is None else "wasserstein_normed",
        effect_threshold=floor, warnings=notes,
    )


def _wasserstein(ref: NumericProfile, cur: NumericProfile, alpha: float) -> Evidence:
    from driftline.stats._wasserstein import noise_floor

    name = "wasserstein_normed"
    if ref.n < _WASSERSTEIN_MIN_N or cur.n < _WASSERSTEIN_MIN_N:  # as stats.wasserstein
        msg = (f"wasserstein: needs at least {_WASSERSTEIN_MIN_N} valid values on each side; "
               f"got {ref.n} (reference) and {cur.n} (current). No verdict is given.")
        warnings.warn(msg, SmallSampleWarning, stacklevel=4)
        return Evidence("wasserstein", math.nan, math.nan, math.nan, *_sizes(ref, cur),
                        effect_size=math.nan, effect_low=math.nan, effect_high=math.nan,
                        effect_size_name=name, effect_threshold=0.1, warnings=(msg,))
    w, lo, hi, notes = wasserstein_normed_interval(ref, cur)
    bar = max(0.1, noise_floor(ref.n, cur.n, alpha))
    if bar > 0.1:
        notes = (*notes, f"wasserstein: effect_threshold raised from 0.1 to the noise floor "
                         f"{bar:.4g} for n={ref.n}, m={cur.n}, as the exact path does.")
    return Evidence("wasserstein", w, lo, hi, *_sizes(ref, cur), effect_size=w, effect_low=lo,
                    effect_high=hi, effect_size_name=name, effect_threshold=bar, warnings=notes)


def _histogram(ref: NumericProfile, cur: NumericProfile, method: str, alpha: float) -> Evidence:
    rc, cc = ref.counts, cur.counts
    if rc is None or cc is None or ref.edges is None or cur.edges is None or not (
            ref.edges.shape == cur.edges.shape and np.array_equal(ref.edges, cur.edges)):
        raise ParameterError(
            f"method {method!r} needs both profiles' histograms on the reference's edges; "
            "profile the current data with profile_frame(..., reference=reference_profile), "
            "and the reference with bins set.")
    cells = np.arange(rc.size)
    r = Sample.from_counts(cells, rc, n_missing=ref.n_missing)
    c = Sample.from_counts(cells, cc, n_missing=cur.n_missing)
    return _from_exact(evaluate("numerical", r, c, method, alpha=alpha, floors={}))


def _exact_table(kind: str, ref: CategoricalProfile, cur: CategoricalProfile, method: str,
                 alpha: float, floors: Mapping[str, float]) -> Evidence:
    r = Sample.from_counts(ref.labels, ref.counts, n_missing=ref.n_missing)
    c = Sample.from_counts(cur.labels, cur.counts, n_missing=cur.n_missing)
    ev = _from_exact(evaluate(kind, r, c, method, alpha=alpha, floors=floors))
    if ev.method in ("chi_square", "g_test"):
        dof = int(np.union1d(ref.labels, cur.labels).size) - 1
        ev = _with_critical(ev, dof)
    return ev


def _from_exact(ev: object) -> Evidence:
    """The exact path's evidence (``driftline.drift._decision.Evidence``) as a point interval."""
    from driftline.drift._decision import Evidence as Exact

    assert isinstance(ev, Exact)
    p = ev.p_value
    effect = ev.effect_size
    return Evidence(
        ev.method, ev.statistic, ev.statistic, ev.statistic, ev.n_reference, ev.n_current,
        ev.n_missing_reference, ev.n_missing_current, p_value=p, p_low=p, p_high=p,
        effect_size=effect, effect_low=effect, effect_high=effect,
        effect_size_name=ev.effect_size_name, effect_threshold=ev.effect_threshold,
        warnings=ev.warnings)


def _with_critical(ev: Evidence, dof: int) -> Evidence:
    def critical(level: float) -> float:
        from scipy.stats import chi2

        return 0.0 if dof <= 0 else float(chi2.isf(level, dof))

    return replace(ev, critical=critical)


def _heavy(kind: str, ref: CategoricalProfile, cur: CategoricalProfile, method: str,
           alpha: float, floors: Mapping[str, float]) -> Evidence:
    if method not in _HEAVY_METHODS:
        raise ParameterError(
            f"method {method!r} needs exact frequency tables, and this column has more than "
            f"max_categories={min(ref.max_categories, cur.max_categories)} labels, so its "
            "profile keeps heavy hitters; use method 'auto' or 'chi_square' for it, or profile "
            "with a larger max_categories.")
    from scipy.stats import chi2

    table = collapsed(ref, cur)
    stat, lo, hi, dof, dof_lo, dof_hi = chi_square_interval(table)
    floor = floors.get(kind)
    note = (f"chi_square: more than max_categories labels, so the test ran on the "
            f"{len(table.labels)} cells of the heavy hitters and '(other)'; the statistic and "
            "its bound are that collapsed table's.",)
    total = ref.n + cur.n
    # Without a floor the effect is the test's own (Cramér's V), as in the exact path.
    effect, e_lo, e_hi = (tvd_interval(table) if floor is not None else
                          (math.sqrt(stat / total), math.sqrt(lo / total), math.sqrt(hi / total)))

    def sf(x: float, k: int) -> float:
        return 1.0 if k <= 0 else float(np.clip(chi2.sf(x, k), 0.0, 1.0))

    return Evidence(
        "chi_square", stat, lo, hi, *_sizes(ref, cur), p_value=sf(stat, dof),
        p_low=sf(hi, dof_lo), p_high=sf(lo, dof_hi),
        critical=lambda level: 0.0 if dof <= 0 else float(chi2.isf(level, dof)),
        effect_size=effect, effect_low=e_lo, effect_high=e_hi,
        effect_size_name="cramers_v" if floor is None else "total_variation",
        effect_threshold=floor, warnings=note,
    )
