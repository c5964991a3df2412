"""RDDM: the Reactive Drift Detection Method."""

from __future__ import annotations

import math
import sys
from collections.abc import Iterable
from math import sqrt
from typing import Any

import numpy as np

from driftline.errors import ParameterError
from driftline.streaming._accel import kernel
from driftline.streaming._base import DriftDetector
from driftline.streaming._checks import _bad_data, _check_int, _is_bit

__all__ = ["RDDM"]

_MAX = sys.float_info.max
_TO_TEXT = bytes.maketrans(b"\x00\x01", b"01")
_FROM_TEXT = bytes.maketrans(b"01", b"\x00\x01")


class RDDM(DriftDetector):
    """RDDM: detects a rise of a classifier's error rate as DDM does, and stays reactive on
    long concepts by periodically recomputing its statistics from recent predictions only.

    Input: ``1`` for an error, ``0`` for a correct prediction. Like DDM, the detector tracks
    the error rate :math:`p` and its deviation :math:`s = \\sqrt{p(1-p)/n}` with their minimum
    :math:`p_{min} + s_{min}`, and signals a warning when :math:`p + s > p_{min} + w \\cdot s_{min}`
    and a drift when :math:`p + s > p_{min} + d \\cdot s_{min}`. Unlike DDM it keeps the last
    ``min_size_stable_concept`` predictions and:

    - after a drift, restarts from the predictions since the warning began (or from the
      drift's own prediction), instead of from nothing;
    - once a concept is longer than ``max_size_concept`` (outside a warning), silently
      recomputes :math:`p` and :math:`s` from the stored predictions, so that a long stable
      concept does not make the detector sluggish;
    - turns a warning that lasts ``warning_limit`` predictions into a drift.

    After a drift the next update restarts. The algorithm and its arithmetic follow the
    authors' MOA implementation (``moa.classifiers.core.driftdetection.RDDM``).

    Parameters
    ----------
    min_instances : predictions to see before a warning or a drift may be signalled.
    warning_level : the warning multiplier :math:`w` of :math:`s_{min}`.
    drift_level : the drift multiplier :math:`d` of :math:`s_{min}`.
    max_size_concept : concept length after which the statistics are recomputed; at least
        ``min_size_stable_concept + 2`` (a recomputation replays up to
        ``min_size_stable_concept`` predictions, so a smaller value would recompute at every
        update, which MOA accepts).
    min_size_stable_concept : number of recent predictions stored (and replayed on restart).
    warning_limit : a warning this many predictions long becomes a drift.

    Notes
    -----
    As in MOA, the counter :math:`n` starts at 1 and the error-rate estimate at 1, so the first
    prediction sets :math:`p` to its value; tests start once :math:`n` > ``min_instances``.
    After a drift the minimum :math:`p_{min} + s_{min}` is forgotten and rebuilt while the stored
    predictions are replayed; after a silent recomputation it is kept.

    The levels are DDM's made more sensitive: on a steady error rate of 0.1 to 0.3 the
    defaults raise about 0.5 to 0.9 false alarms per 1,000 predictions (as MOA's code does),
    most of them early in a concept, and catch a rise from 0.1 to 0.4 after about 40
    predictions.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(9)
    >>> errors = np.concatenate([rng.random(2000) < 0.1, rng.random(1000) < 0.3]).astype(int)
    >>> RDDM().update_many(errors).tolist()
    [2164]

    References
    ----------
    .. [1] Barros, R. S. M., Cabral, D. R. L., Gonçalves Jr., P. M., & Santos, S. G. T. C.
       (2017). RDDM: Reactive drift detection method. *Expert Systems with Applications*, 90,
       344–355.
    """

    _params = ("min_instances", "warning_level", "drift_level", "max_size_concept",
               "min_size_stable_concept", "warning_limit")

    def __init__(
        self,
        min_instances: int = 129,
        warning_level: float = 1.773,
        drift_level: float = 2.258,
        max_size_concept: int = 40000,
        min_size_stable_concept: int = 7000,
        warning_limit: int = 1400,
    ) -> None:
        _check_int("min_instances", min_instances, 0)
        for name, value in (("warning_level", warning_level), ("drift_level", drift_level)):
            if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
                    or not math.isfinite(float(value)) or value <= 0:
                raise ParameterError.invalid(name, value, "a finite float > 0")
        _check_int("max_size_concept", max_size_concept, 1)
        _check_int("min_size_stable_concept", min_size_stable_concept, 1)
        _check_int("warning_limit", warning_limit, 1)
        if max_size_concept < min_size_stable_concept + 2:
            raise ParameterError.invalid(
                "max_size_concept", max_size_concept,
                f"an integer >= min_size_stable_concept + 2 (= {min_size_stable_concept + 2})",
                "Otherwise every update would recompute the statistics from the whole store.")
        self.min_instances = int(min_instances)
        self.warning_level = float(warning_level)
        self.drift_level = float(drift_level)
        self.max_size_concept = int(max_size_concept)
        self.min_size_stable_concept = int(min_size_stable_concept)
        self.warning_limit = int(warning_limit)
        super().__init__()

    # -- state ---------------------------------------------------------------------------
    _INTS = ("n", "n_stored", "first_pos", "last_pos", "last_warn_pos", "last_warn_inst", "inst_num")
    _FLOATS = ("p", "s", "p_min", "s_min", "ps_min")

    def _reset_state(self) -> None:
        self._stored = bytearray(self.min_size_stable_concept)
        self.n_stored = 0
        self.first_pos = 0
        self.last_pos = -1  # the store is empty
        self.last_warn_pos = -1
        self.last_warn_inst = -1
        self.inst_num = 0
        self._rddm_drift = False
        self.n, self.p, self.s = 1, 1.0, 0.0
        self.p_min = self.s_min = self.ps_min = _MAX

    def _get_state(self) -> dict[str, Any]:
        state: dict[str, Any] = {k: getattr(self, k) for k in self._INTS + self._FLOATS}
        state["rddm_drift"] = self._rddm_drift
        state["stored"] = self._stored.translate(_TO_TEXT).decode("ascii")  # "0110…", one char each
        return state

    def _set_state(self, state: dict[str, Any]) -> None:
        for k in self._INTS:
            setattr(self, k, int(state[k]))
        for k in self._FLOATS:
            setattr(self, k, float(state[k]))
        self._rddm_drift = bool(state["rddm_drift"])
        self._stored = bytearray(str(state["stored"]).encode("ascii").translate(_FROM_TEXT))

    # -- the protocol --------------------------------------------------------------------
    def update(self, x: float) -> None:
        """Feed one prediction outcome: 1 (error) or 0 (correct)."""
        if x != 0 and x != 1:
            raise self._refuse(x, "x")
        e = 1 if x else 0
        if self._rddm_drift:
            self._restart()
        size = self.min_size_stable_concept
        self.last_pos = (self.last_pos + 1) % size
        self._stored[self.last_pos] = e
        if self.n_stored < size:
            self.n_stored += 1
        else:  # the store is full: its start moves
            self.first_pos = (self.first_pos + 1) % size
            if self.last_warn_pos == self.last_pos:
                self.last_warn_pos = -1
        self.p += (e - self.p) / self.n
        self.s = math.sqrt(self.p * (1 - self.p) / self.n)
        self.inst_num += 1
        self.n += 1
        self._warning = False
        if self.n <= self.min_instances:
            return
        self._test()

    def update_many(self, xs: Iterable[float]) -> np.ndarray:
        """Feed every value of ``xs`` in order; return the indices where drift fired.

        The steps of a loop of :meth:`update`, run by a kernel (compiled when numba is
        installed). Every value is checked before the first is used."""
        values = self._checked(xs)
        fn = _rddm_run.select(values.size)
        hits = np.empty(values.size, dtype=np.int64)
        params = (self.min_instances, self.warning_level, self.drift_level, self.max_size_concept,
                  self.min_size_stable_concept, self.warning_limit)
        # the compiled kernel writes through a view of the store; the pure one indexes it as it is
        stored = np.frombuffer(self._stored, dtype=np.uint8) if fn else self._stored
        out = (fn or _rddm_run)(
            values if fn else values.tolist(), hits, *params, stored, self._drift, self._warning,
            self._rddm_drift, self.n_stored, self.first_pos, self.last_pos, self.last_warn_pos,
            self.last_warn_inst, self.inst_num, self.n, self.p, self.s, self.p_min, self.s_min, self.ps_min)
        self._drift, self._warning, self._rddm_drift = out[:3]
        (self.n_stored, self.first_pos, self.last_pos, self.last_warn_pos, self.last_warn_inst,
         self.inst_num, self.n) = out[3:10]
        self.p, self.s, self.p_min, self.s_min, self.ps_min = out[10:15]
        return hits[:out[15]].copy()

    def _accepts(self, values: np.ndarray) -> np.ndarray:
        return _is_bit(values)

    def _refuse(self, x: float, name: str) -> Exception:
        return _bad_data("RDDM", x, name, "1 (error) or 0 (correct)")

    def _test(self) -> None:
        p, s = self.p, self.s
        if p + s < self.ps_min:
            self.p_min, self.s_min, self.ps_min = p, s, p + s
        if p + s > self.p_min + self.drift_level * self.s_min:  # DDM drift
            self._drift = self._rddm_drift = True
            if self.last_warn_inst == -1:  # without a warning before it
                self.first_pos, self.n_stored = self.last_pos, 1
            return
        if p + s > self.p_min + self.warning_level * self.s_min:
            if self.last_warn_inst != -1 and self.last_warn_inst + self.warning_limit <= self.inst_num:
                # a warning that lasted warning_limit predictions becomes a drift
                self._drift = self._rddm_drift = True
                self.first_pos, self.n_stored = self.last_pos, 1
                self.last_warn_pos = self.last_warn_inst = -1
                return
            self._warning = True
            if self.last_warn_inst == -1:
                self.last_warn_inst, self.last_warn_pos = self.inst_num, self.last_pos
        else:  # neither drift nor warning: forget a false warning
            self.last_warn_inst = self.last_warn_pos = -1
        if self.n > self.max_size_concept and not self._warning:  # concept too long: recompute
            self._rddm_drift = True

    def _restart(self) -> None:
        """Recompute the statistics from the stored predictions (after a drift, from the
        warning's start)."""
        drifted, size = self._drift, self.min_size_stable_concept
        self.n, self.p, self.s = 1, 1.0, 0.0
        if drifted:
            self.p_min = self.s_min = self.ps_min = _MAX
        if self.last_warn_pos != -1:
            self.first_pos = self.last_warn_pos
            self.n_stored = self.last_pos - self.first_pos + 1
            if self.n_stored <= 0:
                self.n_stored += size
        pos, stored, m0 = self.first_pos, self._stored, self.min_instances
        n, p, s = 1, 1.0, 0.0
        for _ in range(self.n_stored):
            p += (stored[pos] - p) / n
            s = math.sqrt(p * (1 - p) / n)
            if drifted and n > m0 and p + s < self.ps_min:
                self.p_min, self.s_min, self.ps_min = p, s, p + s
            n += 1
            pos = (pos + 1) % size
        self.n, self.p, self.s = n, p, s
        self.last_warn_pos = self.last_warn_inst = -1
        self._rddm_drift = False
        self._drift = False


