"""Durable logging: kill -9 under load loses no acknowledged prediction; a crash between the
commit and the response loses nothing either; SIGTERM drains and flushes; failed writes are
503s in durable mode and counted losses in both modes."""

from __future__ import annotations

import signal
import threading
import time

import httpx
import numpy as np
import pytest

from tests.serving.conftest import instance
from tests.serving.server import Server

PREDICT = "/v1/models/credit/predict"


def _stored_ids(project):
    from driftline.store import Store

    store = Store.open(f"sqlite:///{project.parent / 'driftline.db'}")
    try:
        return set(store.read_window("credit")["id"])
    finally:
        store.engine.dispose()


class Load:
    """Client threads sending one-row predictions with their own ids; a request whose
    connection fails is retried with the same id until it is acknowledged."""

    def __init__(self, url_of, total, threads=4):
        self.url_of = url_of
        self.total = total
        self.threads = threads
        self.acked: set[str] = set()
        self.replayed = 0
        self.failed_attempts = 0
        self.sent = 0
        self.lock = threading.Lock()
        self.errors: list[str] = []

    def _next(self):
        with self.lock:
            if self.sent >= self.total:
                return None
            self.sent += 1
            return f"r{self.sent}"

    def worker(self, k):
        rng = np.random.default_rng(k)
        with httpx.Client(timeout=30.0) as client:
            while (rid := self._next()) is not None:
                body = {"instances": [instance(age=float(rng.integers(18, 90)))], "ids": [rid]}
                while True:
                    try:
                        r = client.post(self.url_of() + PREDICT, json=body)
                    except httpx.HTTPError:
                        with self.lock:
                            self.failed_attempts += 1
                        time.sleep(0.05)
                        continue
                    if r.status_code == 200:
                        with self.lock:
                            self.acked.add(rid)
                            self.replayed += bool(r.json()["replayed"])
                        break
                    if r.status_code == 503:
                        time.sleep(0.05)
                        continue
                    self.errors.append(f"{r.status_code} {r.text[:200]}")
                    return

    def run_in_background(self):
        ts = [threading.Thread(target=self.worker, args=(k,), daemon=True)
              for k in range(self.threads)]
        for t in ts:
            t.start()
        return ts


@pytest.mark.slow
def test_kill_9_under_load_loses_no_acknowledged_prediction(project):
    """5 kills at seeded points over 3,000 requests; a restart after each."""
    total = 3_000
    kill_at = sorted(np.random.default_rng(20261126).choice(np.arange(300, 2_700), 5,
                                                            replace=False).tolist())
    server = Server([project]).start()
    load = Load(lambda: server.url, total)
    threads = load.run_in_background()
    kills = 0
    try:
        for point in kill_at:
            while len(load.acked) < point:
                assert not load.errors, load.errors
                assert any(t.is_alive() for t in threads), "clients stopped early"
                time.sleep(0.005)
            server.kill()
            kills += 1
            server.start()
        for t in threads:
            t.join(300)
    finally:
        server.stop()
    assert not load.errors, load.errors
    assert kills == 5 and len(load.acked) == total
    assert load.failed_attempts > 0, "no request was in flight at a kill: the test proved nothing"
    stored = _stored_ids(project)
    lost = load.acked - stored
    assert not lost, f"{len(lost)} acknowledged predictions were lost, e.g. {sorted(lost)[:5]}"


