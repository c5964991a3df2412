"""HDDM_A, the Hoeffding-bound drift detector on moving averages (Frías-Blanco et al., 2015)."""

from __future__ import annotations

import math
from collections.abc import Iterable
from math import sqrt
from typing import Any

import numpy as np

from driftline.errors import ParameterError
from driftline.streaming._accel import kernel
from driftline.streaming._base import DriftDetector
from driftline.streaming._checks import _bad_value, _check_real, _is_unit

__all__ = ["HDDM_A"]


def _check_confidences(drift_confidence: Any, warning_confidence: Any) -> tuple[float, float]:
    """Both in (0, 1), the warning one at least the drift one (a looser test)."""
    drift = _check_real("drift_confidence", drift_confidence, 0.0, 1.0, "a float in (0, 1)")
    warn = _check_real("warning_confidence", warning_confidence, 0.0, 1.0, "a float in (0, 1)")
    if drift == 1.0:
        raise ParameterError.invalid("drift_confidence", drift_confidence, "a float in (0, 1)")
    if warn == 1.0:
        raise ParameterError.invalid("warning_confidence", warning_confidence, "a float in (0, 1)")
    if warn < drift:
        raise ParameterError.invalid(
            "warning_confidence", warning_confidence,
            f"at least drift_confidence ({drift})", "The warning test must be the looser one.")
    return drift, warn


def _check_flag(name: str, value: Any) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise ParameterError.invalid(name, value, "True or False")
    return bool(value)


class HDDM_A(DriftDetector):
    """Hoeffding's drift detection method with the A-test (moving averages).

    HDDM_A compares the mean of everything seen so far with the mean up to a cut point: the
    moment at which the running mean, plus its Hoeffding bound, was lowest. A rise of the mean
    since the cut point that exceeds the Hoeffding bound for the difference of two means is a
    drift (or a warning at the looser confidence). It makes no assumption on the distribution
    beyond bounded values. After a drift the next update starts over, as in river.

    Feed values in ``[0, 1]``: ``1`` for an error and ``0`` for a correct prediction, or any
    bounded score rescaled to ``[0, 1]``.

    Parameters
    ----------
    drift_confidence : the significance :math:`\\delta_d` of the drift test, in (0, 1).
    warning_confidence : the significance :math:`\\delta_w` of the warning test, in (0, 1) and
        at least ``drift_confidence``.
    two_sided_test : also detect a fall of the mean (by default only a rise is detected).

    Notes
    -----
    With :math:`\\bar z` the mean of the :math:`n` values seen and :math:`\\bar x` the mean of
    the :math:`c` values before the cut point, the cut point moves to now whenever
    :math:`\\bar x + \\epsilon_c \\ge \\bar z + \\epsilon_n`, with
    :math:`\\epsilon_k = \\sqrt{\\ln(1/\\delta_d) / (2k)}`. A rise is detected at level
    :math:`\\delta` when

    .. math:: \\bar z - \\bar x \\ge \\sqrt{\\frac{n - c}{2 c n} \\ln\\frac{2}{\\delta}}.

    The two-sided test tracks a second cut point for falls, symmetrically. The arithmetic is
    river 0.26's ``drift.binary.HDDM_A`` step for step, so both fire at the same indices.
    Unlike river, values outside ``[0, 1]`` and a ``warning_confidence`` below
    ``drift_confidence`` are refused.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(7)
    >>> errors = np.r_[rng.random(1000) < 0.1, rng.random(1000) < 0.4]
    >>> HDDM_A().update_many(errors).tolist()
    [1040]

    References
    ----------
    .. [1] Frías-Blanco, I., del Campo-Ávila, J., Ramos-Jiménez, G., Morales-Bueno, R.,
       Ortiz-Díaz, A. and Caballero-Mota, Y. (2015). Online and non-parametric drift detection
       methods based on Hoeffding's bounds. IEEE Transactions on Knowledge and Data
       Engineering, 27(3), 810–823.
    """

    _params = ("drift_confidence", "warning_confidence", "two_sided_test")

    def __init__(self, drift_confidence: float = 0.001, warning_confidence: float = 0.005,
                 two_sided_test: bool = False) -> None:
        self.drift_confidence, self.warning_confidence = _check_confidences(
            drift_confidence, warning_confidence)
        self.two_sided_test = _check_flag("two_sided_test", two_sided_test)
        # The logarithms river recomputes at every update: the same numbers, computed once.
        self._log_cut = math.log(1.0 / self.drift_confidence)
        self._log_drift = math.log(2.0 / self.drift_confidence)
        self._log_warn = math.log(2.0 / self.warning_confidence)
        super().__init__()

    def _reset_state(self) -> None:
        # (count, mean) of all values, and of the values up to each cut point (a count of 0.0:
        # no cut point yet). Counts are floats, like river's stats.Mean.n.
        self._z_n = self._z_mean = 0.0
        self._lo_n = self._lo_mean = 0.0  # the cut point for a rise
        self._hi_n = self._hi_mean = 0.0  # the cut point for a fall

    def _get_state(self) -> dict[str, Any]:
        return {"z": [self._z_n, self._z_mean], "lo": [self._lo_n, self._lo_mean],
                "hi": [self._hi_n, self._hi_mean]}

    def _set_state(self, state: dict[str, Any]) -> None:
        self._z_n, self._z_mean = (float(v) for v in state["z"])
        self._lo_n, self._lo_mean = (float(v) for v in state["lo"])
        self._hi_n, self._hi_mean = (float(v) for v in state["hi"])

    def update(self, x: float) -> None:
        """Feed one value in [0, 1] (1 = error, 0 = correct)."""
        if not 0.0 <= x <= 1.0:
            raise self._refuse(x, "x")
        if self._drift:
            self.reset()
        z_n = self._z_n = self._z_n + 1.0
        z = self._z_mean = self._z_mean + (1.0 / z_n) * (x - self._z_mean)
        if self._lo_n == 0:
            self._lo_n, self._lo_mean = z_n, z
        if self._hi_n == 0:
            self._hi_n, self._hi_mean = z_n, z
        log_cut, sqrt = self._log_cut, math.sqrt
        eps_z = sqrt(1.0 / (2 * z_n) * log_cut)
        if self._lo_mean + sqrt(1.0 / (2 * self._lo_n) * log_cut) >= z + eps_z:
            self._lo_n, self._lo_mean = z_n, z
        if self._hi_mean - sqrt(1.0 / (2 * self._hi_n) * log_cut) <= z - eps_z:
            self._hi_n, self._hi_mean = z_n, z
        drift = warning = False
        c = self._lo_n
        if c != z_n:
            m = (z_n - c) / c * (1.0 / z_n) / 2
            gap = z - self._lo_mean
            if gap >= sqrt(m * self._log_drift):
                drift = True
            elif gap >= sqrt(m * self._log_warn):
                warning = True
        c = self._hi_n
        if self.two_sided_test and c != z_n:
            m = (z_n - c) / c * (1.0 / z_n) / 2
            gap = self._hi_mean - z
            if gap >= sqrt(m * self._log_drift):
                drift = True
            elif gap >= sqrt(m * self._log_warn):
                warning = True
        self._drift, self._warning = drift, warning

    def update_many(self, xs: Iterable[float]) -> np.ndarray:
        """Feed every value of ``xs`` in order; return the indices where drift fired.

        The steps of a loop of :meth:`update`, run by a kernel (compiled when numba is
        installed). Every value is checked before the first is used.
        """
        values = self._checked(xs)
        fn = _hddm_a_run.select(values.size)
        hits = np.empty(values.size, dtype=np.int64)
        (self._drift, self._warning, self._z_n, self._z_mean, self._lo_n, self._lo_mean, self._hi_n,
         self._hi_mean, k) = (fn or _hddm_a_run)(
            values if fn else values.tolist(), hits, self._log_cut, self._log_drift, self._log_warn,
            self.two_sided_test, self._drift, self._warning, self._z_n, self._z_mean, self._lo_n,
            self._lo_mean, self._hi_n, self._hi_mean)
        return hits[:k].copy()

    def _accepts(self, values: np.ndarray) -> np.ndarray:
        return _is_unit(values)

    def _refuse(self, x: float, name: str) -> Exception:
        return _bad_value(x, name)


