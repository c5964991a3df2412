"""Online Cramér–von Mises drift detection, calibrated by expected run time (Cobb et al., 2022)."""

from __future__ import annotations

import bisect
import json
import math
from collections import deque
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from driftline.errors import DataError, ParameterError
from driftline.streaming._base import STATE_SCHEMA, DriftDetector, _walk
from driftline.streaming._checks import _bad_data, _check_int, _is_finite

__all__ = ["OnlineCVM"]


class OnlineCVM(DriftDetector):
    r"""Online data drift of a real-valued feature: the two-sample Cramér–von Mises distance
    between a fitted reference sample and a sliding window of the last ``window_size`` values,
    with a threshold set so that false alarms come on average every ``ert`` updates.

    The user chooses the expected run time (ERT) on stationary data rather than a per-test
    significance level: a per-window test at level :math:`\alpha` repeated on every update
    raises alarms much more often than :math:`\alpha` suggests, and how much more depends on
    the overlap of the windows. Here the threshold is calibrated on the run length of the
    sliding-window statistic itself, as in the online detectors of alibi-detect.

    After a drift the next update starts a fresh window, so no drift is reported in the
    ``window_size - 1`` updates that follow (nor in the first ``window_size - 1`` updates).

    Parameters
    ----------
    reference
        Values of the feature when it was known to be fine (at least ``window_size`` finite
        values). At most ``max_reference`` are kept: a larger sample is subsampled without
        replacement using ``seed``. The kept values are part of the saved state.
    ert
        Expected run time: the mean number of updates from a (re)start to a false alarm when
        the stream follows the reference distribution. Must exceed ``window_size``.
    window_size
        Number of recent values compared with the reference.
    n_bootstraps
        Number of simulated streams used to calibrate the threshold; more is more precise
        and slower (calibration costs about ``n_bootstraps * 4 * window_size`` windows).
    max_reference
        Largest reference kept, which bounds the memory and the saved state.
    seed
        Seed of the calibration and of the subsampling of the reference.

    Notes
    -----
    With :math:`F_N` the empirical CDF of the :math:`N` reference values and :math:`G_W` that
    of the window, the statistic (Anderson, 1962) is

    .. math:: T = \frac{N W}{(N + W)^2} \sum_{z} \bigl(F_N(z) - G_W(z)\bigr)^2,

    the sum running over the pooled sample. It depends on the data only through the ranks
    :math:`a_k = \#\{x_i \le y_{(k)}\}` of the sorted window values in the sorted reference,
    and the sum over the reference values between two window values has a closed form, so
    an update costs :math:`O(\log N)` for the rank plus :math:`O(W)` for the statistic.
    Values equal to a reference value count after it (ties are broken, not averaged), which
    is exact for continuous features; features with many ties (integers, rounded values)
    break the calibration below and should be monitored with a categorical test instead.

    *Calibration.* For a continuous distribution each new value falls into each of the
    :math:`N + 1` gaps of the reference with probability :math:`1/(N+1)` (averaging over the
    reference sample), so the null behaviour of :math:`T` is distribution-free: the
    detector simulates ``n_bootstraps`` streams of uniform gap indices (a smoothed
    bootstrap of the reference), computes the sliding-window statistic over a horizon of
    :math:`H = 3W` steps after the window first fills, and records the running maximum. For
    a threshold :math:`h` the mean run length is

    .. math:: \mathrm{ERT}(h) = W + \sum_{j \ge 0} S_j(h),

    with :math:`S_j` the simulated probability of no exceedance in the first :math:`j + 1`
    full windows; beyond the horizon the survival is extended geometrically with the hazard
    of the second half of the horizon (by then the first window has been replaced, so the
    hazard is close to its steady value). :math:`h` is found by bisection so that
    :math:`\mathrm{ERT}(h) = \texttt{ert}`. This accounts for the overlap of consecutive
    windows (no independence between tests is assumed), but not for the sampling error of
    the particular reference: the ERT holds on average over reference samples, and a small
    reference gives somewhat shorter run lengths than asked. With very large ``ert`` few
    simulated alarms fall in the horizon and the threshold is less precise.

    Examples
    --------
    >>> import numpy as np
    >>> from driftline.streaming._online_cvm import OnlineCVM
    >>> rng = np.random.default_rng(0)
    >>> reference = rng.normal(0.0, 1.0, 2_000)
    >>> stream = np.concatenate([rng.normal(0.0, 1.0, 500), rng.normal(1.0, 1.0, 500)])
    >>> detector = OnlineCVM(reference, ert=1_000, window_size=50, n_bootstraps=1_000)
    >>> int(detector.update_many(stream)[0])  # the mean shifts by 1 sd at index 500
    537
    >>> round(detector.threshold, 3)
    0.808

    References
    ----------
    Oliver Cobb and Arnaud Van Looveren. "Sequential Multivariate Change Detection with
    Calibrated and Memoryless False Detection Rates." In Proceedings of the 25th
    International Conference on Artificial Intelligence and Statistics (AISTATS),
    PMLR 151, pp. 226-239, 2022.

    T. W. Anderson. "On the distribution of the two-sample Cramér–von Mises criterion."
    The Annals of Mathematical Statistics 33(3), pp. 1148-1159, 1962.
    """

    _params = ("ert", "window_size", "n_bootstraps", "max_reference", "seed")
    _values: deque[float]  # the window, oldest first
    _ranks: deque[int]  # their ranks in the reference, same order
    _sorted: list[int]  # the same ranks, sorted
    _statistic: float

    def __init__(self, reference: Iterable[float], *, ert: float = 1000, window_size: int = 100,
                 n_bootstraps: int = 2000, max_reference: int = 5000, seed: int = 0) -> None:
        _check_int("window_size", window_size, 2, "Typical windows hold 50 to 500 values.")
        if isinstance(ert, bool) or not isinstance(ert, (int, float, np.integer, np.floating)) \
                or not math.isfinite(ert) or ert <= window_size:
            raise ParameterError.invalid(
                "ert", ert, f"a number > window_size ({window_size})",
                "It is the mean number of updates between false alarms, e.g. 1000.")
        _check_int("n_bootstraps", n_bootstraps, 100, "More streams calibrate more precisely.")
        _check_int("max_reference", max_reference, window_size)
        _check_int("seed", seed, 0)
        self.ert = float(ert) if isinstance(ert, (float, np.floating)) else int(ert)
        self.window_size = int(window_size)
        self.n_bootstraps = int(n_bootstraps)
        self.max_reference = int(max_reference)
        self.seed = int(seed)
        self._reference = _fit_reference(reference, self.window_size, self.max_reference, self.seed)
        self._threshold = _calibrate(len(self._reference), self.window_size, self.ert,
                                     self.n_bootstraps, self.seed)
        super().__init__()

    # -- what the detector holds -----------------------------------------------------------
    @property
    def threshold(self) -> float:
        """The calibrated threshold: drift when the statistic exceeds it."""
        return self._threshold

    @property
    def statistic(self) -> float:
        """The statistic of the last full window (nan while the window fills)."""
        return self._statistic

    @property
    def reference(self) -> np.ndarray:
        """The (sorted, possibly subsampled) reference kept by the detector."""
        return np.asarray(self._reference)

    # -- the protocol ----------------------------------------------------------------------
    def update(self, x: float) -> None:
        """Add one value; afterwards ``drift_detected`` says whether the window drifted."""
        x = float(x)
        if not math.isfinite(x):
            raise self._refuse(x, "x")
        if self._drift:
            self._reset_state()
        self._push(x)
        if len(self._values) < self.window_size:
            self._drift = False
            return
        self._statistic = float(_cvm(np.asarray(self._sorted, dtype=float), len(self._reference)))
        self._drift = self._statistic > self._threshold

    _takes_any_finite = True

    def _accepts(self, values: np.ndarray) -> np.ndarray:
        return _is_finite(values)

    def _refuse(self, x: float, name: str) -> Exception:
        return _bad_data("OnlineCVM", x, name, "a finite number", "Drop or impute missing values first.")

    def _push(self, x: float) -> None:
        rank = bisect.bisect_right(self._reference, x)
        if len(self._values) == self.window_size:
            self._values.popleft()
            old = self._ranks.popleft()
            del self._sorted[bisect.bisect_left(self._sorted, old)]
        self._values.append(x)
        self._ranks.append(rank)
        bisect.insort(self._sorted, rank)

    # -- state -----------------------------------------------------------------------------
    def _reset_state(self) -> None:
        self._values = deque()
        self._ranks = deque()
        self._sorted = []
        self._statistic = math.nan

    def _get_state(self) -> dict[str, Any]:
        return {"reference": list(self._reference), "threshold": self._threshold,
                "window": list(self._values), "statistic": self._statistic}

    def _set_state(self, state: dict[str, Any]) -> None:
        self._reset_state()
        for x in state["window"]:
            self._push(float(x))
        self._statistic = float(state["statistic"])

    @classmethod
    def from_state(cls, state: Mapping[str, Any] | str) -> OnlineCVM:
        """A detector that continues where :meth:`to_state` left off: the reference and the
        threshold come from the state, so nothing is recalibrated."""
        data = json.loads(state) if isinstance(state, str) else dict(state)
        inner = data.get("state")
        if data.get("schema") != STATE_SCHEMA or data.get("detector") != cls.__name__ \
                or not isinstance(inner, Mapping) or "reference" not in inner:
            raise ParameterError.invalid(
                "state", {k: data.get(k) for k in ("schema", "detector")},
                f"the saved state of a {cls.__name__} ({STATE_SCHEMA})")
        inner = {k: _walk(v) for k, v in inner.items()}
        det = cls.__new__(cls)
        for name, value in dict(data.get("params") or {}).items():
            if name in cls._params:
                setattr(det, name, value)
        det._reference = [float(v) for v in inner.pop("reference")]
        det._threshold = float(inner.pop("threshold"))
        DriftDetector.__init__(det)
        det._drift = bool(inner.pop("_drift", False))
        det._warning = bool(inner.pop("_warning", False))
        det._set_state(inner)
        return det


