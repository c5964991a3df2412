"""Chi-square and total variation from frequency tables that may be heavy-hitter sketches.

Beyond the cardinality limit a profile knows each tracked label's count within ``[lower,
upper]``, and any other label's count is at most its ``max_error``. The comparison then runs on
the **collapsed table**: one cell per label tracked by either profile, and one ``(other)``
cell for everything else (its count is the rest of the exact total ``n``). The statistics
estimated, and bounded, are those of that table; they are *not* the full-table values the
exact path would compute. Collapsing cells can only lower Pearson's chi-square and the total
variation (both are f-divergences), so the full-table values are at least as large, and the
chi-square has fewer degrees of freedom.

The bounds are deterministic (the heavy-hitters bounds are). Every count lies in a box; each
cell's chi-square term :math:`g(a, b) = (a n_2 - b n_1)^2 / (n_1 n_2 (a + b))`, with the exact
row totals :math:`n_1, n_2`, is convex, so its largest value on the box is at a corner, and
``min(a + b) · min((t N - n_1)^2 / (n_1 n_2))`` over the box, with ``t = a / (a + b)``, is
below its smallest. The ``(other)`` cell's box ignores that it must make the totals add up,
which only widens the bounds.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from driftline.profile._categorical import CategoricalProfile

__all__ = ["Collapsed", "chi_square_interval", "collapsed", "tvd_interval"]

_SPREAD = 0.1


class Collapsed(NamedTuple):
    """Two rows of cell counts: estimates (summing to the exact totals) and bounds."""

    labels: tuple[str, ...]
    a: np.ndarray
    a_lo: np.ndarray
    a_hi: np.ndarray
    b: np.ndarray
    b_lo: np.ndarray
    b_hi: np.ndarray


def collapsed(reference: CategoricalProfile, current: CategoricalProfile) -> Collapsed:
    """The collapsed 2 × k table of two profiles, ``(other)`` last.

    Examples
    --------
    >>> from driftline.profile import profile_frame
    >>> ref = profile_frame({"c": ["a", "b", "b", "c"]})
    >>> cur = profile_frame({"c": ["b", "c", "c", "d"]}, reference=ref)
    >>> t = collapsed(ref["c"], cur["c"])
    >>> t.labels, t.a.tolist(), t.b.tolist()
    (('a', 'b', 'c', 'd', '(other)'), [1.0, 2.0, 1.0, 0.0, 0.0], [0.0, 1.0, 2.0, 1.0, 0.0])
    """
    lr, _, _ = reference.table()
    lc, _, _ = current.table()
    labels = np.union1d(lr, lc).astype(object) if lr.size or lc.size else np.empty(0, object)
    keep = _well_known(reference, current, labels)
    if not keep.all():
        labels = labels[keep]
    a, a_lo, a_hi = _row(reference, labels)
    b, b_lo, b_hi = _row(current, labels)
    names = (*(str(x) for x in labels.tolist()), "(other)")
    return Collapsed(names, a, a_lo, a_hi, b, b_lo, b_hi)


def _well_known(reference: CategoricalProfile, current: CategoricalProfile,
                labels: np.ndarray) -> np.ndarray:
    """Labels whose combined count is known to within ``_SPREAD`` of itself; the others go
    to ``(other)``, where their uncertainty partly cancels."""
    _, a_lo, a_hi = _row(reference, labels)
    _, b_lo, b_hi = _row(current, labels)
    spread = (a_hi - a_lo + b_hi - b_lo)[:-1]
    return spread <= _SPREAD * (a_lo + b_lo)[:-1]


def _row(profile: CategoricalProfile, labels: np.ndarray) -> tuple[np.ndarray, ...]:
    """Estimates and bounds of one profile's counts on ``labels`` plus ``(other)``."""
    own, lower, upper = profile.table()
    err = profile.max_error
    lo = np.zeros(labels.size)
    hi = np.full(labels.size, float(err))
    if own.size and labels.size:
        at = np.minimum(np.searchsorted(labels, own), labels.size - 1)
        found = labels[at] == own
        lo[at[found]], hi[at[found]] = lower[found], upper[found]
    n = float(profile.n)
    room = n - lo.sum()  # the counts' true total is n, so the rest is this much
    spread = hi - lo
    theta = min(0.5, room / spread.sum()) if spread.sum() > 0 else 0.0
    est = lo + theta * spread
    other = max(n - est.sum(), 0.0)
    other_lo, other_hi = max(n - hi.sum(), 0.0), room
    return (np.append(est, other), np.append(lo, other_lo), np.append(hi, other_hi))


