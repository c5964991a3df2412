"""The simulated history the UI is tested and shown with: every part present, through the real
code paths, stamped in simulated time; and the store's clock hook it relies on."""

from __future__ import annotations

import collections
import itertools
from datetime import datetime, timedelta, timezone

import numpy as np
import pytest

from driftline.datasets import simulate_history
from driftline.errors import ParameterError
from driftline.store import Store


def _utc(v):
    v = datetime.fromisoformat(v) if isinstance(v, str) else v
    return v if v.tzinfo is not None else v.replace(tzinfo=timezone.utc)


def _open(folder):
    return Store.open(f"sqlite:///{folder / 'driftline.db'}")


def test_twelve_hours_hold_windows_decisions_retrains_a_rollback_alerts_and_samples(tmp_path):
    # one run, many checks: under pytest-xdist a module fixture would run once per worker
    before = datetime.now(timezone.utc)
    path = simulate_history(tmp_path, hours=12)
    after = datetime.now(timezone.utc)
    assert path == tmp_path / "driftline.yaml" and (tmp_path / "credit_model.py").is_file()
    store = _open(tmp_path)
    try:
        start = _check_windows(store, before, after)
        _check_versions_and_events(store)
        _check_times(store, start, after)
        _check_alerts(store)
        _check_traffic(store, start)
        _check_samples(store, start, before, after)
    finally:
        store.close()


def _check_windows(store, before, after):
    windows = store.window_summaries("credit")
    ends = [_utc(w["end"]) for w in windows]
    assert len(windows) == 12, ends
    assert all(b - a == timedelta(hours=1) for a, b in itertools.pairwise(ends))
    top = before.replace(minute=0, second=0, microsecond=0)
    assert ends[-1] in (top, after.replace(minute=0, second=0, microsecond=0))
    summaries = [w["summary"] for w in windows]
    assert [s["n_rows"] for s in summaries] == [240] * 12
    assert not any(s["dataset_drift"] for s in summaries[:4])  # stable first
    assert all(s["dataset_drift"] for s in summaries[6:])  # drift from 40% of the period
    assert [s["label_coverage"] > 0.4 for s in summaries] == [True] * 10 + [False] * 2
    stable, drifted = summaries[2]["performance"], summaries[5]["performance"]
    assert drifted["roc_auc"] < 0.5 < stable["roc_auc"]  # the concept change shows
    return ends[0] - timedelta(hours=1)


def _check_versions_and_events(store):
    versions = store.versions("credit")
    assert len(versions) >= 3
    history = store.stage_history("credit")
    champions = [h for h in history if h.stage == "champion"]
    assert champions[0].version == 1 and champions[0].reason == "first version"
    assert any(h.reason.startswith("validated") for h in champions)  # the loop promoted
    assert any(h.reason.startswith("rollback") for h in champions)
    assert any(h.stage == "archived" and h.reason.startswith("rejected") for h in history)
    kinds = collections.Counter(e["kind"] for e in store.events("credit"))
    assert kinds["challenger_rejected"] >= 1 and kinds["promoted"] >= 1
    assert kinds["retrain_started"] == kinds["retrain_finished"] >= 2
    actions = collections.Counter(d["action"] for d in store.decisions("credit"))
    assert actions["none"] >= 4 and actions["retrain"] >= 1 and actions["promote"] >= 1
    assert actions["reject"] >= 1


def _check_times(store, start, after):
    stamped = ([_utc(e["at"]) for e in store.events("credit")]
               + [_utc(d["at"]) for d in store.decisions("credit")]
               + [_utc(h.at) for h in store.stage_history("credit")]
               + [_utc(v.record["created_at"]) for v in store.versions("credit")])
    assert all(start - timedelta(hours=1) <= t <= after for t in stamped), (start, min(stamped))
    decided = sorted(_utc(d["at"]) for d in store.decisions("credit"))
    assert len({t.replace(minute=0, second=0, microsecond=0) for t in decided}) >= 12
    assert decided[-1] - decided[0] >= timedelta(hours=10)  # not all at the real end
    first = _utc(store.versions("credit")[0].record["created_at"])
    assert first < start  # version 1 was trained before the first hour


def _check_alerts(store):
    alerts = store.events("credit", "alert")
    statuses = collections.Counter(a["payload"]["delivery"]["status"] for a in alerts)
    assert statuses["sent"] >= 1 and statuses["failed"] >= 1, statuses
    kinds = {a["payload"]["kind"] for a in alerts}
    assert {"drift_detected", "challenger_rejected", "promoted"} <= kinds, kinds


