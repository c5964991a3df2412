"""Two-sample Anderson–Darling test (Scholz & Stephens k-sample test with k = 2, midranks)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from driftline.stats._common import check_alpha, check_threshold, too_small
from driftline.stats._quadform import ad_inf_sf
from driftline.stats._ranks import pooled_groups
from driftline.stats._registry import register
from driftline.stats._result import TestResult
from driftline.stats._sample import Sample, SampleLike, as_numerical

__all__ = ["anderson_darling", "anderson_darling_statistic"]

_NAME = "anderson_darling"
_EFFECT = "anderson_darling_distance"
_MIN_N = 10
_SIGMA_INF = math.sqrt(2.0 * (math.pi**2 - 9.0) / 3.0)  # standard deviation of A²∞ (k = 2)


@register(_NAME, kinds=("numerical",), has_p_value=True, effect_size_name=_EFFECT,
          min_n=_MIN_N, cost="nlogn")
def anderson_darling(
    reference: SampleLike,
    current: SampleLike,
    *,
    alpha: float = 0.05,
    effect_threshold: float | None = None,
) -> TestResult:
    """Two-sample Anderson–Darling test, with an uncapped p-value.

    More sensitive than KS to differences in the tails. The statistic equals
    ``scipy.stats.anderson_ksamp([reference, current], variant="midrank").statistic``; the
    p-value is not capped to SciPy's ``[0.001, 0.25]`` interpolation range. With a fitted
    ``reference`` the reference is merged with the window in ``O(n + m log n)``, not re-sorted.

    Parameters
    ----------
    reference, current : the two samples; NaN and ±inf are left out and counted.
    alpha : significance level of the verdict.
    effect_threshold : optional floor on the effect size (see Notes).

    Notes
    -----
    With :math:`z^*_1 < \\dots < z^*_L` the distinct pooled values, :math:`l_j` their
    multiplicities, :math:`M_{ij}` the midrank counts of sample ``i`` below :math:`z^*_j`
    (values equal count one half) and :math:`B_j = M_{1j} + M_{2j}`, the midrank statistic
    (Scholz & Stephens, eq. 7) for two samples of sizes ``n``, ``m`` (``N = n + m``) is

    .. math:: A^2_{akN} = \\frac{N-1}{nmN} \\sum_j l_j
              \\frac{(m M_{1j} - n M_{2j})^2}{b_j g_j + (b_j + g_j) l_j / 4}

    with :math:`b_j`, :math:`g_j` the pooled counts below and above :math:`z^*_j` (the
    denominator equals SciPy's :math:`B_j(N - B_j) - N l_j/4`). The reported statistic is
    SciPy's standardisation :math:`T = (A^2_{akN} - 1)/\\sigma_N` with Scholz & Stephens'
    variance :math:`\\sigma_N^2` (eq. 4; its harmonic sums in closed form,
    :math:`h = \\psi(N) + \\gamma` and :math:`g = H^{(2)}_{N-1} - 2h/N`).

    p-value (uncapped): under the null :math:`A^2_{akN}` has mean exactly 1, and tends to the
    one-sample limit law :math:`A^2_\\infty` (mean 1, variance :math:`2(\\pi^2 - 9)/3`). Eq. 4
    is the variance of the right-continuous statistic without ties; the midrank statistic's
    variance is larger (by about 5% at ``N = 40``, and by a factor up to 3 with heavy ties).
    So the p-value standardises with the exact permutation variance :math:`v` of
    :math:`A^2_{akN}` given the pooled values (ties included; ``O(L)`` by prefix sums, see
    :func:`_permutation_variance`) and matches two moments:
    :math:`p = P(A^2_\\infty > 1 + \\sigma_\\infty (A^2_{akN} - 1)/\\sqrt v)`. This is the
    law behind Scholz & Stephens' asymptotic table, which SciPy interpolates, so the two
    agree where SciPy does not cap. The tail of :math:`A^2_\\infty` comes from Smirnov's
    formula (:mod:`driftline.stats._quadform`) with full relative accuracy far below 0.001.
    Validated against SciPy's permutation p-values (``PermutationMethod``) from 0.12 down to
    1.5e-5 within Monte Carlo error; on stationary data the 5% test rejects 4.8–5.5% of the
    time for continuous, integer and Poisson data from ``n = m = 10``.

    Effect size: ``A²_akN · N / (n m)``, which estimates
    :math:`\\int (F_{ref} - F_{cur})^2 / (H(1 - H))\\,dH` (``H`` pooled) and does not grow
    with ``n``. Below ``min_n = 10`` values per side no verdict is given (at ``n = m = 8``
    binary data reach an 8% false-alarm rate at the 5% level).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(3)
    >>> r = anderson_darling(rng.normal(size=400), rng.normal(0, 1.6, size=400))
    >>> r.drifted, r.p_value < 1e-4
    (True, True)

    References
    ----------
    .. [1] Scholz, F. W., Stephens, M. A. (1987). K-sample Anderson–Darling tests. Journal of
       the American Statistical Association, 82(399), 918–924.
    .. [2] Anderson, T. W., Darling, D. A. (1954). A test of goodness of fit. Journal of the
       American Statistical Association, 49(268), 765–769.
    """
    alpha = check_alpha(alpha)
    effect_threshold = check_threshold("effect_threshold", effect_threshold)
    ref = as_numerical(reference, "reference")
    cur = as_numerical(current, "current")
    small = too_small(_NAME, ref, cur, _MIN_N, alpha=alpha, effect_size_name=_EFFECT,
                      effect_threshold=effect_threshold)
    if small is not None:
        return small
    n, m = ref.n, cur.n
    groups = _Groups.of(ref, cur)
    a2 = groups.a2akn()
    t = (a2 - 1.0) / math.sqrt(_null_variance(n, m))
    return TestResult.build(
        _NAME, t, groups.p_value(a2), alpha=alpha, effect_size=a2 * (n + m) / (n * m),
        effect_size_name=_EFFECT, effect_threshold=effect_threshold, n_reference=n,
        n_current=m, n_missing_reference=ref.n_missing, n_missing_current=cur.n_missing,
    )


def anderson_darling_statistic(reference: Sample, current: Sample) -> float:
    """The standardised midrank statistic ``T`` (as :func:`scipy.stats.anderson_ksamp`).

    Examples
    --------
    >>> t = anderson_darling_statistic(Sample.numerical([1, 2, 3, 4, 5]),
    ...                                Sample.numerical([3, 4, 5, 6, 7, 8]))
    >>> round(t, 6)
    2.054261
    """
    a2 = _Groups.of(reference, current).a2akn()
    return (a2 - 1.0) / math.sqrt(_null_variance(reference.n, current.n))


@dataclass(frozen=True)
class _Groups:
    """The pooled sample's distinct values: counts below (``below``), equal (``equal``) and
    above (``above``), and ``x = m·M_ref - n·M_cur``, all as floats."""

    n: int
    m: int
    below: np.ndarray
    equal: np.ndarray
    above: np.ndarray
    x: np.ndarray

    @classmethod
    def of(cls, ref: Sample, cur: Sample) -> _Groups:
        ref_below, ref_equal, cur_below, cur_equal = pooled_groups(ref, cur)
        n, m = ref.n, cur.n
        below = (ref_below + cur_below).astype(np.float64)
        equal = (ref_equal + cur_equal).astype(np.float64)
        x = m * (ref_below + ref_equal / 2.0) - n * (cur_below + cur_equal / 2.0)
        return cls(n, m, below, equal, (n + m) - below - equal, x)

    def beta(self) -> np.ndarray:
        """``l_j / (B_j (N - B_j) - N l_j / 4)``; 0 where that is 0/0 (all values equal)."""
        den = self.below * self.above + (self.below + self.above) * self.equal / 4.0
        return np.divide(self.equal, den, out=np.zeros_like(den), where=den > 0)

    def a2akn(self) -> float:
        """The unstandardised midrank statistic A²_akN (0 when all values are equal)."""
        big_n = self.n + self.m
        return float((big_n - 1) / (self.n * self.m * big_n) * np.sum(self.beta() * self.x**2))

    def p_value(self, a2: float) -> float:
        """``P(A²∞ > 1 + σ∞ (A² - 1)/σ)`` with σ² the exact permutation variance of A²."""
        var = _permutation_variance(self)
        if not var > 1e-12:  # (the mean is 1) a single distinct value: every arrangement
            return 1.0  # gives the same statistic
        return ad_inf_sf(1.0 + _SIGMA_INF * (a2 - 1.0) / math.sqrt(var))


def _permutation_variance(g: _Groups) -> float:
    """Exact variance of A²_akN over the relabellings of the pooled sample (ties kept).

    ``A² = Σ_pq Q_pq I_p I_q`` with ``I`` the reference indicators of a uniformly random
    ``n``-subset and ``Q`` a matrix with zero row sums. For such forms
    ``E Y = (π1 - π2) D`` and
    ``E Y² = (π2 - 2π3 + π4)(D² + 2 T3) + (π1 - 7π2 + 12π3 - 6π4) T2``, where
    ``π_d = n^(d) / N^(d)`` (falling factorials), ``D = tr Q``, ``T2 = Σ_p Q_pp²`` and
    ``T3 = Σ_pq Q_pq²``: every other index pattern sums to zero. The step structure of
    ``Q`` lets prefix sums give ``T2`` and ``T3`` in ``O(L)``.
    """
    n, big_n = g.n, g.n + g.m
    beta = g.beta()
    mid = (g.below + g.equal / 2.0) / big_n  # B_j / N
    kept = beta > 0
    # T3: S_jj = den_j / N on the diagonal, S_jj' = B_j (N - B_j') / N for j < j'
    earlier = np.concatenate(([0.0], np.cumsum(beta * mid**2)[:-1]))
    s3 = (np.sum(g.equal[kept] ** 2) / big_n**2
          + 2 * big_n**2 * np.sum(beta * (1 - mid) ** 2 * earlier))
    # T2: Q_pp for a value in group g sums beta_j (w_j - B_j/N)^2, w_j = 1, 1/2, 0 by position
    above = np.concatenate((np.cumsum((beta * (1 - mid) ** 2)[::-1])[::-1][1:], [0.0]))
    q = above + beta * (0.5 - mid) ** 2 + earlier
    s2 = np.sum(g.equal * q**2)
    scale = (big_n - 1) * big_n / (n * g.m)  # c N², with A² = c Σ_j beta_j X_j²
    d, t2, t3 = scale * np.sum(g.equal[kept]) / big_n, scale**2 * s2, scale**2 * s3
    pi = [1.0]
    for k in range(1, 5):
        pi.append(pi[-1] * (n - k + 1) / (big_n - k + 1))
    mean = (pi[1] - pi[2]) * d
    second = ((pi[2] - 2 * pi[3] + pi[4]) * (d**2 + 2 * t3)
              + (pi[1] - 7 * pi[2] + 12 * pi[3] - 6 * pi[4]) * t2)
    return float(second - mean**2)


def _null_variance(n: int, m: int) -> float:
    """Exact null variance of A²_akN for k = 2 (Scholz & Stephens 1987, eq. 4)."""
    from scipy.special import digamma, polygamma

    big_n = n + m
    h = float(digamma(big_n)) + np.euler_gamma  # Σ_{i<N} 1/i
    g = math.pi**2 / 6 - float(polygamma(1, big_n)) - 2 * h / big_n  # Σ_{i<j<N} 1/((N-i) j)
    k, inv = 2, 1.0 / n + 1.0 / m
    a = (4 * g - 6) * (k - 1) + (10 - 6 * g) * inv
    b = (2 * g - 4) * k**2 + 8 * h * k + (2 * g - 14 * h - 4) * inv - 8 * h + 4 * g - 6
    c = (6 * h + 2 * g - 2) * k**2 + (4 * h - 4 * g + 6) * k + (2 * h - 6) * inv + 4 * h
    d = (2 * h + 6) * k**2 - 4 * h * k
    num = ((a * big_n + b) * big_n + c) * big_n + d
    return float(num / ((big_n - 1.0) * (big_n - 2.0) * (big_n - 3.0)))
