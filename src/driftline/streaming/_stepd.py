"""STEPD: statistical test of equal proportions between recent and older predictions."""

from __future__ import annotations

import collections
import math
from collections.abc import Callable, Iterable
from math import erfc, nan, sqrt
from typing import Any

import numpy as np

from driftline.errors import ParameterError
from driftline.streaming._accel import kernel
from driftline.streaming._base import DriftDetector
from driftline.streaming._checks import _bad_data, _check_int, _is_bit

__all__ = ["STEPD"]

_SQRT2 = math.sqrt(2.0)
_FIRST_BLOCK, _MAX_BLOCK = 256, 1 << 16  # blocks grow while no drift fires


class STEPD(DriftDetector):
    """STEPD: detects a drop in a classifier's accuracy by comparing the accuracy of the
    most recent predictions with the accuracy of the older ones.

    Input: ``1`` for an error, ``0`` for a correct prediction (river's convention). The
    recent window holds the last ``window_size`` predictions; the older part holds every
    prediction before it since the start or the last drift. Once the older part holds
    ``window_size`` predictions, each update runs a one-sided test of equal proportions with
    continuity correction; a recent accuracy lower than the older one at significance
    ``alpha_warning`` is a warning, at ``alpha_drift`` a drift. After a drift the next update
    starts afresh.

    Parameters
    ----------
    window_size : number of recent predictions compared with the older ones.
    alpha_warning : significance level of the warning zone.
    alpha_drift : significance level of a drift; at most ``alpha_warning``.

    Notes
    -----
    With :math:`r_o` correct predictions among the :math:`n_o` older ones, :math:`r_r` among
    the :math:`n_r` recent ones and :math:`\\hat p = (r_o + r_r) / (n_o + n_r)`,

    .. math::
        T = \\frac{|r_o/n_o - r_r/n_r| - \\tfrac12 (1/n_o + 1/n_r)}
                 {\\sqrt{\\hat p (1 - \\hat p) (1/n_o + 1/n_r)}},

    and the p-value is :math:`P = 1 - \\Phi(T)` when the recent accuracy is the lower one
    (:math:`P = 1` otherwise). Drift when :math:`P < \\alpha_d`; warning when
    :math:`\\alpha_d \\le P < \\alpha_w`.

    MOA's ``STEPD`` doubles this p-value (a two-sided test, so it also fires when the accuracy
    improves) and takes the absolute value after the continuity correction, so that it fires
    when both accuracies are equal and :math:`\\hat p` is near 0 or 1 (with all predictions
    correct, :math:`T = -\\infty` becomes :math:`+\\infty`). This implementation follows the
    paper: one-sided, and no test while the proportions cannot differ.

    STEPD tests at every update, so at the default levels it raises about 0.45 false alarms
    per 1,000 predictions on a steady error rate; it catches a rise from 0.1 to 0.4 after
    about 20 predictions.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(2)
    >>> errors = np.concatenate([rng.random(1000) < 0.1, rng.random(1000) < 0.4]).astype(int)
    >>> STEPD().update_many(errors).tolist()
    [1031]

    References
    ----------
    .. [1] Nishida, K., & Yamauchi, K. (2007). Detecting concept drift using statistical
       testing. *Discovery Science (DS 2007)*, LNCS 4755, 264–269. Springer.
    """

    _params = ("window_size", "alpha_warning", "alpha_drift")

    def __init__(self, window_size: int = 30, alpha_warning: float = 0.05,
                 alpha_drift: float = 0.003) -> None:
        _check_int("window_size", window_size, 1)
        for name, value in (("alpha_warning", alpha_warning), ("alpha_drift", alpha_drift)):
            if not _finite(value) or not 0 < value < 1:
                raise ParameterError.invalid(name, value, "a float in (0, 1)")
        if alpha_drift > alpha_warning:
            raise ParameterError.invalid("alpha_drift", alpha_drift,
                                         f"at most alpha_warning ({alpha_warning!r})",
                                         "A drift is the stricter level.")
        self.window_size = int(window_size)
        self.alpha_warning = float(alpha_warning)
        self.alpha_drift = float(alpha_drift)
        self._t_drift = _critical(self.alpha_drift)
        super().__init__()

    # -- state ---------------------------------------------------------------------------
    def _reset_state(self) -> None:
        self._recent: collections.deque[int] = collections.deque()
        self.n_older = 0
        self.errors_older = 0
        self.errors_recent = 0
        self.p_value = math.nan

    def _get_state(self) -> dict[str, Any]:
        return {"recent": list(self._recent), "n_older": self.n_older,
                "errors_older": self.errors_older, "errors_recent": self.errors_recent,
                "p_value": self.p_value}

    def _set_state(self, state: dict[str, Any]) -> None:
        self._recent = collections.deque(int(v) for v in state["recent"])
        self.n_older = int(state["n_older"])
        self.errors_older = int(state["errors_older"])
        self.errors_recent = int(state["errors_recent"])
        self.p_value = float(state["p_value"])

    # -- the protocol --------------------------------------------------------------------
    def update(self, x: float) -> None:
        """Feed one prediction outcome: 1 (error) or 0 (correct)."""
        if x != 0 and x != 1:
            raise self._refuse(x, "x")
        e = 1 if x else 0
        if self._drift:
            self._reset_state()
            self._drift = False
        recent = self._recent
        if len(recent) == self.window_size:
            old = recent.popleft()
            self.n_older += 1
            self.errors_older += old
            self.errors_recent -= old
        recent.append(e)
        self.errors_recent += e
        self._warning = False
        no = self.n_older
        if no >= self.window_size:
            self.p_value = _p_value(no, self.errors_older, len(recent), self.errors_recent)
            self._drift = self.p_value < self.alpha_drift
            self._warning = not self._drift and self.p_value < self.alpha_warning

    def update_many(self, xs: Iterable[float]) -> np.ndarray:
        """Feed every value of ``xs`` in order; return the indices where drift fired.

        Run by a compiled kernel when numba is installed; otherwise vectorised: the counts
        come from cumulative sums, the test statistic from the same floating-point operations
        as :meth:`update`, block by block, restarting after each drift. Either way, the
        indices, warning and state of a loop of :meth:`update`. Every value is checked before
        the first is used."""
        values = self._checked(xs)
        fn = _stepd_run.select(values.size)
        if fn is not None:
            return self._kernel(fn, values)
        return np.asarray(self._run(values.astype(np.int64)), dtype=np.int64)

    def _accepts(self, values: np.ndarray) -> np.ndarray:
        return _is_bit(values)

    def _refuse(self, x: float, name: str) -> Exception:
        return _bad_data("STEPD", x, name, "1 (error) or 0 (correct)")

    def _kernel(self, fn: Callable[..., Any], values: Any) -> np.ndarray:
        """Run ``fn`` (:func:`_stepd_run`, compiled or pure) over ``values``."""
        ring = np.zeros(self.window_size, dtype=np.int64)
        ring[:len(self._recent)] = list(self._recent)
        hits = np.empty(len(values), dtype=np.int64)
        out = fn(values, hits, self.window_size, self.alpha_warning, self.alpha_drift, self._t_drift - 1e-6,
                 self._drift, self._warning, ring, 0, len(self._recent), self.n_older, self.errors_older,
                 self.errors_recent, self.p_value)
        self._drift, self._warning, head, length = out[:4]
        self.n_older, self.errors_older, self.errors_recent = (int(v) for v in out[4:7])
        self.p_value = out[7]
        self._recent = collections.deque(np.roll(ring, -head)[:length].tolist())
        return hits[:out[8]].copy()

    def _run(self, new: np.ndarray) -> list[int]:
        if new.size == 0:
            return []
        w = self.window_size
        hits: list[int] = []
        if self._drift:
            self._reset_state()
            self._drift = False
        # one array: the recent window already held, then the new values
        prefix = len(self._recent)
        seq = np.concatenate([np.asarray(self._recent, dtype=np.int64), new])
        cum = np.concatenate([[0], np.cumsum(seq)])  # cum[t] = errors in seq[:t]
        start, base_n, base_e = 0, self.n_older, self.errors_older  # this run: seq[start:]
        t0, block = prefix, _FIRST_BLOCK  # t0: first index of seq to evaluate
        while t0 < seq.size:
            t1 = min(seq.size, t0 + block)
            t = np.arange(t0, t1)
            c = base_n + (t - start + 1)              # predictions in this run after seq[t]
            nr = np.minimum(c, w)
            no = c - nr
            er = cum[t + 1] - cum[t + 1 - nr]
            eo = base_e + cum[t + 1 - nr] - cum[start]
            tested = np.flatnonzero(no >= w)
            stat = np.full(t.size, -math.inf)
            if tested.size:
                stat[tested] = _statistics(no[tested], eo[tested], nr[tested], er[tested])
            # the exact p-value (math.erfc, as update computes it) only where it may fire
            p = np.ones(t.size)
            near = np.flatnonzero(stat > self._t_drift - 1e-6)
            p[near] = [_tail(v) for v in stat[near].tolist()]
            drift = np.flatnonzero(p < self.alpha_drift)
            end = int(drift[0]) + 1 if drift.size else t.size
            last = t0 + end - 1
            if drift.size:
                hits.append(last - prefix)
            p_last = math.nan
            if no[end - 1] >= w:
                p_last = _p_value(int(no[end - 1]), int(eo[end - 1]), int(nr[end - 1]), int(er[end - 1]))
            self._finish(seq, last, start, base_n, base_e, cum, p_last, bool(drift.size))
            if drift.size:
                start, base_n, base_e, t0, block = last + 1, 0, 0, last + 1, _FIRST_BLOCK
                if t0 < seq.size:
                    self._reset_state()
                    self._drift = False
            else:
                t0, block = t1, min(2 * block, _MAX_BLOCK)
        return hits

    def _finish(self, seq: np.ndarray, t: int, start: int, base_n: int, base_e: int, cum: np.ndarray,
                p: float, drift: bool) -> None:
        """Set the state to what it is after the update of ``seq[t]``."""
        c = base_n + (t - start + 1)
        nr = min(c, self.window_size)
        self._recent = collections.deque(int(v) for v in seq[t + 1 - nr:t + 1])
        self.n_older = c - nr
        self.errors_recent = int(cum[t + 1] - cum[t + 1 - nr])
        self.errors_older = int(base_e + cum[t + 1 - nr] - cum[start])
        if not math.isnan(p):
            self.p_value = float(p)
        self._drift = drift
        self._warning = not drift and self.p_value < self.alpha_warning and self.n_older >= self.window_size


