"""Two-sided Mann–Whitney U test (Wilcoxon rank-sum), normal approximation with ties."""

from __future__ import annotations

import math

import numpy as np

from driftline.stats._common import check_alpha, check_threshold, too_small
from driftline.stats._ranks import current_groups, tie_sum
from driftline.stats._registry import register
from driftline.stats._result import TestResult
from driftline.stats._sample import Sample, SampleLike, as_numerical

__all__ = ["mann_whitney", "mann_whitney_u"]

_NAME = "mann_whitney"
_EFFECT = "rank_biserial"
_MIN_N = 5


@register(_NAME, kinds=("numerical",), has_p_value=True, effect_size_name=_EFFECT,
          min_n=_MIN_N, cost="nlogn", symmetric=False)
def mann_whitney(
    reference: SampleLike,
    current: SampleLike,
    *,
    alpha: float = 0.05,
    effect_threshold: float | None = None,
) -> TestResult:
    """Two-sided Mann–Whitney U test: does one sample tend to take larger values?

    Equal to ``scipy.stats.mannwhitneyu(current, reference, method="asymptotic",
    use_continuity=True)``. With a fitted ``reference`` a window of ``m`` values costs
    ``O(m log m + m log n)``: ``U`` and the tie correction come from binary searches of the
    distinct current values in the sorted reference. The reference's own tie term
    :math:`\\sum(t^3 - t)` costs ``O(n)`` once per fitted :class:`Sample` and is cached.

    Parameters
    ----------
    reference, current : the two samples; NaN and ±inf are left out and counted.
    alpha : significance level of the verdict.
    effect_threshold : optional floor on the rank-biserial correlation (the effect size).

    Notes
    -----
    The statistic is ``U`` of the current sample, the number of (current, reference) pairs
    with the current value larger, ties counting one half:
    :math:`U = \\sum_j (\\#\\{r < c_j\\} + \\tfrac12\\#\\{r = c_j\\})`. Swapping the samples
    gives :math:`nm - U` (the registry marks it not symmetric; the p-value is). With
    :math:`U^* = \\max(U, nm - U)`,

    .. math:: z = \\frac{U^* - nm/2 - 1/2}{\\sqrt{\\frac{nm}{12}\\left(N + 1 -
              \\frac{\\sum_g (t_g^3 - t_g)}{N(N-1)}\\right)}}, \\qquad p = 2\\,\\bar\\Phi(z),

    clipped to 1, where ``t_g`` are the pooled tie-group sizes (``N = n + m``). A pooled group
    holding ``e`` reference and ``f`` current values changes the reference's own tie sum by
    :math:`f(3e^2 + 3ef + f^2 - 1)`, so only the current groups need the reference.

    Effect size: the rank-biserial correlation :math:`|1 - 2U/(nm)| = 2|AUC - 1/2|` with
    :math:`AUC = U/(nm) = P(C > R) + P(C = R)/2`. All values equal: ``p = 1``. Below
    ``min_n = 5`` values per side no verdict is given.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(2)
    >>> r = mann_whitney(rng.normal(size=300), rng.normal(0.3, 1, size=300))
    >>> r.drifted, round(r.effect_size, 3)
    (True, 0.155)

    References
    ----------
    .. [1] Mann, H. B., Whitney, D. R. (1947). On a test of whether one of two random variables
       is stochastically larger than the other. Annals of Mathematical Statistics, 18(1),
       50–60.
    .. [2] Kerby, D. S. (2014). The simple difference formula: an approach to teaching
       nonparametric correlation. Comprehensive Psychology, 3, 11.IT.3.1.
    """
    alpha = check_alpha(alpha)
    effect_threshold = check_threshold("effect_threshold", effect_threshold)
    ref = as_numerical(reference, "reference")
    cur = as_numerical(current, "current")
    small = too_small(_NAME, ref, cur, _MIN_N, alpha=alpha, effect_size_name=_EFFECT,
                      effect_threshold=effect_threshold)
    if small is not None:
        return small
    u, ties = _u_and_ties(ref, cur)
    n, m = ref.n, cur.n
    return TestResult.build(
        _NAME, u, _p_value(u, ties, n, m), alpha=alpha, effect_size=abs(1.0 - 2.0 * u / (n * m)),
        effect_size_name=_EFFECT, effect_threshold=effect_threshold, n_reference=n,
        n_current=m, n_missing_reference=ref.n_missing, n_missing_current=cur.n_missing,
    )


def mann_whitney_u(reference: Sample, current: Sample) -> float:
    """``U`` of the current sample: pairs where it is larger, ties counting one half.

    Examples
    --------
    >>> mann_whitney_u(Sample.numerical([1, 2, 3]), Sample.numerical([2, 4]))
    4.5
    """
    return _u_and_ties(reference, current)[0]


def _u_and_ties(ref: Sample, cur: Sample) -> tuple[float, float]:
    """``U`` of the current sample and the pooled :math:`\\sum(t^3 - t)`."""
    g = current_groups(ref, cur)
    f = g.count.astype(np.float64)
    e = g.ref_equal.astype(np.float64)
    u = float(np.sum(f * (g.ref_below + e / 2.0)))
    ties = tie_sum(ref) + float(np.sum(f * (3 * e**2 + 3 * e * f + f**2 - 1)))
    return u, ties


def _p_value(u: float, ties: float, n: int, m: int) -> float:
    big_n = n + m
    var = n * m / 12.0 * ((big_n + 1) - ties / (big_n * (big_n - 1)))
    if not var > 0:
        return 1.0  # every value equal: no ordering information
    z = (max(u, n * m - u) - n * m / 2.0 - 0.5) / math.sqrt(var)
    return min(math.erfc(z / math.sqrt(2.0)), 1.0)
