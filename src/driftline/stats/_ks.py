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


def ks_statistic(reference: Sample, current: Sample, *, block: int = 64) -> float:
    """The KS distance ``D`` between two numerical samples, in time linear in the window.

    Between two consecutive current values the current ECDF is flat and the reference ECDF
    only rises, so the supremum is reached at a current value, from the right or the left.
    Locating every current value in the sorted reference would cost a binary search each;
    instead every ``block``-th value is located exactly, which bounds the gap inside each
    block, and only the blocks whose bound could beat the best exact gap are searched in full.
    The result is exact (the bounds only decide where to look).

    Examples
    --------
    >>> ks_statistic(Sample.numerical([1, 2, 3]), Sample.numerical([2, 3, 4]))
    0.3333333333333333
    >>> rng = np.random.default_rng(0)
    >>> r, c = Sample.numerical(rng.normal(size=5000)), Sample.numerical(rng.normal(size=3000))
    >>> ks_statistic(r, c) == ks_statistic(r, c, block=1)
    True
    """
    r, c = reference.values, current.values
    n, m = r.size, c.size
    probes = np.arange(0, m, block)
    if probes[-1] != m - 1:
        probes = np.append(probes, m - 1)
    left, right, start, end = _ranks(r, c, probes)
    best = float(max(_gap(left, right, start, end, n, m).max(initial=0.0), 0.0))
    if probes.size == m:
        return best
    # For a < j < b between consecutive probes: left[a] <= L_j <= R_j <= right[b],
    # start[a] <= s_j and e_j <= end[b], which bounds both one-sided gaps in the block.
    upper = np.maximum(end[1:] / m - left[:-1] / n, right[1:] / n - start[:-1] / m)
    todo = np.flatnonzero((np.diff(probes) > 1) & (upper > best))
    if todo.size == 0:
        return best
    idx = np.concatenate([np.arange(probes[k] + 1, probes[k + 1]) for k in todo.tolist()])
    return float(max(best, _gap(*_ranks(r, c, idx), n, m).max()))


def _ranks(
    r: np.ndarray, c: np.ndarray, idx: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """For keys ``c[idx]``: counts of reference values below and up to each key (``L``, ``R``)
    and the key's tie run in the current sample (``s``, ``e``: first and one-past-last index).

    One binary search per key; the other three counts come from neighbour comparisons and
    are searched only where values tie.
    """
    keys = c[idx]
    left = np.searchsorted(r, keys, side="left")
    right = left.copy()
    tied = np.flatnonzero(r[np.minimum(left, r.size - 1)] == keys)
    if tied.size:
        right[tied] = np.searchsorted(r, keys[tied], side="right")
    start, end = idx.copy(), idx + 1
    prev_tie = (idx > 0) & (c[np.maximum(idx - 1, 0)] == keys)
    next_tie = (idx < c.size - 1) & (c[np.minimum(idx + 1, c.size - 1)] == keys)
    if prev_tie.any():
        start[prev_tie] = np.searchsorted(c, keys[prev_tie], side="left")
    if next_tie.any():
        end[next_tie] = np.searchsorted(c, keys[next_tie], side="right")
    return left, right, start, end


def _gap(left: np.ndarray, right: np.ndarray, start: np.ndarray, end: np.ndarray,
         n: int, m: int) -> np.ndarray:
    """The larger one-sided ECDF gap at each key: ``max(F_c - F_r)`` from the right and
    ``max(F_r - F_c)`` from the left."""
    return np.maximum(end / m - right / n, left / n - start / m)


def _p_value(d: float, ref: Sample, cur: Sample, mode: str) -> float:
    n, m = ref.n, cur.n
    if mode == "exact" or (mode == "auto" and n * m <= _EXACT_MAX_PRODUCT):
        import warnings

        from scipy.stats import ks_2samp

        with warnings.catch_warnings():  # SciPy falls back to "asymp" itself when exact fails
            warnings.filterwarnings("ignore", "ks_2samp: Exact calculation", RuntimeWarning)
            return float(ks_2samp(ref.values, cur.values, method="exact").pvalue)
    from scipy.stats import kstwo

    big, small = max(n, m), min(n, m)
    en = big * small / (big + small)
    return float(np.clip(kstwo.sf(d, np.round(en)), 0.0, 1.0))
