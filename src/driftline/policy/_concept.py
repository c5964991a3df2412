"""The trigger on concept drift: streaming detectors watching the labelled errors as they arrive."""

from __future__ import annotations

from dataclasses import dataclass

from driftline.errors import ParameterError
from driftline.policy._context import ConceptDrift, PolicyContext
from driftline.policy._triggers import TriggerResult

__all__ = ["OnConceptDrift"]


@dataclass(frozen=True)
class OnConceptDrift:
    """Fires when the champion's error stream changed: at least ``min_events`` concept drifts
    since the last training or retrain decision.

    The drifts come from the streaming detector that the worker runs on the stream of labelled
    errors as feedback arrives (``monitoring.concept_drift`` in the project file; ADWIN by
    default). It reacts at the grain of single labels, not windows, and needs no baseline.
    Only drifts where the error rose count (``worse_only``, the default): a model that got
    better is no reason to retrain. ``detectors`` restricts the count to some detectors.

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> now = datetime(2024, 1, 2, tzinfo=timezone.utc)
    >>> found = ConceptDrift(datetime(2024, 1, 1, 9, tzinfo=timezone.utc), "ADWIN", 1520, 0.12, 0.31)
    >>> OnConceptDrift().evaluate(PolicyContext(now, "m", concept_drifts=[found])).reason
    'ADWIN concept drift at label 1,520: error 0.12 -> 0.31 (1 since the last retrain)'
    >>> OnConceptDrift().evaluate(PolicyContext(now, "m")).reason
    'no concept drift in the labelled errors since the last retrain'
    """

    min_events: int = 1
    detectors: tuple[str, ...] | None = None
    worse_only: bool = True
    name = "on_concept_drift"

    def __post_init__(self) -> None:
        if isinstance(self.min_events, bool) or not isinstance(self.min_events, int) \
                or self.min_events < 1:
            raise ParameterError.invalid("min_events", self.min_events, "an integer >= 1")
        if self.detectors is not None:
            if isinstance(self.detectors, str) or not self.detectors:
                raise ParameterError.invalid("detectors", self.detectors,
                                             "a non-empty sequence of detector names or None")
            object.__setattr__(self, "detectors", tuple(self.detectors))

    def counted(self, ctx: PolicyContext) -> tuple[ConceptDrift, ...]:
        """The fresh drifts this trigger counts, oldest first."""
        return tuple(d for d in ctx.fresh_concept_drifts()
                     if (not self.worse_only or d.worse)
                     and (self.detectors is None or d.detector in self.detectors))

    def evaluate(self, ctx: PolicyContext) -> TriggerResult:
        """Fire when at least ``min_events`` counted drifts are fresh."""
        found = self.counted(ctx)
        if not found:
            return TriggerResult(False, "no concept drift in the labelled errors since the last "
                                 "retrain", self.name)
        tally = f"{len(found)} since the last retrain"
        if len(found) >= self.min_events:
            return TriggerResult(True, f"{found[-1].describe()} ({tally})", self.name)
        return TriggerResult(False, f"{found[-1].describe()} ({tally}; need {self.min_events})",
                             self.name)
