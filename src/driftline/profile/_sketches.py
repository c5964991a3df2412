"""The two Apache DataSketches sketches that profiles use, behind small helpers.

``datasketches`` is an optional dependency (``pip install 'driftline[profile]'``); it is imported
on first use, so ``import driftline.profile`` stays cheap and works without it.

* **KLL** (``kll_doubles_sketch``): a quantile sketch whose rank error is
  ``get_normalized_rank_error(k, False)`` (about 1.33 % at the default ``k = 200``). The
  DataSketches documentation states it per query with 99 % confidence; its constants were fitted
  to the 99th percentile of the *largest* error over all ranks in each of thousands of trials,
  so it covers every query of one sketch at once with about 99 % confidence (an empirical
  calibration, not a proof). A sketch that never compacted (at most about ``k`` values) holds
  every value and is exact: its error is 0.
* **Frequent items** (``frequent_strings_sketch``): heavy hitters with a deterministic bound.
  Each tracked label's true count lies in ``[lower, upper]``, and an untracked label's count is
  at most the sketch's maximum error (``upper - lower``, the same for every label).
"""

from __future__ import annotations

import copy
import math
from types import ModuleType
from typing import Any

import numpy as np

from driftline.errors import require

__all__ = ["copied", "frequent_items", "frequent_max_error", "kll_points", "kll_rank_error",
           "lg_map_size", "new_frequent", "new_kll", "sketches"]

_FEATURE = "Mergeable profiles (driftline.profile)"


def sketches() -> ModuleType:
    """The ``datasketches`` module, imported on first use.

    Examples
    --------
    >>> sketches().kll_doubles_sketch.get_normalized_rank_error(200, False) < 0.014
    True
    """
    return require("datasketches", extra="profile", feature=_FEATURE)


def new_kll(k: int, values: np.ndarray | None = None) -> Any:
    """A KLL sketch with parameter ``k``, updated with ``values`` when given.

    Examples
    --------
    >>> new_kll(200, np.arange(10.0)).n
    10
    """
    sketch = sketches().kll_doubles_sketch(int(k))
    if values is not None and values.size:
        sketch.update(np.ascontiguousarray(values, dtype=np.float64))
    return sketch


def kll_rank_error(sketch: Any) -> float:
    """The sketch's normalized (single-sided) rank error; 0 while it still holds every value.

    Examples
    --------
    >>> kll_rank_error(new_kll(200, np.arange(100.0)))
    0.0
    >>> round(kll_rank_error(new_kll(200, np.arange(10_000.0))), 4)
    0.0133
    """
    if sketch.is_empty() or not sketch.is_estimation_mode():
        return 0.0
    return float(sketch.normalized_rank_error(False))


def kll_points(sketch: Any) -> tuple[np.ndarray, np.ndarray]:
    """The sketch's retained values, sorted, and its CDF at each: ``(values, cdf)``.

    ``cdf[i]`` is the sketch's estimate of the share of values ``<= values[i]`` (what
    ``get_rank(value, inclusive=True)`` returns). Between two retained values the sketch's CDF
    is flat, so these points describe it completely.

    Examples
    --------
    >>> v, cdf = kll_points(new_kll(200, np.array([3.0, 1.0, 2.0, 2.0])))
    >>> v.tolist(), cdf.tolist()
    ([1.0, 2.0, 3.0], [0.25, 0.75, 1.0])
    """
    if sketch.is_empty():
        return np.empty(0), np.empty(0)
    # Only the values are read from the iterator: in datasketches 5.2 it can report every
    # weight as 1 after merges, while get_cdf reads the sketch's own sorted view.
    values = np.unique(np.fromiter((p[0] for p in sketch), np.float64))
    cdf = np.asarray(sketch.get_cdf(values.tolist(), True), dtype=np.float64)[:-1]
    return values, np.clip(cdf, 0.0, 1.0)


def lg_map_size(max_categories: int) -> int:
    """log2 of the frequent-items map size for a cardinality limit: it tracks at least
    ``2 * max_categories`` labels (the map holds up to three quarters of its size), so the
    union of two exact tables at the limit fits without loss.

    Examples
    --------
    >>> lg_map_size(10_000), 0.75 * 2 ** 15 >= 20_000
    (15, True)
    """
    return max(3, math.ceil(math.log2(2 * max_categories / 0.75)))


def new_frequent(max_categories: int, labels: np.ndarray, counts: np.ndarray) -> Any:
    """A frequent-items sketch sized for the limit ``max_categories``, fed a frequency table.

    Examples
    --------
    >>> s = new_frequent(10, np.array(["a", "b"], dtype=object), np.array([5, 2]))
    >>> s.total_weight, s.get_estimate("a")
    (7, 5)
    """
    sketch = sketches().frequent_strings_sketch(lg_map_size(max_categories))
    for label, count in zip(labels.tolist(), counts.tolist(), strict=True):
        if count:
            sketch.update(str(label), int(count))
    return sketch


def frequent_items(sketch: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The tracked labels (sorted) with the bounds of their counts: ``(labels, lower, upper)``.

    Examples
    --------
    >>> labels, lo, hi = frequent_items(new_frequent(10, np.array(["b", "a"]), np.array([1, 4])))
    >>> labels.tolist(), lo.tolist(), hi.tolist()
    (['a', 'b'], [4, 1], [4, 1])
    """
    rows = sketch.get_frequent_items(sketches().frequent_items_error_type.NO_FALSE_NEGATIVES, 0)
    rows.sort(key=lambda r: r[0])
    labels = np.array([r[0] for r in rows], dtype=object)
    lower = np.array([r[2] for r in rows], dtype=np.int64)
    upper = np.array([r[3] for r in rows], dtype=np.int64)
    return labels, lower, upper


def frequent_max_error(sketch: Any) -> int:
    """The most any count can be off by: an untracked label's largest possible count.

    Examples
    --------
    >>> frequent_max_error(new_frequent(10, np.array(["a"]), np.array([3])))
    0
    """
    rows = sketch.get_frequent_items(sketches().frequent_items_error_type.NO_FALSE_NEGATIVES, 0)
    if not rows:
        return 0
    return int(rows[0][3] - rows[0][2])


def copied(sketch: Any) -> Any:
    """An independent copy of a sketch (merging into it leaves the original unchanged)."""
    return copy.copy(sketch)
