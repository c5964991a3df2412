"""Training metrics read from the store at scrape time: tracked runs by outcome, the duration
histogram, and the latest finished run's metrics, on SQLite and PostgreSQL, through a real
prometheus_client registry."""

from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from driftline.store import Store
from driftline.store._runs import TRAINING_DURATION_BUCKETS
from driftline.telemetry import LOOP_METRICS, LoopCollector
from driftline.tracking import track

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)
LES = ["1.0", "5.0", "15.0", "60.0", "300.0", "900.0", "3600.0", "14400.0", "+Inf"]


@pytest.fixture
def store(store_url):
    s = Store.open(store_url)
    s.add_model("credit", "binary")
    yield s
    s.close()


def _run(store: Store, name: str, seconds: float, *, status: str = "finished",
         kind: str = "run", metrics: dict[str, float] | None = None,
         start: datetime = T0) -> str:
    """A tracked run of ``credit`` that lasted ``seconds`` and ended ``status``."""
    with track("credit", store=store, run_name=name, kind=kind, started_at=start,
               sinks=()) as run:
        if metrics:
            run.log_metrics(metrics)
        if status != "finished":
            run.end(status, ended_at=start + timedelta(seconds=seconds))
        else:
            run.end(ended_at=start + timedelta(seconds=seconds))
    return run.id


def _scrape(store: Store, model: str = "credit") -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """The samples of a real registry's text exposition, keyed by (name, labels)."""
    registry = CollectorRegistry()
    registry.register(LoopCollector(lambda: store.loop_samples(model)))
    text = generate_latest(registry).decode()
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def _training(got, name: str) -> dict[str, float]:
    """One training family's samples, by their non-model label values (``le`` for buckets)."""
    out = {}
    for (n, labels), value in got.items():
        if n == name:
            rest = {k: v for k, v in labels if k != "model"}
            assert dict(labels)["model"] == "credit"
            out[",".join(rest.values())] = value
    return out


def test_the_families_are_declared():
    assert LOOP_METRICS["driftline_training_runs"][0::2] == ("counter", ("model", "outcome"))
    assert LOOP_METRICS["driftline_training_duration_seconds"][0::2] == ("histogram", ("model",))
    assert LOOP_METRICS["driftline_training_last_metric"][0::2] == ("gauge", ("model", "metric"))
    assert (1, 5, 15, 60, 300, 900, 3600, 4 * 3600, math.inf) == TRAINING_DURATION_BUCKETS


def test_no_training_run_no_training_series(store):
    with track("credit", store=store, kind="study", sinks=()) as study:
        study.log_metric("best_auc", 0.9)
    with track("other", store=store, sinks=()):
        pass  # another model's run
    assert not [k for k in _scrape(store) if k[0].startswith("driftline_training")]


def test_outcomes_durations_and_the_last_metrics(store):
    _run(store, "old", 0.5, metrics={"val_auc": 0.70, "val_log_loss": 0.61},
         start=T0 - timedelta(days=1))
    _run(store, "newest", 60.0, metrics={"val_auc": 0.83, "val_log_loss": 0.42}, kind="retrain")
    _run(store, "older", 200.0, metrics={"val_auc": 0.75}, start=T0 - timedelta(hours=2))
    # a failing block ends the run failed (now)
    with pytest.raises(RuntimeError), track("credit", store=store, run_name="boom", sinks=()):
        raise RuntimeError("out of memory")
    failed = store.run(next(r["id"] for r in store.runs("credit") if r["name"] == "boom"))
    boom = (failed["ended_at"] - failed["started_at"]).total_seconds()
    with track("credit", store=store, run_name="study", kind="study", started_at=T0,
               sinks=()) as study:
        for i, (seconds, status) in enumerate([(3.0, "finished"), (5.0, "pruned"),
                                               (4000.0, "pruned")]):
            with study.child(f"trial-{i}", started_at=T0) as trial:
                trial.log_metric("val_auc", 0.99)  # a trial's metrics are not the last run's
                trial.end(status, ended_at=T0 + timedelta(seconds=seconds))
        study.log_metric("best_val_auc", 0.99)
    with track("credit", store=store, run_name="still running", sinks=()) as running:
        running.log_metric("val_auc", 0.5)
        got = _scrape(store)

    assert _training(got, "driftline_training_runs_total") == {
        "finished": 4.0, "failed": 1.0, "pruned": 2.0}  # the study and the running run not
    durations = [0.5, 60.0, 200.0, boom, 3.0, 5.0, 4000.0]
    buckets = _training(got, "driftline_training_duration_seconds_bucket")
    assert list(buckets) == LES
    assert buckets == {le: float(sum(d <= float(le) for d in durations)) for le in LES}
    assert buckets["1.0"] == 2.0 and buckets["60.0"] == 5.0 and buckets["+Inf"] == 7.0
    assert _training(got, "driftline_training_duration_seconds_count") == {"": 7.0}
    (total,) = _training(got, "driftline_training_duration_seconds_sum").values()
    assert total == pytest.approx(sum(durations), abs=0.01)
    # the newest finished run of kind run or retrain, not the trials', the study's or the
    # running run's
    assert _training(got, "driftline_training_last_metric") == {
        "val_auc": 0.83, "val_log_loss": 0.42}