def _cvm(ranks: np.ndarray, n_ref: int) -> np.ndarray:
    """The two-sample CvM statistic of windows given by the sorted ranks of their values in
    the reference (last axis: one window; ``a_k`` reference values are <= the k-th value)."""
    a = np.asarray(ranks, dtype=float)
    w = a.shape[-1]
    n = float(n_ref)
    k = np.arange(1.0, w + 1.0)
    at_window = np.sum((a / n - k / w) ** 2, axis=-1)
    # Reference values i in (a_k, a_{k+1}] have k window values before them: sum (i/n - k/w)^2.
    end = (*a.shape[:-1], 1)
    edges = np.concatenate([np.zeros(end), a, np.full(end, n)], axis=-1)
    lo, hi, c = edges[..., :-1], edges[..., 1:], np.arange(0.0, w + 1.0) / w
    s1 = (hi * (hi + 1.0) - lo * (lo + 1.0)) / 2.0
    s2 = (hi * (hi + 1.0) * (2.0 * hi + 1.0) - lo * (lo + 1.0) * (2.0 * lo + 1.0)) / 6.0
    at_reference = np.sum(s2 / (n * n) - 2.0 * c * s1 / n + (hi - lo) * c * c, axis=-1)
    return n * w / (n + w) ** 2 * (at_window + at_reference)


