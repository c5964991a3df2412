"""Workers: only one acts for a model at a time, and a worker that lost its lease cannot
promote (fencing). Run on SQLite and on the real PostgreSQL."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import pandas as pd
import pytest

from driftline.datasets import make_credit_frames
from tests.monitor.test_monitor import _log
from tests.serving.project import make_project


@pytest.fixture
def project(tmp_path, store_url):
    from driftline.config import load_project
    from driftline.retrain import register

    path = make_project(tmp_path / "p", n=1_200, store_url=store_url,
                        extra="policies: {stage: 1}\n")
    register(path, promote=True)
    project = load_project(path)
    _, cur = make_credit_frames(10, 1_500, drift=True, seed=9)
    _log(project, cur, start=pd.Timestamp("2026-05-01", tz="UTC"), labels=1 - cur["default"],
         prefix="w")
    return project


def test_two_workers_never_retrain_the_same_model_at_once(project):
    from driftline.worker import Worker

    workers = [Worker([project]), Worker([project])]
    turns: list = []
    barrier = threading.Barrier(2)

    def turn(w):
        barrier.wait()
        turns.extend(w.run_once(demand="drifted, labels in"))

    threads = [threading.Thread(target=turn, args=(w,)) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)
    assert sorted(t.acted for t in turns) == [False, True]
    acted = next(t for t in turns if t.acted)
    assert acted.result["decision"]["action"] == "retrain"
    store = workers[0].registries["credit"].store
    assert [e["kind"] for e in store.events("credit")].count("retrain_started") == 1
    for w in workers:
        w.close()
    # once released, the other worker may act (a new epoch)
    assert Worker([project]).run_once()[0].acted


def test_a_worker_that_lost_its_lease_cannot_promote(project):
    from driftline.retrain import open_registry
    from driftline.store._lease import FencedError

    store = open_registry(project).store
    now = datetime.now(timezone.utc)
    old = store.acquire_lease("credit", "a", timedelta(seconds=1), now=now - timedelta(hours=1))
    new = store.acquire_lease("credit", "b", timedelta(minutes=5), now=now)
    assert (old, new) == (1, 2)
    registry = open_registry(project)
    with pytest.raises(FencedError, match="stale"):
        registry.promote("credit", 1, reason="late", epoch=old)
    assert registry.promote("credit", 1, reason="current holder", epoch=new).stage == "champion"


def test_the_worker_sends_drift_and_promotion_events_to_a_webhook(tmp_path):
    from driftline.config import load_project
    from driftline.retrain import register
    from driftline.worker import Worker
    from tests.alerts._server import hook_server

    with hook_server() as hook:
        path = make_project(tmp_path / "p", n=1_200, extra=(
            "policies: {stage: 1}\nmonitoring: {window: {rows: 500}}\n"
            f"alerts: {{webhooks: [{{url: '{hook.url}/hook'}}], cooldown: 1h}}\n"))
        register(path, promote=True)
        project = load_project(path)
        _, cur = make_credit_frames(10, 1_500, drift=True, seed=17)
        _log(project, cur, start=pd.Timestamp("2026-07-01", tz="UTC"),
             labels=1 - cur["default"], prefix="h")
        worker = Worker([project])
        turn = worker.run_once(demand="labels arrived")[0]
        worker.close()
    events = [e for r in hook.requests for e in r.body["events"]]
    kinds = [e["kind"] for e in events]
    assert "drift_detected" in kinds and "promoted" in kinds, kinds
    drift = next(e for e in events if e["kind"] == "drift_detected")
    assert drift["action"] and drift["model"] == "credit"
    assert kinds.count("drift_detected") == 1  # three drifted windows, one alert (cooldown)
    assert sum(turn.result["alerts"]["suppressed"].values()) >= 1
