"""Two-sample Kolmogorov–Smirnov test."""

from __future__ import annotations

from typing import Literal

import numpy as np

from driftline.errors import ParameterError
from driftline.stats._common import check_alpha, check_threshold, too_small
from driftline.stats._registry import register
from driftline.stats._result import TestResult
from driftline.stats._sample import Sample, SampleLike, as_numerical

__all__ = ["ks", "ks_statistic"]

_EXACT_MAX_PRODUCT = 1_000_000


@register("ks", kinds=("numerical",), has_p_value=True, effect_size_name="ks_statistic",
          min_n=1, cost="nlogn")
def ks(
    reference: SampleLike,
    current: SampleLike,
    *,
    alpha: float = 0.05,
    effect_threshold: float | None = None,
    mode: Literal["auto", "exact", "asymp"] = "auto",
) -> TestResult:
    """Two-sample Kolmogorov–Smirnov test, two-sided.

    The statistic is the largest gap between the two empirical CDFs. With a fitted
    ``reference`` (see :func:`driftline.stats.fit`), a window of ``m`` values costs
    ``O(m log m + m log n)``: the reference is never re-sorted.

    Parameters
    ----------
    reference, current : the two samples; NaN and ±inf are left out and counted.
    alpha : significance level of the verdict.
    effect_threshold : optional floor on the statistic ``D`` (the effect size here).
    mode : ``"exact"`` or ``"asymp"`` p-values, as in :func:`scipy.stats.ks_2samp`;
        ``"auto"`` is exact when ``n·m <= 10**6`` and asymptotic above.

    Notes
    -----
    :math:`D = \\sup_x |F_{ref}(x) - F_{cur}(x)|`. The asymptotic p-value is
    ``kstwo.sf(D, round(n·m/(n+m)))``, as SciPy computes it.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(42)
    >>> r = ks(rng.normal(size=500), rng.normal(0.3, 1, size=500))
    >>> r.drifted, round(r.statistic, 3)
    (True, 0.14)

    References
    ----------
    .. [1] Hodges, J. L. (1958). The significance probability of the Smirnov two-sample test.
       Arkiv för Matematik, 3, 469–486.
    """
    alpha = check_alpha(alpha)
    effect_threshold = check_threshold("effect_threshold", effect_threshold)
    if mode not in ("auto", "exact", "asymp"):
        raise ParameterError.choice("mode", mode, ("auto", "exact", "asymp"))
    ref = as_numerical(reference, "reference")
    cur = as_numerical(current, "current")
    small = too_small("ks", ref, cur, 1, alpha=alpha, effect_size_name="ks_statistic",
                      effect_threshold=effect_threshold)
    if small is not None:
        return small
    d = ks_statistic(ref, cur)
    p = _p_value(d, ref, cur, mode)
    return TestResult.build(
        "ks", d, p, alpha=alpha, effect_size=d, effect_size_name="ks_statistic",
        effect_threshold=effect_threshold, n_reference=ref.n, n_current=cur.n,
        n_missing_reference=ref.n_missing, n_missing_current=cur.n_missing,
    )


def ks_statistic(reference: Sample, current: Sample) -> float:
    """The KS distance ``D`` between two numerical samples, without touching every reference value.

    Between two consecutive current values the current ECDF is flat and the reference ECDF only
    rises, so the supremum is reached at a current value (from the right or from the left).

    Examples
    --------
    >>> ks_statistic(Sample.numerical([1, 2, 3]), Sample.numerical([2, 3, 4]))
    0.3333333333333333
    """
    r, c = reference.values, current.values
    n, m = r.size, c.size
    ref_right = np.searchsorted(r, c, side="right") / n
    ref_left = np.searchsorted(r, c, side="left") / n
    cur_right = np.searchsorted(c, c, side="right") / m
    cur_left = np.searchsorted(c, c, side="left") / m
    return float(max(np.max(cur_right - ref_right), np.max(ref_left - cur_left), 0.0))


def _p_value(d: float, ref: Sample, cur: Sample, mode: str) -> float:
    n, m = ref.n, cur.n
    if mode == "exact" or (mode == "auto" and n * m <= _EXACT_MAX_PRODUCT):
        from scipy.stats import ks_2samp

        return float(ks_2samp(ref.values, cur.values, method="exact").pvalue)
    from scipy.stats import kstwo

    big, small = max(n, m), min(n, m)
    en = big * small / (big + small)
    return float(np.clip(kstwo.sf(d, np.round(en)), 0.0, 1.0))
