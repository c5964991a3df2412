"""Stage 1 end to end in a running app: an on-demand retrain request through the admin API is
picked up by the embedded worker, trained in a separate process, validated and promoted, and
the server swaps to it, while predictions keep flowing without an error."""

from __future__ import annotations

import threading
import time

import pandas as pd

from driftline.datasets import make_credit_frames
from tests.monitor.test_monitor import _log
from tests.serving.conftest import instance
from tests.serving.project import make_project


def test_stage_1_on_demand_retrain_through_the_running_service(tmp_path):
    from fastapi.testclient import TestClient

    from driftline.app import ServeSettings, create_app
    from driftline.config import load_project
    from driftline.retrain import register

    path = make_project(tmp_path / "p", n=1_200, extra=(
        "policies: {stage: 1}\nmonitoring: {window: {rows: 500}, every: 1s}\n"))
    register(path, promote=True)
    project = load_project(path)
    _, cur = make_credit_frames(10, 1_500, drift=True, seed=13)
    registry = _log(project, cur, start=pd.Timestamp("2026-06-01", tz="UTC"),
                    labels=1 - cur["default"], prefix="s")
    app = create_app([path], ServeSettings(environ={}, poll_seconds=0.1))
    codes: list[int] = []
    versions: set[int] = set()
    stop = threading.Event()
    with TestClient(app) as client:
        def traffic():
            while not stop.is_set():
                r = client.post("/v1/models/credit/predict", json={"instances": [instance()]})
                codes.append(r.status_code)
                if r.status_code == 200:
                    versions.add(r.json()["model_version"])
                time.sleep(0.01)

        sender = threading.Thread(target=traffic)
        sender.start()
        try:
            r = client.post("/v1/models/credit/retrain", json={"reason": "labels arrived"})
            assert r.status_code == 202
            deadline = time.monotonic() + 120
            while 2 not in versions:
                assert time.monotonic() < deadline, registry.store.decisions("credit")[-3:]
                time.sleep(0.2)
            text = client.get("/metrics").text
        finally:
            stop.set()
            sender.join(30)
    assert 'driftline_decisions_total{action="retrain",model="credit"}' in text
    assert ('driftline_retrain_runs_total{mode="stateless",model="credit",outcome="promoted"} 1.0'
            in text)
    assert "driftline_retrain_last_success_timestamp_seconds{model=\"credit\"}" in text
    assert "driftline_retrain_expected_interval_seconds" not in text  # not a scheduled policy
    assert codes and set(codes) == {200}, sorted(set(codes))
    assert versions == {1, 2}
    actions = [d["action"] for d in registry.store.decisions("credit")]
    assert "retrain" in actions and "promote" in actions
    kinds = [e["kind"] for e in registry.store.events("credit")]
    assert kinds.index("retrain_requested") < kinds.index("retrain_started") < kinds.index("promoted")


def test_a_scheduled_policy_exports_its_expected_interval(tmp_path):
    from fastapi.testclient import TestClient

    from driftline.app import ServeSettings, create_app

    path = make_project(tmp_path / "p", n=300, extra="policies: {stage: 2, cron: '0 3 * * *'}\n")
    with TestClient(create_app([path], ServeSettings(environ={}, worker=False))) as client:
        text = client.get("/metrics").text
    assert 'driftline_retrain_expected_interval_seconds{model="credit"} 86400.0' in text
