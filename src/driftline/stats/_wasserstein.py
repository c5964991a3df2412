"""Normed Wasserstein-1 distance (earth mover's distance) between two numerical samples."""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np

from driftline.errors import DataError
from driftline.stats._common import check_alpha, check_threshold, too_small
from driftline.stats._locate import SlotTable, slot_table
from driftline.stats._registry import register
from driftline.stats._result import TestResult
from driftline.stats._sample import Sample, SampleLike, as_numerical

__all__ = ["noise_floor", "wasserstein", "wasserstein_distance", "wasserstein_normed"]

_NAME = "wasserstein"
_EFFECT = "wasserstein_normed"
_DEFAULT_THRESHOLD = 0.1
_MIN_N = 50
_BLOCK = 1 << 16  # current values per block: temporaries stay in cache, few Python steps
_SLOTS_FROM = 8  # reference values per current value from which a slot table is used


@register(_NAME, kinds=("numerical",), has_p_value=False, effect_size_name=_EFFECT,
          default_threshold=_DEFAULT_THRESHOLD, min_n=_MIN_N, cost="nlogn", symmetric=False)
def wasserstein(
    reference: SampleLike,
    current: SampleLike,
    *,
    alpha: float = 0.05,
    effect_threshold: float | None = _DEFAULT_THRESHOLD,
    n_aware: bool = True,
) -> TestResult:
    """Wasserstein-1 distance divided by the reference's standard deviation.

    A pure distance (no p-value): the result drifts when the normed distance reaches the
    threshold. With a fitted ``reference`` (see :func:`driftline.stats.fit`), a window of ``m``
    values costs ``O(m log m)`` for sorting it plus ``O(m)`` here; the reference is never
    merged, concatenated or re-sorted.

    Parameters
    ----------
    reference, current : the two samples; NaN and ±inf are left out and counted.
    alpha : the false-alarm rate the small-sample noise floor allows (see Notes).
    effect_threshold : the normed distance at which the result drifts (default 0.1, a tenth
        of a reference standard deviation); ``None`` gives no verdict.
    n_aware : raise the threshold to the noise floor :func:`noise_floor` when that is higher,
        so that small windows of unchanged data do not drift; ``False`` uses the threshold as is.

    Notes
    -----
    .. math:: W_1 = \\int_{-\\infty}^{\\infty} |F_{ref}(x) - F_{cur}(x)|\\,dx,
              \\qquad \\text{statistic} = \\text{effect size} = W_1 / s_{ref}

    :math:`s_{ref}` is the reference's sample standard deviation with ``ddof=1``
    (:attr:`Sample.std`, cached on a fitted reference); it is not symmetric in the two
    samples because only the reference sets the scale. A constant reference
    (:math:`s_{ref} = 0`) gives ``0.0`` when the current sample is the same constant
    (:math:`W_1 = 0`) and ``inf`` otherwise, with a note in ``warnings``; never NaN.

    The plug-in distance is biased upward: for equal distributions
    :math:`W_1 / s_{ref} \\approx Z\\sqrt{1/n + 1/m}` with :math:`Z` of mean about 1.1–1.6
    across shapes. With ``n_aware`` the verdict uses
    ``max(effect_threshold, noise_floor(n, m, alpha))``, and the result's
    ``effect_threshold`` records the threshold used. Below ``min_n = 50`` values per side
    no verdict is given (:class:`SmallSampleWarning`).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(7)
    >>> ref = rng.normal(0, 2, size=5000)
    >>> r = wasserstein(ref, rng.normal(0.5, 2, size=1000))
    >>> r.drifted, round(r.effect_size, 2)
    (True, 0.28)
    >>> wasserstein(ref, ref).statistic
    0.0

    References
    ----------
    .. [1] Vallender, S. S. (1974). Calculation of the Wasserstein distance between probability
       distributions on the line. Theory of Probability & Its Applications, 18(4), 784–786.
    .. [2] del Barrio, E., Giné, E., Matrán, C. (1999). Central limit theorems for the
       Wasserstein distance between the empirical and the true distributions. Annals of
       Probability, 27(2), 1009–1071.
    """
    alpha = check_alpha(alpha)
    effect_threshold = check_threshold("effect_threshold", effect_threshold)
    ref = as_numerical(reference, "reference")
    cur = as_numerical(current, "current")
    small = too_small(_NAME, ref, cur, _MIN_N, alpha=alpha, effect_size_name=_EFFECT,
                      effect_threshold=effect_threshold)
    if small is not None:
        return small
    normed, notes = _normed(ref, cur)
    if n_aware and effect_threshold is not None:
        effect_threshold, notes = _floored(effect_threshold, ref.n, cur.n, alpha, notes)
    return TestResult.build(
        _NAME, normed, None, alpha=alpha, effect_size=normed, effect_size_name=_EFFECT,
        effect_threshold=effect_threshold, n_reference=ref.n, n_current=cur.n,
        n_missing_reference=ref.n_missing, n_missing_current=cur.n_missing, warnings=notes,
    )


