"""KSWIN: Kolmogorov–Smirnov test on a sliding window."""

from __future__ import annotations

import collections
import itertools
import math
import random
import warnings
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from driftline.errors import ParameterError
from driftline.streaming._accel import kernel
from driftline.streaming._base import DriftDetector
from driftline.streaming._checks import _bad_data, _check_int

__all__ = ["KSWIN"]

# scipy's ks_2samp(method="auto") is exact up to this sample size, asymptotic above it.
_EXACT_MAX_N = 10000
_P_VALUES: dict[tuple[int, int], float] = {}


class KSWIN(DriftDetector):
    """KSWIN: detects a change in the distribution of a real-valued stream with a
    Kolmogorov–Smirnov test on a sliding window.

    The detector keeps the last ``window_size`` values. Once the window is full, every update
    compares the newest ``stat_size`` values with ``stat_size`` values drawn at random,
    without replacement, from the older part of the window, by the two-sample KS test. Drift
    is signalled when the p-value is at most ``alpha`` and the KS statistic exceeds 0.1;
    the next update then starts afresh with an empty window. There is no warning zone.

    Fires at exactly the same indices as ``river.drift.KSWIN`` (river 0.26) with the same
    parameters and an integer ``seed``: the draws come from ``random.Random(seed)`` through
    the same calls, and the p-value is SciPy's ``ks_2samp(method="auto")`` p-value.

    Parameters
    ----------
    alpha : significance level of the KS test, in (0, 1). The test is sensitive; values
        below 0.01 are advisable.
    window_size : size of the sliding window.
    stat_size : size of the two samples compared; at most ``window_size // 2`` so that the
        older part of the window holds enough values to draw from.
    seed : seed of the random draws; ``None`` seeds from the operating system.
    window : values that fill the window at the start (to avoid a cold start).

    Notes
    -----
    With :math:`R` the newest :math:`r` values and :math:`W` the :math:`r` values drawn from
    the first :math:`n - r` values of the window, drift when
    :math:`p(D_{R,W}) \\le \\alpha` and :math:`D_{R,W} > 0.1`, where :math:`D` is the largest gap
    between the two empirical CDFs. Two samples of the same size :math:`r` give
    :math:`D = k/r` for an integer :math:`k`, so the exact p-value depends on :math:`k` alone
    and is computed once per :math:`k` (by :func:`scipy.stats.ks_2samp`) and cached.

    Differences from river, deliberately:

    - parameters are checked when the detector is built: river accepts
      ``stat_size > window_size // 2`` and then fails at the first full window;
    - a NaN value raises :class:`~driftline.errors.DataError` (river's test then returns a
      NaN p-value and never fires while the NaN stays in the window);
    - :meth:`reset` restores the ``window`` given to the constructor. The restart after a
      drift empties the window and re-seeds the draws, as river does.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(3)
    >>> stream = np.concatenate([rng.normal(0.0, 1.0, 500), rng.normal(1.5, 1.0, 500)])
    >>> kswin = KSWIN(alpha=0.0001, seed=42)
    >>> kswin.update_many(stream).tolist()
    [513]

    References
    ----------
    .. [1] Raab, C., Heusinger, M., & Schleif, F.-M. (2020). Reactive soft prototype computing
       for concept drift streams. *Neurocomputing*, 416, 340–351.
    """

    _params = ("alpha", "window_size", "stat_size", "seed", "window")

    def __init__(
        self,
        alpha: float = 0.005,
        window_size: int = 100,
        stat_size: int = 30,
        seed: int | None = None,
        window: Iterable[float] | None = None,
    ) -> None:
        if not _is_float(alpha) or not 0 < alpha < 1:
            raise ParameterError.invalid("alpha", alpha, "a float in (0, 1)")
        _check_int("window_size", window_size, 2)
        if not _is_int(stat_size) or not 1 <= stat_size <= window_size // 2:
            raise ParameterError.invalid(
                "stat_size", stat_size, f"an integer in [1, window_size // 2] = [1, {window_size // 2}]",
                "The older part of the window must hold stat_size values to draw from.")
        if seed is not None and not _is_int(seed):
            raise ParameterError.invalid("seed", seed, "an integer or None")
        self.alpha = float(alpha)
        self.window_size = int(window_size)
        self.stat_size = int(stat_size)
        self.seed = None if seed is None else int(seed)
        self.window = _initial_window(window)
        super().__init__()

    # -- state ---------------------------------------------------------------------------
    def _reset_state(self) -> None:
        self._restart()
        if self.window:
            self._window.extend(self.window)

    def _restart(self) -> None:
        """What river's ``_reset`` does: an empty window and freshly seeded draws."""
        self.n = 0
        self.p_value = 0.0
        self._window: collections.deque[float] = collections.deque(maxlen=self.window_size)
        self._rng = random.Random(self.seed)

    def _get_state(self) -> dict[str, Any]:
        version, internal, gauss = self._rng.getstate()
        return {"n": self.n, "p_value": self.p_value, "window": list(self._window),
                "rng": [version, list(internal), gauss]}

    def _set_state(self, state: dict[str, Any]) -> None:
        self.n = int(state["n"])
        self.p_value = float(state["p_value"])
        self._window = collections.deque((float(v) for v in state["window"]), maxlen=self.window_size)
        version, internal, gauss = state["rng"]
        self._rng = random.Random()
        self._rng.setstate((int(version), tuple(int(v) for v in internal), gauss))

    # -- the protocol --------------------------------------------------------------------
    def update(self, x: float) -> None:
        """Feed one value."""
        if x != x:
            raise self._refuse(x, "x")
        if self._drift:
            self._restart()
            self._drift = False
        self.n += 1
        w = self._window
        w.append(x)
        size, r = self.window_size, self.stat_size
        if len(w) < size:
            return
        drawn = [w[i] for i in self._rng.sample(range(size - r), r)]
        recent = list(itertools.islice(w, size - r, size))
        statistic, self.p_value = _ks_test(drawn, recent)
        if self.p_value <= self.alpha and statistic > 0.1:
            self._drift = True
            self._window = collections.deque(recent, maxlen=size)

    def update_many(self, xs: Iterable[float]) -> np.ndarray:
        """Feed every value of ``xs`` in order; return the indices where drift fired.

        With numba installed, a compiled kernel runs the loop of :meth:`update`: the draws
        of ``random.Random.sample`` reproduced on the generator's own Mersenne Twister state,
        so that the same values are drawn; without it, a loop of :meth:`update`. Every value
        is checked before the first is used."""
        values = self._checked(xs)
        fn = _kswin_run.select(values.size) if self.stat_size <= _EXACT_MAX_N else None
        return self._loop(values) if fn is None else self._kernel(fn, values)

    def _kernel(self, fn: Callable[..., Any], values: np.ndarray) -> np.ndarray:
        """Run ``fn`` (:func:`_kswin_run`, compiled or pure) over ``values``, stopping at each
        drift to restart (a fresh generator) and where a p-value is not in the table yet."""
        size, r = self.window_size, self.stat_size
        table = _P_TABLES.setdefault(r, np.full(r + 1, np.nan))
        pooled = size - r <= _sample_setsize(r)
        buffers = (np.zeros(size - r, dtype=np.int64), np.zeros(size - r, dtype=np.bool_),
                   np.zeros(r, dtype=np.int64), np.zeros(r), np.zeros(r))
        hits, pos = [], 0
        while pos < values.size:
            if self._drift:
                self._restart()
                self._drift = False
            ring = np.zeros(size)
            ring[:len(self._window)] = list(self._window)
            version, internal, gauss = self._rng.getstate()
            mt = np.array(internal[:_MT_N], dtype=np.int64)
            stop, status, length, head, index, self.n, self.p_value, k = fn(
                values[pos:], ring, 0, len(self._window), mt, internal[_MT_N], r, self.alpha, table, pooled,
                *buffers, self.n, self.p_value)
            self._rng.setstate((version, (*mt.tolist(), index), gauss))
            self._window = collections.deque(np.roll(ring, -head)[:length].tolist(), maxlen=size)
            if status == _NEEDS_P:  # the update at stop drew its samples: finish it here
                table[k] = self.p_value = _p_value(r, k)
                status = _DRIFT if self.p_value <= self.alpha and k * 1.0 / r > 0.1 else _GO_ON
            if status == _DRIFT:
                hits.append(pos + stop)
                self._drift = True
                self._window = collections.deque(list(self._window)[size - r:], maxlen=size)
            pos += stop + 1
        return np.asarray(hits, dtype=np.int64)

    _takes_any_finite = True

    def _accepts(self, values: np.ndarray) -> np.ndarray:
        return ~np.isnan(values)

    def _refuse(self, x: float, name: str) -> Exception:
        return _bad_data("KSWIN", x, name, "a number, not NaN",
                         "Drop missing values before feeding the detector.")


