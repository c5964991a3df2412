"""ServingMetrics: names, types, labels, bounded label values, model info, the hot path."""

from __future__ import annotations

import math
import threading
import time

import prometheus_client
import pytest

from driftline.errors import ParameterError
from driftline.telemetry import (
    DROP_REASONS,
    ENDPOINTS,
    LATENCY_BUCKETS,
    MODEL_ENDPOINTS,
    STATUS_CLASSES,
    ServingMetrics,
    status_class,
)

from .conftest import samples, series

# family name (as prometheus_client reports it) -> (type, label names)
FAMILIES = {
    "driftline_requests": ("counter", {"model", "version", "endpoint", "code"}),
    "driftline_request_duration_seconds": ("histogram", {"model", "endpoint"}),
    "driftline_inflight_requests": ("gauge", set()),
    "driftline_predictions": ("counter", {"model", "version"}),
    "driftline_feedback": ("counter", {"model"}),
    "driftline_ingested": ("counter", {"model"}),
    "driftline_prediction_log_write_duration_seconds": ("histogram", {"model"}),
    "driftline_prediction_log_dropped": ("counter", {"model", "reason"}),
    "driftline_model": ("info", {"model", "version", "stage"}),
    "driftline_system_cpu_utilization_ratio": ("gauge", set()),
    "driftline_system_memory_utilization_ratio": ("gauge", set()),
    "driftline_system_memory_used_bytes": ("gauge", set()),
    "driftline_system_memory_total_bytes": ("gauge", set()),
    "driftline_gpu_utilization_ratio": ("gauge", {"gpu"}),
    "driftline_gpu_memory_used_bytes": ("gauge", {"gpu"}),
    "driftline_gpu_memory_total_bytes": ("gauge", {"gpu"}),
    "driftline_gpu_read_errors": ("counter", set()),
    "driftline_dataset_drift_share": ("gauge", {"model"}),
    "driftline_dataset_drift": ("gauge", {"model"}),
    "driftline_feature_drift_score": ("gauge", {"model", "feature"}),
    "driftline_model_performance": ("gauge", {"model", "version", "metric", "source"}),
    "driftline_label_coverage": ("gauge", {"model"}),
    "driftline_outlier_share": ("gauge", {"model"}),
    "driftline_multivariate_drift": ("gauge", {"model", "method"}),
    "driftline_estimated_class_prior": ("gauge", {"model", "class"}),
    "driftline_label_shift": ("gauge", {"model"}),
    "driftline_model_performance_baseline": ("gauge", {"model", "version", "metric"}),
    "driftline_model_state_errors": ("counter", set()),
    "driftline_training_runs": ("counter", {"model", "outcome"}),
    "driftline_training_duration_seconds": ("histogram", {"model"}),
    "driftline_training_last_metric": ("gauge", {"model", "metric"}),
}
BUCKET_LABEL = {"le"}


def _families(metrics: ServingMetrics) -> dict[str, tuple[str, set[str]]]:
    out = {}
    for family in metrics.registry.collect():
        labels = set().union(*(set(s.labels) - BUCKET_LABEL for s in family.samples))
        out[family.name] = (family.type, labels)
    return out


def test_every_family_has_its_type_and_labels(metrics):
    found = {k: v for k, v in _families(metrics).items() if k.startswith("driftline_")}
    assert found == FAMILIES


def test_counters_end_in_total_and_units_are_base_units(metrics):
    types = dict(line.split()[2:4] for line in metrics.exposition()[0].decode().splitlines()
                 if line.startswith("# TYPE driftline_"))
    counters = [n for n, t in types.items() if t == "counter"]
    assert counters and all(n.endswith("_total") for n in counters)
    for name, kind in types.items():
        if kind == "histogram":
            assert name.endswith("_seconds")
        assert not name.endswith(("_milliseconds", "_percent", "_kilobytes", "_megabytes"))


def test_histograms_use_seconds_from_1ms_to_10s(metrics):
    for name in ("driftline_request_duration_seconds", "driftline_prediction_log_write_duration_seconds"):
        les = sorted({float(s.labels["le"]) for family in metrics.registry.collect()
                      for s in family.samples if s.name == f"{name}_bucket"})
        assert les == [*LATENCY_BUCKETS, math.inf]
    assert LATENCY_BUCKETS[0] == 0.001 and LATENCY_BUCKETS[-1] == 10.0


def test_the_global_registry_is_untouched():
    before = {m.name for m in prometheus_client.REGISTRY.collect()}
    ServingMetrics(gpu=False).add_model("credit", "1")
    after = {m.name for m in prometheus_client.REGISTRY.collect()}
    assert after == before
    assert not any(name.startswith("driftline_") for name in after)