def noise_floor(n: int, m: int, alpha: float = 0.05) -> float:
    """The normed distance that unchanged data exceeds with probability about ``alpha``.

    ``(1.2 + 0.9 z) * sqrt(1/n + 1/m)`` with ``z`` the standard normal ``1 - alpha`` quantile.
    The constants were calibrated by simulation (normal, uniform, exponential, Student t3,
    Poisson, binary and bimodal data, ``n, m`` from 30 to 5000, ``alpha`` from 0.01 to 0.1):
    the exceedance rate stays at or below ``alpha`` except for strongly skewed data, where
    the standard deviation is a poor scale (lognormal at ``n = m = 50``: 5.8% at
    ``alpha = 0.05``, 3.1% at ``alpha = 0.01``; at ``n = m = 500``: 2.3% and 0.4%).

    Examples
    --------
    >>> round(noise_floor(500, 500), 3)
    0.17
    """
    z = NormalDist().inv_cdf(1.0 - alpha)
    return (1.2 + 0.9 * z) * math.sqrt(1.0 / n + 1.0 / m)


def _floored(threshold: float, n: int, m: int, alpha: float,
             notes: tuple[str, ...]) -> tuple[float, tuple[str, ...]]:
    floor = noise_floor(n, m, alpha)
    if floor <= threshold:
        return threshold, notes
    note = (f"wasserstein: effect_threshold raised from {threshold:g} to the noise floor "
            f"{floor:.4g} for n={n}, m={m} (pass n_aware=False to keep it).")
    return floor, (*notes, note)


def wasserstein_normed(reference: SampleLike, current: SampleLike) -> tuple[float, tuple[str, ...]]:
    """W1 over the reference standard deviation, at any sample size, with notes for a constant
    reference (``0.0`` when nothing moved, ``inf`` otherwise). Both sides need a value.

    Examples
    --------
    >>> wasserstein_normed([0.0, 2.0], [1.0, 3.0])[0]  # W1 = 1, reference SD = sqrt(2)
    0.7071067811865475
    """
    return _normed(as_numerical(reference, "reference"), as_numerical(current, "current"))


def _normed(ref: Sample, cur: Sample) -> tuple[float, tuple[str, ...]]:
    r = ref.values
    if r[0] != r[-1]:
        return wasserstein_distance(ref, cur) / ref.std, ()
    # A constant reference: W1 is the mean distance to it, and 0 exactly when nothing moved
    # (Sample.std of a constant can be a rounding residue like 1e-17 rather than 0).
    if np.all(cur.values == r[0]):
        return 0.0, ()
    return math.inf, ("wasserstein: the reference is constant (standard deviation 0), so any "
                      "difference is infinitely many standard deviations; reported as inf.",)


