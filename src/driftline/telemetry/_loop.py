"""The continuous-learning loop's metrics, read from the store at scrape time, so they exist
on every process that serves /metrics whichever worker retrained."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

__all__ = ["LOOP_METRICS", "LoopCollector", "LoopSample"]

_log = logging.getLogger("driftline.telemetry")

#: name -> (type, help, label names). Label values are bounded: model names, the two modes,
#: and the fixed sets of outcomes and actions.
LOOP_METRICS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "driftline_retrain_runs": ("counter", "Retraining runs by mode and outcome "
                               "(promoted, rejected, deferred, awaiting, failed).",
                               ("model", "mode", "outcome")),
    "driftline_retrain_last_success_timestamp_seconds": (
        "gauge", "Unix time of the last retrain that finished.", ("model",)),
    "driftline_retrain_expected_interval_seconds": (
        "gauge", "Seconds between scheduled retrains (scheduled policies only).", ("model",)),
    "driftline_decisions": ("counter", "Policy decisions by action (retrain, hold, none, "
                            "promote, reject, defer, await, force_promote).", ("model", "action")),
    "driftline_concept_drifts": ("counter", "Concept drifts that the streaming detector found in "
                                 "a model's labelled errors as feedback arrived.",
                                 ("model", "detector")),
    "driftline_labelled_error": ("gauge", "Mean error of the champion's latest labelled "
                                 "predictions as the concept-drift detector saw them (error rate; "
                                 "mean absolute error for a regressor).", ("model",)),
}

LoopSample = tuple[str, dict[str, str], float]


class LoopCollector(Collector):
    """Export the loop's counters and gauges from ``source`` at scrape time.

    Examples
    --------
    >>> from prometheus_client import CollectorRegistry, generate_latest
    >>> registry = CollectorRegistry()
    >>> registry.register(LoopCollector(lambda: [
    ...     ("driftline_decisions", {"model": "credit", "action": "retrain"}, 3.0)]))
    >>> [x for x in generate_latest(registry).decode().splitlines()
    ...  if x.startswith("driftline_decisions_total")]
    ['driftline_decisions_total{action="retrain",model="credit"} 3.0']
    """

    def __init__(self, source: Callable[[], Iterable[LoopSample]] | None = None) -> None:
        self.source = source

    def describe(self) -> list[Metric]:
        """The fixed families (never calls the source)."""
        return list(self._empty().values())

    def _empty(self) -> dict[str, Metric]:
        out: dict[str, Metric] = {}
        for name, (kind, help_text, labels) in LOOP_METRICS.items():
            cls: Any = CounterMetricFamily if kind == "counter" else GaugeMetricFamily
            out[name] = cls(name, help_text, labels=labels)
        return out

    def collect(self) -> Iterator[Metric]:
        """One family per metric, with the source's samples."""
        if self.source is None:
            return
        try:
            samples = list(self.source())
        except Exception:
            _log.warning("the loop-metrics source failed; none in this scrape", exc_info=True)
            return
        families = self._empty()
        used = set()
        for name, labels, value in samples:
            spec = LOOP_METRICS.get(name)
            if spec is None or tuple(sorted(labels)) != tuple(sorted(spec[2])):
                continue
            families[name].add_metric([labels[k] for k in spec[2]], float(value))
            used.add(name)
        for name in used:
            yield families[name]
