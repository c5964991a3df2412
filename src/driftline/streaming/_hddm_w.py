"""HDDM_W, the McDiarmid-bound drift detector on weighted moving averages (Frías-Blanco et al.,
2015)."""

from __future__ import annotations

import math
from collections.abc import Iterable
from math import inf, sqrt
from typing import Any

import numpy as np

from driftline.streaming._accel import kernel
from driftline.streaming._base import DriftDetector
from driftline.streaming._checks import _bad_value, _check_real, _is_unit
from driftline.streaming._hddm_a import _check_confidences, _check_flag

__all__ = ["HDDM_W"]

# A sample is [ewma, started, ibc]: its exponentially weighted mean, whether it has seen a value
# (the first value is taken as the mean, as river's stats.EWMean does), and its independent
# bounded condition sum_i w_i^2. A new sample has not started and has ibc = 1.
_NEW = (0.0, False, 1.0)


class HDDM_W(DriftDetector):
    """Hoeffding's drift detection method with the W-test (weighted moving averages).

    HDDM_W follows an exponentially weighted moving average (EWMA) of the stream, which weighs
    recent values more, and compares the EWMA of the values since a cut point with the EWMA up
    to it. The cut point is where the overall EWMA plus its McDiarmid bound was lowest. A rise
    beyond McDiarmid's bound for the difference is a drift (or a warning at the looser
    confidence). It reacts faster than :class:`HDDM_A` to abrupt changes. After a drift the next
    update starts over, as in river.

    Feed values in ``[0, 1]``: ``1`` for an error and ``0`` for a correct prediction, or any
    bounded score rescaled to ``[0, 1]``.

    Parameters
    ----------
    drift_confidence : the significance :math:`\\delta_d` of the drift test, in (0, 1).
    warning_confidence : the significance :math:`\\delta_w` of the warning test, in (0, 1) and
        at least ``drift_confidence``.
    lambda_val : the EWMA weight :math:`\\lambda` of the newest value, in (0, 1]; a larger value
        forgets faster.
    two_sided_test : also detect a fall of the mean (by default only a rise is detected).

    Notes
    -----
    Each sample keeps :math:`\\hat\\mu \\leftarrow \\lambda x + (1 - \\lambda)\\hat\\mu` (its first
    value as the start) and :math:`v \\leftarrow \\lambda^2 + (1 - \\lambda)^2 v` from
    :math:`v = 1`. With :math:`\\epsilon(v, \\delta) = \\sqrt{v \\ln(1/\\delta) / 2}`, the cut point
    moves to now when :math:`\\hat\\mu_{all} + \\epsilon(v_{all}, \\delta_d)` reaches a new
    minimum; the sample since the cut point restarts then. A rise is detected at level
    :math:`\\delta` when
    :math:`\\hat\\mu_{since} - \\hat\\mu_{cut} > \\epsilon(v_{cut} + v_{since}, \\delta)`.

    The arithmetic is river 0.26's ``drift.binary.HDDM_W`` step for step, so both fire at the
    same indices. Unlike river, values outside ``[0, 1]`` and a ``warning_confidence`` below
    ``drift_confidence`` are refused. The trackers for a fall are only updated by a two-sided
    detector, since a one-sided one never reads them (river updates them anyway).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(7)
    >>> errors = np.r_[rng.random(1000) < 0.1, rng.random(1000) < 0.4]
    >>> HDDM_W().update_many(errors).tolist()
    [1037]

    References
    ----------
    .. [1] Frías-Blanco, I., del Campo-Ávila, J., Ramos-Jiménez, G., Morales-Bueno, R.,
       Ortiz-Díaz, A. and Caballero-Mota, Y. (2015). Online and non-parametric drift detection
       methods based on Hoeffding's bounds. IEEE Transactions on Knowledge and Data
       Engineering, 27(3), 810–823.
    """

    _params = ("drift_confidence", "warning_confidence", "lambda_val", "two_sided_test")

    def __init__(self, drift_confidence: float = 0.001, warning_confidence: float = 0.005,
                 lambda_val: float = 0.05, two_sided_test: bool = False) -> None:
        self.drift_confidence, self.warning_confidence = _check_confidences(
            drift_confidence, warning_confidence)
        self.lambda_val = _check_real("lambda_val", lambda_val, 0.0, 1.0, "a float in (0, 1]")
        self.two_sided_test = _check_flag("two_sided_test", two_sided_test)
        lam = self.lambda_val
        self._lam_sq, self._c_lam_sq = lam * lam, (1 - lam) ** 2
        self._log_drift = math.log(1 / self.drift_confidence)
        self._log_warn = math.log(1 / self.warning_confidence)
        super().__init__()

    def _reset_state(self) -> None:
        self._total = _NEW
        self._incr_cut, self._incr_s1, self._incr_s2 = math.inf, _NEW, _NEW
        self._decr_cut, self._decr_s1, self._decr_s2 = -math.inf, _NEW, _NEW

    def _get_state(self) -> dict[str, Any]:
        return {"total": self._total, "incr": [self._incr_cut, self._incr_s1, self._incr_s2],
                "decr": [self._decr_cut, self._decr_s1, self._decr_s2]}

    def _set_state(self, state: dict[str, Any]) -> None:
        def sample(v: list[Any]) -> tuple[float, bool, float]:
            return float(v[0]), bool(v[1]), float(v[2])

        self._total = sample(state["total"])
        cut, s1, s2 = state["incr"]
        self._incr_cut, self._incr_s1, self._incr_s2 = float(cut), sample(s1), sample(s2)
        cut, s1, s2 = state["decr"]
        self._decr_cut, self._decr_s1, self._decr_s2 = float(cut), sample(s1), sample(s2)

    def _step(self, s: tuple[float, bool, float], x: float) -> tuple[float, bool, float]:
        lam = self.lambda_val
        ewma = lam * x + (1 - lam) * s[0] if s[1] else x
        return ewma, True, self._lam_sq + self._c_lam_sq * s[2]

    def update(self, x: float) -> None:
        """Feed one value in [0, 1] (1 = error, 0 = correct)."""
        if not 0.0 <= x <= 1.0:
            raise self._refuse(x, "x")
        if self._drift:
            self.reset()
        x = float(x)
        total = self._total = self._step(self._total, x)
        eps = math.sqrt(total[2] * self._log_drift / 2)
        if total[0] + eps < self._incr_cut:
            self._incr_cut, self._incr_s1, self._incr_s2 = total[0] + eps, total, _NEW
        else:
            self._incr_s2 = self._step(self._incr_s2, x)
        self._drift = self._warning = False
        s1, s2 = self._incr_s1, self._incr_s2
        if s1[1] and s2[1]:
            self._flag(s2[0] - s1[0], s1[2] + s2[2], True)
        if self.two_sided_test:
            if total[0] - eps > self._decr_cut:
                self._decr_cut, self._decr_s1, self._decr_s2 = total[0] - eps, total, _NEW
            else:
                self._decr_s2 = self._step(self._decr_s2, x)
            s1, s2 = self._decr_s1, self._decr_s2
            if s1[1] and s2[1]:
                self._flag(s1[0] - s2[0], s2[2] + s1[2], False)

    def _flag(self, gap: float, ibc: float, rise: bool) -> None:
        """Set the flags for a rise (``rise``) or, on top of them, for a fall, as river does."""
        if gap > math.sqrt(ibc * self._log_drift / 2):
            self._drift = True
            if rise:
                self._warning = False
        elif gap > math.sqrt(ibc * self._log_warn / 2):
            self._warning = True

    def update_many(self, xs: Iterable[float]) -> np.ndarray:
        """Feed every value of ``xs`` in order; return the indices where drift fired.

        The steps of a loop of :meth:`update`, run by a kernel (compiled when numba is
        installed). Every value is checked before the first is used.
        """
        values = self._checked(xs)
        fn = _hddm_w_run.select(values.size)
        hits = np.empty(values.size, dtype=np.int64)
        params = (self.lambda_val, self._lam_sq, self._c_lam_sq, self._log_drift, self._log_warn,
                  self.two_sided_test)
        state = (self._drift, self._warning, *self._total, self._incr_cut, *self._incr_s1, *self._incr_s2,
                 self._decr_cut, *self._decr_s1, *self._decr_s2)
        out = (fn or _hddm_w_run)(values if fn else values.tolist(), hits, *params, *state)
        self._drift, self._warning = out[0], out[1]
        self._total, self._incr_cut, self._incr_s1, self._incr_s2 = out[2:5], out[5], out[6:9], out[9:12]
        self._decr_cut, self._decr_s1, self._decr_s2 = out[12], out[13:16], out[16:19]
        return hits[:out[19]].copy()

    def _accepts(self, values: np.ndarray) -> np.ndarray:
        return _is_unit(values)

    def _refuse(self, x: float, name: str) -> Exception:
        return _bad_value(x, name)