def test_unknown_models_and_random_paths_add_no_series(metrics):
    before = series(metrics.exposition()[0])
    for i in range(50):
        metrics.observe_request(f"model-{i}", "predict", 404, 0.001)
        metrics.observe_request("credit", f"/random/{i}", 404, 0.001)
        metrics.observe_request(None, f"/wp-{i}.php", 404, 0.001)
        metrics.observe_request("credit", "infer", 404, 0.001, version=f"v{i}")
        metrics.observe_request("credit", "predict", 600 + i, 0.001)
        metrics.observe_request(f"m{i}", "live", 200, 0.001)
        metrics.predictions(f"model-{i}", str(i), 3)
        metrics.feedback(f"model-{i}", 1)
        metrics.ingested(f"model-{i}", 1)
        metrics.log_write(f"model-{i}", 0.01)
        metrics.log_dropped(f"model-{i}", 1, f"reason-{i}")
    assert series(metrics.exposition()[0]) == before
    requests = samples(metrics, "driftline_requests_total")

    def count(**labels):
        return requests[("driftline_requests_total", frozenset(labels.items()))]

    assert count(model="_unknown", version="", endpoint="predict", code="4xx") == 50
    assert count(model="_unknown", version="", endpoint="infer", code="4xx") == 50
    assert count(model="", version="", endpoint="_other", code="4xx") == 100
    assert count(model="", version="", endpoint="live", code="2xx") == 50
    assert count(model="credit", version="3", endpoint="predict", code="5xx") == 50


def test_series_are_precreated_at_zero(metrics):
    values = samples(metrics, "driftline_requests_total")
    expected = {(m, v, e, c) for m, v in (("credit", "3"), ("_unknown", ""))
                for e in MODEL_ENDPOINTS for c in STATUS_CLASSES}
    expected |= {("", "", e, c) for e in ENDPOINTS if e not in MODEL_ENDPOINTS for c in STATUS_CLASSES}
    got = {(d["model"], d["version"], d["endpoint"], d["code"]) for _, labels in values
           for d in [dict(labels)]}
    assert got == expected
    assert set(values.values()) == {0.0}
    dropped = samples(metrics, "driftline_prediction_log_dropped_total")
    assert {dict(labels)["reason"] for _, labels in dropped} == set(DROP_REASONS)


def _info(metrics):
    return sorted((s.labels["model"], s.labels["version"], s.labels["stage"], s.value)
                  for family in metrics.registry.collect() for s in family.samples
                  if s.name == "driftline_model_info")


def test_model_info_switches_version_without_leftovers():
    metrics = ServingMetrics(process=False, system=False, gpu=False)
    metrics.add_model("credit", "1")
    metrics.add_model("fraud", "7")
    assert _info(metrics) == [("credit", "1", "champion", 1.0), ("fraud", "7", "champion", 1.0)]
    metrics.add_model("credit", "2")
    assert _info(metrics) == [("credit", "2", "champion", 1.0), ("fraud", "7", "champion", 1.0)]
    metrics.add_model("credit", "3", "challenger")
    assert ("credit", "3", "challenger", 1.0) in _info(metrics)
    metrics.add_model("credit", "3")  # the challenger is promoted
    assert _info(metrics) == [("credit", "3", "champion", 1.0), ("fraud", "7", "champion", 1.0)]
    metrics.remove_model("fraud")
    assert _info(metrics) == [("credit", "3", "champion", 1.0)]


def test_requests_follow_the_champion():
    metrics = ServingMetrics(process=False, system=False, gpu=False)
    metrics.add_model("credit", "1")
    metrics.observe_request("credit", "predict", 200, 0.01)
    metrics.add_model("credit", "2")
    metrics.observe_request("credit", "predict", 200, 0.01)
    metrics.observe_request("credit", "predict", 200, 0.01, version="1")
    get = metrics.registry.get_sample_value
    labels = {"model": "credit", "endpoint": "predict", "code": "2xx"}
    assert get("driftline_requests_total", {**labels, "version": "1"}) == 2
    assert get("driftline_requests_total", {**labels, "version": "2"}) == 1
    assert get("driftline_request_duration_seconds_count", {"model": "credit", "endpoint": "predict"}) == 3
    metrics.remove_model("credit")
    metrics.observe_request("credit", "predict", 404, 0.01)
    assert get("driftline_requests_total", {"model": "_unknown", "version": "", "endpoint": "predict",
                                            "code": "4xx"}) == 1


def test_predictions_default_to_the_champion():
    metrics = ServingMetrics(process=False, system=False, gpu=False)
    metrics.add_model("credit", 4)
    metrics.predictions("credit", None, 10)
    metrics.predictions("credit", 4, 5)
    assert metrics.registry.get_sample_value("driftline_predictions_total",
                                             {"model": "credit", "version": "4"}) == 15


