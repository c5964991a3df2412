"""Three `driftline serve` replicas on one PostgreSQL store, under continuous load: a promotion
made through one replica's admin endpoint, and a rollback through another, reach every replica
within the poll bound; no request fails; each answer comes whole from one version; and once a
replica has served the new version it never serves the old one again."""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
import time
from dataclasses import dataclass

import httpx
import numpy as np
import pytest
import sqlalchemy as sa

from driftline.app import ServeSettings
from tests.conftest import _pg_database
from tests.serving.conftest import instance
from tests.serving.project import make_project
from tests.serving.server import Server

PREDICT = "/v1/models/credit/predict"
ROWS = [instance(age=float(a), income=float(i)) for a, i in ((25, 21000), (47, 88000),
                                                               (63, 40500))]
POLL_S = ServeSettings().poll_seconds  # `driftline serve` has no flag for it
# The replica's poll sleeps poll_seconds, then reads the store and loads the version: a change
# made just after a read is seen one full interval later. Twice that plus 2 s is generous.
BOUND_S = 2 * POLL_S + 2.0
N_REPLICAS = 3


@dataclass(frozen=True)
class Answer:
    replica: int
    started: float
    ended: float
    version: int
    scores: tuple[float, ...]


@pytest.fixture
def pg_project(tmp_path):
    """The credit project on a fresh PostgreSQL database: v1 champion, v2 challenger."""
    from driftline.config import load_project
    from driftline.retrain import register

    admin, name = _pg_database()
    url = f"postgresql+psycopg://127.0.0.1:5432/{name}"
    path = make_project(tmp_path / "proj", store_url=url)
    register(path, promote=True)
    proj = load_project(path)
    other = proj.config.model_copy(update={"training": proj.config.training.model_copy(
        update={"params": {"C": 0.01}})})
    register(type(proj)(other, proj.path), promote=False)
    yield path
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _expected(project):
    import pandas as pd

    from driftline.config import load_project
    from driftline.retrain import open_registry

    registry = open_registry(load_project(project))
    frame = pd.DataFrame(ROWS)
    out = {v: registry.load(registry.get("credit", v)).predict_proba(frame)[:, 1] for v in (1, 2)}
    registry.store.close()
    assert not np.allclose(out[1], out[2]), "the two versions must differ to tell them apart"
    return out


def _cores():
    """Where the replicas and the client run: with taskset and at least 2 cores, the replicas
    share the cores after the first and this process keeps the first (the benchmark guide's
    advice when client and server share a machine); otherwise nothing is pinned."""
    cores = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    if shutil.which("taskset") is None or len(cores) < 2:
        return None, None
    return cores[0], ",".join(str(c) for c in cores[1:])