@kernel
def _stepd_run(xs: Any, hits: Any, w: int, alpha_w: float, alpha_d: float, t_near: float, drift: bool,
               warning: bool, ring: Any, head: int, length: int, n_older: int, e_older: int, e_recent: int,
               p_value: float) -> tuple[Any, ...]:
    """STEPD over ``xs``, the recent window a ring buffer (``length`` bits from ``head`` in
    ``ring``): the drift indices go to ``hits``; returns the state and their number.

    The exact p-value (an ``erfc``) is computed only where the statistic is above ``t_near``,
    just below the drift's critical value, and at the last value, whose p-value and warning
    are the state left behind; elsewhere it cannot fire, and what it was is overwritten."""
    k, last = 0, len(xs) - 1
    for i, x in enumerate(xs):
        if drift:
            head = length = n_older = e_older = e_recent = 0
            p_value = nan
            drift = False
        e = 0 if x == 0.0 else 1
        if length == w:
            old = ring[head]
            head = head + 1 if head + 1 < w else 0
            length -= 1
            n_older += 1
            e_older += old
            e_recent -= old
        at = head + length
        ring[at - w if at >= w else at] = e
        length += 1
        e_recent += e
        warning = False
        if n_older >= w:
            ro, rr = n_older - e_older, length - e_recent
            acc_old, acc_recent = ro / n_older, rr / length
            p_value = 1.0
            if acc_recent < acc_old:
                inv = 1.0 / n_older + 1.0 / length
                p = (ro + rr) / (n_older + length)
                t = (acc_old - acc_recent - inv / 2.0) / sqrt(p * (1.0 - p) * inv)
                if t > t_near or i == last:
                    p_value = 0.5 * erfc(t / _SQRT2)
            drift = p_value < alpha_d
            warning = not drift and p_value < alpha_w
            if drift:
                hits[k] = i
                k += 1
    return drift, warning, head, length, n_older, e_older, e_recent, p_value, k


