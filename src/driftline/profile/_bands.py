"""Where the true CDFs of two numerical profiles can lie: the shared ground of KS and Wasserstein.

Three facts pin a column's true CDF ``F`` at every ``x``:

* **the sketch**: ``|F(x) - F̂(x)| <= ε``, with ``F̂`` the KLL sketch's CDF and ``ε`` its rank
  error (DataSketches states about 99 % confidence; 0 for a sketch that holds every value);
* **the histograms** (exact counts on edges shared by both profiles): ``F(e)`` is known
  exactly at every edge ``e``, and between two edges ``F`` can only rise, so on
  ``[e_j, e_{j+1})`` it lies between ``F(e_j)`` and ``F(e_{j+1})``;
* **the extremes** (exact): ``F = 0`` below the minimum and ``F = 1`` from the maximum on.

The bands intersect the three on pieces between consecutive breakpoints (retained sketch values,
edges, extremes), where all of them are constant. Should the sketch's band ever miss the
histogram's (the sketch outside its stated error), the histogram's, which is certain, is kept.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from driftline.profile._numeric import NumericProfile

__all__ = ["Bands", "Side", "cdf_bands"]


class Side(NamedTuple):
    """One profile's CDF on the pieces: the estimate, the band of the true CDF on each piece,
    and the (narrower) band at the piece's first point, where an edge makes it exact."""

    hat: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    at_hat: np.ndarray
    at_lo: np.ndarray
    at_hi: np.ndarray


class Bands(NamedTuple):
    """Both CDFs on pieces ``[x[i], x[i] + width[i])``. A piece with no number strictly
    inside it (the last one, or one from a float to the next) has width 0."""

    x: np.ndarray
    width: np.ndarray
    ref: Side
    cur: Side
    edge_gap: float  # the largest exact CDF gap at a shared histogram edge


def cdf_bands(reference: NumericProfile, current: NumericProfile) -> Bands:
    """The two CDFs' estimates and bands on common pieces (both profiles non-empty).

    Examples
    --------
    >>> import numpy as np
    >>> from driftline.profile import profile_frame
    >>> ref = profile_frame({"x": [0.0, 1.0, 2.0, 3.0]}, bins=2, grid=None)
    >>> cur = profile_frame({"x": [2.0, 3.0, 4.0, 5.0]}, reference=ref)
    >>> b = cdf_bands(ref["x"], cur["x"])
    >>> b.x.tolist(), b.edge_gap
    ([0.0, 1.0, 1.5, 2.0, 3.0, 4.0, 5.0], 0.5)
    >>> b.ref.hat.tolist(), b.cur.hat.tolist()
    ([0.25, 0.5, 0.5, 0.75, 1.0, 1.0, 1.0], [0.0, 0.0, 0.0, 0.25, 0.5, 0.75, 1.0])
    """
    shared = _shared_histograms(reference, current)
    xr, fr = reference.points
    xc, fc = current.points
    x = np.unique(np.concatenate([xr, xc, [reference.min, reference.max, current.min,
                                           current.max], *(e for e, _, _ in shared)]))
    nxt = np.append(x[1:], x[-1])
    width = np.where(nxt > np.nextafter(x, np.inf), nxt - x, 0.0)
    ref = _side(reference, xr, fr, x, [(e, cr) for e, cr, _ in shared])
    cur = _side(current, xc, fc, x, [(e, cc) for e, _, cc in shared])
    gap = max((float(np.abs(cr - cc).max(initial=0.0)) for _, cr, cc in shared), default=0.0)
    return Bands(x, width, ref, cur, gap)


def _shared_histograms(a: NumericProfile, b: NumericProfile,
                       ) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """``(edges, F_a(edges), F_b(edges))`` for each histogram both profiles have on equal
    edges; the CDF values are exact."""
    out = []
    for ea, ca, eb, cb in ((a.edges, a.counts, b.edges, b.counts),
                           (a.grid_edges, a.grid_counts, b.grid_edges, b.grid_counts)):
        if (ea is None or eb is None or ca is None or cb is None or ea.size == 0
                or ea.shape != eb.shape or not np.array_equal(ea, eb)):
            continue
        out.append((ea, np.cumsum(ca[:-1]) / ca.sum(), np.cumsum(cb[:-1]) / cb.sum()))
    return out


def _side(profile: NumericProfile, points: np.ndarray, cdf: np.ndarray, x: np.ndarray,
          histograms: list[tuple[np.ndarray, np.ndarray]]) -> Side:
    i = np.searchsorted(points, x, side="right")
    hat = np.where(i > 0, cdf[np.maximum(i - 1, 0)], 0.0)
    eps = profile.rank_error
    lo, hi = np.clip(hat - eps, 0.0, 1.0), np.clip(hat + eps, 0.0, 1.0)
    sure_lo, sure_hi = np.zeros_like(x), np.ones_like(x)
    exact = np.full(x.shape, np.nan)  # F(x) where x is an edge
    for edges, at_edges in histograms:
        j = np.searchsorted(edges, x, side="right")  # edges[j-1] <= x < edges[j]
        padded = np.concatenate(([0.0], at_edges, [1.0]))
        sure_lo = np.maximum(sure_lo, padded[j])
        sure_hi = np.minimum(sure_hi, padded[j + 1])
        on_edge = (j > 0) & (edges[np.maximum(j - 1, 0)] == x)
        exact[on_edge] = padded[j][on_edge]
    below, above = x < profile.min, x >= profile.max
    sure_lo[above], sure_hi[below] = 1.0, 0.0
    exact[above], exact[below] = 1.0, 0.0
    sure_hi = np.maximum(sure_hi, sure_lo)
    lo, hi = np.maximum(lo, sure_lo), np.minimum(hi, sure_hi)
    missed = lo > hi  # the sketch outside its stated error here: keep the certain band
    lo[missed], hi[missed] = sure_lo[missed], sure_hi[missed]
    hat = np.clip(hat, lo, hi)
    known = ~np.isnan(exact)
    return Side(hat, lo, hi, np.where(known, exact, hat), np.where(known, exact, lo),
                np.where(known, exact, hi))
