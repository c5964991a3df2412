"""Rank and tie bookkeeping shared by the rank-based tests (Mann–Whitney, Cramér–von Mises,
Anderson–Darling), computed from sorted samples without re-sorting the reference.

:func:`current_groups` costs ``O(m log n)``: it looks each distinct current value up in the
sorted reference. :func:`pooled_groups` walks the merged order, ``O(n + m log n)``.
:func:`tie_sum` is a property of one sample, cached per (fitted) :class:`Sample`.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass

import numpy as np

from driftline.stats._sample import Sample

__all__ = ["CurrentGroups", "current_groups", "pooled_groups", "tie_sum"]

# Σ(t³ - t) over a sample's tie groups, per Sample object; a contract-level cached property
# on Sample would be the natural home (see the stats package notes).
_TIE_SUMS: weakref.WeakKeyDictionary[Sample, float] = weakref.WeakKeyDictionary()


@dataclass(frozen=True)
class CurrentGroups:
    """The distinct current values and where they fall in the reference.

    Attributes
    ----------
    count : how many current values equal each distinct value.
    below : how many current values are smaller.
    ref_below : how many reference values are smaller.
    ref_equal : how many reference values are equal.
    """

    count: np.ndarray
    below: np.ndarray
    ref_below: np.ndarray
    ref_equal: np.ndarray


def current_groups(reference: Sample, current: Sample) -> CurrentGroups:
    """Tie groups of the current sample, located in the reference by binary search.

    Examples
    --------
    >>> g = current_groups(Sample.numerical([1, 2, 2, 5]), Sample.numerical([2, 2, 3]))
    >>> g.count.tolist(), g.below.tolist(), g.ref_below.tolist(), g.ref_equal.tolist()
    ([2, 1], [0, 2], [1, 3], [2, 0])
    """
    c = current.values
    start = _group_starts(c)
    values = c[start]
    count = np.diff(np.append(start, c.size))
    left = np.searchsorted(reference.values, values, side="left")
    right = np.searchsorted(reference.values, values, side="right")
    return CurrentGroups(count, start, left, right - left)


def pooled_groups(reference: Sample, current: Sample) -> tuple[np.ndarray, ...]:
    """Per distinct value of the pooled sample, ascending: ``(ref_below, ref_equal,
    cur_below, cur_equal)``, from a merge of the two sorted samples.

    Examples
    --------
    >>> [a.tolist() for a in pooled_groups(Sample.numerical([1, 2]), Sample.numerical([2, 3]))]
    [[0, 1, 2], [1, 1, 0], [0, 0, 1], [0, 1, 1]]
    """
    r, c = reference.values, current.values
    n, m = r.size, c.size
    is_cur = np.zeros(n + m, dtype=bool)
    is_cur[np.searchsorted(r, c, side="right") + np.arange(m)] = True
    pooled = np.empty(n + m)
    pooled[is_cur] = c
    pooled[~is_cur] = r
    bounds = np.append(_group_starts(pooled), n + m)
    cur_cum = np.concatenate(([0], np.cumsum(is_cur)))[bounds]
    cur_below, cur_equal = cur_cum[:-1], np.diff(cur_cum)
    below, equal = bounds[:-1], np.diff(bounds)
    return below - cur_below, equal - cur_equal, cur_below, cur_equal


def tie_sum(sample: Sample) -> float:
    """:math:`\\sum_g (t_g^3 - t_g)` over the groups of equal values; 0 without ties.

    Costs ``O(n)`` the first time for a given :class:`Sample` object and nothing after, so a
    fitted reference pays it once.

    Examples
    --------
    >>> tie_sum(Sample.numerical([1.0, 2.0, 2.0, 3.0, 3.0, 3.0]))
    30.0
    """
    cached = _TIE_SUMS.get(sample)
    if cached is None:
        sizes = np.diff(np.append(_group_starts(sample.values), sample.n)).astype(np.float64)
        cached = float(np.sum(sizes**3 - sizes))
        _TIE_SUMS[sample] = cached
    return cached


def _group_starts(sorted_values: np.ndarray) -> np.ndarray:
    """Indices where a new value starts in a sorted array."""
    if sorted_values.size == 0:
        return np.zeros(0, dtype=np.int64)
    change = np.flatnonzero(sorted_values[1:] != sorted_values[:-1]) + 1
    return np.concatenate(([0], change))