def wasserstein_distance(reference: SampleLike, current: SampleLike) -> float:
    """The (un-normed) Wasserstein-1 distance, without touching every reference value.

    Equal to :func:`scipy.stats.wasserstein_distance` on the two value arrays. A fitted
    reference costs ``O(m)`` vectorised work per call: the current values, the reference
    order statistics and prefix sums (:attr:`Sample.cumsum`) at ``m + 1`` quantile levels,
    and a search for the few current values whose crossing is unknown. When the reference
    has at least 8 values per current value, those order statistics and prefix sums are
    tabulated once per window size (:func:`~driftline.stats._locate.slot_table`, kept with
    the fitted sample), and a window reads the reference itself only where the two quantile
    functions cross: a few dozen places for a window like the reference, instead of ``3 m``
    scattered reads of arrays far larger than the CPU caches.

    Notes
    -----
    In quantile form :math:`W_1 = \\int_0^1 |Q_{ref}(u) - Q_{cur}(u)|\\,du`, and since
    :math:`|d| = -d + 2d_+`,

    .. math:: W_1 = \\bar r - \\bar c + 2 \\sum_{i=1}^m \\int_{(i-1)/m}^{i/m}
              (c_{(i)} - Q_{ref}(u))_+\\,du .

    On slot ``i`` the current quantile is the constant :math:`c_{(i)}` and
    :math:`Q_{ref}(u) = r_{(\\lceil un \\rceil)}` rises, so the integrand is positive up to
    :math:`u^* = k_i/n` (:math:`k_i` = number of reference values :math:`\\le c_{(i)}`) and
    zero after. Comparing :math:`c_{(i)}` with the two reference order statistics at the
    slot's ends settles whether :math:`u^*` falls before, after or inside the slot; only in
    the last case is :math:`k_i` needed, and it lies among the ``≈ n/m`` reference values of
    the slot (a bounded binary search). The integral of :math:`Q_{ref}` up to
    :math:`x/n` is :math:`S_{\\lfloor x \\rfloor} + (x - \\lfloor x \\rfloor)\\,
    r_{(\\lfloor x \\rfloor + 1)}` with :math:`S` the prefix sums.

    Rounding: the prefix sums are running sums of the raw values, so the absolute error grows
    with the data's offset from zero (about ``eps * |mean| * sqrt(n)`` for the sum of
    errors). For data within a few standard deviations of zero the relative error against
    SciPy is below ``1e-10``; at an offset of 100 standard deviations and ``n = 10**6`` it is
    about ``1e-9`` — far below any drift threshold.

    Examples
    --------
    >>> wasserstein_distance(Sample.numerical([0.0, 1.0, 3.0]), Sample.numerical([5.0, 6.0, 8.0]))
    5.0
    """
    ref = as_numerical(reference, "reference")
    cur = as_numerical(current, "current")
    r, c = ref.values, cur.values
    n, m = r.size, c.size
    if n == 0 or m == 0:
        raise DataError(f"wasserstein_distance needs at least one valid value on each side; "
                        f"got {n} (reference) and {m} (current).")
    if n == m and np.array_equal(r, c):
        return 0.0  # exactly zero, not a sum of rounding residues
    cs = ref.cumsum
    if n >= _SLOTS_FROM * m:
        pos = _positive_part_slots(r, cs, slot_table(ref, m), c)
    else:
        pos = sum(_positive_part(r, cs, c, lo, min(lo + _BLOCK, m)) for lo in range(0, m, _BLOCK))
    return max(ref.mean - cur.mean + 2.0 * pos / n, 0.0)


def _positive_part_slots(r: np.ndarray, cs: np.ndarray, table: SlotTable, c: np.ndarray) -> float:
    """``n`` times the integral of ``(Q_cur - Q_ref)_+``, reading the reference at few places.

    Slot ``i`` (``x_i = i n/m <= y <= x_{i+1}`` in reference units) is *zero* when ``c_(i)``
    is below the slot's first reference value, *full* when it is at or above its last, and
    *crossing* otherwise (then ``x_i < k_i < x_{i+1}``, ``k_i`` = number of reference values
    ``<= c_(i)``). The slot table (:func:`~driftline.stats._locate.slot_table`, built once per
    window size) holds those reference values and ``R(x_i)``, so only the crossing slots,
    where the two quantile functions cross, read the reference: ``k_i`` by a binary search
    (a few dozen sorted keys share most of their path) and ``R(k_i)`` from the prefix sums.

    The integrand is positive on ``[x_i, y_i]`` with ``y_i = x_{i+1}`` (full) or ``k_i``
    (crossing), and consecutive such pieces join where a slot is full. So with
    ``R(x) = ∫_0^x Q_ref`` (prefix sums),

    .. math:: \\text{pos} = \\tfrac{n}{m} \\sum_{full} c_{(i)} + \\sum_{crossing} c_{(i)}(k_i - x_i)
              - \\sum_{pieces} \\bigl(R(\\text{end}) - R(\\text{start})\\bigr).
    """
    n, m = r.size, c.size
    full = c >= table.last
    crossing = (c >= table.first) & ~full
    cross = np.flatnonzero(crossing)
    x0, rem = np.divmod(cross * n, m)
    k = np.searchsorted(r, c[cross], side="right")
    nonzero = full | crossing
    starts = np.flatnonzero(nonzero & ~np.concatenate(([False], full[:-1])))
    ends = np.flatnonzero(nonzero & ~(full & np.concatenate((nonzero[1:], [False]))))
    r_start = table.prefix[starts]
    r_end = table.prefix[ends + 1]
    if cross.size:  # a crossing slot always ends its piece, at y = k
        r_end[np.searchsorted(ends, cross)] = cs[k]
    total = (n / m) * np.sum(c, where=full) + np.sum(c[cross] * (k - (x0 + rem / m)))
    return float(total - np.sum(r_end - r_start))


