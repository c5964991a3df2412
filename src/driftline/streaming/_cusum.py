"""Two-sided tabular CUSUM on standardised values."""

from __future__ import annotations

import math
from collections.abc import Iterable
from math import inf, sqrt
from typing import Any

import numpy as np

from driftline.errors import ParameterError
from driftline.streaming._accel import kernel
from driftline.streaming._base import DriftDetector
from driftline.streaming._checks import _bad_data, _check_int, _is_finite

__all__ = ["CUSUM"]


class CUSUM(DriftDetector):
    """Two-sided tabular CUSUM: detects a shift of the mean of a stream of real values, up
    or down.

    Each value is standardised by the mean and standard deviation of the values seen before
    it (since the start or the last drift), and two cumulative sums collect the standardised
    excesses above ``+delta`` and below ``-delta``. Drift is signalled when either sum exceeds
    ``threshold``; the next update then starts afresh. The first ``min_instances`` values of
    each run only estimate the mean and the standard deviation. There is no warning zone.

    Parameters
    ----------
    min_instances : values that estimate the in-control mean and standard deviation before
        the sums start (at least 2).
    delta : the allowance :math:`k`, in standard deviations; about half the shift to detect.
    threshold : the decision interval :math:`h`, in standard deviations.

    Notes
    -----
    With :math:`\\mu_{t-1}` and :math:`\\sigma_{t-1}` the running mean and sample standard
    deviation (Welford) of the values before :math:`x_t`, :math:`z_t = (x_t - \\mu_{t-1}) /
    \\sigma_{t-1}` and

    .. math::
        C^+_t = \\max(0, C^+_{t-1} + z_t - k), \\qquad C^-_t = \\max(0, C^-_{t-1} - z_t - k),

    both starting at 0; drift when :math:`C^+_t > h` or :math:`C^-_t > h`. With known
    parameters, :math:`k = 0.5` and :math:`h = 5` give an in-control average run length near
    465 values, too short for a stream; :math:`h = 10` (the default) gives tens of thousands,
    and a one-standard-deviation shift is caught after about 20 values. The estimated
    parameters shorten the in-control run length somewhat.

    If the values seen so far are all equal (:math:`\\sigma = 0`), any different value is an
    infinite standardised shift and fires at once. Standardising suits roughly symmetric
    values; on a stream of rare error bits, one error is a large :math:`z`, so prefer a
    detector built for error streams (DDM, RDDM, FHDDM, STEPD) there.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> stream = np.concatenate([rng.normal(10.0, 2.0, 600), rng.normal(12.0, 2.0, 400)])
    >>> CUSUM().update_many(stream).tolist()
    [620]

    References
    ----------
    .. [1] Page, E. S. (1954). Continuous inspection schemes. *Biometrika*, 41(1/2), 100–115.
    .. [2] Montgomery, D. C. (2009). *Introduction to Statistical Quality Control* (6th ed.),
       section 9.1: the tabular CUSUM. Wiley.
    """

    _params = ("min_instances", "delta", "threshold")

    def __init__(self, min_instances: int = 30, delta: float = 0.5, threshold: float = 10.0) -> None:
        _check_int("min_instances", min_instances, 2,
                   "Two values at least are needed to estimate a deviation.")
        if not _finite(delta) or delta < 0:
            raise ParameterError.invalid("delta", delta, "a finite float >= 0 (in standard deviations)")
        if not _finite(threshold) or threshold <= 0:
            raise ParameterError.invalid("threshold", threshold,
                                         "a finite float > 0 (in standard deviations)")
        self.min_instances = int(min_instances)
        self.delta = float(delta)
        self.threshold = float(threshold)
        super().__init__()

    @property
    def upper_sum(self) -> float:
        """:math:`C^+`, the cumulative sum that grows when the mean goes up."""
        return self._up

    @property
    def lower_sum(self) -> float:
        """:math:`C^-`, the cumulative sum that grows when the mean goes down."""
        return self._down

    # -- state ---------------------------------------------------------------------------
    def _reset_state(self) -> None:
        self.n = 0
        self.mean = 0.0
        self._m2 = 0.0
        self._up = 0.0
        self._down = 0.0

    def _get_state(self) -> dict[str, Any]:
        return {"n": self.n, "mean": self.mean, "m2": self._m2, "up": self._up, "down": self._down}

    def _set_state(self, state: dict[str, Any]) -> None:
        self.n = int(state["n"])
        self.mean = float(state["mean"])
        self._m2, self._up, self._down = float(state["m2"]), float(state["up"]), float(state["down"])

    @property
    def std(self) -> float:
        """Sample standard deviation of the values seen since the start or the last drift."""
        return math.sqrt(self._m2 / (self.n - 1)) if self.n > 1 else 0.0

    # -- the protocol --------------------------------------------------------------------
    def update(self, x: float) -> None:
        """Feed one value."""
        if not math.isfinite(x):
            raise self._refuse(x, "x")
        if self._drift:
            self._reset_state()
            self._drift = False
        n = self.n
        if n >= self.min_instances:
            z = _standardise(x, self.mean, self._m2, n)
            up = self._up + z - self.delta
            down = self._down - z - self.delta
            self._up = up if up >= 0.0 else 0.0
            self._down = down if down >= 0.0 else 0.0
            self._drift = self._up > self.threshold or self._down > self.threshold
        n += 1
        d = x - self.mean
        self.mean += d / n
        self._m2 += d * (x - self.mean)
        self.n = n

    def update_many(self, xs: Iterable[float]) -> np.ndarray:
        """Feed every value of ``xs`` in order; return the indices where drift fired.

        The arithmetic of :meth:`update`, run by a kernel (compiled when numba is installed).
        Every value is checked before the first is used."""
        values = self._checked(xs)
        fn = _cusum_run.select(values.size)
        hits = np.empty(values.size, dtype=np.int64)
        self._drift, self.n, self.mean, self._m2, self._up, self._down, k = (fn or _cusum_run)(
            values if fn else values.tolist(), hits, self.min_instances, self.delta, self.threshold,
            self._drift, self.n, self.mean, self._m2, self._up, self._down)
        return hits[:k].copy()

    _takes_any_finite = True

    def _accepts(self, values: np.ndarray) -> np.ndarray:
        return _is_finite(values)

    def _refuse(self, x: float, name: str) -> Exception:
        return _bad_data("CUSUM", x, name, "a finite number",
                         "Drop missing or infinite values before feeding the detector.")