def _p_value(no: int, eo: int, nr: int, er: int) -> float:
    ro, rr = no - eo, nr - er
    acc_old, acc_recent = ro / no, rr / nr
    if not acc_recent < acc_old:
        return 1.0
    inv = 1.0 / no + 1.0 / nr
    p = (ro + rr) / (no + nr)
    return _tail((acc_old - acc_recent - inv / 2.0) / math.sqrt(p * (1.0 - p) * inv))


def _statistics(no: np.ndarray, eo: np.ndarray, nr: np.ndarray, er: np.ndarray) -> np.ndarray:
    """The statistic T of :func:`_p_value` over arrays, with the same floating-point
    operations; -inf where the recent accuracy is not the lower one (a p-value of 1)."""
    ro, rr = no - eo, nr - er
    acc_old, acc_recent = ro / no, rr / nr
    out = np.full(no.size, -math.inf)
    low = np.flatnonzero(acc_recent < acc_old)
    if low.size:
        ro, rr, no, nr = ro[low], rr[low], no[low], nr[low]
        inv = 1.0 / no + 1.0 / nr
        p = (ro + rr) / (no + nr)
        out[low] = (acc_old[low] - acc_recent[low] - inv / 2.0) / np.sqrt(p * (1.0 - p) * inv)
    return out


def _tail(t: float) -> float:
    """1 - Phi(t)."""
    return 0.5 * math.erfc(t / _SQRT2)


def _critical(alpha: float) -> float:
    """The t where :func:`_tail` crosses ``alpha`` (bisection, to about 1e-12)."""
    lo, hi = -40.0, 40.0
    for _ in range(200):
        mid = (lo + hi) / 2.0
        if _tail(mid) < alpha:
            hi = mid
        else:
            lo = mid
        if hi - lo < 1e-12:
            break
    return hi


def _finite(v: object) -> bool:
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool) \
        and math.isfinite(float(v))
