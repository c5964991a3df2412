"""The custom collectors: host (psutil), GPU (NVML or an injected reader), model state."""

from __future__ import annotations

from types import SimpleNamespace as NS

import pytest
from prometheus_client import CollectorRegistry, generate_latest

from driftline.errors import MissingDependencyError
from driftline.telemetry import (
    MODEL_STATE_METRICS,
    GpuCollector,
    GpuReading,
    ModelStateCollector,
    NvmlReader,
    ServingMetrics,
    SystemCollector,
    detect_gpus,
)

from .conftest import model_state, samples, series, two_gpus

# -- host -------------------------------------------------------------------------------------


def _system_values(collector):
    return {m.name: m.samples[0].value for m in collector.collect()}


def test_system_values_are_in_range():
    collector = SystemCollector()
    sum(i * i for i in range(200_000))  # some CPU time between the priming call and the scrape
    values = _system_values(collector)
    assert 0.0 <= values["driftline_system_cpu_utilization_ratio"] <= 1.0
    assert 0.0 < values["driftline_system_memory_utilization_ratio"] <= 1.0
    assert 0 < values["driftline_system_memory_used_bytes"] <= values["driftline_system_memory_total_bytes"]


def test_system_collector_clamps_and_primes_the_cpu_reading():
    calls = []

    def cpu_percent(interval=None):
        calls.append(interval)
        return 150.0 if len(calls) > 1 else 0.0

    fake = NS(cpu_percent=cpu_percent, virtual_memory=lambda: NS(total=1000, available=250))
    collector = SystemCollector(fake)
    assert calls == [None]  # primed at construction, non-blocking
    values = _system_values(collector)
    assert values == {"driftline_system_cpu_utilization_ratio": 1.0,
                      "driftline_system_memory_utilization_ratio": 0.75,
                      "driftline_system_memory_used_bytes": 750.0,
                      "driftline_system_memory_total_bytes": 1000.0}


def test_system_series_can_be_turned_off():
    off = ServingMetrics(process=False, system=False, gpu=False)
    assert not any(n.startswith("driftline_system_") for n, _ in series(off.exposition()[0]))


# -- GPU --------------------------------------------------------------------------------------


def _gpu_series(metrics):
    return {(n, dict(labels).get("gpu")) for n, labels in series(metrics.exposition()[0])
            if n.startswith("driftline_gpu_")}


def test_no_gpu_series_without_a_gpu():
    if detect_gpus() is not None:  # pragma: no cover - only on machines with an NVIDIA GPU
        pytest.skip("this machine has a GPU; the no-GPU path cannot be observed here")
    assert _gpu_series(ServingMetrics()) == set()  # auto-detect
    assert _gpu_series(ServingMetrics(gpu=False)) == set()


def test_gpu_true_without_nvml_raises():
    if detect_gpus() is not None:  # pragma: no cover
        pytest.skip("this machine has a GPU")
    with pytest.raises(Exception) as info:
        ServingMetrics(gpu=True)
    assert isinstance(info.value, MissingDependencyError) or "NVML" in type(info.value).__name__


def test_gpu_series_appear_with_a_device_reader():
    metrics = ServingMetrics(process=False, system=False, gpu=two_gpus)
    assert _gpu_series(metrics) == {
        (f"driftline_gpu_{n}", g) for n in ("utilization_ratio", "memory_used_bytes", "memory_total_bytes")
        for g in ("0", "1")} | {("driftline_gpu_read_errors_total", None)}
    get = metrics.registry.get_sample_value
    assert get("driftline_gpu_utilization_ratio", {"gpu": "0"}) == 0.5
    assert get("driftline_gpu_memory_used_bytes", {"gpu": "0"}) == 2 * 1024**3
    assert get("driftline_gpu_memory_total_bytes", {"gpu": "1"}) == 16 * 1024**3


def test_a_failing_gpu_read_drops_only_the_gpu_series():
    def broken():
        raise RuntimeError("GPU has fallen off the bus")

    metrics = ServingMetrics(process=False, system=True, gpu=broken)
    names = {n for n, _ in series(metrics.exposition()[0])}
    assert "driftline_system_cpu_utilization_ratio" in names
    assert {n for n in names if n.startswith("driftline_gpu_")} == {"driftline_gpu_read_errors_total"}
    assert metrics.registry.get_sample_value("driftline_gpu_read_errors_total") == 2  # two scrapes