@kernel
def _cusum_run(xs: Any, hits: Any, m0: int, allow: float, h: float, drift: bool, n: int, mean: float,
               m2: float, up: float, down: float) -> tuple[Any, ...]:
    """CUSUM over ``xs``: the drift indices go to ``hits``; returns the state and their number."""
    k = 0
    for i, x in enumerate(xs):
        if drift:
            n, mean, m2, up, down, drift = 0, 0.0, 0.0, 0.0, 0.0, False
        if n >= m0:
            sd = sqrt(m2 / (n - 1))
            if sd > 0.0:
                z = (x - mean) / sd
            elif x == mean:
                z = 0.0
            else:
                z = inf if x > mean else -inf
            up = up + z - allow
            up = up if up >= 0.0 else 0.0
            down = down - z - allow
            down = down if down >= 0.0 else 0.0
            if up > h or down > h:
                drift = True
                hits[k] = i
                k += 1
        n += 1
        d = x - mean
        mean += d / n
        m2 += d * (x - mean)
    return drift, n, mean, m2, up, down, k


def _standardise(x: float, mean: float, m2: float, n: int) -> float:
    sd = math.sqrt(m2 / (n - 1))
    if sd > 0.0:
        return (x - mean) / sd
    if x == mean:
        return 0.0
    return math.inf if x > mean else -math.inf


def _finite(v: object) -> bool:
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool) \
        and math.isfinite(float(v))
