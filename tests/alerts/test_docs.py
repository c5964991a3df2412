"""docs/alerts.md says what the code does: every kind, the payloads, a routing config that loads."""

from __future__ import annotations

import json
import re
import subprocess
from datetime import datetime, timezone
from pathlib import Path

from driftline.alerts import EVENT_KINDS, AlertmanagerSink, Event, WebhookSink
from tests.alerts._alertmanager import require_binary

DOC = Path(__file__).resolve().parents[2] / "docs" / "alerts.md"


def blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)


def documented_event() -> Event:
    return Event("drift_detected", "credit", datetime(2024, 5, 1, 12, tzinfo=timezone.utc), "warning",
                 "data drift in 3/20 features",
                 {"features": ["age", "income", "debt_ratio"], "share": 0.15,
                  "window": "2024-04-30/2024-05-01"},
                 action="retrain (stateful) on the last 30 days", version=4)


def test_every_event_kind_is_documented():
    text = DOC.read_text(encoding="utf-8")
    assert [k for k in EVENT_KINDS if f"| `{k}` |" not in text] == []


def test_the_documented_webhook_payload_is_what_is_sent():
    webhook, alertmanager = (json.loads(b) for b in blocks("json"))
    assert webhook == WebhookSink("http://127.0.0.1/").payload([documented_event()])
    sink = AlertmanagerSink("http://127.0.0.1:9093", labels={"team": "risk"},
                            generator_url="https://driftline.example/models/credit")
    assert alertmanager == sink.payload([documented_event()])


def test_the_routing_example_is_a_valid_alertmanager_config(tmp_path):
    amtool = require_binary("amtool")
    [config] = blocks("yaml")
    path = tmp_path / "alertmanager.yml"
    path.write_text(config, encoding="utf-8")
    out = subprocess.run([amtool, "check-config", str(path)], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stdout + out.stderr
