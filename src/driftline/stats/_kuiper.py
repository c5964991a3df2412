"""Two-sample Kuiper test: the KS idea made sensitive to spread and invariant on a circle."""

from __future__ import annotations

import math

import numpy as np

from driftline.stats._common import check_alpha, check_threshold, too_small
from driftline.stats._registry import register
from driftline.stats._result import TestResult
from driftline.stats._sample import Sample, SampleLike, as_numerical

__all__ = ["kuiper", "kuiper_sf", "kuiper_statistic"]

_NAME = "kuiper"
_EFFECT = "kuiper_v"
_MIN_N = 12


@register(_NAME, kinds=("numerical",), has_p_value=True, effect_size_name=_EFFECT,
          min_n=_MIN_N, cost="nlogn")
def kuiper(
    reference: SampleLike,
    current: SampleLike,
    *,
    alpha: float = 0.05,
    effect_threshold: float | None = None,
) -> TestResult:
    """Two-sample Kuiper test.

    Like KS it compares the two empirical CDFs, but it adds the largest gaps in both
    directions, so it is as sensitive to a change of spread as to a shift. With a fitted
    ``reference`` a window of ``m`` values costs ``O(m log m + m log n)``.

    Parameters
    ----------
    reference, current : the two samples; NaN and ±inf are left out and counted.
    alpha : significance level of the verdict.
    effect_threshold : optional floor on ``V`` (the effect size here).

    Notes
    -----
    .. math:: V = D^+ + D^-, \\quad D^+ = \\sup_x (F_{cur} - F_{ref}),
              \\quad D^- = \\sup_x (F_{ref} - F_{cur}).

    The p-value is the asymptotic Kuiper tail
    :math:`Q(\\lambda) = 2\\sum_{j\\ge1}(4j^2\\lambda^2 - 1)e^{-2j^2\\lambda^2}` at
    :math:`\\lambda = (\\sqrt{n_e} + 0.155 + 0.24/\\sqrt{n_e})\\,V` with
    :math:`n_e = nm/(n+m)` (Stephens 1970). For :math:`\\lambda < 1` the series is replaced by
    its Jacobi-transformed form
    :math:`1 - Q = \\sqrt2\\,\\pi^{5/2}\\lambda^{-3}\\sum_{k\\ge1} k^2 e^{-\\pi^2k^2/(2\\lambda^2)}`,
    which converges fast there. Both need only a few terms.

    Against permutation p-values (400 000 relabellings): ratios 0.99–1.13 at ``n, m`` of
    50/40 and 200/150 for p from 1.5e-3 down to 1.5e-4, and 0.72 ± 0.23 at p = 2e-5. In
    small samples ``V`` lives on a coarse lattice and the p-value at a lattice point can be
    15–25% low (``n = m = 20``: 0.066 vs 0.079, 0.0078 vs 0.0101); the rejection rate of the
    5% test still stays at or below about 5.3% from ``n = m = 12`` on.
    Below ``min_n = 12`` values per side no verdict is given: at ``n = m = 10`` the
    lattice of ``V`` puts the 5% test at a 6.9% false-alarm rate, while from 12 on it stays
    at or below about 5.3%.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(9)
    >>> r = kuiper(rng.normal(size=500), rng.normal(0, 1.5, size=500))
    >>> r.drifted, round(r.statistic, 3)
    (True, 0.208)

    References
    ----------
    .. [1] Kuiper, N. H. (1960). Tests concerning random points on a circle. Proceedings of the
       Koninklijke Nederlandse Akademie van Wetenschappen A, 63, 38–47.
    .. [2] Stephens, M. A. (1970). Use of the Kolmogorov–Smirnov, Cramér–von Mises and related
       statistics without extensive tables. Journal of the Royal Statistical Society B, 32(1),
       115–122.
    """
    alpha = check_alpha(alpha)
    effect_threshold = check_threshold("effect_threshold", effect_threshold)
    ref = as_numerical(reference, "reference")
    cur = as_numerical(current, "current")
    small = too_small(_NAME, ref, cur, _MIN_N, alpha=alpha, effect_size_name=_EFFECT,
                      effect_threshold=effect_threshold)
    if small is not None:
        return small
    v = kuiper_statistic(ref, cur)
    root = math.sqrt(ref.n * cur.n / (ref.n + cur.n))
    p = kuiper_sf((root + 0.155 + 0.24 / root) * v)
    return TestResult.build(
        _NAME, v, p, alpha=alpha, effect_size=v, effect_size_name=_EFFECT,
        effect_threshold=effect_threshold, n_reference=ref.n, n_current=cur.n,
        n_missing_reference=ref.n_missing, n_missing_current=cur.n_missing,
    )


def kuiper_statistic(reference: Sample, current: Sample) -> float:
    """``V = D+ + D-`` without touching every reference value.

    Between consecutive current values the current ECDF is flat and the reference ECDF only
    rises, so :math:`F_{cur} - F_{ref}` peaks at a current value (from the right) and
    :math:`F_{ref} - F_{cur}` just before one (from the left).

    Examples
    --------
    >>> kuiper_statistic(Sample.numerical([1, 2, 3, 4]), Sample.numerical([2.5, 3.5, 9, 10]))
    0.5
    """
    r, c = reference.values, current.values
    n, m = r.size, c.size
    cur_right = np.searchsorted(c, c, side="right") / m  # F_cur at c_i
    cur_left = np.searchsorted(c, c, side="left") / m  # F_cur just below c_i
    d_plus = np.max(cur_right - np.searchsorted(r, c, side="right") / n)
    d_minus = np.max(np.searchsorted(r, c, side="left") / n - cur_left)
    return float(max(d_plus, 0.0) + max(d_minus, 0.0))


def kuiper_sf(lam: float) -> float:
    """Upper tail of the asymptotic Kuiper distribution, ``P(sqrt(n_e) V > lam)``.

    Examples
    --------
    >>> round(kuiper_sf(1.747), 4), round(kuiper_sf(2.001), 4)
    (0.05, 0.01)
    """
    if lam <= 0:
        return 1.0
    j = np.arange(1, 40, dtype=np.float64)
    if lam < 1.0:
        s = np.sum(j**2 * np.exp(-(math.pi * j / lam) ** 2 / 2))
        cdf = math.sqrt(2.0) * math.pi**2.5 / lam**3 * s
        return float(min(max(1.0 - cdf, 0.0), 1.0))
    x = 2.0 * (j * lam) ** 2
    return float(min(max(2.0 * np.sum((2.0 * x - 1.0) * np.exp(-x)), 0.0), 1.0))