def test_every_outcome_exists_from_zero_once_a_model_trains(store):
    with track("credit", store=store, sinks=()) as run:
        assert _training(_scrape(store), "driftline_training_runs_total") == {
            "finished": 0.0, "failed": 0.0, "pruned": 0.0}
        assert _training(_scrape(store), "driftline_training_duration_seconds_count") == {"": 0.0}
        assert not _training(_scrape(store), "driftline_training_last_metric")
        run.log_metric("val_auc", 0.8)
    got = _scrape(store)
    assert _training(got, "driftline_training_runs_total")["finished"] == 1.0
    assert _training(got, "driftline_training_last_metric") == {"val_auc": 0.8}


def test_the_last_metrics_follow_the_latest_finished_run(store):
    _run(store, "first", 10.0, metrics={"val_auc": 0.8, "val_brier": 0.2})
    _run(store, "failed later", 10.0, status="failed", metrics={"val_auc": 0.1},
         start=T0 + timedelta(hours=1))
    assert _training(_scrape(store), "driftline_training_last_metric") == {
        "val_auc": 0.8, "val_brier": 0.2}
    _run(store, "second", 10.0, metrics={"val_auc": 0.9}, start=T0 + timedelta(hours=2))
    assert _training(_scrape(store), "driftline_training_last_metric") == {"val_auc": 0.9}


def test_bucket_bounds_are_inclusive(store):
    for seconds in (1.0, 15.0, 900.0, 14400.0, 14400.5):
        _run(store, f"{seconds}", seconds)
    buckets = _training(_scrape(store), "driftline_training_duration_seconds_bucket")
    assert [buckets[le] for le in LES] == [1.0, 1.0, 2.0, 2.0, 2.0, 3.0, 3.0, 4.0, 5.0]


@pytest.mark.parametrize("value", [
    (((60.0, 2.0), (30.0, 3.0), (math.inf, 3.0)), 1.0),  # bounds out of order
    (((60.0, 2.0), (math.inf, 1.0)), 1.0),  # counts decreasing
    (((60.0, 2.0), (120.0, 3.0)), 1.0),  # no +Inf bucket
    ((), 0.0),
    ("many",),
], ids=["order", "decreasing", "no-inf", "empty", "not-a-histogram"])
def test_a_bad_histogram_value_is_left_out(value):
    registry = CollectorRegistry()
    registry.register(LoopCollector(lambda: [
        ("driftline_training_duration_seconds", {"model": "credit"}, value),
        ("driftline_training_runs", {"model": "credit", "outcome": "failed"},
         (((math.inf, 1.0),), 1.0)),  # a histogram where a counter belongs
        ("driftline_training_runs", {"model": "credit", "outcome": "finished"}, 2.0)]))
    lines = [x for x in generate_latest(registry).decode().splitlines()
             if x.startswith("driftline_training")]
    assert lines == ['driftline_training_runs_total{model="credit",outcome="finished"} 2.0']


def test_a_number_for_a_histogram_is_one_observation():
    registry = CollectorRegistry()
    registry.register(LoopCollector(lambda: [
        ("driftline_training_duration_seconds", {"model": "credit"}, 42.0)]))
    lines = [x for x in generate_latest(registry).decode().splitlines()
             if x.startswith("driftline_training")]
    assert lines == ['driftline_training_duration_seconds_bucket{le="+Inf",model="credit"} 1.0',
                     'driftline_training_duration_seconds_count{model="credit"} 1.0',
                     'driftline_training_duration_seconds_sum{model="credit"} 42.0']
