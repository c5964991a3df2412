"""EDDM, the Early Drift Detection Method of Baena-García et al. (2006)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from driftline.errors import ParameterError
from driftline.streaming._accel import kernel
from driftline.streaming._base import DriftDetector
from driftline.streaming._checks import _BIT, _bad_value, _check_int, _check_real, _is_bit

__all__ = ["EDDM"]


class EDDM(DriftDetector):
    """Early Drift Detection Method: errors coming closer together.

    EDDM follows the distance (in updates) between consecutive errors instead of the error rate,
    which reacts earlier than :class:`DDM` to gradual drift. It keeps the running mean
    :math:`p'_i` and standard deviation :math:`s'_i` of that distance and their values
    :math:`p'_{max}, s'_{max}` where :math:`p'_i + 2 s'_i` was largest; a drop of the ratio
    below its thresholds means the errors became more frequent. After a drift the next update
    starts over, as in river.

    Feed ``1`` for an error (a wrong prediction) and ``0`` for a correct one.

    Parameters
    ----------
    warm_start : updates, and also errors, to see before anything can fire.
    alpha : the warning level of the ratio, in (0, 1].
    beta : the drift level of the ratio, in (0, 1] and at most ``alpha``.

    Notes
    -----
    At each error, once more than ``warm_start`` updates have been seen, the detector computes
    :math:`p'_i + 2 s'_i`. A new maximum is recorded. Otherwise, once more than ``warm_start``
    errors have been seen, with :math:`r = (p'_i + 2 s'_i) / (p'_{max} + 2 s'_{max})`:

    * drift when :math:`r < \\beta`;
    * else warning when :math:`r < \\alpha`, and no warning otherwise.

    The state changes only at errors, so a warning stays on through the correct predictions
    that follow it (and through the drift update itself), exactly as river 0.26's
    ``drift.binary.EDDM`` reports it; both fire at the same indices. Unlike river, a value
    other than 0 or 1 is refused (river counts it silently as a correct prediction).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(7)
    >>> errors = np.r_[rng.random(1000) < 0.1, rng.random(1000) < 0.4]
    >>> EDDM(alpha=0.8, beta=0.75).update_many(errors).tolist()
    [1181]

    References
    ----------
    .. [1] Baena-García, M., del Campo-Ávila, J., Fidalgo, R., Bifet, A., Gavaldà, R. and
       Morales-Bueno, R. (2006). Early drift detection method. Fourth International Workshop on
       Knowledge Discovery from Data Streams (IWKDDS), ECML PKDD 2006, 77–86.
    """

    _params = ("warm_start", "alpha", "beta")

    def __init__(self, warm_start: int = 30, alpha: float = 0.95, beta: float = 0.9) -> None:
        self.warm_start = _check_int("warm_start", warm_start, 0)
        self.alpha = _check_real("alpha", alpha, 0.0, 1.0, "a float in (0, 1]")
        self.beta = _check_real("beta", beta, 0.0, 1.0, "a float in (0, 1]")
        if self.beta > self.alpha:
            raise ParameterError.invalid(
                "beta", beta, f"at most alpha ({self.alpha})",
                "The drift level must not be above the warning level.")
        super().__init__()

    def _reset_state(self) -> None:
        self._n = 0  # updates seen
        self._last_error = 0  # the update number of the last error
        self._n_errors = 0
        # Running mean and variance (Welford, ddof=1) of the distances, as river's stats.Var.
        self._d_n = 0.0
        self._d_mean = 0.0
        self._d_s = 0.0
        self._p2s_max = -1.0

    def _get_state(self) -> dict[str, Any]:
        return {"n": self._n, "last_error": self._last_error, "n_errors": self._n_errors,
                "d_n": self._d_n, "d_mean": self._d_mean, "d_s": self._d_s,
                "p2s_max": self._p2s_max}

    def _set_state(self, state: dict[str, Any]) -> None:
        self._n, self._last_error = int(state["n"]), int(state["last_error"])
        self._n_errors = int(state["n_errors"])
        self._d_n, self._d_mean = float(state["d_n"]), float(state["d_mean"])
        self._d_s, self._p2s_max = float(state["d_s"]), float(state["p2s_max"])

    def update(self, x: float) -> None:
        """Feed one error indicator (1 = error, 0 = correct)."""
        if x != 1 and x != 0:
            raise self._refuse(x, "x")
        if self._drift:
            self.reset()
        self._n += 1
        if x == 1:
            self._n_errors += 1
            d = self._n - self._last_error
            mean_old = self._d_mean
            d_n = self._d_n = self._d_n + 1.0
            mean = self._d_mean = mean_old + (1.0 / d_n) * (d - mean_old)
            self._d_s += (d - mean_old) * (d - mean)
            if self._n > self.warm_start:
                p2s = mean + 2 * (self._d_s / (d_n - 1) if d_n > 1 else 0.0) ** 0.5
                if p2s > self._p2s_max:
                    self._p2s_max = p2s
                elif self._n_errors > self.warm_start:
                    level = p2s / self._p2s_max
                    if level < self.beta:
                        self._drift = True
                    elif level < self.alpha:
                        self._warning = True
                    else:
                        self._warning = False
            self._last_error = self._n

    def update_many(self, xs: Iterable[float]) -> np.ndarray:
        """Feed every value of ``xs`` in order; return the indices where drift fired.

        The steps of a loop of :meth:`update`, run by a kernel (compiled when numba is
        installed). Every value is checked before the first is used.
        """
        values = self._checked(xs)
        fn = _eddm_run.select(values.size)
        hits = np.empty(values.size, dtype=np.int64)
        (self._drift, self._warning, self._n, self._last_error, self._n_errors, self._d_n, self._d_mean,
         self._d_s, self._p2s_max, k) = (fn or _eddm_run)(
            values if fn else values.tolist(), hits, self.warm_start, self.alpha, self.beta, 0.5,
            self._drift, self._warning, self._n, self._last_error, self._n_errors, self._d_n,
            self._d_mean, self._d_s, self._p2s_max)
        return hits[:k].copy()

    def _accepts(self, values: np.ndarray) -> np.ndarray:
        return _is_bit(values)

    def _refuse(self, x: float, name: str) -> Exception:
        return _bad_value(x, name, _BIT)


@kernel
def _eddm_run(xs: Any, hits: Any, warm: int, alpha: float, beta: float, half: float, drift: bool,
              warning: bool, n: int, last: int, n_err: int, d_n: float, d_mean: float, d_s: float,
              p2s_max: float) -> tuple[Any, ...]:
    """EDDM over ``xs``: the drift indices go to ``hits``; returns the state and their number.

    ``half`` is 0.5, an argument so that numba computes ``v ** half`` with the C library's
    ``pow``, as Python and river do (a constant exponent would become ``sqrt``)."""
    k = 0
    for i, x in enumerate(xs):
        if drift:
            drift = warning = False
            n = last = n_err = 0
            d_n = d_mean = d_s = 0.0
            p2s_max = -1.0
        n += 1
        if x == 1:
            n_err += 1
            d = n - last
            mean_old = d_mean
            d_n += 1.0
            d_mean = mean_old + (1.0 / d_n) * (d - mean_old)
            d_s += (d - mean_old) * (d - d_mean)
            if n > warm:
                p2s = d_mean + 2 * (d_s / (d_n - 1) if d_n > 1 else 0.0) ** half
                if p2s > p2s_max:
                    p2s_max = p2s
                elif n_err > warm:
                    level = p2s / p2s_max
                    if level < beta:
                        drift = True
                        hits[k] = i
                        k += 1
                    elif level < alpha:
                        warning = True
                    else:
                        warning = False
            last = n
    return drift, warning, n, last, n_err, d_n, d_mean, d_s, p2s_max, k