def _positive_part(r: np.ndarray, cs: np.ndarray, c: np.ndarray, i0: int, i1: int) -> float:
    """``n`` times the sum over slots ``i0 < i <= i1`` of the integral of ``(c_(i) - Q_ref)_+``."""
    n, m = r.size, c.size
    r_first, r_last, big_r = _slot_ends(r, cs, m, i0, i1)
    cc = c[i0:i1]
    full = r_last <= cc  # c_(i) above the whole slot: the integrand is positive throughout
    zero = r_first > cc  # c_(i) below the whole slot: it is zero throughout
    total = (n / m) * np.sum(cc, where=full) - np.sum(np.diff(big_r), where=full)
    if cc.size - np.count_nonzero(full) - np.count_nonzero(zero):
        total += _crossing_slots(r, cs, c, i0 + np.flatnonzero(~(full | zero)))
    return float(total)


def _slot_ends(
    r: np.ndarray, cs: np.ndarray, m: int, i0: int, i1: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For slots ``i0 < i <= i1``: the reference value at each slot's start, a reference value
    at or past its end, and ``R(x) = ∫_0^x r_(ceil y) dy`` at the slot ends ``x_i = i n / m``.

    The second array only has to make "``c`` at or above it" imply "``c`` above the whole
    slot"; a slot it misses is settled exactly by :func:`_crossing_slots`.
    """
    n = r.size
    if n % m == 0:  # slots hold q whole reference values: strided views, no arithmetic
        q = n // m
        return r[i0 * q:i1 * q:q], r[i0 * q + q - 1:i1 * q:q], cs[i0 * q:i1 * q + 1:q]
    lo, rem = np.divmod(np.arange(i0, i1 + 1, dtype=np.int64) * n, m)  # x_i = lo + rem / m
    if i1 == m:
        lo[-1], rem[-1] = n - 1, m  # x_m = n written as (n - 1) + 1 keeps indices in range
    r_lo = r[lo]
    big_r = rem * r_lo
    big_r /= m
    big_r += cs[lo]
    # r[lo_i] is the slot's last value, or one past it when x_i is a whole number (rare here)
    return r_lo[:-1], r_lo[1:], big_r


def _crossing_slots(r: np.ndarray, cs: np.ndarray, c: np.ndarray, i: np.ndarray) -> float:
    """``n`` times the integral of ``(c_(i) - Q_ref)_+`` over the slots ``i`` (0-based).

    Slot ``i`` spans ``[x0, x1] = [i n/m, (i+1) n/m]`` in reference units, and
    ``r_(floor x0 + 1) <= c_(i)``. The integrand is positive up to ``min(k, x1)``, with ``k``
    the number of reference values ``<= c_(i)``.
    """
    n, m = r.size, c.size
    lo, rem = np.divmod(i * n, m)
    lo1, rem1 = np.divmod((i + 1) * n, m)
    key = c[i]
    k = _count_le(r, key, lo + 1, lo1 + (rem1 > 0))
    x0, x1 = lo + rem / m, lo1 + rem1 / m
    r_x0 = cs[lo] + (rem / m) * r[lo]
    r_x1 = cs[lo1] + (rem1 / m) * r[np.minimum(lo1, n - 1)]
    inside = k < x1
    x_star = np.where(inside, k, x1)
    r_star = np.where(inside, cs[k], r_x1)
    return float(np.sum(key * (x_star - x0) - (r_star - r_x0)))


def _count_le(r: np.ndarray, keys: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Number of ``r`` values ``<= key``, known to lie in ``[lo, hi]``: a vectorised binary search."""
    k = lo.copy()
    width = int((hi - lo).max())
    step = 1 << (width.bit_length() - 1) if width > 0 else 0
    while step:
        cand = k + step
        ok = cand <= hi
        ok[ok] = r[cand[ok] - 1] <= keys[ok]
        k[ok] = cand[ok]
        step >>= 1
    return k
