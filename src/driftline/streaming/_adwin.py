"""ADWIN: adaptive windowing (Bifet & Gavaldà, 2007), as river 0.26 computes it."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from math import inf, log, sqrt
from typing import Any

import numpy as np

from driftline.errors import ParameterError
from driftline.streaming._accel import kernel
from driftline.streaming._base import DriftDetector
from driftline.streaming._checks import _bad_data, _check_int, _is_finite

__all__ = ["ADWIN"]

# Values per numpy pass of update_many: about the width of the window, so that little work is
# thrown away when a drift cuts a pass short (drifts are frequent when windows are short).
_CHUNK = (1024, 8192)
# The kernel's histogram: at least _MAX_ROWS rows (2**63 values before they could fill), each a
# ring of at least _MIN_SLOTS slots.
_MAX_ROWS, _MIN_SLOTS = 64, 8
_SLACK = 2.0 ** -48  # the allowance of the split screen for rounding errors, relative to |u| n
_ALL_DIRTY = 1 << 62  # the kernel's mark for "lay every row out again at the next screen"


class ADWIN(DriftDetector):
    r"""ADaptive WINdowing: a change in the mean of a stream of real values.

    ADWIN keeps a window of recent values whose length adapts to the data. Every ``clock``
    updates it tries each split of the window into an older part :math:`W_0` and a newer part
    :math:`W_1`; when the two means differ by more than a Hoeffding/Bernstein-style bound the
    oldest values are dropped and a drift is reported. The window is stored as an exponential
    histogram (ADWIN2): row :math:`i` holds up to ``max_buckets`` summaries of :math:`2^i`
    values each, so memory and the cost of a check grow with :math:`\log` of the width.

    Values may be any finite reals (for a classifier, feed 1 for an error and 0 otherwise).
    The arithmetic follows river 0.26's ``ADWIN`` operation by operation, so the detections
    and the window statistics are the same, bit for bit.

    Parameters
    ----------
    delta
        Confidence of the test, in (0, 1); smaller means fewer false alarms and later
        detections.
    clock
        Check for a change every ``clock`` updates (1 checks on every update).
    max_buckets
        Summaries of each size kept before the two oldest are merged.
    min_window_length
        Splits whose older or newer part holds fewer values than this are not tested.
    grace_period
        No check until the window holds more than this many values.

    Notes
    -----
    With :math:`n` the width, :math:`\sigma^2` the variance of the window,
    :math:`\delta' = \ln(2 \ln n / \delta)` and
    :math:`m = 1/(n_0 - \ell + 1) + 1/(n_1 - \ell + 1)` (:math:`\ell` = ``min_window_length``),
    a split is a change when

    .. math:: |\hat\mu_0 - \hat\mu_1| > \sqrt{2 m \sigma^2 \delta'} + \tfrac{2}{3} m \delta'.

    While a split is found the oldest summary is dropped and the window is checked again.

    Like river 0.26, the update after a drift starts from an empty window (the paper keeps
    :math:`W_1`). That restart is what stops one change being reported twice, as river's
    earlier versions did while the window shrank (river issue #574): the values that carried
    the old mean are gone, so they cannot trigger a second alarm.

    Differences from river, all at the boundary: non-finite values raise
    :class:`~driftline.errors.DataError` (river takes them in and its window stays ``nan``
    for good), and the parameters are validated; ``max_buckets=1`` is refused, because a row
    can then empty and river's cut reads a summary that no longer exists (it panics).

    Examples
    --------
    The stream of river's own example: 0/1 values, then values from 4 to 7.

    >>> import random
    >>> from driftline.streaming._adwin import ADWIN
    >>> rng = random.Random(12345)
    >>> stream = rng.choices([0, 1], k=1000) + rng.choices(range(4, 8), k=1000)
    >>> adwin = ADWIN()
    >>> for i, x in enumerate(stream):
    ...     adwin.update(x)
    ...     if adwin.drift_detected:
    ...         print(f"Change detected at index {i}, input value: {x}")
    Change detected at index 1023, input value: 4
    >>> ADWIN().update_many(stream).tolist()
    [1023]

    References
    ----------
    Albert Bifet and Ricard Gavaldà. "Learning from time-changing data with adaptive
    windowing." In Proceedings of the 2007 SIAM International Conference on Data Mining
    (SDM), pp. 443-448, 2007.
    """

    _params = ("delta", "clock", "max_buckets", "min_window_length", "grace_period")
    _totals: list[list[float]]  # row i: the totals of its summaries of 2**i values, oldest first
    _vars: list[list[float]]  # and their sums of squared deviations
    _width: float
    _total: float
    _variance: float
    _tick: int

    def __init__(self, delta: float = 0.002, clock: int = 32, max_buckets: int = 5,
                 min_window_length: int = 5, grace_period: int = 10) -> None:
        if isinstance(delta, bool) or not isinstance(delta, (int, float)) or not 0.0 < delta < 1.0:
            raise ParameterError.invalid("delta", delta, "a float in (0, 1)",
                                         "Typical values are 0.002 (the default) to 0.1.")
        _check_int("clock", clock, 1)
        _check_int("max_buckets", max_buckets, 2)
        _check_int("min_window_length", min_window_length, 1)
        _check_int("grace_period", grace_period, 0)
        self.delta = float(delta)
        self.clock = int(clock)
        self.max_buckets = int(max_buckets)
        self.min_window_length = int(min_window_length)
        self.grace_period = int(grace_period)
        super().__init__()

    # -- what the window holds -------------------------------------------------------------
    @property
    def width(self) -> int:
        """The number of values in the window."""
        return int(self._width)

    @property
    def total(self) -> float:
        """The sum of the values in the window."""
        return self._total

    @property
    def estimation(self) -> float:
        """The mean of the window (0.0 when it is empty)."""
        return self._total / self._width if self._width else 0.0

    @property
    def variance(self) -> float:
        """The window's sum of squared deviations from its mean, as river's ``variance``
        reports it (not divided by the width: ``variance / width`` is the variance)."""
        return self._variance

    # -- the protocol ----------------------------------------------------------------------
    def update(self, x: float) -> None:
        """Add one value; afterwards ``drift_detected`` says whether the window was cut."""
        x = float(x)
        if not math.isfinite(x):
            raise self._refuse(x, "x")
        if self._drift:
            self._reset_state()
        self._insert(x)
        self._tick += 1
        self._drift = self._tick % self.clock == 0 and self._width > self.grace_period and self._cut()

    def update_many(self, xs: Iterable[float]) -> np.ndarray:
        """Feed every value of ``xs`` in order; return the indices where drift fired.

        The result, and the state left behind, are exactly those of a loop of :meth:`update`,
        with the same floating-point operations in the same order. With numba installed a
        compiled kernel runs that loop; without it the inserts and the checks run in numpy,
        chunk by chunk, and a window is cut by the same code as in ``update``. Every value
        is checked before the first is used.
        """
        values = self._checked(xs)
        fn = _adwin_run.select(values.size)
        if fn is not None:
            return self._kernel(fn, values)
        hits, pos, stop = [], 0, values.size
        with np.errstate(all="ignore"):
            while pos < stop:
                width = 0 if self._drift else int(self._width)  # a drift empties the window
                size = min(max(width, _CHUNK[0]), _CHUNK[1])
                last = self._run(values[pos:min(pos + size, stop)])
                if self._drift:
                    hits.append(pos + last)
                pos += last + 1
        return np.asarray(hits, dtype=np.int64)

    _takes_any_finite = True

    def _accepts(self, values: np.ndarray) -> np.ndarray:
        return _is_finite(values)

    def _refuse(self, x: float, name: str) -> Exception:
        return _bad_data("ADWIN", x, name, "a finite number", "Drop or impute missing values first.")

    def _kernel(self, fn: Callable[..., Any], values: Any) -> np.ndarray:
        """Run ``fn`` (:func:`_adwin_run`, compiled or pure) over ``values``, the histogram
        laid out as the kernel takes it: a ring per row."""
        rows = max(_MAX_ROWS, len(self._totals) + 1)
        slots = max(_MIN_SLOTS, 1 << self.max_buckets.bit_length())  # a power of two > max_buckets
        totals, variances = np.zeros(rows * slots), np.zeros(rows * slots)
        heads, counts = np.zeros(rows, dtype=np.int64), np.zeros(rows, dtype=np.int64)
        for r, (t, v) in enumerate(zip(self._totals, self._vars, strict=True)):
            at = r * slots
            totals[at:at + len(t)], variances[at:at + len(v)], counts[r] = t, v, len(t)
        hits = np.empty(len(values) // self.clock + 1, dtype=np.int64)  # at most one a check
        flat = np.zeros((4, rows * slots))  # the window oldest first, for the screen of the checks
        flat[2] = np.arange(2.0, rows * slots + 2.0)
        self._drift, n_rows, self._width, self._total, self._variance, self._tick, k = fn(
            values, hits, self.delta, self.clock, self.max_buckets, float(self.min_window_length),
            self.grace_period, self._drift, totals, variances, heads, counts, slots - 1, len(self._totals),
            self._width, self._total, self._variance, self._tick, flat, np.zeros(rows, dtype=np.int64))
        rows_at = [r * slots + (heads[r] + np.arange(counts[r])) % slots for r in range(n_rows)]
        self._totals = [totals[i].tolist() for i in rows_at]
        self._vars = [variances[i].tolist() for i in rows_at]
        return hits[:k].copy()

    def _run(self, xs: np.ndarray) -> int:
        """Insert ``xs`` up to the first check that may cut the window (or to the end), cut
        there as ``update`` does, and return the index of the last value inserted."""
        if self._drift:
            self._reset_state()
        levels = self._levels(xs)
        widths = self._width + np.arange(1.0, xs.size + 1.0)
        totals = np.add.accumulate(np.concatenate(([self._total], xs)))
        gap = xs - totals[:-1] / (widths - 1.0)
        inc = np.where(widths > 1.0, (widths - 1.0) * gap * gap / widths, 0.0)
        variances = np.add.accumulate(np.concatenate(([self._variance], inc)))[1:]
        ticks = self._tick + np.arange(1, xs.size + 1)
        checks = np.flatnonzero((ticks % self.clock == 0) & (widths > self.grace_period))
        cut = self._first_cut(levels, checks, widths[checks], totals[1:][checks], variances[checks])
        last = xs.size - 1 if cut is None else cut
        self._totals, self._vars = _rows_at(levels, last, self.max_buckets)
        self._width, self._total = float(widths[last]), float(totals[last + 1])
        self._variance, self._tick = float(variances[last]), int(ticks[last])
        self._drift = cut is not None and self._cut()
        return last

    def _levels(self, xs: np.ndarray) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """Every summary each row holds or receives while ``xs`` is inserted: its total, its
        variance and the index of the value whose insert created it (-1: held already).

        A row is a queue whose k-th merge pairs its entries 2k and 2k+1 when entry
        ``max_buckets + 2k`` arrives, so each row follows from the one below it.
        """
        mb, levels, row = self.max_buckets, [], 0
        new_t, new_v, new_at = xs, np.zeros(xs.size), np.arange(xs.size)
        while row < len(self._totals) or new_t.size:
            held = self._totals[row] if row < len(self._totals) else []
            t = np.concatenate((np.asarray(held, dtype=float), new_t))
            v = np.concatenate((np.asarray(self._vars[row] if held else [], dtype=float), new_v))
            at = np.concatenate((np.full(len(held), -1), new_at))
            levels.append((t, v, at))
            k, size = max(0, (t.size - mb + 1) // 2), float(1 << row)
            d = t[0:2 * k:2] / size - t[1:2 * k:2] / size
            new_t, new_at = t[0:2 * k:2] + t[1:2 * k:2], at[mb:mb + 2 * k:2]
            new_v = v[0:2 * k:2] + v[1:2 * k:2] + size * 0.5 * d * d
            row += 1
        return levels

    def _first_cut(self, levels: list[tuple[np.ndarray, np.ndarray, np.ndarray]], checks: np.ndarray,
                   width: np.ndarray, total: np.ndarray, variance: np.ndarray) -> int | None:
        """The first of ``checks`` (value indices) at which some split is a change, all
        splits of all checks at once: one row per check, one column per summary, oldest
        first, in the order and arithmetic of :meth:`_find_split`."""
        if not checks.size:
            return None
        mb, ell = self.max_buckets, float(self.min_window_length)
        parts_t, parts_n = [np.zeros((checks.size, 1))], [np.zeros((checks.size, 1))]
        for row in range(len(levels) - 1, -1, -1):
            t, _, at = levels[row]
            held = np.searchsorted(at, checks, side="right")[:, None]
            idx = 2 * np.maximum(0, (held - mb + 1) // 2) + np.arange(mb)
            ok = idx < held
            parts_t.append(np.where(ok, t[np.minimum(idx, t.size - 1)], 0.0))
            parts_n.append(np.where(ok, float(1 << row), 0.0))
        u0 = np.add.accumulate(np.hstack(parts_t), axis=1)[:, 1:]
        u1 = np.subtract.accumulate(np.hstack([total[:, None], *parts_t[1:]]), axis=1)[:, 1:]
        n0 = np.add.accumulate(np.hstack(parts_n), axis=1)[:, 1:]
        n1 = width[:, None] - n0
        dprime = np.array([_dprime(w, self.delta) for w in width.tolist()])[:, None]
        m = 1.0 / (n0 - ell + 1.0) + 1.0 / (n1 - ell + 1.0)
        eps = np.sqrt(2.0 * m * (variance / width)[:, None] * dprime) + 2.0 / 3.0 * dprime * m
        hit = (np.hstack(parts_n[1:]) > 0) & (n1 >= ell) & (n0 >= ell) & (np.abs(u0 / n0 - u1 / n1) > eps)
        found = np.flatnonzero(hit.any(axis=1))
        return int(checks[found[0]]) if found.size else None

    # -- the exponential histogram ---------------------------------------------------------
    def _insert(self, x: float) -> None:
        self._totals[0].append(x)
        self._vars[0].append(0.0)
        self._width += 1.0
        inc = 0.0
        if self._width > 1.0:
            d = x - self._total / (self._width - 1.0)
            inc = (self._width - 1.0) * d * d / self._width
        self._variance += inc
        self._total += x
        if len(self._totals[0]) == self.max_buckets + 1:
            self._compress()

    def _compress(self) -> None:
        """Merge the two oldest summaries of each full row into one of the next row."""
        totals, variances, row = self._totals, self._vars, 0
        while len(totals[row]) == self.max_buckets + 1:
            size = float(1 << row)
            t, v = totals[row], variances[row]
            mu1, mu2 = t[0] / size, t[1] / size
            merged_var = v[0] + v[1] + size * 0.5 * (mu1 - mu2) * (mu1 - mu2)
            if row + 1 == len(totals):
                totals.append([])
                variances.append([])
            totals[row + 1].append(t[0] + t[1])
            variances[row + 1].append(merged_var)
            del t[:2], v[:2]
            row += 1

    def _cut(self) -> bool:
        """Drop the oldest summary while some split is a change; whether any was."""
        found = False
        while self._find_split():
            found = True
            self._drop_oldest()
        return found

    def _find_split(self) -> bool:
        """Whether some split of the window, oldest part first, is a change."""
        ell = float(self.min_window_length)
        n0, n1, u0, u1 = 0.0, self._width, 0.0, self._total
        if self._width < 2.0:
            return False
        dprime = _dprime(self._width, self.delta)
        var = self._variance / self._width
        for row in range(len(self._totals) - 1, -1, -1):
            size = float(1 << row)
            totals = self._totals[row]
            last = len(totals) - 1
            for k, t in enumerate(totals):
                n0 += size
                n1 -= size
                u0 += t
                u1 -= t
                if row == 0 and k == last:
                    return False
                if n1 >= ell and n0 >= ell:
                    m = 1.0 / (n0 - ell + 1.0) + 1.0 / (n1 - ell + 1.0)
                    arg = 2.0 * m * var * dprime
                    # river takes sqrt of a rounding-negative variance as nan: never a change.
                    if arg >= 0.0 and abs(u0 / n0 - u1 / n1) > math.sqrt(arg) + 2.0 / 3.0 * dprime * m:
                        return True
        return False

    def _drop_oldest(self) -> None:
        row = len(self._totals) - 1
        size = float(1 << row)
        u, v = self._totals[row].pop(0), self._vars[row].pop(0)
        mu = u / size
        self._width -= size
        self._total -= u
        mu_window = self._total / self._width
        self._variance -= v + size * self._width * (mu - mu_window) * (mu - mu_window) / (size + self._width)
        if not self._totals[row]:
            self._totals.pop()
            self._vars.pop()

    # -- state -----------------------------------------------------------------------------
    def _reset_state(self) -> None:
        self._totals = [[]]
        self._vars = [[]]
        self._width = 0.0
        self._total = 0.0
        self._variance = 0.0
        self._tick = 0

    def _get_state(self) -> dict[str, Any]:
        return {"totals": [list(r) for r in self._totals], "variances": [list(r) for r in self._vars],
                "width": self._width, "total": self._total, "variance": self._variance,
                "tick": self._tick}

    def _set_state(self, state: dict[str, Any]) -> None:
        self._totals = [[float(t) for t in r] for r in state["totals"]]
        self._vars = [[float(v) for v in r] for r in state["variances"]]
        self._width = float(state["width"])
        self._total = float(state["total"])
        self._variance = float(state["variance"])
        self._tick = int(state["tick"])


@kernel
def _adwin_run(xs: Any, hits: Any, delta: float, clock: int, mb: int, ell: float, grace: int, drift: bool,
               totals: Any, variances: Any, heads: Any, counts: Any, mask: int, n_rows: int, width: float,
               total: float, variance: float, tick: int, flat: Any, row_at: Any) -> tuple[Any, ...]:
    r"""ADWIN over ``xs`` (``update`` in one loop): the drift indices go to ``hits``; returns
    the state and their number.

    The histogram is flat: row ``r`` is a ring of ``mask + 1`` slots (a power of two) from
    ``r * (mask + 1)`` in ``totals`` and ``variances``, holding ``counts[r]`` summaries, the
    oldest at ``heads[r] & mask``. The values between two checks are inserted in one tight
    loop, row 0's ring in local variables; ``_compress`` is inline, ``t / size`` computed as
    ``t * (1 / size)``: ``size`` is a power of two, so both are the exact quotient rounded
    once, the same number.

    A check first screens all splits at once, without a branch or a division (a loop the
    compiler vectorises), and runs ``_adwin_split`` (the exact test, with its own screen)
    only when some split gets past; it is inline too, since a call costs about as much. The
    screen is that of ``_adwin_split`` with one more allowance: its ``u1``, the newer part's
    total, is ``total - u0`` instead of the chain of subtractions from ``total`` that
    ``_adwin_split`` computes, so that no split waits for the one before it. With
    :math:`\epsilon = 2^{-53}`, :math:`T` = ``total`` and :math:`A_k` the sum of the absolute
    totals of the :math:`k` oldest summaries, each step of a chain errs by at most
    :math:`\epsilon` times its result, so the two ``u1`` differ by at most about
    :math:`\epsilon (k (|T| + 2 A_k) + |u_1|)`; ``q`` is enlarged by ``n0`` times ``_SLACK``
    (:math:`32 \epsilon`) times :math:`(k + 1) (|T| + 2 A_k) + |u_1|`, which also covers the
    rounding of that allowance. An overflow gives inf or nan, which pass.

    For the screen the window is laid out oldest first in ``flat``: row 0 holds ``u0`` at each
    split (the same chain of additions from the oldest summary as in ``_adwin_split``), row 1
    ``n0`` (exact: sums of powers of two, and so is ``width - n0``), row 2 :math:`k + 1`
    (filled by the caller) and row 3 :math:`2 A_k`; row ``r`` of the histogram starts at
    ``row_at[r]``. A check lays out again only the rows up to ``dirty``, the highest one
    changed since the last check (32 inserts change about 6 of some 20 rows)."""
    k = 0
    until = clock - tick % clock  # updates to the next check (tick % clock == 0)
    low_at, low = inf, 0.0  # a lower bound of dprime for widths in [low_at, 2 low_at)
    i, n = 0, len(xs)
    dirty = _ALL_DIRTY  # the highest row changed since the screen last laid the window out
    while i < n:  # the values up to the next check, then the check
        if drift:
            drift, n_rows, width, total, variance, tick, until = False, 1, 0.0, 0.0, 0.0, 0, clock
            heads[0] = counts[0] = 0
            dirty = _ALL_DIRTY
        end = min(n, i + until)
        h0, c0 = heads[0], counts[0]  # row 0's ring, kept in registers over the segment
        for j in range(i, end):
            x = xs[j]
            at = (h0 + c0) & mask  # ADWIN._insert
            totals[at], variances[at] = x, 0.0
            c0 += 1
            width += 1.0
            inc = 0.0
            if width > 1.0:
                d = x - total / (width - 1.0)
                inc = (width - 1.0) * d * d / width
            variance += inc
            total += x
            if c0 > mb:  # ADWIN._compress, row 0 being full (t / size as t * inv)
                a0, a1 = h0 & mask, (h0 + 1) & mask
                t0, t1 = totals[a0], totals[a1]
                merged_var = variances[a0] + variances[a1] + 0.5 * (t0 - t1) * (t0 - t1)
                h0, c0 = h0 + 2, mb - 1
                row, size, inv = 1, 2.0, 0.5
                while True:  # put the merged summary into the next row; merge that row if full
                    if row == n_rows:
                        heads[row] = counts[row] = 0
                        n_rows += 1
                    base, head, c = row * (mask + 1), heads[row], counts[row]
                    at = base + ((head + c) & mask)
                    totals[at], variances[at] = t0 + t1, merged_var
                    if c != mb:
                        counts[row] = c + 1
                        break
                    a0, a1 = base + (head & mask), base + ((head + 1) & mask)
                    t0, t1 = totals[a0], totals[a1]
                    mu1, mu2 = t0 * inv, t1 * inv
                    merged_var = variances[a0] + variances[a1] + size * 0.5 * (mu1 - mu2) * (mu1 - mu2)
                    heads[row], counts[row] = head + 2, mb - 1
                    row, size, inv = row + 1, size * 2.0, inv * 0.5
                dirty = max(dirty, row)
        heads[0], counts[0] = h0, c0
        dirty = max(dirty, 0)
        tick += end - i
        until -= end - i
        i = end
        if until == 0:
            until = clock
            if width > grace:
                if width >= 2.0 and not low_at <= width < 2.0 * low_at:
                    low_at, low = width, log(2.0 * log(width) / delta)
                bound = low if low_at <= width else 0.0
                while True:  # ADWIN._cut: the screen (see above), then the exact test
                    start = min(dirty, n_rows - 1)  # lay out rows start..0 again
                    pos, u0, n0, s = (row_at[start] if start < n_rows - 1 else 0), 0.0, 0.0, 0.0
                    if pos:
                        u0, n0, s = flat[0, pos - 1], flat[1, pos - 1], 0.5 * flat[3, pos - 1]
                    size = float(1 << start)
                    for row in range(start, -1, -1):
                        row_at[row] = pos
                        base, head = row * (mask + 1), heads[row]
                        for j in range(counts[row]):
                            t = totals[base + ((head + j) & mask)]
                            u0 += t
                            n0 += size
                            s += abs(t)
                            flat[0, pos], flat[1, pos], flat[3, pos] = u0, n0, 2.0 * s
                            pos += 1
                        size *= 0.5
                    dirty = -1
                    found = 1
                    scale = 2.0 * (variance / width) * bound * (1.0 - 1e-9)
                    if 1e-100 < scale < 1e100:
                        scale *= width - 2.0 * ell + 2.0
                        hi = pos - 1  # not the split after the newest summary, nor those with n1 < ell
                        while hi > 0 and width - flat[1, hi - 1] < ell:
                            hi -= 1
                        tt, e1 = abs(total), 1.0 - ell
                        found = 0
                        for sp in range(hi):  # from 0, so that the compiler vectorises the loop
                            u0, n0 = flat[0, sp], flat[1, sp]
                            n1 = width - n0
                            u1 = total - u0
                            q = abs(u0 * n1 - u1 * n0) + _SLACK * (
                                abs(u0) * n1 + (abs(u1) + flat[2, sp] * (tt + flat[3, sp])) * n0)
                            p = n0 * n1
                            dd = q * q * (n0 + e1) * (n1 + e1) - scale * p * p
                            found += 0 if dd < 0.0 or n0 < ell else 1  # nan passes
                    if not found or not _adwin_split(totals, heads, counts, mask, n_rows, width, total,
                                                     variance, delta, ell, bound):
                        break
                    drift = True
                    n_rows, width, total, variance = _adwin_drop(totals, variances, heads, counts, mask,
                                                                 n_rows, width, total, variance)
                    dirty = _ALL_DIRTY
                if drift:
                    hits[k] = i - 1
                    k += 1
    return drift, n_rows, width, total, variance, tick, k


@kernel
def _adwin_split(totals: Any, heads: Any, counts: Any, mask: int, n_rows: int, width: float, total: float,
                 variance: float, delta: float, ell: float, low: float) -> bool:
    r"""ADWIN._find_split: whether some split of the window, oldest part first, is a change.

    Each split is first screened without a division: a change needs
    :math:`|\hat\mu_0 - \hat\mu_1| > \sqrt{2 m \sigma^2 \delta'}`, that is, with
    :math:`q = u_0 n_1 - u_1 n_0`, :math:`a = n_0 - \ell + 1`, :math:`b = n_1 - \ell + 1`,
    :math:`q^2 a b > 2 \sigma^2 \delta' (a + b) (n_0 n_1)^2`. The screen rejects only when the
    left side, enlarged by far more than its rounding errors (``_SLACK``), stays below the
    right side, reduced by a relative 1e-9; and only when :math:`2\sigma^2\delta'` is within
    [1e-100, 1e100], where no product over- or underflows. The screen takes ``low``, a lower
    bound of :math:`\delta'` that the caller computes once for a range of widths (a lower
    bound keeps it conservative), and :math:`\delta'` itself is computed (two logarithms)
    only when a split gets past the screen. Every split it does not reject is tested exactly
    as ``_find_split`` tests it, so the answer is the same."""
    if width < 2.0:
        return False
    n0, n1, u0, u1 = 0.0, width, 0.0, total
    dprime = -1.0  # not computed yet
    var = variance / width
    scale = 2.0 * var * low * (1.0 - 1e-9)
    screen = 1e-100 < scale < 1e100
    scale *= width - 2.0 * ell + 2.0  # a + b, the same for every split
    size = float(1 << (n_rows - 1))
    for row in range(n_rows - 1, -1, -1):
        base, head = row * (mask + 1), heads[row]
        last = counts[row] - 1
        for j in range(last + 1):
            t = totals[base + ((head + j) & mask)]
            n0 += size
            n1 -= size
            u0 += t
            u1 -= t
            if row == 0 and j == last:
                return False
            if n1 >= ell and n0 >= ell:
                a, b = n0 - ell + 1.0, n1 - ell + 1.0
                if screen:
                    q = abs(u0 * n1 - u1 * n0) + _SLACK * (abs(u0) * n1 + abs(u1) * n0)
                    p = n0 * n1
                    if q * q * a * b < scale * p * p:
                        continue
                if dprime < 0.0:
                    dprime = log(2.0 * log(width) / delta)  # _dprime, with width >= 2
                m = 1.0 / a + 1.0 / b
                arg = 2.0 * m * var * dprime
                # river takes sqrt of a rounding-negative variance as nan: never a change.
                if arg >= 0.0 and abs(u0 / n0 - u1 / n1) > sqrt(arg) + 2.0 / 3.0 * dprime * m:
                    return True
        size *= 0.5
    return False


@kernel
def _adwin_drop(totals: Any, variances: Any, heads: Any, counts: Any, mask: int, n_rows: int, width: float,
                total: float, variance: float) -> tuple[Any, ...]:
    """ADWIN._drop_oldest: drop the oldest summary; returns (n_rows, width, total, variance)."""
    row = n_rows - 1
    size = float(1 << row)
    at = row * (mask + 1) + (heads[row] & mask)
    u, v = totals[at], variances[at]
    heads[row] += 1
    counts[row] -= 1
    mu = u / size
    width -= size
    total -= u
    mu_window = total / width
    variance -= v + size * width * (mu - mu_window) * (mu - mu_window) / (size + width)
    if counts[row] == 0:
        n_rows -= 1
    return n_rows, width, total, variance


def _dprime(width: float, delta: float) -> float:
    """ln(2 ln(width) / delta), the log term of the bound; below two values no split exists."""
    return math.log(2.0 * math.log(max(width, 2.0)) / delta)


def _rows_at(levels: list[tuple[np.ndarray, np.ndarray, np.ndarray]], last: int,
             max_buckets: int) -> tuple[list[list[float]], list[list[float]]]:
    """The rows of the histogram right after the insert of value ``last``."""
    totals, variances = [], []
    for t, v, at in levels:
        held = int(np.searchsorted(at, last, side="right"))
        first = 2 * max(0, (held - max_buckets + 1) // 2)
        totals.append(t[first:held].tolist())
        variances.append(v[first:held].tolist())
    while len(totals) > 1 and not totals[-1]:
        totals.pop()
        variances.pop()
    return totals, variances

