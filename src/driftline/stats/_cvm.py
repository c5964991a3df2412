"""Two-sample Cramér–von Mises test."""

from __future__ import annotations

import math
from typing import Literal

import numpy as np

from driftline.errors import ParameterError
from driftline.stats._common import check_alpha, check_threshold, too_small
from driftline.stats._quadform import cvm_inf_sf
from driftline.stats._ranks import current_groups, tie_sum
from driftline.stats._registry import register
from driftline.stats._result import TestResult
from driftline.stats._sample import Sample, SampleLike, as_numerical

__all__ = ["cramer_von_mises", "cramer_von_mises_statistic"]

_NAME = "cramer_von_mises"
_EFFECT = "cvm_distance"
_MIN_N = 5
_AUTO_EXACT_MAX = 20  # as scipy.stats.cramervonmises_2samp(method="auto")
_EXACT_MAX = 30  # the exact distribution's cost grows steeply: ~1 s at 30 + 30 values
_METHODS = ("auto", "exact", "asymptotic")


@register(_NAME, kinds=("numerical",), has_p_value=True, effect_size_name=_EFFECT,
          min_n=_MIN_N, cost="nlogn")
def cramer_von_mises(
    reference: SampleLike,
    current: SampleLike,
    *,
    alpha: float = 0.05,
    effect_threshold: float | None = None,
    method: Literal["auto", "exact", "asymptotic"] = "auto",
) -> TestResult:
    """Two-sample Cramér–von Mises test.

    The statistic and p-values equal :func:`scipy.stats.cramervonmises_2samp` with the same
    ``method``. With a fitted ``reference`` a window of ``m`` values costs
    ``O(m log m + m log n)``: the current values are looked up in the sorted reference, and the
    reference's own tie term is computed once per fitted sample.

    Parameters
    ----------
    reference, current : the two samples; NaN and ±inf are left out and counted.
    alpha : significance level of the verdict.
    effect_threshold : optional floor on the effect size (see Notes).
    method : ``"exact"`` (the permutation distribution without ties, allowed up to 30 values
        per side), ``"asymptotic"``, or ``"auto"``: exact when neither side has more than 20
        values and there are no ties (SciPy's ``"auto"`` ignores ties), else asymptotic.

    Notes
    -----
    With midranks :math:`r_i` of the sorted reference values and :math:`s_j` of the sorted
    current values in the pooled sample (``N = n + m``),

    .. math:: U = n\\sum_i (r_i - i)^2 + m\\sum_j (s_j - j)^2, \\qquad
              T = \\frac{U}{nmN} - \\frac{4nm - 1}{6N}.

    For a tie group holding :math:`e` reference values with :math:`L` current values below
    it and :math:`f` equal to it, :math:`\\sum (r_i - i)^2 = e(L + f/2)^2 + (e^3 - e)/12`, so
    only the groups of the current values need the reference (binary search); the rest is
    counts between them and the reference's :math:`\\sum(e^3 - e)`.

    The asymptotic p-value standardises :math:`T` with its exact mean and variance
    (Anderson 1962) and uses the limit law of the one-sample statistic, whose upper tail
    comes from Smirnov's formula: accurate far below SciPy's series (which stops at terms
    below 1e-7 and computes ``1 - cdf``). The exact p-value (from SciPy) assumes no ties.
    When every pooled value is equal the p-value is 1.

    Effect size: ``T·N/(nm)``, the mean squared gap between the two empirical CDFs over the
    pooled sample; it does not grow with ``n``. Below ``min_n = 5`` values per side no
    verdict is given.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(5)
    >>> r = cramer_von_mises(rng.normal(size=300), rng.normal(0.3, 1, size=300))
    >>> r.drifted, round(r.statistic, 3)
    (True, 1.895)

    References
    ----------
    .. [1] Anderson, T. W. (1962). On the distribution of the two-sample Cramér–von Mises
       criterion. Annals of Mathematical Statistics, 33(3), 1148–1159.
    .. [2] Csörgő, S., Faraway, J. J. (1996). The exact and asymptotic distributions of
       Cramér–von Mises statistics. Journal of the Royal Statistical Society B, 58(1), 221–234.
    """
    alpha = check_alpha(alpha)
    effect_threshold = check_threshold("effect_threshold", effect_threshold)
    if method not in _METHODS:
        raise ParameterError.choice("method", method, _METHODS)
    ref = as_numerical(reference, "reference")
    cur = as_numerical(current, "current")
    small = too_small(_NAME, ref, cur, _MIN_N, alpha=alpha, effect_size_name=_EFFECT,
                      effect_threshold=effect_threshold)
    if small is not None:
        return small
    n, m = ref.n, cur.n
    u, tied = _u_statistic(ref, cur)
    t = u / (n * m * (n + m)) - (4 * n * m - 1) / (6 * (n + m))
    if ref.values[0] == ref.values[-1] == cur.values[0] == cur.values[-1]:
        p = 1.0  # a single pooled value: every arrangement is the same
    elif _use_exact(method, n, m, tied):
        p = _exact_p(ref, cur)
    else:
        p = _asymptotic_p(t, n, m)
    return TestResult.build(
        _NAME, t, p, alpha=alpha, effect_size=max(t, 0.0) * (n + m) / (n * m),
        effect_size_name=_EFFECT, effect_threshold=effect_threshold, n_reference=n,
        n_current=m, n_missing_reference=ref.n_missing, n_missing_current=cur.n_missing,
    )


