"""Shared binning for the histogram-based methods (PSI, Jensen–Shannon, KL, Hellinger, ...).

The rule, documented once for every method that uses it:

* **Numerical data** is cut into ``bins`` (default 10) equal-frequency bins of the
  *reference*: the interior edges are the reference quantiles at ``1/bins, ..., (bins-1)/bins``
  (``numpy.quantile``, linear interpolation), with duplicate edges merged, so heavily tied data
  gets fewer bins. The outer bins are open (``-inf`` and ``+inf``), so current values outside the
  reference range land in the first or last bin instead of being dropped. Bins are right-closed,
  ``(e[k-1], e[k]]``. The edges depend on the reference only, so a fitted reference computes them
  once, and counting a window costs ``O(bins · log n)`` on its sorted values.
* **Categorical data** uses one bin per label in the union of both samples.
* **Empty bins**: methods that divide by or take the log of a share (PSI, KL) replace a zero
  share by ``eps`` (default ``1e-4``) and renormalise, via :func:`smoothed`.
"""

from __future__ import annotations

import numpy as np

from driftline.errors import ParameterError
from driftline.stats._sample import Sample, aligned_counts

__all__ = ["DEFAULT_BINS", "DEFAULT_EPS", "binned_counts", "shares", "smoothed"]

DEFAULT_BINS = 10
DEFAULT_EPS = 1e-4


def binned_counts(
    reference: Sample, current: Sample, bins: int = DEFAULT_BINS
) -> tuple[np.ndarray, np.ndarray]:
    """Counts of both samples in the shared bins: ``(reference_counts, current_counts)``.

    Examples
    --------
    >>> ref = Sample.numerical(range(100)); cur = Sample.numerical([-5, 50, 500])
    >>> r, c = binned_counts(ref, cur, bins=4)
    >>> r.tolist(), c.tolist()
    ([25, 25, 25, 25], [1, 0, 1, 1])
    """
    if reference.kind == "categorical":
        _, r, c = aligned_counts(reference, current)
        return r, c
    if not isinstance(bins, (int, np.integer)) or isinstance(bins, bool) or bins < 2:
        raise ParameterError.invalid("bins", bins, "an integer >= 2")
    edges = reference.quantile_edges(int(bins))
    return _count(reference.values, edges), _count(current.values, edges)


def _count(sorted_values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    cum = np.searchsorted(sorted_values, edges, side="right")
    return np.diff(np.concatenate(([0], cum, [sorted_values.size]))).astype(np.int64)


def shares(counts: np.ndarray) -> np.ndarray:
    """Counts as shares of their total (all zeros stay zeros).

    Examples
    --------
    >>> shares(np.array([1, 3])).tolist()
    [0.25, 0.75]
    """
    total = counts.sum()
    return counts / total if total else counts.astype(np.float64)


def smoothed(counts: np.ndarray, eps: float = DEFAULT_EPS) -> np.ndarray:
    """Shares with every zero share replaced by ``eps``, renormalised to sum to one.

    Examples
    --------
    >>> smoothed(np.array([0, 1]), eps=0.5).tolist()
    [0.3333333333333333, 0.6666666666666666]
    """
    if not 0 < eps < 1:
        raise ParameterError.invalid("eps", eps, "a float in (0, 1)")
    p = shares(counts)
    p = np.where(p == 0, eps, p)
    return p / p.sum()