@kernel
def _hddm_a_run(xs: Any, hits: Any, log_cut: float, log_drift: float, log_warn: float, two_sided: bool,
                drift: bool, warning: bool, z_n: float, z: float, lo_n: float, lo: float, hi_n: float,
                hi: float) -> tuple[Any, ...]:
    """HDDM_A over ``xs``: the drift indices go to ``hits``; returns the state and their number."""
    k = 0
    # The bound of a cut point only changes when the cut point moves: keep it.
    eps_lo = sqrt(1.0 / (2 * lo_n) * log_cut) if lo_n else 0.0
    eps_hi = sqrt(1.0 / (2 * hi_n) * log_cut) if hi_n else 0.0
    for i, x in enumerate(xs):
        if drift:
            z_n = z = lo_n = lo = hi_n = hi = 0.0
        z_n += 1.0
        z += (1.0 / z_n) * (x - z)
        eps_z = sqrt(1.0 / (2 * z_n) * log_cut)
        if lo_n == 0:
            lo_n, lo, eps_lo = z_n, z, eps_z
        if hi_n == 0:
            hi_n, hi, eps_hi = z_n, z, eps_z
        if lo + eps_lo >= z + eps_z:
            lo_n, lo, eps_lo = z_n, z, eps_z
        if hi - eps_hi <= z - eps_z:
            hi_n, hi, eps_hi = z_n, z, eps_z
        drift = warning = False
        # A bound is positive, so no change can be seen without a positive gap.
        if z > lo and lo_n != z_n:
            m = (z_n - lo_n) / lo_n * (1.0 / z_n) / 2
            if z - lo >= sqrt(m * log_drift):
                drift = True
            elif z - lo >= sqrt(m * log_warn):
                warning = True
        if two_sided and hi > z and hi_n != z_n:
            m = (z_n - hi_n) / hi_n * (1.0 / z_n) / 2
            if hi - z >= sqrt(m * log_drift):
                drift = True
            elif hi - z >= sqrt(m * log_warn):
                warning = True
        if drift:
            hits[k] = i
            k += 1
    return drift, warning, z_n, z, lo_n, lo, hi_n, hi, k