def _cell_terms(a: np.ndarray, b: np.ndarray, n1: float, n2: float) -> np.ndarray:
    total = a + b
    with np.errstate(divide="ignore", invalid="ignore"):
        g = (a * n2 - b * n1) ** 2 / (n1 * n2 * total)
    return np.where(total > 0, g, 0.0)


def chi_square_interval(t: Collapsed) -> tuple[float, float, float, int, int, int]:
    """``(estimate, low, high, dof, dof_low, dof_high)`` of Pearson's chi-square on the
    collapsed table (row totals exact); the degrees of freedom can vary too, with the cells
    that may be empty.

    Examples
    --------
    >>> from driftline.profile import profile_frame
    >>> ref = profile_frame({"c": ["a", "b", "b", "c"] * 25})
    >>> cur = profile_frame({"c": ["b", "c", "c", "a"] * 25}, reference=ref)
    >>> est, lo, hi, dof, _, _ = chi_square_interval(collapsed(ref["c"], cur["c"]))
    >>> round(est, 4), round(hi - lo, 9), dof     # exact tables: a point
    (16.6667, 0.0, 2)
    """
    n1, n2 = float(t.a.sum()), float(t.b.sum())
    estimate = float(_cell_terms(t.a, t.b, n1, n2).sum())
    corners = [_cell_terms(x, y, n1, n2) for x in (t.a_lo, t.a_hi) for y in (t.b_lo, t.b_hi)]
    high = float(np.maximum.reduce(corners).sum())
    low = float(_lower_terms(t, n1, n2).sum())
    low, high = min(low, estimate), max(high, estimate)
    dof = max(int(np.count_nonzero(t.a + t.b > 0)) - 1, 0)
    dof_low = max(int(np.count_nonzero(t.a_lo + t.b_lo > 0)) - 1, 0)
    dof_high = max(int(np.count_nonzero(t.a_hi + t.b_hi > 0)) - 1, 0)
    return estimate, low, high, dof, dof_low, dof_high


def _lower_terms(t: Collapsed, n1: float, n2: float) -> np.ndarray:
    """A lower bound of each cell's term over its box (see the module docstring)."""
    n = n1 + n2
    size = t.a_lo + t.b_lo
    with np.errstate(divide="ignore", invalid="ignore"):
        share_lo = np.where(t.a_lo + t.b_hi > 0, t.a_lo / (t.a_lo + t.b_hi), 0.0)
        share_hi = np.where(t.a_hi + t.b_lo > 0, t.a_hi / (t.a_hi + t.b_lo), 1.0)
    nearest = np.clip(n1 / n, share_lo, share_hi)
    return size * (nearest * n - n1) ** 2 / (n1 * n2)


def tvd_interval(t: Collapsed) -> tuple[float, float, float]:
    """``(estimate, low, high)`` of the total variation distance on the collapsed table.

    Examples
    --------
    >>> from driftline.profile import profile_frame
    >>> ref = profile_frame({"c": ["a", "b", "b", "c"]})
    >>> cur = profile_frame({"c": ["b", "c", "c", "d"]}, reference=ref)
    >>> tvd_interval(collapsed(ref["c"], cur["c"]))
    (0.5, 0.5, 0.5)
    """
    n1, n2 = float(t.a.sum()), float(t.b.sum())
    p_lo, p_hi, q_lo, q_hi = t.a_lo / n1, t.a_hi / n1, t.b_lo / n2, t.b_hi / n2
    estimate = 0.5 * float(np.abs(t.a / n1 - t.b / n2).sum())
    high = 0.5 * float(np.maximum(p_hi - q_lo, q_hi - p_lo).sum())
    low = 0.5 * float(np.maximum(np.maximum(p_lo - q_hi, q_lo - p_hi), 0.0).sum())
    return estimate, min(low, estimate), min(max(high, estimate), 1.0)
