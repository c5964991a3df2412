"""Page-Hinkley test for a change in the mean of a real-valued stream."""

from __future__ import annotations

import math
from collections.abc import Iterable
from math import inf
from typing import Any

import numpy as np

from driftline.errors import ParameterError
from driftline.streaming._accel import kernel
from driftline.streaming._base import DriftDetector
from driftline.streaming._checks import _bad_data, _check_int

__all__ = ["PageHinkley"]

_MODES = ("up", "down", "both")


class PageHinkley(DriftDetector):
    """Page-Hinkley test: detects a change in the mean of a stream of real values.

    Each value's deviation from the running mean, less (or plus) an allowance ``delta``,
    is added to a fading cumulative sum. Drift is signalled when the sum has risen more than
    ``threshold`` above its lowest point (an increase of the mean) or fallen more than
    ``threshold`` below its highest point (a decrease). After a drift the next update
    starts afresh. There is no warning zone. Fires at exactly the same indices as
    ``river.drift.PageHinkley`` (river 0.26) with the same parameters.

    Parameters
    ----------
    min_instances : values to see before a drift may be signalled.
    delta : the allowance subtracted from (added to) each deviation; the magnitude of
        change that is tolerated.
    threshold : the detection threshold (lambda).
    alpha : forgetting factor of the cumulative sums, in (0, 1]; 1 forgets nothing.
    mode : ``"up"`` detects increases of the mean, ``"down"`` decreases, ``"both"`` either.

    Notes
    -----
    With :math:`\\bar x_t` the running mean and :math:`d_t = x_t - \\bar x_t`,

    .. math::
        U_t = \\alpha U_{t-1} + d_t - \\delta, \\qquad L_t = \\alpha L_{t-1} + d_t + \\delta,

    and, from ``min_instances`` values on, drift when :math:`U_t - \\min_{s \\le t} U_s > \\lambda`
    (``"up"``) or :math:`\\max_{s \\le t} L_s - L_t > \\lambda` (``"down"``). As in river, the
    running maximum of :math:`L` starts at -1, not at :math:`-\\infty`.

    Unlike river, a NaN value raises :class:`~driftline.errors.DataError` (river accepts it,
    and its mean then stays NaN, so it never detects anything again).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(7)
    >>> stream = np.concatenate([rng.normal(0.0, 1.0, 500), rng.normal(3.0, 1.0, 500)])
    >>> ph = PageHinkley()
    >>> ph.update_many(stream).tolist()
    [511]

    References
    ----------
    .. [1] Page, E. S. (1954). Continuous inspection schemes. *Biometrika*, 41(1/2), 100–115.
    .. [2] Sebastião, R., & Fernandes, J. M. (2017). Supporting the Page-Hinkley test with
       empirical mode decomposition for change detection. *ISMIS 2017*, 492–498.
    """

    _params = ("min_instances", "delta", "threshold", "alpha", "mode")

    def __init__(
        self,
        min_instances: int = 30,
        delta: float = 0.005,
        threshold: float = 50.0,
        alpha: float = 1 - 0.0001,
        mode: str = "both",
    ) -> None:
        _check_int("min_instances", min_instances, 0)
        if not _finite(delta) or delta < 0:
            raise ParameterError.invalid("delta", delta, "a finite float >= 0")
        if not _finite(threshold) or threshold <= 0:
            raise ParameterError.invalid("threshold", threshold, "a finite float > 0")
        if not _finite(alpha) or not 0 < alpha <= 1:
            raise ParameterError.invalid("alpha", alpha, "a float in (0, 1]")
        if mode not in _MODES:
            raise ParameterError.choice("mode", mode, _MODES)
        self.min_instances = int(min_instances)
        self.delta = float(delta)
        self.threshold = float(threshold)
        self.alpha = float(alpha)
        self.mode = mode
        super().__init__()

    # -- state ---------------------------------------------------------------------------
    def _reset_state(self) -> None:
        self.n = 0
        self.mean = 0.0
        self.sum_increase = 0.0
        self.sum_decrease = 0.0
        self.min_increase = math.inf
        self.max_decrease = -1.0

    _FIELDS = ("n", "mean", "sum_increase", "sum_decrease", "min_increase", "max_decrease")

    def _get_state(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self._FIELDS}

    def _set_state(self, state: dict[str, Any]) -> None:
        self.n = int(state["n"])
        for k in self._FIELDS[1:]:
            setattr(self, k, float(state[k]))

    # -- the protocol --------------------------------------------------------------------
    def update(self, x: float) -> None:
        """Feed one value."""
        if x != x:
            raise self._refuse(x, "x")
        if self._drift:
            self._reset_state()
            self._drift = False
        self.n += 1
        # river's running mean: mean += (w / n) * (x - mean), with w = 1.0
        self.mean += (1.0 / self.n) * (x - self.mean)
        dev = x - self.mean
        self.sum_increase = self.alpha * self.sum_increase + dev - self.delta
        self.sum_decrease = self.alpha * self.sum_decrease + dev + self.delta
        if self.sum_increase < self.min_increase:
            self.min_increase = self.sum_increase
        if self.sum_decrease > self.max_decrease:
            self.max_decrease = self.sum_decrease
        if self.n >= self.min_instances:
            self._drift = self._test(self.sum_increase - self.min_increase,
                                     self.max_decrease - self.sum_decrease)

    def _test(self, up: float, down: float) -> bool:
        if self.mode == "up":
            return up > self.threshold
        if self.mode == "down":
            return down > self.threshold
        return up > self.threshold or down > self.threshold

    def update_many(self, xs: Iterable[float]) -> np.ndarray:
        """Feed every value of ``xs`` in order; return the indices where drift fired.

        The arithmetic of :meth:`update`, run by a kernel (compiled when numba is installed).
        Every value is checked before the first is used."""
        values = self._checked(xs)
        fn = _page_hinkley_run.select(values.size)
        hits = np.empty(values.size, dtype=np.int64)
        (self._drift, self.n, self.mean, self.sum_increase, self.sum_decrease, self.min_increase,
         self.max_decrease, k) = (fn or _page_hinkley_run)(
            values if fn else values.tolist(), hits, self.min_instances, self.delta, self.threshold,
            self.alpha, self.mode in ("up", "both"), self.mode in ("down", "both"), self._drift, self.n,
            self.mean, self.sum_increase, self.sum_decrease, self.min_increase, self.max_decrease)
        return hits[:k].copy()

    _takes_any_finite = True

    def _accepts(self, values: np.ndarray) -> np.ndarray:
        return ~np.isnan(values)

    def _refuse(self, x: float, name: str) -> Exception:
        return _bad_data("PageHinkley", x, name, "a number, not NaN",
                         "Drop missing values before feeding the detector.")


