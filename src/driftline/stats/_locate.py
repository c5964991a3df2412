"""Locating a window's values in a large sorted (fitted) reference without touching all of it.

A binary search of each of ``m`` window values into ``n`` sorted reference values reads about
``log2 n`` scattered places of an array far larger than the CPU caches, for each value.
Against a fitted reference of a million values that costs milliseconds per column, most of it
waiting for memory. KS and Wasserstein need the locations exactly only at a few places, so
they first bound them from small tables built once per fitted reference, and search the
reference itself only where the bounds leave the answer open:

* :class:`GridIndex` (KS): every ``step``-th sorted reference value, ``n / step`` values that
  stay in cache. A key's rank among the grid values bounds its rank among the reference
  values to ``step`` places (:func:`rank_bounds`); :func:`grid_ranks` finds the grid ranks of
  all the sorted window values at once, by one linear merge.
* :class:`SlotTable` (Wasserstein): the reference's order statistics and prefix sums at the
  ``m + 1`` quantile levels ``i / m`` of a window of ``m`` values, kept per window size.

The few keys left open are settled by ``numpy.searchsorted`` into the reference: a few dozen
sorted keys share most of their search path, so that costs microseconds, not milliseconds.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass

import numpy as np

from driftline.stats._sample import Sample

__all__ = ["GridIndex", "SlotTable", "grid_index", "grid_ranks", "grid_step", "rank_bounds",
           "slot_table"]

_MIN_STEP = 8
_SLOT_CACHE = 2  # window sizes whose slot table a sample keeps

_INDEXES: weakref.WeakKeyDictionary[Sample, dict[int, GridIndex]] = weakref.WeakKeyDictionary()
_SLOTS: weakref.WeakKeyDictionary[Sample, dict[int, SlotTable]] = weakref.WeakKeyDictionary()


def grid_step(n: int, m: int, per_key: float = 1.0) -> int:
    """The grid step for ``m`` keys against ``n`` reference values, or 0 for plain searches.

    The largest power of two up to ``per_key * n / m``: the grid's uncertainty, ``step / n``
    in ECDF units, is about ``per_key`` times the window's resolution ``1 / m``, and the grid
    has at most ``2 m / per_key`` values, whatever ``n``. A coarser grid is cheaper to merge
    with the window but leaves more keys to search. When the reference is not much larger
    than the window (the step would be below 8), a plain search of every key costs as little.

    Examples
    --------
    >>> grid_step(1_000_000, 10_000), grid_step(1_000_000, 10_000, 6.0), grid_step(5_000, 1_000)
    (64, 512, 0)
    """
    if m <= 0:
        return 0
    target = int(per_key * n / m)
    if target < _MIN_STEP:
        return 0
    return 1 << (target.bit_length() - 1)


def rank_bounds(a: np.ndarray, step: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Bounds on a count of reference values from the matching count ``a`` of grid values.

    With ``a`` grid values ``<= key`` (or ``< key``), grid value ``a - 1`` is
    ``values[(a - 1) * step]`` and grid value ``a`` is ``values[a * step]``, so the number
    of reference values ``<= key`` (``< key``) is in ``[(a - 1) * step + 1, min(a * step, n)]``,
    and it is 0 when ``a`` is 0.

    Examples
    --------
    >>> [b.tolist() for b in rank_bounds(np.array([0, 1, 3]), 4, 10)]
    [[0, 1, 9], [0, 4, 10]]
    """
    lo = np.maximum(a - 1, 0) * step + (a > 0)
    hi = np.minimum(a * step, n)
    return lo, hi


@dataclass(frozen=True)
class GridIndex:
    """The grid of a sorted reference and its rank bounds as ECDF values.

    Attributes
    ----------
    step : the grid's spacing in reference values.
    values : ``reference.values[::step]`` (contiguous).
    low, high : for each grid rank ``a`` (``0 ..len(values)``), the rank bounds of
        :func:`rank_bounds` divided by ``n``: each entry is the same double as ``rank / n``.
    """

    step: int
    values: np.ndarray
    low: np.ndarray
    high: np.ndarray


