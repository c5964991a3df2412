"""DDM, the Drift Detection Method of Gama et al. (2004), on a stream of error indicators."""

from __future__ import annotations

import math
from collections.abc import Iterable
from math import inf, nan, sqrt
from typing import Any

import numpy as np

from driftline.errors import ParameterError
from driftline.streaming._accel import kernel
from driftline.streaming._base import DriftDetector
from driftline.streaming._checks import _bad_value, _check_int, _check_real, _is_unit

__all__ = ["DDM"]


class DDM(DriftDetector):
    """Drift Detection Method: an error rate rising above its best level so far.

    DDM watches the error rate :math:`p_i` of a learner and its binomial standard deviation
    :math:`s_i = \\sqrt{p_i (1 - p_i) / i}`. While the concept is stable the error rate should
    not rise, so the detector remembers :math:`p_{min}` and :math:`s_{min}`, the values at which
    :math:`p_i + s_i` was smallest, and flags a rise beyond them. After a drift the next update
    starts over, as in river.

    Feed ``1`` for an error (a wrong prediction) and ``0`` for a correct one; any value in
    ``[0, 1]`` is accepted, as river does.

    Parameters
    ----------
    warm_start : updates to see before anything can fire (the statistics still learn).
    warning_threshold : the warning level :math:`w`, in standard deviations (2 ≈ 95 %).
    drift_threshold : the drift level :math:`d`, in standard deviations (3 ≈ 99 %); at least
        ``warning_threshold``.

    Notes
    -----
    After ``warm_start`` updates, with :math:`(p_{min}, s_{min})` taken where
    :math:`p_i + s_i` is smallest:

    * warning when :math:`p_i + s_i > p_{min} + w\\,s_{min}`;
    * drift when :math:`p_i + s_i > p_{min} + d\\,s_{min}` (the warning is then cleared).

    The arithmetic is river 0.26's ``drift.binary.DDM`` step for step, so both fire at the same
    indices. Unlike river, a value outside ``[0, 1]`` is refused, and so is a
    ``warning_threshold`` above ``drift_threshold``.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(7)
    >>> errors = np.r_[rng.random(1000) < 0.1, rng.random(1000) < 0.4]
    >>> DDM().update_many(errors).tolist()
    [1029]

    References
    ----------
    .. [1] Gama, J., Medas, P., Castillo, G. and Rodrigues, P. (2004). Learning with drift
       detection. Advances in Artificial Intelligence – SBIA 2004, LNCS 3171, 286–295.
    """

    _params = ("warm_start", "warning_threshold", "drift_threshold")

    def __init__(self, warm_start: int = 30, warning_threshold: float = 2.0,
                 drift_threshold: float = 3.0) -> None:
        self.warm_start = _check_int("warm_start", warm_start, 0)
        self.warning_threshold = _check_real("warning_threshold", warning_threshold, 0.0, math.inf,
                                             "a positive finite float")
        self.drift_threshold = _check_real(
            "drift_threshold", drift_threshold, 0.0, math.inf,
            f"a positive finite float at least warning_threshold ({self.warning_threshold})")
        if self.drift_threshold < self.warning_threshold:
            raise ParameterError.invalid(
                "drift_threshold", drift_threshold,
                f"at least warning_threshold ({self.warning_threshold})",
                "Lower warning_threshold or raise drift_threshold.")
        super().__init__()

    def _reset_state(self) -> None:
        self._n = 0.0  # a float, like river's stats.Mean.n
        self._p = 0.0
        self._p_min: float | None = None
        self._s_min: float | None = None
        self._ps_min = math.inf

    def _get_state(self) -> dict[str, Any]:
        return {"n": self._n, "p": self._p, "p_min": self._p_min, "s_min": self._s_min,
                "ps_min": self._ps_min}

    def _set_state(self, state: dict[str, Any]) -> None:
        self._n = float(state["n"])
        self._p = float(state["p"])
        self._p_min = None if state["p_min"] is None else float(state["p_min"])
        self._s_min = None if state["s_min"] is None else float(state["s_min"])
        self._ps_min = float(state["ps_min"])

    def update(self, x: float) -> None:
        """Feed one error indicator (1 = error, 0 = correct)."""
        if not 0.0 <= x <= 1.0:
            raise self._refuse(x, "x")
        if self._drift:
            self.reset()
        n = self._n = self._n + 1.0
        p = self._p = self._p + (1.0 / n) * (x - self._p)
        if n > self.warm_start:
            s = math.sqrt(p * (1 - p) / n)
            ps = p + s
            if ps <= self._ps_min:
                self._p_min, self._s_min, self._ps_min = p, s, p + s
            p_min, s_min = self._p_min, self._s_min
            self._warning = ps > p_min + self.warning_threshold * s_min  # type: ignore[operator]
            if ps > p_min + self.drift_threshold * s_min:  # type: ignore[operator]
                self._drift = True
                self._warning = False

    def update_many(self, xs: Iterable[float]) -> np.ndarray:
        """Feed every value of ``xs`` in order; return the indices where drift fired.

        The steps of a loop of :meth:`update`, run by a kernel (compiled when numba is
        installed). Every value is checked before the first is used.
        """
        values = self._checked(xs)
        fn = _ddm_run.select(values.size)
        hits = np.empty(values.size, dtype=np.int64)
        p_min = math.nan if self._p_min is None else self._p_min
        s_min = math.nan if self._s_min is None else self._s_min
        (self._drift, self._warning, self._n, self._p, p_min, s_min, self._ps_min, k) = (fn or _ddm_run)(
            values if fn else values.tolist(), hits, self.warm_start, self.warning_threshold,
            self.drift_threshold, self._drift, self._warning, self._n, self._p, p_min, s_min, self._ps_min)
        self._p_min = None if math.isnan(p_min) else p_min
        self._s_min = None if math.isnan(s_min) else s_min
        return hits[:k].copy()

    def _accepts(self, values: np.ndarray) -> np.ndarray:
        return _is_unit(values)

    def _refuse(self, x: float, name: str) -> Exception:
        return _bad_value(x, name)


@kernel
def _ddm_run(xs: Any, hits: Any, warm: int, w_th: float, d_th: float, drift: bool, warning: bool,
             n: float, p: float, p_min: float, s_min: float, ps_min: float) -> tuple[Any, ...]:
    """DDM over ``xs``: the drift indices go to ``hits``; returns the state and their number.
    ``p_min`` and ``s_min`` are NaN before the first minimum."""
    k = 0
    # The two levels only change with (p_min, s_min): keep them.
    warn_at = drift_at = inf
    if p_min == p_min:
        warn_at, drift_at = p_min + w_th * s_min, p_min + d_th * s_min
    for i, x in enumerate(xs):
        if drift:
            drift = warning = False
            n = p = 0.0
            p_min = s_min = nan
            ps_min = warn_at = drift_at = inf
        n += 1.0
        p += (1.0 / n) * (x - p)
        if n > warm:
            s = sqrt(p * (1 - p) / n)
            ps = p + s
            if ps <= ps_min:
                p_min, s_min, ps_min = p, s, ps
                warn_at, drift_at = p + w_th * s, p + d_th * s
            warning = ps > warn_at
            if ps > drift_at:
                drift, warning = True, False
                hits[k] = i
                k += 1
    return drift, warning, n, p, p_min, s_min, ps_min, k