def _fake_nvml(count=2, fail_init=False):
    def init():
        if fail_init:
            raise RuntimeError("NVML Shared Library Not Found")

    return NS(nvmlInit=init, nvmlShutdown=lambda: None, nvmlDeviceGetCount=lambda: count,
              nvmlDeviceGetHandleByIndex=lambda i: f"h{i}",
              nvmlDeviceGetUtilizationRates=lambda h: NS(gpu=75 if h == "h0" else 0, memory=0),
              nvmlDeviceGetMemoryInfo=lambda h: NS(used=10, total=100, free=90))


def test_nvml_reader_reads_every_device():
    reader = NvmlReader(_fake_nvml())
    assert len(reader) == 2
    assert reader() == [GpuReading(0, 0.75, 10, 100), GpuReading(1, 0.0, 10, 100)]


@pytest.mark.parametrize("nvml", [_fake_nvml(count=0), _fake_nvml(fail_init=True)],
                         ids=["no-device", "no-driver"])
def test_detect_gpus_gives_none_without_a_usable_device(nvml):
    assert detect_gpus(nvml) is None


def test_detect_gpus_finds_devices():
    reader = detect_gpus(_fake_nvml())
    assert reader is not None and len(GpuCollector(reader).describe()) == 4


# -- model state ------------------------------------------------------------------------------


def _state(collector):
    registry = CollectorRegistry()
    registry.register(collector)
    return {(s.name, frozenset(s.labels.items())): s.value
            for m in registry.collect() for s in m.samples}, generate_latest(registry).decode()


def test_model_state_exports_the_source_with_help_text():
    collector = ModelStateCollector(model_state)
    values, text = _state(collector)
    assert values[("driftline_feature_drift_score",
                   frozenset({"model": "credit", "feature": "income"}.items()))] == 0.31
    assert values[("driftline_model_performance", frozenset(
        {"model": "credit", "version": "3", "metric": "roc_auc", "source": "realized"}.items()))] == 0.87
    for name, (help_text, _) in MODEL_STATE_METRICS.items():
        assert f"# HELP {name} {help_text}" in text
        assert f"# TYPE {name} gauge" in text
    assert collector.errors == 0


def test_model_state_rejects_unknown_names_and_labels():
    def source():
        return [("driftline_dataset_drift_share", {"model": "credit"}, 0.2),
                ("driftline_made_up", {"model": "credit"}, 1.0),                   # unknown name
                ("driftline_dataset_drift", {"model": "credit", "user": "x"}, 1.0),  # extra label
                ("driftline_feature_drift_score", {"model": "credit"}, 1.0),         # missing label
                ("driftline_label_coverage", {"model": "credit"}, "n/a"),            # not a number
                ("driftline_label_coverage", {"model": "credit"}),                   # not a triple
                ]

    collector = ModelStateCollector(source)
    values, text = _state(collector)
    assert {name for name, _ in values} == {"driftline_dataset_drift_share",
                                            "driftline_model_state_errors_total"}
    assert "driftline_made_up" not in text
    assert collector.errors == 2  # once per scrape (collect and generate_latest)


def test_a_failing_model_state_source_does_not_break_the_scrape():
    def broken():
        raise ConnectionError("the store is down")

    metrics = ServingMetrics(process=False, system=False, gpu=False, model_state=broken)
    metrics.add_model("credit", "1")
    body, _ = metrics.exposition()
    names = {n for n, _ in series(body)}
    assert "driftline_requests_total" in names
    assert not names & set(MODEL_STATE_METRICS)
    assert metrics.registry.get_sample_value("driftline_model_state_errors_total") == 2


def test_model_state_keeps_the_last_of_duplicate_series():
    collector = ModelStateCollector(lambda: [("driftline_dataset_drift", {"model": "m"}, 0),
                                             ("driftline_dataset_drift", {"model": "m"}, True)])
    values, text = _state(collector)
    assert values[("driftline_dataset_drift", frozenset({"model": "m"}.items()))] == 1.0
    assert text.count('driftline_dataset_drift{model="m"}') == 1


def test_registering_does_not_call_the_source():
    calls = []
    collector = ModelStateCollector(lambda: calls.append(1) or [])
    CollectorRegistry(auto_describe=True).register(collector)
    assert calls == []


def test_the_source_can_be_set_later():
    metrics = ServingMetrics(process=False, system=False, gpu=False)
    assert not samples(metrics, "driftline_dataset_drift_share")
    metrics.model_state.source = model_state
    assert samples(metrics, "driftline_dataset_drift_share") == {
        ("driftline_dataset_drift_share", frozenset({"model": "credit"}.items())): 0.2}
