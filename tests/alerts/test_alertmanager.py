"""AlertmanagerSink against the real Prometheus Alertmanager (API v2)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from driftline.alerts import AlertmanagerSink, DeliveryError, Event
from driftline.errors import ParameterError
from tests.alerts._alertmanager import alertmanager
from tests.alerts._server import hook_server


def drift(at: datetime, **overrides) -> Event:
    kwargs = {"kind": "drift_detected", "model": "credit", "at": at, "severity": "warning",
              "summary": "drift in 2/5 features", "details": {"features": ["age", "income"]},
              "action": "retrain on the last 30 days", "version": 3}
    return Event(**{**kwargs, **overrides})


def by_name(alerts):
    return {a["labels"]["alertname"]: a for a in alerts}


def test_alerts_reach_alertmanager_with_labels_and_annotations(tmp_path):
    now = datetime.now(timezone.utc).replace(microsecond=0)
    with alertmanager(tmp_path) as am:
        sink = AlertmanagerSink(am.url, labels={"team": "risk"},
                                generator_url="http://driftline.example/models/credit")
        sink.send([drift(now),
                   Event("promoted", "credit", now, "info", "v3 is the champion", version=3)])
        alerts = by_name(am.wait_for_alerts(2))
    alert = alerts["driftline_drift_detected"]
    assert alert["labels"] == {"alertname": "driftline_drift_detected", "model": "credit",
                               "severity": "warning", "version": "3", "team": "risk"}
    annotations = alert["annotations"]
    assert annotations["summary"] == "drift in 2/5 features"
    assert annotations["action"] == "retrain on the last 30 days"
    assert json.loads(annotations["details"]) == {"features": ["age", "income"]}
    assert annotations["fingerprint"] == drift(now).fingerprint
    assert alert["generatorURL"] == "http://driftline.example/models/credit"
    assert alert["status"]["state"] == "active"
    assert datetime.fromisoformat(alert["startsAt"].replace("Z", "+00:00")) == now
    # An info event reports something that finished: it carries its own end, an hour on.
    info = alerts["driftline_promoted"]
    assert info["labels"]["severity"] == "info" and "action" not in info["annotations"]
    ends = datetime.fromisoformat(info["endsAt"].replace("Z", "+00:00"))
    assert timedelta(minutes=59) < ends - now <= timedelta(hours=1, minutes=1)


def test_a_resolved_event_ends_the_alert(tmp_path):
    now = datetime.now(timezone.utc).replace(microsecond=0)
    with alertmanager(tmp_path) as am:
        sink = AlertmanagerSink(f"{am.url}/api/v2/alerts")
        sink.send([drift(now - timedelta(minutes=5))])
        assert len(am.wait_for_alerts(1)) == 1
        sink.send([drift(now, resolved=True, summary="drift is gone")])
        # GET /api/v2/alerts lists only alerts that have not ended.
        assert am.alerts() == []


def test_alertmanager_refusing_the_body_is_not_retried():
    delays: list[float] = []
    with hook_server(fail=[400]) as server:
        sink = AlertmanagerSink(server.url, sleep=delays.append)
        with pytest.raises(DeliveryError, match=r"/api/v2/alerts failed after 1 attempt; last status 400"):
            sink.send([drift(datetime.now(timezone.utc))])
    assert delays == [] and server.requests[0].path == "/api/v2/alerts"


def test_alertmanager_unavailable_is_retried():
    delays: list[float] = []
    with hook_server(fail=[502, 503]) as server:
        AlertmanagerSink(server.url, backoff=1, sleep=delays.append).send(
            [drift(datetime.now(timezone.utc))])
    assert delays == [1, 2] and len(server.requests) == 3
    assert isinstance(server.requests[-1].body, list)


@pytest.mark.parametrize(("kwargs", "parameter"), [
    pytest.param({"labels": {"model": "x"}}, "labels", id="reserved-label"),
    pytest.param({"labels": {"bad-name": "x"}}, "labels", id="invalid-label-name"),
    pytest.param({"labels": {"team": ""}}, "labels['team']", id="empty-label-value"),
    pytest.param({"generator_url": "driftline.local"}, "generator_url", id="relative-generator-url"),
    pytest.param({"info_ttl": timedelta(0)}, "info_ttl", id="zero-info-ttl"),
])
def test_invalid_settings_name_the_parameter(kwargs, parameter):
    with pytest.raises(ParameterError) as info:
        AlertmanagerSink("http://127.0.0.1:9093", **kwargs)
    assert str(info.value).startswith(f"{parameter} must be ")


@pytest.mark.parametrize(("url", "expected"), [
    pytest.param("http://am:9093", "http://am:9093/api/v2/alerts", id="base"),
    pytest.param("http://am:9093/", "http://am:9093/api/v2/alerts", id="base-slash"),
    pytest.param("http://am:9093/api/v2/alerts", "http://am:9093/api/v2/alerts", id="full"),
    pytest.param("https://proxy/am/?token=x", "https://proxy/am/api/v2/alerts?token=x",
                 id="prefix-and-query"),
])
def test_the_api_path_is_added_to_a_base_url(url, expected):
    assert AlertmanagerSink(url).policy.url == expected