@kernel
def _hddm_w_run(xs: Any, hits: Any, lam: float, lam_sq: float, c_lam_sq: float, log_drift: float,
                log_warn: float, two_sided: bool, drift: bool, warning: bool,
                t_mu: float, t_on: bool, t_v: float,
                cut: float, a_mu: float, a_on: bool, a_v: float, b_mu: float, b_on: bool, b_v: float,
                dcut: float, c_mu: float, c_on: bool, c_v: float, d_mu: float, d_on: bool,
                d_v: float) -> tuple[Any, ...]:
    """HDDM_W over ``xs``: the drift indices go to ``hits``; returns the state and their number.

    The samples are (mean, started, ibc) triples: ``t`` of all values, ``a`` up to and ``b``
    since the cut point ``cut`` of a rise, ``c`` and ``d`` likewise for a fall (``dcut``)."""
    c_lam = 1 - lam
    k = 0
    for i, x in enumerate(xs):
        if drift:
            t_mu, t_on, t_v = 0.0, False, 1.0
            cut, a_mu, a_on, a_v, b_mu, b_on, b_v = inf, 0.0, False, 1.0, 0.0, False, 1.0
            dcut, c_mu, c_on, c_v, d_mu, d_on, d_v = -inf, 0.0, False, 1.0, 0.0, False, 1.0
        t_mu = lam * x + c_lam * t_mu if t_on else x
        t_on, t_v = True, lam_sq + c_lam_sq * t_v
        eps = sqrt(t_v * log_drift / 2)
        if t_mu + eps < cut:
            cut, a_mu, a_on, a_v = t_mu + eps, t_mu, t_on, t_v
            b_mu, b_on, b_v = 0.0, False, 1.0
        else:
            b_mu = lam * x + c_lam * b_mu if b_on else x
            b_on, b_v = True, lam_sq + c_lam_sq * b_v
        drift = warning = False
        if a_on and b_on:
            gap, ibc = b_mu - a_mu, a_v + b_v
            if gap > sqrt(ibc * log_drift / 2):
                drift = True
            elif gap > sqrt(ibc * log_warn / 2):
                warning = True
        if two_sided:
            if t_mu - eps > dcut:
                dcut, c_mu, c_on, c_v = t_mu - eps, t_mu, t_on, t_v
                d_mu, d_on, d_v = 0.0, False, 1.0
            else:
                d_mu = lam * x + c_lam * d_mu if d_on else x
                d_on, d_v = True, lam_sq + c_lam_sq * d_v
            if c_on and d_on:
                gap, ibc = c_mu - d_mu, d_v + c_v
                if gap > sqrt(ibc * log_drift / 2):
                    drift = True
                elif gap > sqrt(ibc * log_warn / 2):
                    warning = True
        if drift:
            hits[k] = i
            k += 1
    return (drift, warning, t_mu, t_on, t_v, cut, a_mu, a_on, a_v, b_mu, b_on, b_v,
            dcut, c_mu, c_on, c_v, d_mu, d_on, d_v, k)