@kernel
def _page_hinkley_run(xs: Any, hits: Any, m0: int, delta: float, thr: float, alpha: float, check_up: bool,
                      check_down: bool, drift: bool, n: int, mean: float, s_inc: float, s_dec: float,
                      min_inc: float, max_dec: float) -> tuple[Any, ...]:
    """Page-Hinkley over ``xs``: the drift indices go to ``hits``; returns the state and their
    number."""
    k = 0
    for i, x in enumerate(xs):
        if drift:
            n, mean, s_inc, s_dec, min_inc, max_dec, drift = 0, 0.0, 0.0, 0.0, inf, -1.0, False
        n += 1
        mean += (1.0 / n) * (x - mean)
        dev = x - mean
        s_inc = alpha * s_inc + dev - delta
        s_dec = alpha * s_dec + dev + delta
        if s_inc < min_inc:
            min_inc = s_inc
        if s_dec > max_dec:
            max_dec = s_dec
        if n >= m0:
            drift = (check_up and s_inc - min_inc > thr) or (check_down and max_dec - s_dec > thr)
            if drift:
                hits[k] = i
                k += 1
    return drift, n, mean, s_inc, s_dec, min_inc, max_dec, k


def _finite(v: object) -> bool:
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool) \
        and math.isfinite(float(v))