def test_a_crash_between_commit_and_response_loses_nothing(project):
    """The fault-injection hook exits right after the 15th commit, before any answer."""
    server = Server([project], env={"DRIFTLINE_TEST_CRASH_AFTER_COMMITS": "15"}).start()
    load = Load(lambda: server.url, 10_000, threads=4)
    load.url_of = lambda: server.url
    stop = threading.Event()

    def one(k):
        with httpx.Client(timeout=30.0) as client:
            while not stop.is_set() and (rid := load._next()) is not None:
                try:
                    r = client.post(server.url + PREDICT,
                                    json={"instances": [instance(age=30.0 + k)], "ids": [rid]})
                except httpx.HTTPError:
                    return
                if r.status_code == 200:
                    with load.lock:
                        load.acked.add(rid)

    threads = [threading.Thread(target=one, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    code = server.wait(60)
    stop.set()
    for t in threads:
        t.join(30)
    assert code == 86, server.log()
    stored = _stored_ids(project)
    assert load.acked <= stored
    unacked = stored - load.acked
    assert unacked, "the crash came after every answer; nothing was committed-but-unanswered"
    # the clients retry what was never acknowledged: the restarted server replays it
    server.env.pop("DRIFTLINE_TEST_CRASH_AFTER_COMMITS")
    with server.start():
        rid = sorted(unacked)[0]
        k = 0
        while True:  # find the payload the client sent with that id (its thread's age)
            r = httpx.post(server.url + PREDICT,
                           json={"instances": [instance(age=30.0 + k)], "ids": [rid]})
            if r.status_code == 200:
                break
            assert r.status_code == 409 and k < 4
            k += 1
        assert r.json()["replayed"] == [rid]


def test_sigterm_flushes_queued_best_effort_rows(project):
    text = project.read_text().replace("mode: durable", "mode: best_effort").replace(
        "batch_size: 500, flush_interval_ms: 50", "batch_size: 100000, flush_interval_ms: 60000")
    project.write_text(text)
    with Server([project]) as server:
        with httpx.Client() as client:
            for k in range(40):
                r = client.post(server.url + PREDICT,
                                json={"instances": [instance(age=20.0 + k)], "ids": [f"q{k}"]})
                assert r.status_code == 200
        assert _stored_ids(project) == set(), "rows were written before the flush interval"
        server.signal(signal.SIGTERM)
        assert server.wait(60) in (0, -signal.SIGTERM)  # uvicorn re-raises it after draining
    assert _stored_ids(project) == {f"q{k}" for k in range(40)}


def test_sigterm_drains_in_flight_durable_requests(project):
    with Server([project]) as server:
        results: list[int] = []

        def send(k):
            try:
                r = httpx.post(server.url + PREDICT, json={
                    "instances": [instance(age=20.0 + k % 50)] * 200,
                    "ids": [f"d{k}-{j}" for j in range(200)]}, timeout=30)
                results.append(r.status_code)
            except httpx.HTTPError:
                results.append(-1)

        threads = [threading.Thread(target=send, args=(k,)) for k in range(16)]
        for t in threads:
            t.start()
        deadline = time.monotonic() + 30
        while _inflight(server) < 2:  # the scrape itself is one; wait for a prediction too
            assert time.monotonic() < deadline, "no request ever reached the server"
        server.signal(signal.SIGTERM)
        for t in threads:
            t.join(60)
        assert server.wait(60) in (0, -signal.SIGTERM)  # uvicorn re-raises it after draining
    stored = _stored_ids(project)
    ok = [s for s in results if s == 200]
    assert ok, results
    assert len(stored) == 200 * len(ok), "every answered request is stored, and only those"


def _inflight(server):
    try:
        text = httpx.get(server.url + "/metrics", timeout=5).text
    except httpx.HTTPError:
        return 0
    line = next(x for x in text.splitlines() if x.startswith("driftline_inflight_requests "))
    return float(line.split()[1])


def test_failed_writes_are_503_in_durable_mode_and_counted(project):
    import sqlalchemy as sa
    from fastapi.testclient import TestClient

    from driftline.app import ServeSettings, create_app

    app = create_app([project], ServeSettings(environ={}, write_timeout_s=5))
    with TestClient(app) as client:
        assert client.post(PREDICT, json={"instances": [instance()]}).status_code == 200
        svc = app.state.serving.services["credit"]
        with svc.registry.store.engine.begin() as conn:
            conn.execute(sa.text("DROP TABLE dl_predictions"))
        r = client.post(PREDICT, json={"instances": [instance()] * 3})
        assert r.status_code == 503 and "not acknowledged" in r.json()["error"]
        text = client.get("/metrics").text
    assert ('driftline_prediction_log_dropped_total{model="credit",reason="write_failed"} 3.0'
            in text)


def test_best_effort_counts_every_loss():
    import pandas as pd
    import sqlalchemy as sa

    from driftline.serving import LogMetrics, PredictionLog
    from driftline.store import PendingBatch, Store

    store = Store.open("sqlite://")
    mid = store.add_model("m", "regression")
    lost: list[tuple[str, int, str]] = []
    log = PredictionLog(store, mode="best_effort", batch_size=10, flush_interval_ms=10,
                        max_pending_rows=5,
                        metrics=LogMetrics(dropped=lambda m, n, why: lost.append((m, n, why))))
    now = pd.Timestamp.now(tz="UTC").to_pydatetime()

    def batch(i, n=2):
        return PendingBatch(mid, 1, pd.DataFrame({"x": [1.0] * n, "prediction": [0.0] * n}),
                            [f"{i}-{j}" for j in range(n)], [now] * n, [""] * n, None, "served")

    assert log.submit("m", batch(0)) is None and log.submit("m", batch(1)) is None
    assert log.submit("m", batch(2)) is None  # 6 rows > max_pending_rows=5: dropped
    assert lost == [("m", 2, "queue_full")]
    log.start()
    time.sleep(0.3)
    with store.engine.begin() as conn:
        conn.execute(sa.text("DROP TABLE dl_predictions"))
    log.submit("m", batch(3, 3))
    log.close()
    assert lost[-1] == ("m", 3, "write_failed")
    assert sum(n for _, n, _ in lost) == 5
