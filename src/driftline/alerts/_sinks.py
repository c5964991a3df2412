"""Sinks deliver events: the :class:`Sink` protocol, a JSON webhook and Alertmanager.

Both HTTP sinks share one retry policy (see :mod:`driftline.alerts._http`) and raise
:class:`~driftline.alerts.DeliveryError` when delivery fails for good. The router catches it;
a sink used on its own lets it through.
"""

from __future__ import annotations

import json
import re
import time
import urllib.parse
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta, timezone
from typing import Any, Protocol, runtime_checkable

from driftline.alerts._event import Event, format_time
from driftline.alerts._http import HttpPolicy, redact_url
from driftline.errors import ParameterError

__all__ = ["AlertmanagerSink", "Sink", "WebhookSink"]

_LABEL_NAME = "^[a-zA-Z_][a-zA-Z0-9_]*$"


@runtime_checkable
class Sink(Protocol):
    """Where events go: one method, ``send(events)``, that raises when delivery fails.

    Examples
    --------
    >>> class Printer:
    ...     def send(self, events):
    ...         for e in events:
    ...             print(e.kind, e.model)
    >>> isinstance(Printer(), Sink)
    True
    """

    def send(self, events: Sequence[Event]) -> None: ...


class WebhookSink:
    """POST events as JSON, ``{"events": [event.to_dict(), ...]}``, to a URL.

    Parameters
    ----------
    url : the endpoint (http or https). A token in its query string never appears in errors.
    headers : extra request headers, e.g. ``{"Authorization": "Bearer ..."}``.
    timeout : seconds per attempt.
    retries : attempts after the first on connection errors, timeouts, 5xx and 429.
    backoff : the first retry's delay in seconds; each later one doubles it.
    sleep : how to wait between attempts (tests pass a recorder).

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> sink = WebhookSink("https://hooks.example.com/driftline?token=s3cret", retries=2)
    >>> sink
    WebhookSink('https://hooks.example.com/driftline', retries=2)
    >>> e = Event("promoted", "credit", datetime(2024, 5, 1, tzinfo=timezone.utc), "info",
    ...           "v2 is the champion", version=2)
    >>> sink.payload([e])["events"][0]["kind"]
    'promoted'
    >>> WebhookSink("http://127.0.0.1:9/hook?token=s3cret", retries=0).send([e])
    Traceback (most recent call last):
    ...
    driftline.alerts._http.DeliveryError: delivery to http://127.0.0.1:9/hook failed after 1 attempt; ...
    """

    def __init__(self, url: str, *, headers: Mapping[str, str] | None = None, timeout: float = 5,
                 retries: int = 3, backoff: float = 0.5,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.policy = HttpPolicy(url, headers, timeout, retries, backoff, sleep)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({redact_url(self.policy.url)!r}, retries={self.policy.retries})"

    def payload(self, events: Sequence[Event]) -> dict[str, Any]:
        """The JSON body :meth:`send` POSTs."""
        return {"events": [e.to_dict() for e in events]}

    def send(self, events: Sequence[Event]) -> None:
        """POST ``events`` (nothing is sent for an empty sequence)."""
        if events:
            self.policy.post_json(self.payload(events))


class AlertmanagerSink:
    """POST events as alerts to Prometheus Alertmanager's API v2 (``/api/v2/alerts``).

    Each event becomes one alert. Labels: ``alertname="driftline_<kind>"``, ``model``,
    ``severity``, ``version`` (when set) and ``labels``. Annotations: ``summary``, ``action``
    (when set), ``details`` (the details as JSON) and ``fingerprint``. ``startsAt`` is the
    event's time; ``endsAt`` is set for resolved events (their time) and for ``info`` events
    (``info_ttl`` later), which report something finished rather than an ongoing condition.

    Parameters
    ----------
    url : Alertmanager's base URL (``http://alertmanager:9093``) or the full API URL.
    labels : static labels added to every alert, e.g. ``{"team": "risk", "env": "prod"}``.
    generator_url : a link back to driftline (its UI), sent as ``generatorURL``.
    info_ttl : how long an ``info`` event stays active.
    headers, timeout, retries, backoff, sleep : as for :class:`WebhookSink`.

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> sink = AlertmanagerSink("http://127.0.0.1:9093", labels={"team": "risk"})
    >>> sink.policy.url
    'http://127.0.0.1:9093/api/v2/alerts'
    >>> e = Event("drift_detected", "credit", datetime(2024, 5, 1, tzinfo=timezone.utc), "warning",
    ...           "drift in 3/20 features", action="retrain on the last 30 days", version=4)
    >>> alert = sink.payload([e])[0]
    >>> alert["labels"]
    {'team': 'risk', 'alertname': 'driftline_drift_detected', 'model': 'credit',
     'severity': 'warning', 'version': '4'}
    >>> alert["annotations"]["action"], alert["startsAt"], "endsAt" in alert
    ('retrain on the last 30 days', '2024-05-01T00:00:00Z', False)
    """

    def __init__(self, url: str, *, labels: Mapping[str, str] | None = None,
                 generator_url: str | None = None, info_ttl: timedelta = timedelta(hours=1),
                 headers: Mapping[str, str] | None = None, timeout: float = 5, retries: int = 3,
                 backoff: float = 0.5, sleep: Callable[[float], None] = time.sleep) -> None:
        self.policy = HttpPolicy(_api_url(url), headers, timeout, retries, backoff, sleep)
        self.labels = _check_labels(labels or {})
        if generator_url is not None and not generator_url.startswith(("http://", "https://")):
            raise ParameterError.invalid("generator_url", generator_url, "an http:// or https:// URL")
        self.generator_url = generator_url
        if not isinstance(info_ttl, timedelta) or info_ttl <= timedelta(0):
            raise ParameterError.invalid("info_ttl", info_ttl, "a positive timedelta")
        self.info_ttl = info_ttl

    def __repr__(self) -> str:
        return f"{type(self).__name__}({redact_url(self.policy.url)!r}, retries={self.policy.retries})"

    def payload(self, events: Sequence[Event]) -> list[dict[str, Any]]:
        """The alerts :meth:`send` POSTs, one per event."""
        return [self._alert(e) for e in events]

    def send(self, events: Sequence[Event]) -> None:
        """POST ``events`` as alerts (nothing is sent for an empty sequence)."""
        if events:
            self.policy.post_json(self.payload(events))

    def _alert(self, event: Event) -> dict[str, Any]:
        labels = {**self.labels, "alertname": f"driftline_{event.kind}", "model": event.model,
                  "severity": event.severity}
        if event.version is not None:
            labels["version"] = str(event.version)
        annotations = {"summary": event.summary,
                       "details": json.dumps(dict(event.details), sort_keys=True),
                       "fingerprint": event.fingerprint}
        if event.action is not None:
            annotations["action"] = event.action
        alert: dict[str, Any] = {"labels": labels, "annotations": annotations,
                                 "startsAt": format_time(event.at)}
        ends = _ends_at(event, self.info_ttl)
        if ends is not None:
            alert["endsAt"] = format_time(ends)
        if self.generator_url is not None:
            alert["generatorURL"] = self.generator_url
        return alert


def _api_url(url: str) -> str:
    if not isinstance(url, str):
        return url  # HttpPolicy reports it
    parts = urllib.parse.urlsplit(url)
    path = parts.path.rstrip("/")
    if not path.endswith("/api/v2/alerts"):
        path = f"{path}/api/v2/alerts"
    return urllib.parse.urlunsplit(parts._replace(path=path))


def _ends_at(event: Event, info_ttl: timedelta) -> datetime | None:
    if event.resolved:
        return event.at
    if event.severity == "info":
        return max(event.at, datetime.now(timezone.utc)) + info_ttl
    return None


def _check_labels(labels: Mapping[str, str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, value in labels.items():
        if not isinstance(name, str) or not re.match(_LABEL_NAME, name):
            raise ParameterError.invalid("labels", name, f"label names matching {_LABEL_NAME}")
        if name in ("alertname", "model", "severity", "version"):
            raise ParameterError.invalid("labels", name, "names other than alertname, model, severity "
                                         "and version (driftline sets those from the event)")
        if not isinstance(value, str) or not value:
            raise ParameterError.invalid(f"labels[{name!r}]", value, "a non-empty str")
        out[name] = value
    return out
