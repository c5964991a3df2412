"""The continuous-learning loop's metrics, read from the store at scrape time, so they exist
on every process that serves /metrics whichever worker retrained."""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterable, Iterator
from itertools import pairwise
from typing import Any

from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector
from prometheus_client.utils import floatToGoString

__all__ = ["LOOP_METRICS", "HistogramValue", "LoopCollector", "LoopSample"]

_log = logging.getLogger("driftline.telemetry")

#: name -> (type, help, label names). Label values are bounded: model names, the two modes,
#: the fixed sets of outcomes and actions, and the metric names a model's runs log.
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
    "driftline_training_runs": ("counter", "Tracked training runs (kinds run, trial and retrain) "
                                "that ended, by outcome (finished, failed, pruned).",
                                ("model", "outcome")),
    "driftline_training_duration_seconds": ("histogram", "Time from start to end of the tracked "
                                            "training runs that ended, in seconds.", ("model",)),
    "driftline_training_last_metric": ("gauge", "Metrics of the latest finished training run "
                                       "(kind run or retrain) of each model.",
                                       ("model", "metric")),
}

#: A histogram as a source gives it: ``(buckets, sum)``, the buckets as ``(upper bound,
#: cumulative count)`` in increasing order of bound, the last bound ``math.inf`` (its count is
#: the number of observations).
HistogramValue = tuple[tuple[tuple[float, float], ...], float]
#: ``(family name, labels, value)``: a number for a counter or a gauge; for a histogram a
#: :data:`HistogramValue`, or a number taken as one observation (in the ``+Inf`` bucket only).
LoopSample = tuple[str, dict[str, str], float | HistogramValue]

_FAMILIES: dict[str, Any] = {"counter": CounterMetricFamily, "gauge": GaugeMetricFamily,
                             "histogram": HistogramMetricFamily}


def _number(value: Any) -> float | None:
    """The value as a float, or ``None`` for a histogram's ``(buckets, sum)`` or a non-number."""
    if isinstance(value, tuple):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _histogram(value: Any) -> tuple[list[tuple[str, float]], float] | None:
    """``(buckets with their le strings, sum)``, or ``None`` for a value that is not a valid
    histogram (bounds not increasing or not ending at +Inf, counts negative or decreasing)."""
    single = _number(value)
    if single is not None:
        return [("+Inf", 1.0)], single
    try:
        buckets, total = value
        pairs = [(float(le), float(n)) for le, n in buckets]
        total = float(total)
    except (TypeError, ValueError):
        return None
    if not pairs or pairs[-1][0] != math.inf or not pairs[0][1] >= 0 or math.isnan(total):
        return None
    if any(not (le0 < le1 and n0 <= n1) for (le0, n0), (le1, n1) in pairwise(pairs)):
        return None
    return [(floatToGoString(le), n) for le, n in pairs], total


class LoopCollector(Collector):
    """Export the loop's counters, gauges and histograms from ``source`` at scrape time.

    A sample that names no family of :data:`LOOP_METRICS`, has other labels than its family,
    or a value that does not fit the family's type is left out.

    Examples
    --------
    >>> from prometheus_client import CollectorRegistry, generate_latest
    >>> registry = CollectorRegistry()
    >>> registry.register(LoopCollector(lambda: [
    ...     ("driftline_decisions", {"model": "credit", "action": "retrain"}, 3.0),
    ...     ("driftline_training_duration_seconds", {"model": "credit"},
    ...      (((60.0, 1.0), (float("inf"), 3.0)), 7250.0))]))
    >>> [x for x in generate_latest(registry).decode().splitlines()
    ...  if x.startswith(("driftline_decisions_total", "driftline_training_duration"))]
    ['driftline_decisions_total{action="retrain",model="credit"} 3.0',
     'driftline_training_duration_seconds_bucket{le="60.0",model="credit"} 1.0',
     'driftline_training_duration_seconds_bucket{le="+Inf",model="credit"} 3.0',
     'driftline_training_duration_seconds_count{model="credit"} 3.0',
     'driftline_training_duration_seconds_sum{model="credit"} 7250.0']
    """

    def __init__(self, source: Callable[[], Iterable[LoopSample]] | None = None) -> None:
        self.source = source

    def describe(self) -> list[Metric]:
        """The fixed families (never calls the source)."""
        return list(self._empty().values())

    def _empty(self) -> dict[str, Any]:
        return {name: _FAMILIES[kind](name, help_text, labels=labels)
                for name, (kind, help_text, labels) in LOOP_METRICS.items()}

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
            values = [labels[k] for k in spec[2]]
            if spec[0] == "histogram":
                hist = _histogram(value)
                if hist is None:
                    continue
                families[name].add_metric(values, *hist)
            else:
                number = _number(value)
                if number is None:
                    continue
                families[name].add_metric(values, number)
            used.add(name)
        for name, family in families.items():  # in LOOP_METRICS order
            if name in used:
                yield family