_GO_ON, _DRIFT, _NEEDS_P = 0, 1, 2  # why _kswin_run returned
_MT_N = 624  # words of the Mersenne Twister's state
_P_TABLES: dict[int, np.ndarray] = {}  # stat_size -> p-value of each k (NaN: not computed yet)


@kernel
def _kswin_run(xs: Any, ring: Any, head: int, length: int, mt: Any, index: int, r: int, alpha: float,
               table: Any, pooled: bool, pool: Any, taken: Any, out: Any, drawn: Any, recent: Any, n: int,
               p_value: float) -> tuple[Any, ...]:
    """KSWIN's ``update`` over ``xs`` until a drift, a p-value missing from ``table``, or the
    end. The window is a ring (``length`` values from ``head``); ``mt`` and ``index`` are the
    state of the ``random.Random`` that draws the samples. Returns (stop, why, length, head,
    index, n, p_value, k): the index of the last value taken, why it stopped (``_GO_ON``,
    ``_DRIFT`` or ``_NEEDS_P``: the update at ``stop`` has drawn its samples and found
    :math:`k = rD`, and the caller decides with the p-value of ``k``), and the state."""
    size = len(ring)
    m = size - r
    k = 0
    for i, x in enumerate(xs):
        n += 1
        if length < size:
            ring[(head + length) % size] = x
            length += 1
            if length < size:
                continue
        else:
            ring[head] = x
            head = head + 1 if head + 1 < size else 0
        index = _sample(mt, index, m, r, pooled, pool, taken, out)  # random.sample(range(m), r)
        for t in range(r):
            drawn[t] = ring[(head + out[t]) % size]
            recent[t] = ring[(head + m + t) % size]
        drawn.sort()
        recent.sort()
        k = _ks_gap(drawn, recent)
        if table[k] != table[k]:
            return i, _NEEDS_P, length, head, index, n, p_value, k
        p_value = table[k]
        if p_value <= alpha and k * 1.0 / r > 0.1:
            return i, _DRIFT, length, head, index, n, p_value, k
    return len(xs) - 1, _GO_ON, length, head, index, n, p_value, k


