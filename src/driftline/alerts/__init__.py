"""Alerts: events about models, delivered to webhooks and Alertmanager with retries,
deduplication and a cooldown.

See ``docs/alerts.md`` for the payloads and an Alertmanager routing example.

Examples
--------
>>> from datetime import datetime, timedelta, timezone
>>> from driftline.alerts import AlertRouter, Event
>>> class Inbox:
...     def send(self, events):
...         print([e.kind for e in events])
>>> router = AlertRouter({"inbox": Inbox()}, cooldown=timedelta(minutes=30))
>>> e = Event("retrain_failed", "credit", datetime.now(timezone.utc), "critical",
...           "training raised ValueError", action="check the training data", version=3)
>>> router.route([e, e]).to_dict()
['retrain_failed']
{'sent': {'inbox': 1}, 'suppressed': {'inbox': 1}, 'failures': []}
"""

from driftline.alerts._event import ACTION_REQUIRED, EVENT_KINDS, EVENT_SCHEMA, SEVERITIES, Event
from driftline.alerts._http import DeliveryError
from driftline.alerts._router import AlertRouter, RouteResult, SinkCounters, SinkFailure
from driftline.alerts._sinks import AlertmanagerSink, Sink, WebhookSink

__all__ = [
    "ACTION_REQUIRED",
    "EVENT_KINDS",
    "EVENT_SCHEMA",
    "SEVERITIES",
    "AlertRouter",
    "AlertmanagerSink",
    "DeliveryError",
    "Event",
    "RouteResult",
    "Sink",
    "SinkCounters",
    "SinkFailure",
    "WebhookSink",
]
