"""Triggers on the monitor's windows: data drift and realized-performance degradation, each
with a k-of-m persistence rule over the windows it could judge."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from driftline.errors import ParameterError
from driftline.policy._context import PolicyContext, WindowSummary
from driftline.policy._triggers import TriggerResult

__all__ = ["LOWER_IS_BETTER", "OnDataDrift", "OnPerformanceDegradation", "higher_is_better"]

#: Metrics where a smaller value is a better model; every other metric is taken as higher-better.
LOWER_IS_BETTER = frozenset({
    "rmse", "mse", "mae", "mape", "smape", "log_loss", "logloss", "brier", "brier_score",
    "median_absolute_error", "max_error", "mean_absolute_error", "mean_squared_error",
    "root_mean_squared_error", "mean_absolute_percentage_error", "error_rate", "ece",
})


def higher_is_better(metric: str) -> bool:
    """Whether a larger ``metric`` means a better model (``False`` for errors and losses).

    Examples
    --------
    >>> higher_is_better("roc_auc"), higher_is_better("rmse"), higher_is_better("log_loss")
    (True, False, False)
    """
    return metric.lower() not in LOWER_IS_BETTER


def _persistence(value: Any) -> tuple[int, int]:
    try:
        k, m = (int(v) for v in value)
    except (TypeError, ValueError):
        k = m = 0
    if not 1 <= k <= m:
        raise ParameterError.invalid("persistence", value, "a pair (k, m) of integers with 1 <= k <= m",
                                     "For example (2, 3): in at least 2 of the last 3 windows.")
    return k, m


def _count(judged: Sequence[WindowSummary], hit: Callable[[WindowSummary], bool],
           m: int) -> tuple[list[WindowSummary], list[WindowSummary]]:
    """The last ``m`` judged windows and those among them that hit."""
    last = list(judged[-m:])
    return last, [w for w in last if hit(w)]


def _windows(n: int) -> str:
    return "window" if n == 1 else "windows"


@dataclass(frozen=True)
class OnDataDrift:
    """Fires when data drift persists: in at least ``k`` of the last ``m`` judged windows.

    A window counts as drifted when its dataset-level verdict says so; with ``features``, when
    any of those features drifted; with ``share``, when its drift share is at least ``share``
    (with both, either). With ``methods``, a window also counts as drifted when one of those
    whole-row methods flagged it (``monitoring.multivariate``: ``pca_reconstruction``, ``mmd``,
    ``domain_classifier``, ``bbsd_soft``, ``bbsd_hard``), which catches changes of the joint
    distribution, or of the model's outputs, that no single feature shows. Windows too small to
    judge (``dataset_drift is None``) are skipped, and only windows after the last training or
    retrain decision count. While fewer than ``m`` judged windows exist, the rule is applied to
    those there are.

    Examples
    --------
    >>> from datetime import datetime, timedelta, timezone
    >>> t0 = datetime(2024, 1, 1, tzinfo=timezone.utc)
    >>> drifts = [False, True, True, None, True]
    >>> ws = [WindowSummary(t0 + timedelta(hours=i), 500, d, drifted_features=("a",) * 7 if d else (),
    ...                     n_features=20) for i, d in enumerate(drifts)]
    >>> OnDataDrift(persistence=(3, 4)).evaluate(PolicyContext(t0 + timedelta(hours=5), "m", ws)).reason
    'data drift in 7/20 features, 3 of last 4 windows'
    """

    features: tuple[str, ...] | None = None
    share: float | None = None
    persistence: tuple[int, int] = (1, 1)
    methods: tuple[str, ...] | None = None
    name = "on_data_drift"

    def __post_init__(self) -> None:
        if self.features is not None:
            if isinstance(self.features, str) or not self.features:
                raise ParameterError.invalid("features", self.features,
                                             "a non-empty sequence of feature names or None")
            object.__setattr__(self, "features", tuple(self.features))
        if self.share is not None and not 0.0 < self.share <= 1.0:
            raise ParameterError.invalid("share", self.share, "a share in (0, 1] or None")
        object.__setattr__(self, "persistence", _persistence(self.persistence))
        if self.methods is not None:
            if isinstance(self.methods, str) or not self.methods:
                raise ParameterError.invalid("methods", self.methods,
                                             "a non-empty sequence of whole-row methods or None",
                                             "For example ('pca_reconstruction', 'mmd').")
            object.__setattr__(self, "methods", tuple(self.methods))

    def _judged(self, w: WindowSummary) -> bool:
        return w.dataset_drift is not None and (self.share is None or w.drift_share is not None
                                                or self.features is not None)

    def _drifted(self, w: WindowSummary) -> bool:
        if self.methods is not None and any(m in w.multivariate_drift for m in self.methods):
            return True
        if self.features is None and self.share is None:
            return bool(w.dataset_drift)
        named = self.features is not None and any(f in w.drifted_features for f in self.features)
        shared = self.share is not None and w.drift_share is not None and w.drift_share >= self.share
        return named or shared

    def _what(self, w: WindowSummary) -> str:
        if self.methods is not None and (hit := [m for m in self.methods if m in w.multivariate_drift]):
            return "multivariate drift (" + ", ".join(hit) + ")"
        if self.features is not None and (hit := [f for f in self.features if f in w.drifted_features]):
            return "drift in " + ", ".join(hit)
        if self.share is not None and w.drift_share is not None and w.drift_share >= self.share:
            return f"drift share {w.drift_share:.2f} >= {self.share:.2f}"
        n = len(w.drifted_features)
        if n and w.n_features:
            return f"data drift in {n}/{w.n_features} features"
        return f"data drift in {n} features" if n else "dataset drift"

    def evaluate(self, ctx: PolicyContext) -> TriggerResult:
        """Fire when at least ``k`` of the last ``m`` judged fresh windows drifted."""
        k, m = self.persistence
        judged = [w for w in ctx.fresh_windows() if self._judged(w)]
        if not judged:
            return TriggerResult(False, "no window judged for drift since the last retrain",
                                 self.name)
        last, hits = _count(judged, self._drifted, m)
        tally = f"{len(hits)} of last {len(last)} {_windows(len(last))}"
        if len(hits) >= k:
            return TriggerResult(True, f"{self._what(hits[-1])}, {tally}", self.name)
        return TriggerResult(False, f"no persistent data drift: {tally} drifted (need {k} of {m})",
                             self.name)


@dataclass(frozen=True)
class OnPerformanceDegradation:
    """Fires when a realized metric fell below the champion's baseline by more than ``max_drop``.

    The threshold is ``baseline - max_drop`` (``baseline * (1 - max_drop)`` when ``relative``)
    for higher-better metrics, and ``baseline + max_drop`` (``baseline * (1 + max_drop)``) for
    errors and losses (see :data:`LOWER_IS_BETTER`; ``higher_is_better`` overrides). Only
    windows whose label coverage is at least ``min_coverage`` and that report the metric are
    judged, and the breach must persist in ``k`` of the last ``m`` of them.

    With ``concept_drift`` (the default), the streaming detectors that watch the labelled
    errors as they arrive (see :class:`~driftline.policy.OnConceptDrift`) speed this up: after
    a fresh concept drift where the error rose, one breaching window is enough (the detector
    confirms it persists), and for ``accuracy``, ``error_rate`` and ``mae`` the error after
    the drift is judged at once, before any window closes.

    With ``estimated`` (off by default), a window whose labels are too few is judged on its
    metric estimated without labels (CBPE, DLE; see ``docs/estimation.md``), and the reason
    says "(estimated)". The estimate can trigger a retrain, never a promotion: the challenger
    is still validated on labelled rows.

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> t0 = datetime(2024, 1, 1, tzinfo=timezone.utc)
    >>> ws = [WindowSummary(t0, 800, performance={"roc_auc": 0.74}, label_coverage=0.9)]
    >>> ctx = PolicyContext(t0, "m", ws, baseline={"roc_auc": 0.81})
    >>> OnPerformanceDegradation("roc_auc", 0.03).evaluate(ctx).reason
    'roc_auc 0.74 below 0.78 (baseline 0.81 - 0.03), 1 of last 1 labelled window'
    >>> from driftline.policy import ConceptDrift
    >>> drift = ConceptDrift(t0, "ADWIN", 900, error_before=0.1, error_after=0.3)
    >>> ctx = PolicyContext(t0, "m", baseline={"accuracy": 0.9}, concept_drifts=[drift])
    >>> OnPerformanceDegradation("accuracy", 0.05).evaluate(ctx).reason
    'accuracy 0.7 below 0.85 (baseline 0.9 - 0.05) after ADWIN concept drift at label 900: error 0.1 -> 0.3'
    """

    metric: str
    max_drop: float
    relative: bool = False
    persistence: tuple[int, int] = (1, 1)
    min_coverage: float = 0.5
    higher_is_better: bool | None = None
    concept_drift: bool = True
    estimated: bool = False
    name = "on_performance_degradation"

    def __post_init__(self) -> None:
        if not isinstance(self.metric, str) or not self.metric:
            raise ParameterError.invalid("metric", self.metric, "a metric name such as 'roc_auc'")
        if not self.max_drop >= 0 or (self.relative and self.max_drop >= 1):
            allowed = "a share in [0, 1) when relative" if self.relative else "a number >= 0"
            raise ParameterError.invalid("max_drop", self.max_drop, allowed)
        if not 0.0 <= self.min_coverage <= 1.0:
            raise ParameterError.invalid("min_coverage", self.min_coverage, "a share in [0, 1]")
        object.__setattr__(self, "persistence", _persistence(self.persistence))
        if self.higher_is_better is None:
            object.__setattr__(self, "higher_is_better", higher_is_better(self.metric))

    def _is_estimate(self, w: WindowSummary) -> bool:
        """Whether ``w`` is judged on its estimated metric (too few labels, ``estimated``)."""
        labelled = w.label_coverage >= self.min_coverage and self.metric in w.performance
        return not labelled and self.estimated and self.metric in w.estimated_performance

    def _value(self, w: WindowSummary) -> float | None:
        """The realized metric of a labelled window, else (with ``estimated``) its estimate."""
        if w.label_coverage >= self.min_coverage and self.metric in w.performance:
            return w.performance[self.metric]
        if self._is_estimate(w):
            return w.estimated_performance[self.metric]
        return None

    def threshold(self, baseline: float) -> float:
        """The worst acceptable value of the metric for ``baseline``."""
        sign = -1.0 if self.higher_is_better else 1.0
        return baseline * (1 + sign * self.max_drop) if self.relative else baseline + sign * self.max_drop

    def _bound(self, baseline: float) -> str:
        sign = "-" if self.higher_is_better else "+"
        drop = f"{self.max_drop:.0%}" if self.relative else f"{self.max_drop:.4g}"
        return f"(baseline {baseline:.4g} {sign} {drop})"

    def evaluate(self, ctx: PolicyContext) -> TriggerResult:
        """Fire when ``k`` of the last ``m`` judged fresh windows breach the threshold, or
        earlier on a fresh concept drift (see ``concept_drift``)."""
        k, m = self.persistence
        baseline = ctx.baseline.get(self.metric)
        if baseline is None:
            return TriggerResult(False, f"no baseline {self.metric} for the champion", self.name)
        limit = self.threshold(baseline)
        side = "below" if self.higher_is_better else "above"

        def worse(value: float) -> bool:
            return value < limit if self.higher_is_better else value > limit

        drifts = [d for d in ctx.fresh_concept_drifts() if d.worse] if self.concept_drift else []
        for d in reversed(drifts):  # the error after the drift may itself be the metric
            value = d.metric(self.metric)
            if value is not None and worse(value):
                return TriggerResult(True, f"{self.metric} {value:.4g} {side} {limit:.4g} "
                                     f"{self._bound(baseline)} after {d.describe()}", self.name)
        judged = [w for w in ctx.fresh_windows() if self._value(w) is not None]
        if not judged:
            return TriggerResult(False, f"no window with {self.metric} and label coverage >= "
                                 f"{self.min_coverage:.0%} since the last retrain", self.name)
        last, hits = _count(judged, lambda w: worse(self._value(w) or 0.0), m)
        latest = self._value(last[-1]) or 0.0
        tally = f"{len(hits)} of last {len(last)} labelled {_windows(len(last))}"
        if any(self._is_estimate(w) for w in last):
            tally += " (some estimated without labels)"
        if len(hits) >= k:
            value = self._value(hits[-1])
            est = " (estimated)" if self._is_estimate(hits[-1]) else ""
            return TriggerResult(True, f"{self.metric} {value:.4g}{est} {side} {limit:.4g} "
                                 f"{self._bound(baseline)}, {tally}", self.name)
        if drifts and worse(latest):  # the detector confirms what one window shows
            return TriggerResult(True, f"{self.metric} {latest:.4g} {side} {limit:.4g} "
                                 f"{self._bound(baseline)}, {tally}, confirmed by "
                                 f"{drifts[-1].describe()}", self.name)
        state = "holds against" if not worse(latest) else f"is {side}"
        return TriggerResult(False, f"{self.metric} {latest:.4g} {state} {limit:.4g} "
                             f"{self._bound(baseline)}: {tally} {side} (need {k} of {m})", self.name)