@kernel
def _sample(mt: Any, index: int, m: int, r: int, pooled: bool, pool: Any, taken: Any, out: Any) -> int:
    """``random.Random.sample(range(m), r)`` as CPython 3.11 draws it, into ``out`` (the
    tests compare it with the running Python's ``random.sample``);
    returns the generator's new index. ``pooled``: whether ``m`` is small enough for the
    pool branch (see :func:`_sample_setsize`); ``pool`` and ``taken`` are scratch."""
    if pooled:
        for t in range(m):
            pool[t] = t
        for t in range(r):
            j, index = _randbelow(mt, index, m - t)
            out[t] = pool[j]
            pool[j] = pool[m - t - 1]
        return index
    for t in range(m):
        taken[t] = False
    for t in range(r):
        j, index = _randbelow(mt, index, m)
        while taken[j]:
            j, index = _randbelow(mt, index, m)
        taken[j] = True
        out[t] = j
    return index


@kernel
def _randbelow(mt: Any, index: int, n: int) -> tuple[int, int]:
    """``random.Random._randbelow_with_getrandbits(n)``: (a draw in [0, n), the new index)."""
    bits, v = 0, n
    while v:
        bits += 1
        v >>= 1
    y, index = _genrand(mt, index)
    y >>= 32 - bits  # getrandbits(bits), bits <= 32
    while y >= n:
        y, index = _genrand(mt, index)
        y >>= 32 - bits
    return y, index


