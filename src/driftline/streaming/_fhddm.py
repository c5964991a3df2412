"""FHDDM: the Fast Hoeffding Drift Detection Method."""

from __future__ import annotations

import collections
import math
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from driftline.errors import ParameterError
from driftline.streaming._accel import kernel
from driftline.streaming._base import DriftDetector
from driftline.streaming._checks import _bad_data, _check_int, _is_bit

__all__ = ["FHDDM"]

_FIRST_BLOCK, _MAX_BLOCK = 256, 1 << 16  # blocks grow while no drift fires


class FHDDM(DriftDetector):
    """FHDDM: detects a drop in a classifier's accuracy over a sliding window, with a bound
    from Hoeffding's inequality.

    Input: ``1`` for an error, ``0`` for a correct prediction (river's convention); the
    detector tracks the accuracy ``1 - error``. Once the window of the last ``window_size``
    predictions is full, each update compares the window's accuracy with the highest window
    accuracy seen since the start or the last drift; a drop of more than
    :math:`\\varepsilon = \\sqrt{\\ln(1/\\delta) / (2n)}` is a drift, and the next update starts
    afresh with an empty window. There is no warning zone.

    Parameters
    ----------
    window_size : number of predictions in the sliding window (:math:`n`).
    delta : the probability of error allowed by Hoeffding's bound (:math:`\\delta`).

    Notes
    -----
    With :math:`p_t` the accuracy of the window ending at :math:`t` and
    :math:`p^{max}_t = \\max_{s \\le t} p_s`, drift when :math:`p^{max}_t - p_t > \\varepsilon`
    (MOA's strict inequality; the paper writes :math:`\\ge`, which differs only on exact ties).

    ``river.drift.binary.FHDDM`` (river 0.26) tracks the mean of its input and fires when that
    mean *drops*, so with river's 1-is-error convention it signals a fall of the error rate.
    This detector fires at the indices where river's fires when river is fed ``1 - x``, that
    is, the paper's algorithm on correct-prediction bits. River's optional stacking window
    (``short_window_size``, FHDDMS) is not implemented.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(5)
    >>> errors = np.concatenate([rng.random(1000) < 0.1, rng.random(1000) < 0.4]).astype(int)
    >>> FHDDM().update_many(errors).tolist()
    [1059]

    References
    ----------
    .. [1] Pesaranghader, A., & Viktor, H. L. (2016). Fast Hoeffding drift detection method
       for evolving data streams. *ECML PKDD 2016*, LNCS 9852, 96–111. Springer.
    """

    _params = ("window_size", "delta")

    def __init__(self, window_size: int = 100, delta: float = 1e-6) -> None:
        _check_int("window_size", window_size, 1)
        if isinstance(delta, bool) or not isinstance(delta, (int, float, np.integer, np.floating)) \
                or not 0 < delta < 1:
            raise ParameterError.invalid("delta", delta, "a float in (0, 1)")
        self.window_size = int(window_size)
        self.delta = float(delta)
        self.epsilon = math.sqrt(math.log(1 / self.delta) / (2 * self.window_size))
        super().__init__()

    # -- state ---------------------------------------------------------------------------
    def _reset_state(self) -> None:
        self._window: collections.deque[int] = collections.deque()
        self.n_correct = 0
        self.max_accuracy = 0.0

    def _get_state(self) -> dict[str, Any]:
        return {"window": list(self._window), "n_correct": self.n_correct,
                "max_accuracy": self.max_accuracy}

    def _set_state(self, state: dict[str, Any]) -> None:
        self._window = collections.deque(int(v) for v in state["window"])
        self.n_correct = int(state["n_correct"])
        self.max_accuracy = float(state["max_accuracy"])

    # -- the protocol --------------------------------------------------------------------
    def update(self, x: float) -> None:
        """Feed one prediction outcome: 1 (error) or 0 (correct)."""
        if x != 0 and x != 1:
            raise self._refuse(x, "x")
        if self._drift:
            self._reset_state()
            self._drift = False
        correct = 0 if x else 1
        self._window.append(correct)
        self.n_correct += correct
        if len(self._window) == self.window_size:
            accuracy = self.n_correct / self.window_size
            if self.max_accuracy < accuracy:
                self.max_accuracy = accuracy
            self._drift = self.max_accuracy - accuracy > self.epsilon
            self.n_correct -= self._window.popleft()

    def update_many(self, xs: Iterable[float]) -> np.ndarray:
        """Feed every value of ``xs`` in order; return the indices where drift fired.

        Run by a compiled kernel when numba is installed; otherwise vectorised: window
        accuracies from cumulative sums and their running maximum, block by block, restarting
        after each drift. Either way, the indices and state of a loop of :meth:`update`. Every
        value is checked before the first is used."""
        values = self._checked(xs)
        fn = _fhddm_run.select(values.size)
        if fn is not None:
            return self._kernel(fn, values)
        return np.asarray(self._run((values == 0).astype(np.int64)), dtype=np.int64)

    def _accepts(self, values: np.ndarray) -> np.ndarray:
        return _is_bit(values)

    def _refuse(self, x: float, name: str) -> Exception:
        return _bad_data("FHDDM", x, name, "1 (error) or 0 (correct)")

    def _kernel(self, fn: Callable[..., Any], values: Any) -> np.ndarray:
        """Run ``fn`` (:func:`_fhddm_run`, compiled or pure) over ``values``."""
        ring = np.zeros(self.window_size, dtype=np.int64)
        ring[:len(self._window)] = list(self._window)
        hits = np.empty(len(values), dtype=np.int64)
        self._drift, head, length, n_correct, self.max_accuracy, k = fn(
            values, hits, self.window_size, self.epsilon, self._drift, ring, 0, len(self._window),
            self.n_correct, self.max_accuracy)
        self.n_correct = int(n_correct)
        self._window = collections.deque(np.roll(ring, -head)[:length].tolist())
        return hits[:k].copy()

    def _run(self, correct: np.ndarray) -> list[int]:
        if correct.size == 0:
            return []
        if self._drift:
            self._reset_state()
            self._drift = False
        n = self.window_size
        prefix = len(self._window)
        seq = np.concatenate([np.asarray(self._window, dtype=np.int64), correct])
        cum = np.concatenate([[0], np.cumsum(seq)])
        hits: list[int] = []
        start, t0, top = 0, prefix, self.max_accuracy  # this run: seq[start:]
        block = _FIRST_BLOCK
        while t0 < seq.size:
            first_full = start + n - 1
            lo = max(t0, first_full)
            t1 = min(seq.size, max(t0 + block, lo + 1))
            if lo >= t1:  # the window does not fill in this block
                t0 = t1
                continue
            t = np.arange(lo, t1)
            acc = (cum[t + 1] - cum[t + 1 - n]) / n
            peak = np.maximum.accumulate(np.concatenate([[top], acc]))[1:]
            drift = np.flatnonzero(peak - acc > self.epsilon)
            if drift.size:
                last = lo + int(drift[0])
                hits.append(last - prefix)
                top = float(peak[drift[0]])
                if last + 1 < seq.size:
                    start, t0, top, block = last + 1, last + 1, 0.0, _FIRST_BLOCK
                    continue
                self._finish(seq, last, start, top, True)
                return hits
            top = float(peak[-1])
            t0, block = t1, min(2 * block, _MAX_BLOCK)
        self._finish(seq, seq.size - 1, start, top, False)
        return hits

    def _finish(self, seq: np.ndarray, t: int, start: int, top: float, drift: bool) -> None:
        """Set the state to what it is after the update of ``seq[t]``."""
        held = t + 1 - start
        keep = held if held < self.window_size else self.window_size - 1
        self._window = collections.deque(int(v) for v in seq[t + 1 - keep:t + 1])
        self.n_correct = sum(self._window)
        self.max_accuracy = top
        self._drift = drift


@kernel
def _fhddm_run(xs: Any, hits: Any, w: int, eps: float, drift: bool, ring: Any, head: int, length: int,
               n_correct: int, top: float) -> tuple[Any, ...]:
    """FHDDM over ``xs``, the window a ring buffer (``length`` bits from ``head`` in ``ring``):
    the drift indices go to ``hits``; returns the state and their number."""
    k = 0
    for i, x in enumerate(xs):
        if drift:
            head = length = n_correct = 0
            top = 0.0
            drift = False
        c = 1 if x == 0.0 else 0
        at = head + length
        ring[at - w if at >= w else at] = c
        length += 1
        n_correct += c
        if length == w:
            accuracy = n_correct / w
            if top < accuracy:
                top = accuracy
            if top - accuracy > eps:
                drift = True
                hits[k] = i
                k += 1
            n_correct -= ring[head]
            head = head + 1 if head + 1 < w else 0
            length -= 1
    return drift, head, length, n_correct, top, k