def cramer_von_mises_statistic(reference: Sample, current: Sample) -> float:
    """The statistic ``T`` (as :func:`scipy.stats.cramervonmises_2samp`).

    Examples
    --------
    >>> round(cramer_von_mises_statistic(Sample.numerical([1, 2, 3, 4]),
    ...                                  Sample.numerical([3, 4, 5, 6, 7])), 6)
    0.439815
    """
    n, m = reference.n, current.n
    u = _u_statistic(reference, current)[0]
    return u / (n * m * (n + m)) - (4 * n * m - 1) / (6 * (n + m))


def _u_statistic(ref: Sample, cur: Sample) -> tuple[float, bool]:
    """``U`` from the current tie groups located in the reference, ``O(m log n)``, and
    whether the pooled sample has ties."""
    n, m = ref.n, cur.n
    g = current_groups(ref, cur)
    count = g.count.astype(np.float64)
    ref_eq = g.ref_equal.astype(np.float64)
    ref_upto = g.ref_below + g.ref_equal  # reference values at or below each current group
    # reference values strictly between consecutive current groups, and above the last one;
    # those below the first group have no current value below them and add nothing
    between = np.append(g.ref_below[1:] - ref_upto[:-1], n - ref_upto[-1])
    cur_upto = (g.below + g.count).astype(np.float64)
    ref_ties, cur_ties = tie_sum(ref), tie_sum(cur)
    ref_part = (np.sum(between * cur_upto**2) + np.sum(ref_eq * (g.below + count / 2) ** 2)
                + ref_ties / 12)
    cur_part = np.sum(count * (g.ref_below + ref_eq / 2) ** 2) + cur_ties / 12
    tied = ref_ties > 0 or cur_ties > 0 or bool(np.any(g.ref_equal))
    return float(n * ref_part + m * cur_part), tied


def _use_exact(method: str, n: int, m: int, tied: bool) -> bool:
    if method == "auto":  # the exact law assumes no ties; with ties use the asymptotic one
        return max(n, m) <= _AUTO_EXACT_MAX and not tied
    if method == "exact" and max(n, m) > _EXACT_MAX:
        raise ParameterError.invalid(
            "method", method, f"'asymptotic' or 'auto' when a sample has more than {_EXACT_MAX} "
            f"values (got n={n}, m={m})", "The exact distribution is too costly at this size.")
    return method == "exact"


def _exact_p(ref: Sample, cur: Sample) -> float:
    from scipy.stats import cramervonmises_2samp

    return float(cramervonmises_2samp(ref.values, cur.values, method="exact").pvalue)


def _asymptotic_p(t: float, n: int, m: int) -> float:
    """Standardise ``T`` with its exact mean and variance, then the limit law's upper tail."""
    big_n, k = n + m, n * m
    mean = (1 + 1 / big_n) / 6
    var = (big_n + 1) * (4 * k * big_n - 3 * (n**2 + m**2) - 2 * k) / (45 * big_n**2 * 4 * k)
    return cvm_inf_sf(1 / 6 + (t - mean) / math.sqrt(45 * var))
