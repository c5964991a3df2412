"""driftline_model_performance_baseline: the champion's holdout metrics, read from the store at
scrape time next to the latest monitoring result's gauges."""

from __future__ import annotations

import math

import pytest
from prometheus_client import CollectorRegistry, generate_latest

from driftline.store import Store
from driftline.telemetry import MODEL_STATE_METRICS, ModelStateCollector

NAME = "driftline_model_performance_baseline"


@pytest.fixture
def store() -> Store:
    s = Store.open("sqlite://")
    s.add_model("credit", "binary")
    return s


def _baseline(store: Store) -> dict[tuple[str, str], float]:
    return {(labels["version"], labels["metric"]): value
            for name, labels, value in store.latest_gauges("credit") if name == NAME}


def test_the_family_is_whitelisted_with_its_labels():
    assert MODEL_STATE_METRICS[NAME][1] == ("model", "version", "metric")


def test_no_champion_no_baseline(store):
    store.add_version("credit", {"metrics": {"roc_auc": 0.8}})  # a challenger only
    assert _baseline(store) == {}


def test_the_baseline_follows_the_champion(store):
    store.add_version("credit", {"metrics": {"roc_auc": 0.81, "log_loss": 0.45}}, stage="champion")
    assert _baseline(store) == {("1", "roc_auc"): 0.81, ("1", "log_loss"): 0.45}
    store.add_version("credit", {"metrics": {"roc_auc": 0.86}})
    assert _baseline(store) == {("1", "roc_auc"): 0.81, ("1", "log_loss"): 0.45}  # challenger
    store.set_stage("credit", 2, "champion", reason="better")
    assert _baseline(store) == {("2", "roc_auc"): 0.86}  # the archived version's series is gone


def test_only_finite_numbers_are_exported(store):
    metrics = {"roc_auc": 0.8, "nan": math.nan, "inf": math.inf, "flag": True, "note": "x",
               "bands": {"roc_auc": [0.7, 0.9]}, "n": 400}
    store.add_version("credit", {"metrics": metrics}, stage="champion")
    assert _baseline(store) == {("1", "roc_auc"): 0.8, ("1", "n"): 400.0}


def test_monitoring_gauges_come_first_then_the_baseline(store):
    store.add_version("credit", {"metrics": {"accuracy": 0.9}}, stage="champion")
    store.add_monitor_result("credit", {"version": 1, "gauges": [
        {"name": "driftline_model_performance", "value": 0.85,
         "labels": {"model": "credit", "version": "1", "metric": "accuracy", "source": "realized"}}]})
    names = [name for name, _, _ in store.latest_gauges("credit")]
    assert names == ["driftline_model_performance", NAME]


def test_the_scrape_exports_the_baseline(store):
    store.add_version("credit", {"metrics": {"rmse": 12.5}}, stage="champion")
    collector = ModelStateCollector(lambda: store.latest_gauges("credit"))
    registry = CollectorRegistry()
    registry.register(collector)
    text = generate_latest(registry).decode()
    assert f'{NAME}{{metric="rmse",model="credit",version="1"}} 12.5' in text
    assert f"# TYPE {NAME} gauge" in text
    assert collector.errors == 0
