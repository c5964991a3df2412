"""Two-sided tabular CUSUM on standardised values."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

from driftline.errors import DataError, ParameterError
from driftline.streaming._base import DriftDetector

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
        if isinstance(min_instances, bool) or not isinstance(min_instances, (int, np.integer)) \
                or min_instances < 2:
            raise ParameterError.invalid("min_instances", min_instances, "an integer >= 2",
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
            raise DataError(f"CUSUM.update: x must be a finite number; got {x!r}. Drop missing or "
                            "infinite values before feeding the detector.")
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

        The same arithmetic as :meth:`update`, in one loop with local variables."""
        arr = np.asarray(xs, dtype=float).ravel()
        bad = np.flatnonzero(~np.isfinite(arr))
        stop = int(bad[0]) if bad.size else arr.size
        hits = self._run(arr[:stop].tolist())
        if bad.size:
            self.update(float(arr[stop]))  # raises DataError, after the values before it were fed
        return np.asarray(hits, dtype=np.int64)

    def _run(self, values: list[float]) -> list[int]:
        m0, k, h = self.min_instances, self.delta, self.threshold
        n, mean, m2, up, down, drift = self.n, self.mean, self._m2, self._up, self._down, self._drift
        hits = []
        sqrt = math.sqrt
        for i, x in enumerate(values):
            if drift:
                n, mean, m2, up, down, drift = 0, 0.0, 0.0, 0.0, 0.0, False
            if n >= m0:
                sd = sqrt(m2 / (n - 1))
                z = (x - mean) / sd if sd > 0.0 else _standardise(x, mean, m2, n)
                up = up + z - k
                up = up if up >= 0.0 else 0.0
                down = down - z - k
                down = down if down >= 0.0 else 0.0
                if up > h or down > h:
                    drift = True
                    hits.append(i)
            n += 1
            d = x - mean
            mean += d / n
            m2 += d * (x - mean)
        self.n, self.mean, self._m2, self._up, self._down, self._drift = n, mean, m2, up, down, drift
        return hits


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