def test_external_models_get_their_own_series():
    metrics = ServingMetrics(process=False, system=False, gpu=False)
    metrics.add_external_model("churn")
    metrics.ingested("churn", 100)
    metrics.feedback("churn", 20)
    metrics.log_write("churn", 0.02)
    metrics.log_dropped("churn", 2, "timeout")
    get = metrics.registry.get_sample_value
    assert get("driftline_ingested_total", {"model": "churn"}) == 100
    assert get("driftline_feedback_total", {"model": "churn"}) == 20
    assert get("driftline_prediction_log_write_duration_seconds_sum", {"model": "churn"}) == 0.02
    assert get("driftline_prediction_log_dropped_total", {"model": "churn", "reason": "timeout"}) == 2
    assert _info(metrics) == []  # not served here


@pytest.mark.parametrize(("model", "version", "stage"), [
    ("_unknown", "1", "champion"), ("", "1", "champion"), ("credit", "", "champion"),
    ("credit", "1", "archived"), ("credit", "1", "shadow")],
    ids=["reserved-model", "empty-model", "empty-version", "archived", "shadow"])
def test_add_model_validates(model, version, stage):
    metrics = ServingMetrics(process=False, system=False, gpu=False)
    with pytest.raises(ParameterError, match="must be"):
        metrics.add_model(model, version, stage)


def test_gpu_must_be_a_flag_or_a_reader():
    with pytest.raises(ParameterError, match="gpu must be"):
        ServingMetrics(gpu="yes")  # type: ignore[arg-type]


@pytest.mark.parametrize(("code", "expected"), [
    (200, "2xx"), (204, "2xx"), (307, "3xx"), (400, "4xx"), (422, "4xx"), (500, "5xx"),
    (503, "5xx"), (100, "5xx"), (600, "5xx"), (0, "5xx")])
def test_status_class(code, expected):
    assert status_class(code) == expected


def test_inflight_goes_back_to_zero_on_errors():
    metrics = ServingMetrics(process=False, system=False, gpu=False)
    get = metrics.registry.get_sample_value
    with pytest.raises(RuntimeError), metrics.inflight():
        with metrics.inflight():
            assert get("driftline_inflight_requests") == 2
        raise RuntimeError
    assert get("driftline_inflight_requests") == 0


@pytest.mark.parametrize(("accept", "kind"), [
    (None, "text/plain"), ("text/plain;version=0.0.4", "text/plain"),
    ("application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5",
     "application/openmetrics-text"),
    # what Prometheus 2.42 sends
    ("application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,"
     "text/plain;version=0.0.4;q=0.5,*/*;q=0.1", "application/openmetrics-text"),
    # prometheus_client serves OpenMetrics 1.0.0 or later only; older asks get the text format
    ("application/openmetrics-text;version=0.0.1,text/plain;version=0.0.4;q=0.5", "text/plain")],
    ids=["none", "text", "openmetrics-1", "prometheus-2.42", "openmetrics-0.0.1"])
def test_exposition_negotiates_the_format(metrics, accept, kind):
    body, content_type = metrics.exposition(accept)
    assert content_type.startswith(kind)
    assert b"driftline_requests_total{" in body
    assert body.endswith(b"# EOF\n") == (kind == "application/openmetrics-text")


def test_process_and_platform_collectors_are_registered(metrics):
    names = {name for name, _ in series(metrics.exposition()[0])}
    assert {"process_cpu_seconds_total", "process_resident_memory_bytes", "python_info"} <= names
    off = ServingMetrics(process=False, system=False, gpu=False)
    assert not any(n.startswith(("process_", "python_")) for n, _ in series(off.exposition()[0]))


def test_observe_request_is_thread_safe_while_models_change():
    metrics = ServingMetrics(process=False, system=False, gpu=False)
    metrics.add_model("credit", "1")

    def hammer():
        for _ in range(2_000):
            metrics.observe_request("credit", "predict", 200, 0.001)

    threads = [threading.Thread(target=hammer) for _ in range(8)]
    for t in threads:
        t.start()
    for v in range(2, 30):
        metrics.add_model("credit", str(v))
    for t in threads:
        t.join()
    total = sum(v for (name, _), v in samples(metrics, "driftline_requests_total").items())
    assert total == 16_000


def test_observe_request_is_cheap():
    # Reported as a soft bound (machines are noisy): well under 50 µs a call.
    metrics = ServingMetrics(process=False, system=False, gpu=False)
    metrics.add_model("credit", "1")
    n = 20_000
    t0 = time.perf_counter()
    for _ in range(n):
        metrics.observe_request("credit", "predict", 200, 0.003)
    per_call = (time.perf_counter() - t0) / n
    assert per_call < 50e-6, f"{per_call * 1e6:.1f} µs per call"