def _check_traffic(store, start):
    log = store.request_log("credit", start)
    assert 12 * 240 <= len(log) <= 13 * 240
    assert not np.isnan(log.latency_ms).any()
    assert 4 < float(np.median(log.latency_ms)) < 15 and float(log.latency_ms.max()) > 30
    assert len(set(log.version.tolist())) >= 2  # logged by the champion of the time
    window = store.read_window("credit", start, start + timedelta(hours=1))
    assert len(window) == 240 and 0.4 < window["label"].notna().mean() < 0.8
    assert {"score_0", "score_1", "income", "region"} <= set(window.columns)


def _check_samples(store, start, before, after):
    samples = store.service_samples()
    by_replica = collections.defaultdict(list)
    for s in samples:
        by_replica[s["replica"]].append(s)
    assert len(by_replica) == 2
    for rows in by_replica.values():
        times = [_utc(s["at"]) for s in rows]
        # every 5 minutes up to the history's end, which is between before and after (a run
        # that crosses a 5-minute mark must not fail: compare with before, not after)
        assert times[0] == start and before - times[-1] < timedelta(minutes=5)
        assert times[-1] <= after
        assert all(b - a == timedelta(minutes=5) for a, b in itertools.pairwise(times))
        totals = [sum(r[3] for r in s["payload"]["requests"]) for s in rows]
        assert totals == sorted(totals) and totals[-1] > 1_000
        assert {"cpu", "memory_used", "memory_total", "process_cpu", "process_rss", "inflight",
                "gpus"} <= set(rows[-1]["payload"])
    last = [r for s in samples[-2:] for r in s["payload"]["requests"]]
    classes = {r[2] for r in last}
    assert {"2xx", "4xx", "5xx"} <= classes and all(r[0] == "credit" for r in last)


def test_extra_features_reach_the_model_and_the_windows(tmp_path):
    simulate_history(tmp_path, hours=3, rows_per_hour=100, n_features=50)
    store = _open(tmp_path)
    try:
        champion = store.version_in_stage("credit", "champion")
        features = champion.record["features"]
        assert len(features) == 56 and features[-1] == "x50"
        detail = store.window_detail("credit")
        assert len(detail["result"]["features"]) == 56
        scores = store.feature_scores("credit", [detail["id"]])
        assert {f for _, f, _, _ in scores} >= {"x01", "x50"}
    finally:
        store.close()


def test_a_folder_is_written_once_and_arguments_are_checked(tmp_path):
    with pytest.raises(ParameterError, match="hours"):
        simulate_history(tmp_path, hours=0)
    with pytest.raises(ParameterError, match="rows_per_hour"):
        simulate_history(tmp_path, rows_per_hour=10)
    (tmp_path / "driftline.yaml").write_text("version: 1\n")
    with pytest.raises(ParameterError, match="folder"):
        simulate_history(tmp_path, hours=2)


def test_the_history_fills_any_store(tmp_path, store_url):
    simulate_history(tmp_path / "p", hours=4, rows_per_hour=100, store_url=store_url)
    store = Store.open(store_url)
    try:
        assert len(store.window_summaries("credit")) == 4
        assert len(store.decisions("credit")) >= 4
        assert len(store.service_samples()) >= 2 * 4 * 12
        top = datetime.now(timezone.utc).replace(minute=0, second=0, microsecond=0)
        first = _utc(store.decisions("credit")[0]["at"])
        assert first < top - timedelta(hours=2)  # simulated, not the real time
    finally:
        store.close()


def test_the_store_stamps_its_records_with_its_clock():
    from driftline.store._tables import feedback, leases

    when = datetime(2026, 3, 1, 12, 30, tzinfo=timezone.utc)
    store = Store.open("sqlite://")
    store.clock = lambda: when
    assert store.now() == when
    store.add_model("m", "binary")
    event = store.add_event("m", "note", {"text": "hello"})
    store.add_version("m", {"params": {}})
    store.set_stage("m", 1, "champion", reason="first")
    store.add_decision("m", {"action": "none", "reasons": []})
    store.add_feedback("m", ["a"], [1])
    store.add_service_sample("host:1", {"cpu": 0.1})
    store.add_monitor_result("m", {"end": "2026-03-01T12:00:00+00:00", "version": 1})
    assert [_utc(e["at"]) for e in store.events("m") if e["id"] == event] == [when]
    assert {_utc(h.at) for h in store.stage_history("m")} == {when}
    assert _utc(store.versions("m")[0].created_at) == when
    assert _utc(store.decisions("m")[0]["at"]) == when
    assert _utc(store.service_samples()[0]["at"]) == when
    assert _utc(store.monitor_results("m")[0]["computed_at"]) == when
    with store.engine.connect() as conn:
        assert _utc(conn.execute(feedback.select()).first().arrived_at) == when
    # leases fence real processes: they keep the real time
    store.acquire_lease("m", "worker", timedelta(minutes=5))
    with store.engine.connect() as conn:
        expires = _utc(conn.execute(leases.select()).first().expires_at)
    assert expires > datetime.now(timezone.utc)
    store.close()
