"""The performance condition of a suite: a metric stays within bounds."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from driftline.drift._conditions import ConditionResult, _check_number, _number
from driftline.drift._report import DriftReport
from driftline.errors import ParameterError

__all__ = ["MetricThreshold"]


@dataclass(frozen=True)
class MetricThreshold:
    """A performance metric is at least ``min`` and/or at most ``max``.

    Metrics come from :meth:`Suite.run(report, metrics=...) <driftline.drift.Suite.run>`;
    when the metric is not given the verdict is ``"error"``, not an exception.

    Examples
    --------
    >>> from driftline.drift._report import DriftReport, DecisionRule
    >>> report = DriftReport({}, {}, DecisionRule(), 0, 0)
    >>> cond = MetricThreshold("accuracy", min=0.9)
    >>> cond.evaluate(report, {"accuracy": 0.93}).verdict
    'pass'
    >>> cond.evaluate(report).message
    "metric 'accuracy' is not available; pass it with run(report, metrics={'accuracy': ...})"
    """

    metric: str
    min: float | None = None
    max: float | None = None
    key: ClassVar[str] = "performance"

    def __post_init__(self) -> None:
        if not isinstance(self.metric, str) or not self.metric:
            raise ParameterError.invalid("metric", self.metric, "a metric name")
        if self.min is None and self.max is None:
            raise ParameterError(f"metric {self.metric!r} needs a limit: min, max or both.")
        for label in ("min", "max"):
            if getattr(self, label) is not None:
                _check_number(label, getattr(self, label))

    @property
    def name(self) -> str:
        """The label in results."""
        return f"{self.key}[{self.metric}]"

    @property
    def limit(self) -> float | None:
        """The bound shown in results (``min`` when both are set)."""
        return self.min if self.min is not None else self.max

    def evaluate(self, report: DriftReport,
                 metrics: Mapping[str, float] | None = None) -> ConditionResult:
        """Compare the metric's value with its bounds."""
        value = _number(None if metrics is None else metrics.get(self.metric))
        if value is None:
            msg = (f"metric {self.metric!r} is not available; pass it with "
                   f"run(report, metrics={{{self.metric!r}: ...}})")
            return ConditionResult(self.name, "error", None, self.limit, msg)
        if self.min is not None and value < self.min:
            return ConditionResult(self.name, "fail", value, self.min,
                                   f"{self.metric} {value:.4g} < minimum {self.min:g}")
        if self.max is not None and value > self.max:
            return ConditionResult(self.name, "fail", value, self.max,
                                   f"{self.metric} {value:.4g} > maximum {self.max:g}")
        return ConditionResult(self.name, "pass", value, self.limit,
                               f"{self.metric} {value:.4g} within {self._bounds()}")

    def _bounds(self) -> str:
        lo = "-inf" if self.min is None else f"{self.min:g}"
        hi = "inf" if self.max is None else f"{self.max:g}"
        return f"[{lo}, {hi}]"

    def to_dict(self) -> dict[str, Any]:
        """The YAML form: ``{"performance": {metric: {min, max}}}``."""
        bounds = {k: v for k, v in (("min", self.min), ("max", self.max)) if v is not None}
        return {self.key: {self.metric: bounds}}
