"""Shared helpers for the telemetry tests."""

from __future__ import annotations

import math

import pytest
from prometheus_client.parser import text_string_to_metric_families

from driftline.telemetry import GpuReading, LoopSample, ServingMetrics

Series = set[tuple[str, frozenset[tuple[str, str]]]]


def series(body: bytes) -> Series:
    """The (sample name, labels) pairs of a text-format scrape."""
    return {(s.name, frozenset(s.labels.items()))
            for family in text_string_to_metric_families(body.decode())
            for s in family.samples}


def samples(metrics: ServingMetrics, prefix: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Sample values whose name starts with ``prefix``, keyed like :func:`series`."""
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in metrics.registry.collect() for s in family.samples
            if s.name.startswith(prefix)}


def two_gpus() -> list[GpuReading]:
    return [GpuReading(0, 0.5, 2 * 1024**3, 16 * 1024**3), GpuReading(1, 0.0, 0, 16 * 1024**3)]


def model_state() -> list[tuple[str, dict[str, str], float]]:
    return [
        ("driftline_dataset_drift_share", {"model": "credit"}, 0.2),
        ("driftline_dataset_drift", {"model": "credit"}, 1.0),
        ("driftline_feature_drift_score", {"model": "credit", "feature": "income"}, 0.31),
        ("driftline_model_performance",
         {"model": "credit", "version": "3", "metric": "roc_auc", "source": "realized"}, 0.87),
        ("driftline_label_coverage", {"model": "credit"}, 0.4),
        ("driftline_outlier_share", {"model": "credit"}, 0.012),
        ("driftline_multivariate_drift", {"model": "credit", "method": "mmd"}, 1.0),
        ("driftline_estimated_class_prior", {"model": "credit", "class": "1"}, 0.3),
        ("driftline_label_shift", {"model": "credit"}, 1.0),
        ("driftline_model_performance_baseline",
         {"model": "credit", "version": "3", "metric": "roc_auc"}, 0.84),
    ]


def training_state() -> list[LoopSample]:
    """The training families, as the store gives them once a model has tracked runs."""
    return [
        ("driftline_training_runs", {"model": "credit", "outcome": "finished"}, 4.0),
        ("driftline_training_runs", {"model": "credit", "outcome": "failed"}, 1.0),
        ("driftline_training_duration_seconds", {"model": "credit"},
         (((60.0, 3.0), (3600.0, 4.0), (math.inf, 5.0)), 4000.0)),
        ("driftline_training_last_metric", {"model": "credit", "metric": "val_auc"}, 0.83),
    ]


@pytest.fixture
def metrics() -> ServingMetrics:
    """Everything on, with a fake GPU, model-state and training sources, and one served
    model."""
    m = ServingMetrics(gpu=two_gpus, model_state=model_state)
    m.loop.source = training_state
    m.add_model("credit", "3")
    return m