@kernel
def _genrand(mt: Any, index: int) -> tuple[int, int]:
    """CPython's ``genrand_uint32``, the words held in int64: (the next 32-bit word, the new
    index)."""
    if index >= 624:
        for kk in range(624):
            y = (mt[kk] & 0x80000000) | (mt[(kk + 1) % 624] & 0x7FFFFFFF)
            v = mt[(kk + 397) % 624] ^ (y >> 1)
            mt[kk] = v ^ 0x9908B0DF if y & 1 else v
        index = 0
    y = mt[index]
    y ^= y >> 11
    y ^= (y << 7) & 0x9D2C5680
    y ^= (y << 15) & 0xEFC60000
    y ^= y >> 18
    return y, index + 1


@kernel
def _ks_gap(a: Any, b: Any) -> int:
    """n·D for two sorted samples of the same size n: the largest gap between the counts of
    values <= v in ``a`` and in ``b``, over every value v of either sample."""
    n = len(a)
    i = j = best = 0
    while i < n and j < n:
        v = a[i] if a[i] <= b[j] else b[j]
        while i < n and a[i] == v:
            i += 1
        while j < n and b[j] == v:
            j += 1
        gap = i - j if i > j else j - i
        if gap > best:
            best = gap
    return best


def _sample_setsize(k: int) -> int:
    """The population size up to which ``random.sample`` draws ``k`` values from a pool."""
    return 21 + (4 ** math.ceil(math.log(k * 3, 4)) if k > 5 else 0)


def _ks_test(a: list[float], b: list[float]) -> tuple[float, float]:
    """``ks_2samp(a, b, method="auto")`` for two samples of the same size: (D, p-value)."""
    n = len(a)
    if n > _EXACT_MAX_N:  # asymptotic p-values depend on the unrounded D: ask SciPy
        from scipy import stats

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", category=RuntimeWarning)
            res = stats.ks_2samp(a, b, method="auto")
        return float(res.statistic), float(res.pvalue)
    k = _ks_count(a, b)
    return k * 1.0 / n, _p_value(n, k)


def _ks_count(a: list[float], b: list[float]) -> int:
    """n·D for two samples of the same size n (:func:`_ks_gap` of the sorted samples)."""
    return int(_ks_gap(sorted(a), sorted(b)))


def _p_value(n: int, k: int) -> float:
    """SciPy's exact two-sided p-value for D = k/n with both samples of size n (cached)."""
    key = (n, k)
    p = _P_VALUES.get(key)
    if p is None:
        from scipy import stats

        base = np.arange(n, dtype=float)  # shifting one copy by k gives D = k/n exactly
        with warnings.catch_warnings():  # the fall-back to asymptotic p-values, as river hides it
            warnings.simplefilter("ignore", category=RuntimeWarning)
            p = float(stats.ks_2samp(base, base + k, method="auto").pvalue)
        _P_VALUES[key] = p
    return p


def _initial_window(window: Iterable[float] | None) -> list[float] | None:
    if window is None:
        return None
    try:
        values = [float(v) for v in window]
    except (TypeError, ValueError) as exc:
        raise ParameterError.invalid("window", window, "an iterable of numbers or None") from exc
    if any(math.isnan(v) for v in values):
        raise ParameterError.invalid("window", "a window with NaN", "an iterable of numbers without NaN")
    return values or None


def _is_int(v: object) -> bool:
    return isinstance(v, (int, np.integer)) and not isinstance(v, bool)


def _is_float(v: object) -> bool:
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool) \
        and math.isfinite(float(v))
