"""Model-state gauges (drift, performance, label coverage), read from a source at scrape time.

Monitor results are persisted; every process that serves ``/metrics`` exports the latest ones
when Prometheus scrapes it, so the gauges exist no matter which process computed them. The
source is a callable that returns samples ``(name, labels, value)``. Only the families in
:data:`MODEL_STATE_METRICS` are exported, with exactly their label names: the set of metric
families is fixed, whatever the source returns. A source that raises costs one scrape of
model state (nothing is exported for it) and one increment of
``driftline_model_state_errors_total``; the rest of the scrape is unaffected.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from prometheus_client.metrics_core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

__all__ = ["MODEL_STATE_METRICS", "ModelStateCollector", "ModelStateSample", "ModelStateSource"]

_log = logging.getLogger(__name__)

ModelStateSample = tuple[str, Mapping[str, str], float]
"""One sample from a model-state source: metric name, labels, value."""

ModelStateSource = Callable[[], Iterable[ModelStateSample]]
"""A callable that returns the latest model-state samples (read from the store)."""

# name -> (help text, label names). The "loop" issue fills these from the stored results.
MODEL_STATE_METRICS: dict[str, tuple[str, tuple[str, ...]]] = {
    "driftline_dataset_drift_share": (
        "Share of a model's monitored features that drifted in the latest window (0 to 1).",
        ("model",)),
    "driftline_dataset_drift": (
        "1 if the latest window's dataset-level verdict is drift, else 0.", ("model",)),
    "driftline_feature_drift_score": (
        "Drift score of one feature in the latest window (the method's statistic or distance).",
        ("model", "feature")),
    "driftline_model_performance": (
        "Latest performance of a model version; source is realized (from labels) or estimated.",
        ("model", "version", "metric", "source")),
    "driftline_outlier_share": (
        "Share of the latest window's rows that Half-Space Trees fitted on the reference flag as "
        "outliers (about 0.01 while traffic looks like the reference).", ("model",)),
    "driftline_multivariate_drift": (
        "1 if a whole-row method (monitoring.multivariate: pca_reconstruction, mmd, "
        "domain_classifier, bbsd_soft, bbsd_hard) flagged the latest window, else 0.",
        ("model", "method")),
    "driftline_estimated_class_prior": (
        "Share of a class among the latest window's true labels, estimated without labels from "
        "the predicted labels (BBSE with RLLS against the champion's holdout).",
        ("model", "class")),
    "driftline_label_shift": (
        "1 if the latest window's prediction mix moved from the holdout's (label shift test at "
        "monitoring alpha), else 0.", ("model",)),
    "driftline_label_coverage": (
        "Share of the latest window's predictions that have received a label (0 to 1).",
        ("model",)),
    "driftline_model_performance_baseline": (
        "Holdout metrics of a model's champion version, the baseline of realized performance.",
        ("model", "version", "metric")),
}

_ERRORS = "driftline_model_state_errors"
_ERRORS_HELP = ("Scrapes whose model-state source failed (nothing exported) or returned samples "
                "that were rejected (unknown name or labels).")


class ModelStateCollector(Collector):
    """Export model-state gauges from ``source`` at scrape time.

    Parameters
    ----------
    source
        Called once per scrape; returns ``(name, labels, value)`` samples. ``None`` (the
        default) exports no model state until :attr:`source` is set.

    Notes
    -----
    A sample is rejected (dropped, and the scrape counted in
    ``driftline_model_state_errors_total``) when its name is not in
    :data:`MODEL_STATE_METRICS`, when its label names differ from the family's, or when its
    value is not a number. When the source returns the same series twice, the last value wins.

    Examples
    --------
    >>> from prometheus_client import CollectorRegistry, generate_latest
    >>> registry = CollectorRegistry()
    >>> collector = ModelStateCollector(
    ...     lambda: [("driftline_dataset_drift_share", {"model": "credit"}, 0.25)])
    >>> registry.register(collector)
    >>> text = generate_latest(registry).decode()
    >>> [line for line in text.splitlines() if line.startswith("driftline_dataset")]
    ['driftline_dataset_drift_share{model="credit"} 0.25']
    >>> collector.errors
    0
    """

    def __init__(self, source: ModelStateSource | None = None) -> None:
        self.source = source
        self._errors = 0
        self._lock = threading.Lock()

    @property
    def errors(self) -> int:
        """How many scrapes had a failing source or rejected samples."""
        return self._errors

    def describe(self) -> list[Metric]:
        """The fixed set of families (used by the registry; it never calls the source)."""
        families: list[Metric] = [GaugeMetricFamily(n, h, labels=ls)
                                  for n, (h, ls) in MODEL_STATE_METRICS.items()]
        families.append(CounterMetricFamily(_ERRORS, _ERRORS_HELP))
        return families

    def collect(self) -> Iterator[Metric]:
        """Call the source and yield one gauge family per name that has samples."""
        source = self.source
        if source is not None:
            try:
                samples = list(source())
            except Exception:
                _log.warning("the model-state source failed; no model state in this scrape",
                             exc_info=True)
                self._count_error()
            else:
                yield from self._families(samples)
        yield CounterMetricFamily(_ERRORS, _ERRORS_HELP, value=self._errors)

    def _families(self, samples: list[ModelStateSample]) -> Iterator[Metric]:
        series: dict[str, dict[tuple[str, ...], float]] = {}
        rejected = 0
        for sample in samples:
            parsed = _parse(sample)
            if parsed is None:
                rejected += 1
                continue
            name, key, value = parsed
            series.setdefault(name, {})[key] = value
        if rejected:
            _log.warning("the model-state source returned %d rejected sample(s)", rejected)
            self._count_error()
        for name, values in series.items():
            help_text, labels = MODEL_STATE_METRICS[name]
            family = GaugeMetricFamily(name, help_text, labels=labels)
            for key, value in values.items():
                family.add_metric(key, value)
            yield family

    def _count_error(self) -> None:
        with self._lock:
            self._errors += 1


def _parse(sample: Any) -> tuple[str, tuple[str, ...], float] | None:
    """Validate one sample; ``None`` if it must be rejected."""
    try:
        name, labels, value = sample
        _, names = MODEL_STATE_METRICS[name]
        if len(labels) != len(names):
            return None
        key = tuple(str(labels[n]) for n in names)
        number = float(value)
    except (KeyError, TypeError, ValueError):
        return None
    return name, key, number
