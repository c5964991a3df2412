"""The real server scraped by a real Prometheus (Debian's package): a PromQL query returns the
number of requests the test sent, and promtool finds the exposition clean."""

from __future__ import annotations

import subprocess

import httpx

from tests.serving.conftest import instance
from tests.serving.server import Server
from tests.telemetry.prom import prometheus, require_binary


def test_prometheus_counts_the_requests_this_test_sent(project, tmp_path):
    with Server([project]).start(ready=True) as server:
        target = server.url.removeprefix("http://")
        with prometheus(target, tmp_path) as prom:
            with httpx.Client(base_url=server.url) as client:
                for k in range(23):
                    r = client.post("/v1/models/credit/predict",
                                    json={"instances": [instance(age=20.0 + k)]})
                    assert r.status_code == 200
                for _ in range(4):  # errors count under their status class
                    client.post("/v1/models/credit/predict", content=b"{", headers={
                        "content-type": "application/json"})
            sent = 'sum(driftline_requests_total{model="credit",endpoint="predict",code="2xx"})'
            prom.wait_for(sent, 23.0, timeout=30)
            bad = 'sum(driftline_requests_total{model="credit",endpoint="predict",code="4xx"})'
            prom.wait_for(bad, 4.0, timeout=30)
            prom.wait_for('sum(driftline_predictions_total{model="credit"})', 23.0, timeout=30)
            info = prom.query('driftline_model_info{model="credit"}')
            assert [s["metric"]["version"] for s in info] == ["1"]
            assert prom.value("process_resident_memory_bytes") > 0


def test_promtool_is_clean_on_a_real_scrape(project):
    promtool = require_binary("promtool")
    with Server([project]).start(ready=True) as server:
        httpx.post(server.url + "/v1/models/credit/predict", json={"instances": [instance()]})
        body = httpx.get(server.url + "/metrics").content
    run = subprocess.run([promtool, "check", "metrics"], input=body, capture_output=True,
                         timeout=60)
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.strip() == b"" and run.stderr.strip() == b"", run.stdout + run.stderr
    assert b"driftline_request_duration_seconds_bucket" in body