def _calibrate(n_ref: int, window: int, ert: float, n_streams: int, seed: int) -> float:
    """The threshold whose simulated mean run length is ``ert`` (see the class Notes)."""
    rng = np.random.default_rng([seed, 1])
    horizon = 3 * window
    gaps = rng.integers(0, n_ref + 1, size=(n_streams, window + horizon - 1))
    stats = np.empty((n_streams, horizon))
    for j in range(horizon):
        stats[:, j] = _cvm(np.sort(gaps[:, j:j + window], axis=1), n_ref)
    running = np.maximum.accumulate(stats, axis=1)
    lo, hi = 0.0, float(running[:, -1].max())  # at hi nothing fires: the ERT is infinite
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        if _mean_run_length(running, mid, window) >= ert:
            hi = mid
        else:
            lo = mid
    return hi


def _mean_run_length(running: np.ndarray, h: float, window: int) -> float:
    """W + sum_j S_j, the survival S_j simulated up to the horizon and geometric after it."""
    alive = np.mean(running <= h, axis=0)
    half = alive.size // 2
    at_risk = np.concatenate(([1.0], alive[:-1]))[half:]
    hazard = float(np.sum(at_risk - alive[half:]) / max(float(np.sum(at_risk)), 1e-300))
    if hazard <= 0.0:
        return math.inf
    return window + float(np.sum(alive)) + float(alive[-1]) * (1.0 - hazard) / hazard


def _fit_reference(reference: Iterable[float], window: int, max_reference: int, seed: int) -> list[float]:
    try:
        values = np.asarray(reference if hasattr(reference, "__len__") else list(reference), dtype=float)
    except (TypeError, ValueError) as exc:
        kind = type(reference).__name__
        raise DataError(f"reference must be an array of real numbers; got {kind}.") from exc
    values = values.ravel()
    if not np.all(np.isfinite(values)):
        raise DataError(f"reference holds {int(np.sum(~np.isfinite(values)))} non-finite values; "
                        "drop or impute them first.")
    if values.size < window:
        raise DataError(f"reference must hold at least window_size ({window}) values; got {values.size}. "
                        "Use a longer reference or a smaller window_size.")
    if values.size > max_reference:
        values = np.random.default_rng([seed, 0]).choice(values, size=max_reference, replace=False)
    return np.sort(values).tolist()

