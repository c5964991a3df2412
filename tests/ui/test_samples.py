"""The service writes a sample of itself to the store, so the UI needs no Prometheus."""

from __future__ import annotations

import time

from driftline.telemetry import ServiceSampler


def test_the_service_writes_its_samples_with_request_counts(seeded, client_for):
    client = client_for([seeded[0]], sample_seconds=0.2)
    store = client.app.state.serving.services["credit"].registry.store
    before = len(store.service_samples())
    from driftline.datasets import make_credit_frames

    row = make_credit_frames(5, 5, seed=1)[0].drop(columns=["default", "score"]).iloc[0].to_dict()
    for _ in range(3):
        r = client.post("/v1/models/credit/predict", json={"instances": [row]})
        assert r.status_code == 200, r.text
    assert client.post("/v1/models/credit/predict", json={"instances": [{}]}).status_code == 422
    deadline = time.monotonic() + 20
    mine = []
    while time.monotonic() < deadline:
        mine = [s for s in store.service_samples()[before:]
                if s["replica"] == ServiceSampler(gpu=False).replica]
        counts = {(m, c): n for s in mine[-1:] for m, _v, c, n in s["payload"]["requests"]}
        if counts.get(("credit", "2xx")) == 3 and counts.get(("credit", "4xx")) == 1:
            break
        time.sleep(0.2)
    else:
        raise AssertionError(f"no sample with the requests: {mine[-1:] if mine else None}")
    payload = mine[-1]["payload"]
    assert 0.0 <= payload["cpu"] <= 1.0 and payload["memory_total"] > payload["memory_used"] > 0
    assert payload["process_rss"] > 0 and payload["inflight"] >= 0


def test_old_samples_are_pruned(tmp_path):
    from datetime import datetime, timedelta, timezone

    from driftline.store import Store

    store = Store.open(f"sqlite:///{tmp_path / 's.db'}")
    now = datetime.now(timezone.utc)
    store.add_service_sample("a", {"cpu": 0.1}, at=now - timedelta(days=40))
    store.add_service_sample("a", {"cpu": 0.2}, at=now)
    assert store.prune_service_samples(now - timedelta(days=30)) == 1
    assert [s["payload"]["cpu"] for s in store.service_samples()] == [0.2]
