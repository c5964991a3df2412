"""Two-sample Kolmogorov–Smirnov test."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Literal

import numpy as np

from driftline.errors import ParameterError
from driftline.stats._common import check_alpha, check_threshold, too_small
from driftline.stats._locate import grid_index, grid_ranks, grid_step
from driftline.stats._registry import register
from driftline.stats._result import TestResult
from driftline.stats._sample import Sample, SampleLike, as_numerical

__all__ = ["ks", "ks_statistic"]

_EXACT_MAX_PRODUCT = 1_000_000
_DIRECT_KEYS = 64  # distinct current values below which every one is searched directly
_PER_KEY = 6.0  # grid step against the window's resolution (see _locate.grid_step)


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
    ``O(m log m)`` for sorting it plus a linear merge with a small grid of the reference
    and a handful of binary searches (:func:`ks_statistic`): the reference is never
    re-sorted, and not read beyond those few places.

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
    (True, 0.16)

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


def ks_statistic(reference: Sample, current: Sample, *, step: int | None = None) -> float:
    """The KS distance ``D`` between two numerical samples, exactly, in time set by the window.

    Between two consecutive current values the current ECDF is flat and the reference ECDF
    only rises, so the supremum is reached at a distinct current value ``u``, from the right
    (``F_c(u) - F_r(u)``) or the left (``F_r(u-) - F_c(u-)``). With ``L`` and ``R`` the numbers
    of reference values below and up to ``u``, and ``s`` and ``e`` those of current values,
    ``D = max(0, max_u max(e/m - R/n, L/n - s/m))``.

    Against a large (fitted) reference, ``L`` and ``R`` are first bounded for every ``u`` from
    the reference's grid (every ``step``-th value; one linear merge, see ``_locate``), which
    bounds each gap from above and below. Only the values whose upper bound reaches the best
    lower bound, usually a handful, are searched in the reference. The bounds are the same
    floating-point expressions as the gaps, with rank bounds in place of ranks, and rounding
    is monotone, so the result is the exact ``D`` to the last bit. ``step=None`` picks the
    step from the sizes (:func:`~driftline.stats._locate.grid_step`); ``step=0`` searches
    every distinct current value in the reference.

    Examples
    --------
    >>> ks_statistic(Sample.numerical([1, 2, 3]), Sample.numerical([2, 3, 4]))
    0.3333333333333333
    >>> rng = np.random.default_rng(0)
    >>> r, c = Sample.numerical(rng.normal(size=50_000)), Sample.numerical(rng.normal(size=300))
    >>> ks_statistic(r, c) == ks_statistic(r, c, step=0)
    True
    """
    r, c = reference.values, current.values
    n, m = r.size, c.size
    change = np.flatnonzero(c[1:] != c[:-1])
    if change.size == m - 1:  # no ties in the window
        u, frac = c, np.arange(m + 1) / m
    else:
        u = c[np.concatenate(([0], change + 1))]
        frac = np.concatenate(([0], change + 1, [m])) / m
    cur_below, cur_upto = frac[:-1], frac[1:]  # s/m and e/m for each distinct value u
    if step is None:
        step = grid_step(n, u.size, _PER_KEY) if u.size > _DIRECT_KEYS else 0
    if step <= 1:
        return _exact_gap(r, u, np.arange(u.size), cur_below, cur_upto)
    index = grid_index(reference, step)
    a_upto = grid_ranks(index.values, u)  # grid values <= u
    a_below = a_upto  # grid values < u: fewer only where u equals a grid value
    tied = np.flatnonzero(index.values[a_upto - 1] == u)  # a_upto = 0 wraps to a value > u
    if tied.size:
        a_below = a_upto.copy()
        a_below[tied] = np.searchsorted(index.values, u[tied], side="left")
    # each gap's expression with rank bounds in place of the ranks: its highest and lowest value
    high = np.maximum(cur_upto - index.low[a_upto], index.high[a_below] - cur_below)
    low = np.maximum(cur_upto - index.high[a_upto], index.low[a_below] - cur_below)
    todo = np.flatnonzero(high >= low.max())
    return _exact_gap(r, u, todo, cur_below, cur_upto)


def _exact_gap(r: np.ndarray, u: np.ndarray, todo: np.ndarray, cur_below: np.ndarray,
               cur_upto: np.ndarray) -> float:
    """``max(0, largest gap)`` over the distinct current values ``u[todo]``, searched in ``r``."""
    n = r.size
    keys = u[todo]
    below = np.searchsorted(r, keys, side="left")
    upto = below.copy()
    tied = np.flatnonzero(r[np.minimum(below, n - 1)] == keys)
    if tied.size:
        upto[tied] = np.searchsorted(r, keys[tied], side="right")
    gap = np.maximum(cur_upto[todo] - upto / n, below / n - cur_below[todo])
    return float(max(gap.max(initial=0.0), 0.0))


def _p_value(d: float, ref: Sample, cur: Sample, mode: str) -> float:
    n, m = ref.n, cur.n
    if mode == "exact" or (mode == "auto" and n * m <= _EXACT_MAX_PRODUCT):
        import warnings

        from scipy.stats import ks_2samp

        with warnings.catch_warnings():  # SciPy falls back to "asymp" itself when exact fails
            warnings.filterwarnings("ignore", "ks_2samp: Exact calculation", RuntimeWarning)
            return float(ks_2samp(ref.values, cur.values, method="exact").pvalue)
    big, small = max(n, m), min(n, m)
    en = big * small / (big + small)
    return float(np.clip(kstwo_sf(d, int(np.round(en))), 0.0, 1.0))


def kstwo_sf(d: float, n: int) -> float:
    """``scipy.stats.kstwo.sf(d, n)``, the same number, without the generic machinery.

    ``kstwo.sf`` checks its arguments and support and then calls SciPy's ``_kolmogn(n, d,
    cdf=False)`` (Simard and L'Ecuyer's choice of method by ``n`` and ``d``); at ``n`` in the
    thousands the checks cost as much as the evaluation itself. Inside the support this calls
    ``_kolmogn`` directly; at or outside the support's ends, or if a SciPy release moves the
    private function, it calls ``kstwo.sf``.

    Examples
    --------
    >>> from scipy.stats import kstwo
    >>> kstwo_sf(0.013, 9901) == float(kstwo.sf(0.013, 9901))
    True
    """
    if n >= 1 and 0.5 / n < d < 1.0:
        kolmogn = _private_kolmogn()
        if kolmogn is not None:
            return float(kolmogn(n, d, cdf=False))
    from scipy.stats import kstwo

    return float(kstwo.sf(d, n))


@functools.cache
def _private_kolmogn() -> Callable[..., float] | None:
    try:
        from scipy.stats._ksstats import _kolmogn
    except ImportError:  # pragma: no cover - a SciPy release without it
        return None
    return _kolmogn