@kernel
def _rddm_run(xs: Any, hits: Any, m0: int, w_level: float, d_level: float, max_size: int, size: int,
              limit: int, stored: Any, drift: bool, warning: bool, rddm_drift: bool, n_stored: int,
              first_pos: int, last_pos: int, last_warn_pos: int, last_warn_inst: int, inst_num: int,
              n: int, p: float, s: float, p_min: float, s_min: float, ps_min: float) -> tuple[Any, ...]:
    """RDDM over ``xs`` (``update``, ``_test`` and ``_restart`` in one loop, the store a ring
    of ``size`` bits): the drift indices go to ``hits``; returns the state and their number."""
    k = 0
    for i, x in enumerate(xs):
        e = 0 if x == 0.0 else 1
        if rddm_drift:  # RDDM._restart
            if drift:
                p_min = s_min = ps_min = _MAX
            if last_warn_pos != -1:
                first_pos = last_warn_pos
                n_stored = last_pos - first_pos + 1
                if n_stored <= 0:
                    n_stored += size
            n, p, s, p_min, s_min, ps_min = _rddm_replay(stored, first_pos, n_stored, size, m0, drift,
                                                         p_min, s_min, ps_min)
            last_warn_pos = last_warn_inst = -1
            rddm_drift = drift = False
        last_pos = last_pos + 1 if last_pos + 1 < size else 0
        stored[last_pos] = e
        if n_stored < size:
            n_stored += 1
        else:
            first_pos = first_pos + 1 if first_pos + 1 < size else 0
            if last_warn_pos == last_pos:
                last_warn_pos = -1
        p += (e - p) / n
        s = sqrt(p * (1 - p) / n)
        inst_num += 1
        n += 1
        warning = False
        if n <= m0:
            continue
        ps = p + s  # RDDM._test
        if ps < ps_min:
            p_min, s_min, ps_min = p, s, ps
        if ps > p_min + d_level * s_min:  # a drift: the store restarts at the warning, if any
            drift = rddm_drift = True
            if last_warn_inst == -1:
                first_pos, n_stored = last_pos, 1
        elif ps > p_min + w_level * s_min:
            if last_warn_inst != -1 and last_warn_inst + limit <= inst_num:
                # a warning that lasted warning_limit predictions becomes a drift
                drift = rddm_drift = True
                first_pos, n_stored = last_pos, 1
                last_warn_pos = last_warn_inst = -1
            else:
                warning = True
                if last_warn_inst == -1:
                    last_warn_inst, last_warn_pos = inst_num, last_pos
        else:  # neither drift nor warning: forget a false warning
            last_warn_inst = last_warn_pos = -1
        if drift:
            hits[k] = i
            k += 1
        elif n > max_size and not warning:  # concept too long: recompute
            rddm_drift = True
    return (drift, warning, rddm_drift, n_stored, first_pos, last_pos, last_warn_pos, last_warn_inst,
            inst_num, n, p, s, p_min, s_min, ps_min, k)


@kernel
def _rddm_replay(stored: Any, pos: int, count: int, size: int, m0: int, drifted: bool, p_min: float,
                 s_min: float, ps_min: float) -> tuple[Any, ...]:
    """The statistics of ``count`` stored bits from ``pos`` on, and (after a drift) their
    minimum: (n, p, s, p_min, s_min, ps_min), as ``RDDM._restart`` computes them."""
    n, p, s = 1, 1.0, 0.0
    for _ in range(count):
        p += (stored[pos] - p) / n
        s = sqrt(p * (1 - p) / n)
        if drifted and n > m0 and p + s < ps_min:
            p_min, s_min, ps_min = p, s, p + s
        n += 1
        pos = pos + 1 if pos + 1 < size else 0
    return n, p, s, p_min, s_min, ps_min
