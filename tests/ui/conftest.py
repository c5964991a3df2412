"""A small seeded project for the UI tests: two versions, logged traffic with latency and
labels, monitored windows with drift, decisions, service samples and an alert event."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pandas as pd
import pytest

from driftline.datasets import make_credit_frames
from tests.serving.project import make_project

ADMIN = "admin-secret-token-123"
READ = "read-secret-token-456"


def seed(folder, *, extra: str = "", store_url: str | None = None):
    from driftline.alerts import Event
    from driftline.config import load_project
    from driftline.retrain import open_registry, register, run_loop_once
    from driftline.worker._alerts import deliver

    path = make_project(folder, n=1_200, store_url=store_url, extra=(
        "monitoring: {window: {rows: 300}, min_rows: 100, min_labels: 50,\n"
        "             multivariate: [pca_reconstruction, bbsd_hard]}\n" + extra))
    register(path, promote=True)
    register(path, promote=False)  # v2, a challenger: something to promote
    project = load_project(path)
    registry = open_registry(project)
    store = registry.store
    champion = registry.champion("credit")
    model = registry.load(champion)
    ref, cur = make_credit_frames(900, 900, drift=True, seed=3)
    frame = pd.concat([ref, cur], ignore_index=True)
    X = frame[list(champion.features)]
    t0 = datetime.now(timezone.utc) - timedelta(minutes=50)
    ts = [t0 + timedelta(seconds=1.5 * k) for k in range(len(X))]
    proba = model.predict_proba(X)
    store.log_predictions("credit", X, predictions=model.predict(X), version=1,
                          ids=[f"r{k}" for k in range(len(X))], timestamps=ts,
                          scores=pd.DataFrame({"0": proba[:, 0], "1": proba[:, 1]}),
                          latency_ms=[5.0 + (k % 10) for k in range(len(X))])
    labels = list(ref["default"]) + list(1 - cur["default"])
    store.add_feedback("credit", [f"r{k}" for k in range(len(X))], labels)
    turn = run_loop_once(project, registry=registry)
    now = datetime.now(timezone.utc)  # one clock reading: the samples are exactly a minute apart
    for k in range(6):  # two replicas' samples, one restart of the first
        for replica, base in (("host:1", 0 if k < 4 else -400), ("host:2", 0)):
            store.add_service_sample(replica, {
                "cpu": 0.2 + 0.01 * k, "memory_used": 2e9, "memory_total": 8e9,
                "process_cpu": 0.05, "process_rss": 3e8, "inflight": 1.0, "gpus": [],
                "requests": [["credit", "1", "2xx", 100.0 * k + base + 400],
                             ["credit", "1", "5xx", 2.0 * k],
                             ["other", "1", "2xx", 999.0 * k]]},
                at=now - timedelta(minutes=6 - k))
    deliver(store, "credit", None, [Event("drift_detected", "credit", datetime.now(timezone.utc),
                                          "warning", "<b>drift</b> in income",
                                          action="check the upstream feed")])
    return path, project, registry, turn


@pytest.fixture(scope="session")
def seeded(tmp_path_factory):
    """One seeded project shared by the read-only tests (never mutate it)."""
    folder = tmp_path_factory.mktemp("ui") / "p"
    return seed(folder)


@pytest.fixture
def client_for():
    """Build a TestClient for project files, with the environment given (tokens)."""
    from fastapi.testclient import TestClient

    from driftline.app import ServeSettings, create_app

    opened = []

    def make(paths, environ=None, **kw):
        settings = ServeSettings(worker=False, environ=environ or {}, **kw)
        client = TestClient(create_app(paths, settings), base_url="http://127.0.0.1:8000")
        client.__enter__()
        opened.append(client)
        return client

    yield make
    for c in opened:
        c.__exit__(None, None, None)
