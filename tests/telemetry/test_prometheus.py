"""The scrape against the real Prometheus tools: promtool's linter and a Prometheus server."""

from __future__ import annotations

import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest

from driftline.telemetry import ServingMetrics

from .prom import prometheus, require_binary


def _promtool(body: bytes) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([require_binary("promtool"), "check", "metrics"], input=body,
                          capture_output=True, timeout=30, check=False)


def test_promtool_finds_no_problem(metrics):
    metrics.add_model("fraud", "1", "challenger")
    metrics.observe_request("credit", "predict", 200, 0.02)
    metrics.log_dropped("credit", 1, "timeout")
    body, _ = metrics.exposition()
    result = _promtool(body)
    assert result.returncode == 0 and result.stdout + result.stderr == b"", result


def test_promtool_catches_a_bad_scrape():
    # The check above is only worth something if promtool does complain about real problems.
    result = _promtool(b"# HELP bad_counter x\n# TYPE bad_counter counter\nbad_counter 1\n")
    assert result.returncode != 0 and b"_total" in result.stdout + result.stderr


class _Quiet(WSGIRequestHandler):
    def log_message(self, format, *args):
        pass


@contextmanager
def serve(metrics: ServingMetrics) -> Iterator[tuple[str, list[str]]]:
    """Serve ``metrics`` at ``/metrics`` on 127.0.0.1; yield ``host:port`` and the content types sent."""
    sent: list[str] = []

    def app(environ, start_response):
        if environ["PATH_INFO"] != "/metrics":
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"not found\n"]
        body, content_type = metrics.exposition(environ.get("HTTP_ACCEPT"))
        sent.append(content_type)
        start_response("200 OK", [("Content-Type", content_type), ("Content-Length", str(len(body)))])
        return [body]

    server: WSGIServer = make_server("127.0.0.1", 0, app, handler_class=_Quiet)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{server.server_port}", sent
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_prometheus_scrapes_the_counts(metrics, tmp_path):
    with serve(metrics) as (target, sent), prometheus(target, tmp_path) as prom:
        for _ in range(7):
            with metrics.inflight():
                metrics.observe_request("credit", "predict", 200, 0.004)
        metrics.observe_request("nope", "predict", 404, 0.001)
        assert prom.wait_for('sum(driftline_requests_total{model="credit"})', 7.0) == 7.0
        assert prom.value('sum(driftline_requests_total{model="_unknown"})') == 1.0
        assert prom.value('driftline_model_info{model="credit",stage="champion",version="3"}') == 1.0
        assert prom.value('histogram_quantile(0.5, sum by (le) '
                          '(driftline_request_duration_seconds_bucket{model="credit"}))') <= 0.005
        assert prom.value("driftline_system_memory_total_bytes") > 0
        assert prom.value('up{job="driftline"}') == 1.0
    # Prometheus asked for OpenMetrics and got it.
    assert sent and all(t.startswith("application/openmetrics-text") for t in sent)


@pytest.mark.parametrize(("ci", "outcome"), [("true", pytest.fail.Exception), ("", pytest.skip.Exception)],
                         ids=["ci-fails", "local-skips"])
def test_a_missing_binary_fails_under_ci_and_skips_elsewhere(monkeypatch, ci, outcome):
    monkeypatch.setenv("CI", ci)
    with pytest.raises(outcome, match="no-such-prometheus-tool is not installed"):
        require_binary("no-such-prometheus-tool")