class Load:
    """One client thread per replica, sending a request as soon as the previous answer is in
    (with a short pause), so each replica's answers are in the order it served them."""

    def __init__(self, urls):
        self.urls = urls
        self.stop = threading.Event()
        self.answers: list[list[Answer]] = [[] for _ in urls]
        self.failures: list[str] = []
        self.threads = [threading.Thread(target=self._run, args=(k,), daemon=True)
                        for k in range(len(urls))]

    def _run(self, k):
        with httpx.Client(base_url=self.urls[k], timeout=30) as client:
            while not self.stop.is_set():
                started = time.monotonic()
                try:
                    r = client.post(PREDICT, json={"instances": ROWS})
                except httpx.HTTPError as exc:
                    self.failures.append(f"replica {k}: {exc!r}")
                    continue
                ended = time.monotonic()
                if r.status_code != 200:
                    self.failures.append(f"replica {k}: {r.status_code} {r.text[:200]}")
                    continue
                body = r.json()
                self.answers[k].append(Answer(k, started, ended, body["model_version"],
                                              tuple(s["1"] for s in body["scores"])))
                time.sleep(0.01)

    def latest(self, k):
        return self.answers[k][-1].version if self.answers[k] else None

    def wait_until_all_serve(self, version, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if all(self.latest(k) == version for k in range(len(self.urls))):
                return True
            time.sleep(0.02)
        return False


def _switch(answers, version, asked, done):
    """When a replica switched to ``version`` after a change asked for at ``asked`` and
    answered at ``done``: the start of its first answer from ``version`` that started after
    ``asked``, as seconds after ``done`` (0 when it started before the change was answered)."""
    first = next(a for a in answers if a.started >= asked and a.version == version)
    return max(0.0, first.started - done)


@pytest.mark.slow
def test_three_replicas_follow_a_promotion_and_a_rollback_under_load(pg_project, capsys):
    expected = _expected(pg_project)
    client_core, server_cores = _cores()
    servers = [Server([pg_project], args=["--no-worker", "--no-ui"],
                      log_path=pg_project.parent / f"replica-{k}.log")
               for k in range(N_REPLICAS)]
    starters = [threading.Thread(target=s.start, kwargs={"ready": True}) for s in servers]
    old_affinity = os.sched_getaffinity(0) if client_core is not None else None
    load = Load([s.url for s in servers])
    changes = []  # (version, asked, answered, through which replica)
    try:
        for t in starters:
            t.start()
        for t in starters:
            t.join(120)
        for s in servers:
            assert s.proc is not None and s.proc.poll() is None, s.log()
            assert httpx.get(s.url + "/v2/health/ready", timeout=5).status_code == 200, s.log()
        if client_core is not None:  # pinned once started: their imports use every core
            for s in servers:
                subprocess.run(["taskset", "-a", "-p", "-c", server_cores, str(s.proc.pid)],
                               check=True, capture_output=True)
            os.sched_setaffinity(0, {client_core})
        for t in load.threads:
            t.start()
        assert load.wait_until_all_serve(1, 10), "the replicas did not all serve v1"
        rng = np.random.default_rng()  # where in the replicas' poll interval a change lands
        for version, action, via in ((2, "promote", 0), (1, "rollback", 2)):
            time.sleep(1.0 + rng.uniform(0, POLL_S))
            with httpx.Client(base_url=servers[via].url, timeout=60) as admin:
                asked = time.monotonic()
                body = {"version": version} if action == "promote" else {}
                r = admin.post(f"/v1/models/credit/{action}", json=body)
                done = time.monotonic()
            assert r.status_code == 200 and r.json()["version"] == version, r.text
            changes.append((version, asked, done, via))
            assert load.wait_until_all_serve(version, BOUND_S + 5), (
                f"after {action} to v{version}, replicas serve "
                f"{[load.latest(k) for k in range(N_REPLICAS)]}")
        time.sleep(1.0)  # every replica keeps serving the last version for a while
    finally:
        load.stop.set()
        for t in load.threads:
            if t.is_alive():
                t.join(30)
        if old_affinity is not None:
            os.sched_setaffinity(0, old_affinity)
        stoppers = [threading.Thread(target=s.stop) for s in servers]
        for t in stoppers:
            t.start()
        for t in stoppers:
            t.join(60)

    assert not load.failures, load.failures[:5]
    for k, answers in enumerate(load.answers):
        assert len(answers) > 50, (k, len(answers))
        for a in answers:  # whole answers from one version, never a mix
            np.testing.assert_allclose(a.scores, expected[a.version], rtol=1e-9)
        # served in order: v1, then v2 from the promotion on, then v1 from the rollback on,
        # never back and forth (each client waits for an answer before it asks again)
        runs = [v for i, v in enumerate(a.version for a in answers)
                if i == 0 or answers[i - 1].version != v]
        assert runs == [1, 2, 1], (k, runs)
    lags = {}
    for version, asked, done, via in changes:
        for k, answers in enumerate(load.answers):
            lag = _switch(answers, version, asked, done)
            lags[(version, k)] = lag
            assert lag <= BOUND_S, (version, k, lag)
            # no answer from the old version starts later than the bound after the change
            late = [a for a in answers if a.started > done + BOUND_S and a.version != version
                    and a.started < (changes[-1][1] if version == 2 else float("inf"))]
            assert not late, (version, k, late[:3])
        # the replica that made the change serves it from its answer on
        after = [a for a in load.answers[via] if a.started > done
                 and (version == 1 or a.started < changes[-1][1])]
        assert after and all(a.version == version for a in after), (version, via)
    with capsys.disabled():
        print("\npropagation after the admin call's answer, seconds (bound "
              f"{BOUND_S:g} s, poll {POLL_S:g} s): " + "; ".join(
                  f"v{v} via replica {via}: " + ", ".join(
                      f"replica {k} {lags[(v, k)]:.2f}" for k in range(N_REPLICAS))
                  for v, _, _, via in changes))
