"""WebhookSink against a real HTTP server on 127.0.0.1: retries, backoff, payload, redaction."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from driftline.alerts import DeliveryError, Event, WebhookSink
from driftline.errors import ParameterError
from tests.alerts._server import hook_server

TOKEN = "s3cret-token-do-not-leak"


def events():
    at = datetime(2024, 5, 1, 12, tzinfo=timezone.utc)
    return [
        Event("drift_detected", "credit", at, "warning", "drift in 2/5 features",
              {"features": ["age", "income"], "share": 0.4}, action="retrain on the last 30 days",
              version=3),
        Event("retrain_started", "credit", at, "info", "stateful retrain of v3", version=3),
    ]


def test_retries_503_with_exponential_backoff_then_delivers():
    delays: list[float] = []
    with hook_server(fail=[503, 503]) as server:
        sink = WebhookSink(f"{server.url}/hook", headers={"Authorization": f"Bearer {TOKEN}"},
                           retries=3, backoff=0.5, sleep=delays.append)
        sink.send(events())
    assert delays == [0.5, 1.0]
    assert len(server.requests) == 3
    # Every attempt carries the same body: the JSON the docs describe.
    expected = {"events": [e.to_dict() for e in events()]}
    assert all(r.body == expected for r in server.requests)
    first = server.requests[0]
    assert first.path == "/hook"
    assert first.headers["Content-Type"] == "application/json"
    assert first.headers["Authorization"] == f"Bearer {TOKEN}"
    body = first.body["events"][0]
    assert body["schema"] == "driftline.event/1"
    assert body["kind"] == "drift_detected" and body["model"] == "credit" and body["version"] == 3
    assert body["action"] == "retrain on the last 30 days"
    assert body["details"] == {"features": ["age", "income"], "share": 0.4}
    assert body["at"] == "2024-05-01T12:00:00Z" and len(body["fingerprint"]) == 16


def test_429_is_retried():
    delays: list[float] = []
    with hook_server(fail=[429]) as server:
        WebhookSink(server.url, backoff=0.25, sleep=delays.append).send(events())
    assert delays == [0.25] and len(server.requests) == 2


@pytest.mark.parametrize("status", [400, 401, 404, 422])
def test_other_4xx_are_not_retried(status):
    delays: list[float] = []
    with hook_server(fail=[status]) as server:
        sink = WebhookSink(f"{server.url}/hook", retries=3, sleep=delays.append)
        with pytest.raises(DeliveryError, match=f"after 1 attempt; last status {status}") as info:
            sink.send(events())
    assert delays == [] and len(server.requests) == 1
    assert info.value.status == status and info.value.attempts == 1
    assert "scripted failure" in info.value.body


def test_redirects_are_not_followed():
    # Following one would resend the Authorization header to wherever it points.
    with hook_server(fail=[307]) as server:
        sink = WebhookSink(f"{server.url}/hook", headers={"Authorization": f"Bearer {TOKEN}"})
        with pytest.raises(DeliveryError, match="after 1 attempt; last status 307"):
            sink.send(events())
    assert [r.path for r in server.requests] == ["/hook"]


def test_exhausted_retries_name_the_url_and_status_without_the_token():
    delays: list[float] = []
    with hook_server(fail=[503] * 10) as server:
        url = f"http://user:{TOKEN}@127.0.0.1:{server.url.rsplit(':', 1)[1]}/hook?token={TOKEN}"
        sink = WebhookSink(url, retries=2, backoff=0.1, sleep=delays.append)
        with pytest.raises(DeliveryError) as info:
            sink.send(events())
    assert len(server.requests) == 3
    assert delays == pytest.approx([0.1, 0.2])
    message = str(info.value)
    assert message == (f"delivery to {server.url}/hook failed after 3 attempts; "
                       "last status 503 (Service Unavailable).")
    assert info.value.status == 503 and info.value.url == f"{server.url}/hook"
    assert TOKEN not in message and TOKEN not in repr(info.value) and TOKEN not in repr(sink)
    assert info.value.__cause__ is None and info.value.__context__ is None
    # User info in the URL is sent as basic auth, not dropped and not left in the request line.
    assert server.requests[0].headers["Authorization"].startswith("Basic ")
    assert server.requests[0].path == f"/hook?token={TOKEN}"


def test_connection_refused_is_retried_and_reported():
    delays: list[float] = []
    with hook_server() as server:
        url = f"{server.url}/hook?token={TOKEN}"
    # The server is closed now: nothing listens on its port.
    sink = WebhookSink(url, retries=2, backoff=0.01, timeout=1, sleep=delays.append)
    with pytest.raises(DeliveryError, match="after 3 attempts; last error: ") as info:
        sink.send(events())
    assert info.value.status is None and len(delays) == 2 and TOKEN not in str(info.value)


def test_empty_batches_send_nothing():
    with hook_server() as server:
        WebhookSink(server.url).send([])
    assert server.requests == []


@pytest.mark.parametrize(("kwargs", "parameter"), [
    pytest.param({"url": "file:///etc/passwd"}, "url", id="file-url"),
    pytest.param({"url": "http://"}, "url", id="no-host"),
    pytest.param({"retries": -1}, "retries", id="negative-retries"),
    pytest.param({"timeout": 0}, "timeout", id="zero-timeout"),
    pytest.param({"backoff": -0.5}, "backoff", id="negative-backoff"),
])
def test_invalid_settings_name_the_parameter(kwargs, parameter):
    kwargs = {"url": "https://hooks.example.com/x", **kwargs}
    with pytest.raises(ParameterError, match=f"^{parameter} must be "):
        WebhookSink(**kwargs)


def test_an_invalid_url_is_reported_without_its_query():
    with pytest.raises(ParameterError) as info:
        WebhookSink(f"ftp://hooks.example.com/x?token={TOKEN}")
    assert TOKEN not in str(info.value)
