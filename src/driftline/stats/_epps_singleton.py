"""Epps–Singleton two-sample test on the empirical characteristic function."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

import numpy as np

from driftline.errors import ParameterError
from driftline.stats._common import check_alpha, check_threshold, too_small
from driftline.stats._registry import register
from driftline.stats._resample import (
    budget_warning,
    check_max_n,
    check_n_permutations,
    check_seed,
    permutation_p_value,
    pooled_split,
    subsample,
)
from driftline.stats._result import TestResult
from driftline.stats._sample import SampleLike, as_numerical

__all__ = ["epps_singleton"]

_MIN_N = 5
_EFFECT = "ecf_distance"
# Splits scored per matrix product in the permutation p-value: tall enough for BLAS to pay off.
_BATCH_ENTRIES = 1 << 20


@register("epps_singleton", kinds=("numerical",), has_p_value=True, effect_size_name=_EFFECT,
          min_n=_MIN_N, cost="linear")
def epps_singleton(
    reference: SampleLike,
    current: SampleLike,
    *,
    alpha: float = 0.05,
    effect_threshold: float | None = None,
    t: Sequence[float] = (0.4, 0.8),
    max_n: int | None = None,
    n_permutations: int = 0,
    seed: int | None = 0,
) -> TestResult:
    """Epps–Singleton test: compares the empirical characteristic functions at a few points.

    Unlike CDF-based tests it does not assume a continuous distribution, so it suits discrete
    and heavily tied data as well.

    Parameters
    ----------
    reference, current : the two samples; NaN and ±inf are left out and counted.
    alpha : significance level of the verdict.
    effect_threshold : optional floor on ``ecf_distance`` (see Notes).
    t : the points, before scaling, where the characteristic functions are compared: distinct
        positive numbers. The default ``(0.4, 0.8)`` is the one proposed in [1]_ and SciPy's.
    max_n : per-side subsample size, or ``None`` (the default) to use every value: the cost is
        linear, :math:`O(N \\cdot |t|)`, so subsampling is rarely needed. A side with more valid
        values is subsampled at random, without replacement, and ``warnings`` says so.
    n_permutations : ``0`` (the default) for the asymptotic chi-square p-value, as
        :func:`scipy.stats.epps_singleton_2samp`; a positive budget ``B`` gives a permutation
        p-value instead, for small or unusual samples, at :math:`O(B \\cdot N \\cdot |t|^2)`.
    seed : seed of the subsampling and permutation generators; ``None`` draws fresh entropy.

    Notes
    -----
    Each value :math:`v` maps to :math:`g(v) = (\\cos(t_1 v/s), \\dots, \\sin(t_1 v/s), \\dots)`,
    where :math:`s` is half the interquartile range of the pooled sample (when more than half of
    the values tie, so the IQR is 0, the pooled standard deviation is used instead, and
    ``warnings`` says so; SciPy returns NaN there). With :math:`\\bar g_x, \\bar g_y` the means
    on each side, :math:`\\hat\\Sigma_x, \\hat\\Sigma_y` their covariance matrices (divided by
    :math:`n` and :math:`m`) and :math:`N = n + m`,

    .. math::
        W = N (\\bar g_x - \\bar g_y)^\\top \\Big(\\frac{N}{n} \\hat\\Sigma_x
            + \\frac{N}{m} \\hat\\Sigma_y\\Big)^{+} (\\bar g_x - \\bar g_y),

    with :math:`^+` the pseudo-inverse. When both sides have fewer than 25 values, :math:`W`
    is multiplied by the small-sample correction of [1]_. The asymptotic p-value is
    :math:`P(\\chi^2_r > W)`, with :math:`r` the rank of the matrix (``2 |t|`` unless the data
    are degenerate, which ``warnings`` reports). Statistic and p-value equal SciPy's.

    With ``n_permutations > 0`` the p-value is :math:`(b + 1) / (B + 1)`: :math:`b` of
    :math:`B` random splits of the pooled sample give :math:`W` at least the observed one. The
    features :math:`g` do not change between splits, so each costs :math:`O(N |t|^2)`.

    The effect size ``ecf_distance`` is the largest modulus of the difference between the two
    empirical characteristic functions over the scaled points,
    :math:`\\max_t |\\hat\\varphi_x(t/s) - \\hat\\varphi_y(t/s)|`: between 0 and 2, free of the
    data's unit, and not growing with n.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(42)
    >>> r = epps_singleton(rng.normal(size=500), rng.normal(0.3, 1, size=500))
    >>> r.drifted, round(r.statistic, 1), r.p_value < 1e-3
    (True, 23.1, True)

    References
    ----------
    .. [1] Epps, T. W. and Singleton, K. J. (1986). An omnibus test for the two-sample problem
       using the empirical characteristic function. Journal of Statistical Computation and
       Simulation, 26(3–4), 177–203.
    .. [2] Goerg, S. J. and Kaiser, J. (2009). Nonparametric testing of distributions — the
       Epps–Singleton two-sample test using the empirical characteristic function. The Stata
       Journal, 9(3), 454–465.
    """
    alpha = check_alpha(alpha)
    effect_threshold = check_threshold("effect_threshold", effect_threshold)
    points = _check_t(t)
    max_n = check_max_n(max_n, allow_none=True)
    n_permutations = check_n_permutations(
        n_permutations, minimum=0, zero_means=" (0 for the asymptotic chi-square p-value)")
    seed = check_seed(seed)
    ref = as_numerical(reference, "reference")
    cur = as_numerical(current, "current")
    small = too_small("epps_singleton", ref, cur, _MIN_N, alpha=alpha,
                      effect_size_name=_EFFECT, effect_threshold=effect_threshold)
    if small is not None:
        return small
    x, note_ref = subsample(ref, max_n, seed, method="epps_singleton", side="reference")
    y, note_cur = subsample(cur, max_n, seed, method="epps_singleton", side="current")
    notes = [note_ref, note_cur]
    scale, note = _scale(np.concatenate((x, y)))
    notes.append(note)
    if scale == 0.0:  # every pooled value is the same: the samples cannot differ
        w, p, effect = 0.0, 1.0, 0.0
    else:
        w, p, effect, note = _asymptotic(x, y, points / scale)
        notes.append(note)
        if n_permutations:
            p = _permutation(x, y, points / scale, n_permutations, seed)
            notes.append(budget_warning("epps_singleton", n_permutations, alpha))
    return TestResult.build(
        "epps_singleton", w, p, alpha=alpha, effect_size=effect, effect_size_name=_EFFECT,
        effect_threshold=effect_threshold, n_reference=ref.n, n_current=cur.n,
        n_missing_reference=ref.n_missing, n_missing_current=cur.n_missing,
        warnings=tuple(note for note in notes if note),
    )


def _check_t(t: Sequence[float]) -> np.ndarray:
    try:
        points = np.asarray(t, dtype=np.float64)
    except (TypeError, ValueError):
        points = np.array([np.nan])
    if (points.ndim != 1 or points.size == 0 or not np.isfinite(points).all()
            or (points <= 0).any() or np.unique(points).size != points.size):
        raise ParameterError.invalid("t", t, "a sequence of distinct positive floats",
                                     "The default (0.4, 0.8) suits most data.")
    return points


def _scale(pooled: np.ndarray) -> tuple[float, str | None]:
    """Half the pooled IQR (as SciPy), or the pooled standard deviation when the IQR is 0."""
    q1, q3 = np.percentile(pooled, [25.0, 75.0])
    if q3 > q1:
        return float(q3 - q1) / 2.0, None
    sd = float(pooled.std())
    note = ("epps_singleton: more than half of the pooled values are tied, so the interquartile "
            "range is 0; t is scaled by the pooled standard deviation instead.")
    return sd, (note if sd > 0 else None)


def _features(v: np.ndarray, ts: np.ndarray) -> np.ndarray:
    """``(2 |t|, len(v))``: the cosines, then the sines, of ``ts * v``."""
    arg = ts[:, None] * v
    return np.concatenate((np.cos(arg), np.sin(arg)))


def _asymptotic(
    x: np.ndarray, y: np.ndarray, ts: np.ndarray,
) -> tuple[float, float, float, str | None]:
    """``W``, its chi-square p-value, the ECF distance and a rank note, as SciPy computes them."""
    from scipy.special import chdtrc

    n, m = x.size, y.size
    big_n = n + m
    gx, gy = _features(x, ts), _features(y, ts)
    cov = (big_n / n) * np.cov(gx, bias=True) + (big_n / m) * np.cov(gy, bias=True)
    inv = np.linalg.pinv(cov)
    rank = int(np.linalg.matrix_rank(inv))
    diff = gx.mean(axis=1) - gy.mean(axis=1)
    w = big_n * float(diff @ (inv @ diff)) * _correction(n, m)
    half = ts.size
    effect = float(np.sqrt(diff[:half] ** 2 + diff[half:] ** 2).max())
    note = None
    if rank < 2 * half:
        note = (f"epps_singleton: the covariance matrix has rank {rank} < {2 * half} (few distinct "
                "values, or a poor choice of t); the chi-square p-value uses that rank.")
    p = float(chdtrc(rank, w)) if rank else 1.0
    return w, p, effect, note


def _correction(n: int, m: int) -> float:
    if max(n, m) >= 25:
        return 1.0
    return 1.0 / (1.0 + (n + m) ** -0.45 + 10.1 * (n**-1.7 + m**-1.7))


def _permutation(
    x: np.ndarray, y: np.ndarray, ts: np.ndarray, n_perm: int, seed: int | None,
) -> float:
    z, labels, k = pooled_split(x, y)
    g = np.ascontiguousarray(_features(z, ts).T)
    dim = g.shape[1]
    g2 = (g[:, :, None] * g[:, None, :]).reshape(z.size, dim * dim)
    stat = partial(_w_batch, g=g, g2=g2, k=k, corr=_correction(x.size, y.size))
    w = float(stat(labels[None, :])[0])
    return permutation_p_value(stat, z, k, w, n_perm, seed, batch_entries=_BATCH_ENTRIES)


def _w_batch(labels: np.ndarray, g: np.ndarray, g2: np.ndarray, k: int, corr: float) -> np.ndarray:
    """``W`` of each split from group sums of the features and of their outer products."""
    rows, big_n = labels.shape
    m, dim = big_n - k, g.shape[1]
    a = labels.astype(np.float64)
    s1, s2 = a @ g, (a @ g2).reshape(rows, dim, dim)
    mean_a, mean_b = s1 / k, (g.sum(axis=0) - s1) / m
    cov_a = s2 / k - mean_a[:, :, None] * mean_a[:, None, :]
    cov_b = (g2.sum(axis=0).reshape(dim, dim) - s2) / m - mean_b[:, :, None] * mean_b[:, None, :]
    inv = np.linalg.pinv((big_n / k) * cov_a + (big_n / m) * cov_b)
    diff = mean_a - mean_b
    return big_n * np.einsum("bi,bij,bj->b", diff, inv, diff) * corr
