"""The Kolmogorov–Smirnov statistic from two profiles, with its error bound.

Each sketch's CDF is a step function that only moves at its retained values, so the largest
gap between the two sketched CDFs is found exactly by evaluating both at the union of their
retained values (what ``get_rank(x, inclusive=True)`` gives at each). If each sketched CDF is
within its rank error ``ε`` of the true one at every point (DataSketches' stated error, see
``_sketches``), the estimate is within ``ε_ref + ε_cur`` of the exact ``D``: with about 98 %
confidence (two sketches, each about 99 %). A sketch that still holds every value contributes
0. The histograms narrow this further (see ``_bands``): the exact ``D`` is at least the gap at
any shared edge, where both CDFs are known exactly, and at most the largest gap their bands
allow.

The p-value follows the exact path (:func:`driftline.stats.ks`): SciPy's exact distribution
when ``n·m <= 10**6``, else ``kstwo.sf(D, round(n·m/(n+m)))``; it is a function of ``D``, ``n``
and ``m`` only, so it is computed from the estimate, and its range from the ends of ``D``'s.
"""

from __future__ import annotations

import math

import numpy as np

from driftline.profile._bands import cdf_bands
from driftline.profile._numeric import NumericProfile

__all__ = ["EXACT_MAX_PRODUCT", "ks_critical", "ks_interval", "ks_p_value"]

EXACT_MAX_PRODUCT = 1_000_000  # as driftline.stats.ks


def ks_interval(reference: NumericProfile,
                current: NumericProfile) -> tuple[float, float, float, float]:
    """``(estimate, low, high, bound)`` of the KS statistic of two non-empty profiles.

    The exact statistic lies in ``[low, high]`` (with the sketches' confidence), the estimate
    lies inside it, and ``bound`` is the larger distance from the estimate to an end: at most
    ``ε_ref + ε_cur``, less where the histograms pin the CDFs closer.

    Examples
    --------
    >>> import numpy as np
    >>> from driftline.profile import profile_frame
    >>> ref = profile_frame({"x": np.arange(100.0)})
    >>> cur = profile_frame({"x": np.arange(50.0, 150.0)}, reference=ref)
    >>> ks_interval(ref["x"], cur["x"])    # both sketches still exact
    (0.5, 0.5, 0.5, 0.0)
    """
    b = cdf_bands(reference, current)
    r, c = b.ref, b.cur
    # D is the largest gap at a breakpoint or inside a piece: estimate and bound both
    inside = b.width > 0
    estimate = float(np.maximum(np.abs(r.at_hat - c.at_hat),
                                np.where(inside, np.abs(r.hat - c.hat), 0.0)).max(initial=0.0))
    sure_gap = np.maximum(np.maximum(r.at_lo - c.at_hi, c.at_lo - r.at_hi),
                          np.where(inside, np.maximum(r.lo - c.hi, c.lo - r.hi), 0.0))
    low = max(float(sure_gap.max(initial=0.0)), b.edge_gap, 0.0)
    high = float(np.maximum(np.maximum(r.at_hi - c.at_lo, c.at_hi - r.at_lo),
                            np.where(inside, np.maximum(r.hi - c.lo, c.hi - r.lo), 0.0)
                            ).max(initial=0.0))
    high = max(min(high, 1.0), low)
    estimate = min(max(estimate, low), high)
    return estimate, low, high, max(high - estimate, estimate - low)


def ks_p_value(d: float, n: int, m: int) -> float:
    """The two-sided p-value of ``D = d`` for samples of sizes ``n`` and ``m``, as the exact
    path computes it.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy.stats import ks_2samp
    >>> rng = np.random.default_rng(0)
    >>> a, b = rng.normal(size=300), rng.normal(0.2, 1, size=400)
    >>> r = ks_2samp(a, b, method="exact")
    >>> bool(np.isclose(ks_p_value(r.statistic, 300, 400), r.pvalue))
    True
    """
    if d <= 0:
        return 1.0
    if n * m <= EXACT_MAX_PRODUCT:
        exact = _exact_p(min(d, 1.0), n, m)
        if exact is not None:
            return exact
    from scipy.stats import kstwo

    big, small = max(n, m), min(n, m)
    en = big * small / (big + small)
    return float(np.clip(kstwo.sf(d, np.round(en)), 0.0, 1.0))


def _exact_p(d: float, n: int, m: int) -> float | None:
    """SciPy's exact two-sided p-value (what ``ks_2samp(method="exact")`` computes from
    ``D``, ``n`` and ``m``), or ``None`` when SciPy cannot compute it."""
    try:
        from scipy.stats._stats_py import _attempt_exact_2kssamp
    except ImportError:  # pragma: no cover - a SciPy that moved it: use the asymptotic form
        return None
    ok, _, p = _attempt_exact_2kssamp(n, m, math.gcd(n, m), d, "two-sided")
    return float(np.clip(p, 0.0, 1.0)) if ok else None


def ks_critical(level: float, n: int, m: int) -> float:
    """The smallest ``D`` whose p-value is at most ``level`` (``inf`` if none is).

    On the lattice of attainable values ``h / lcm(n, m)`` when the p-value is exact, so
    ``ks_p_value(D) <= level`` exactly when ``D >= ks_critical(level)``.

    Examples
    --------
    >>> round(ks_critical(0.05, 100_000, 100_000), 5)
    0.00607
    >>> c = ks_critical(0.05, 200, 300)
    >>> ks_p_value(c, 200, 300) <= 0.05 < ks_p_value(c - 1 / 600, 200, 300)
    True
    """
    if not 0 < level < 1:
        return math.inf if level <= 0 else 0.0
    if n * m <= EXACT_MAX_PRODUCT:
        lcm = n * m // math.gcd(n, m)
        if ks_p_value(1.0, n, m) > level:
            return math.inf
        lo, hi = 0, lcm  # p(lo / lcm) > level >= p(hi / lcm)
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if ks_p_value(mid / lcm, n, m) <= level:
                hi = mid
            else:
                lo = mid
        return hi / lcm
    from scipy.stats import kstwo

    big, small = max(n, m), min(n, m)
    return float(kstwo.isf(level, np.round(big * small / (big + small))))