def grid_index(sample: Sample, step: int) -> GridIndex:
    """The :class:`GridIndex` of a numerical sample, built once per ``(sample, step)``.

    Examples
    --------
    >>> g = grid_index(Sample.numerical([4.0, 1.0, 3.0, 2.0, 5.0]), 2)
    >>> g.values.tolist(), (g.low * 5).tolist(), (g.high * 5).tolist()
    ([1.0, 3.0, 5.0], [0.0, 1.0, 3.0, 5.0], [0.0, 2.0, 4.0, 5.0])
    """
    per_sample = _INDEXES.setdefault(sample, {})
    index = per_sample.get(step)
    if index is None:
        values = np.ascontiguousarray(sample.values[::step])
        lo, hi = rank_bounds(np.arange(values.size + 1), step, sample.n)
        index = GridIndex(step, values, lo / sample.n, hi / sample.n)
        per_sample[step] = index
    return index


def grid_ranks(grid: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """For ascending ``keys``: the number of ``grid`` values ``<= key``, by one linear merge.

    Both arrays are sorted, so a stable sort of the two concatenated is a single merge of two
    runs (linear time); a key's place in the merged order minus its own index is the number
    of grid values before it, grid values equal to it included (they come first).

    Examples
    --------
    >>> grid_ranks(np.array([1.0, 3.0, 3.0, 5.0]), np.array([0.0, 3.0, 4.0, 9.0])).tolist()
    [0, 3, 3, 4]
    """
    order = np.argsort(np.concatenate((grid, keys)), kind="stable")
    return np.flatnonzero(order >= grid.size) - np.arange(keys.size)


@dataclass(frozen=True)
class SlotTable:
    """A sorted reference at the quantile slots of a window of ``m`` values.

    Slot ``i`` spans ``x_i = i n/m <= y <= x_{i+1}`` in reference units, that is the order
    statistics ``floor(x_i)`` to ``ceil(x_{i+1}) - 1`` (0-based).

    Attributes
    ----------
    first, last : the reference values at each slot's first and last order statistic.
    prefix : ``R(x_i) = ∫_0^{x_i} Q_ref(y) dy`` for ``i = 0..m``, from the prefix sums
        (:attr:`Sample.cumsum`) as ``cs[floor x] + frac(x) * r[floor x]``.
    """

    first: np.ndarray
    last: np.ndarray
    prefix: np.ndarray


def slot_table(sample: Sample, m: int) -> SlotTable:
    """The :class:`SlotTable` of a numerical sample for windows of ``m`` values.

    Built in ``O(m)`` the first time and kept for the two window sizes built last (a monitor's
    windows mostly share one size), so that each window reads the reference only where its
    quantile function crosses the reference's.

    Examples
    --------
    >>> t = slot_table(Sample.numerical(np.arange(12.0)), 3)  # slots of 4 values
    >>> t.first.tolist(), t.last.tolist(), t.prefix.tolist()
    ([0.0, 4.0, 8.0], [3.0, 7.0, 11.0], [0.0, 6.0, 28.0, 66.0])
    """
    per_sample = _SLOTS.setdefault(sample, {})
    table = per_sample.get(m)
    if table is None:
        r, cs = sample.values, sample.cumsum
        n = r.size
        q, rem = np.divmod(np.arange(m + 1, dtype=np.int64) * n, m)
        at = np.minimum(q, n - 1)
        prefix = cs[q] + (rem / m) * r[at]
        table = SlotTable(r[q[:-1]], r[q[1:] + (rem[1:] > 0) - 1], prefix)
        for size in list(per_sample)[:max(0, len(per_sample) - _SLOT_CACHE + 1)]:
            per_sample.pop(size, None)  # the oldest; None: another thread may have taken it
        per_sample[m] = table
    return table
