"""The router: deduplicate events within a cooldown, fan them out, and never raise.

The monitoring loop calls :meth:`AlertRouter.route` and carries on whatever the sinks do: a
sink that raises is recorded as a failure and the other sinks still get their events.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from types import MappingProxyType
from typing import Any

from driftline.alerts._event import Event
from driftline.alerts._sinks import Sink
from driftline.errors import ParameterError

__all__ = ["AlertRouter", "RouteResult", "SinkCounters", "SinkFailure"]

_log = logging.getLogger("driftline.alerts")


@dataclass(frozen=True)
class SinkCounters:
    """Events one sink has delivered, had suppressed as duplicates, and failed to deliver.

    Examples
    --------
    >>> SinkCounters(sent=3, suppressed=1, failed=0).to_dict()
    {'sent': 3, 'suppressed': 1, 'failed': 0}
    """

    sent: int = 0
    suppressed: int = 0
    failed: int = 0

    def to_dict(self) -> dict[str, int]:
        """The counters as a dict."""
        return {"sent": self.sent, "suppressed": self.suppressed, "failed": self.failed}


@dataclass(frozen=True)
class SinkFailure:
    """One sink's failed delivery: the sink, how many events, and the error's message.

    Examples
    --------
    >>> SinkFailure("pager", 2, "DeliveryError: delivery to http://x/ failed").to_dict()["sink"]
    'pager'
    """

    sink: str
    events: int
    error: str

    def to_dict(self) -> dict[str, Any]:
        """The failure as a dict."""
        return {"sink": self.sink, "events": self.events, "error": self.error}


@dataclass(frozen=True)
class RouteResult:
    """What one :meth:`AlertRouter.route` call did, per sink.

    Examples
    --------
    >>> r = RouteResult({"hook": 2}, {"hook": 1}, ())
    >>> r.ok, r.to_dict()
    (True, {'sent': {'hook': 2}, 'suppressed': {'hook': 1}, 'failures': []})
    """

    sent: Mapping[str, int] = field(default_factory=dict)
    suppressed: Mapping[str, int] = field(default_factory=dict)
    failures: tuple[SinkFailure, ...] = ()

    @property
    def ok(self) -> bool:
        """True when no sink failed."""
        return not self.failures

    def to_dict(self) -> dict[str, Any]:
        """The result as a dict."""
        return {"sent": dict(self.sent), "suppressed": dict(self.suppressed),
                "failures": [f.to_dict() for f in self.failures]}


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


class AlertRouter:
    """Send events to every sink, once per fingerprint per cooldown, isolating failures.

    Deduplication is per sink: an event is suppressed for a sink that already received an event
    with the same :attr:`~Event.fingerprint` less than ``cooldown`` ago (by ``clock``). A failed
    delivery does not start the cooldown, so the next identical event is tried again.

    Parameters
    ----------
    sinks : the sinks, by name (``{"slack": WebhookSink(...)}``) or as a sequence (then named
        by class, with ``-2``, ``-3`` … for repeats). Names label the counters.
    cooldown : how long a fingerprint stays suppressed after a delivery.
    clock : returns the current time as an aware datetime; tests pass a simulated one.

    Examples
    --------
    >>> from datetime import datetime, timedelta, timezone
    >>> class Inbox:
    ...     def __init__(self):
    ...         self.got = []
    ...     def send(self, events):
    ...         self.got.extend(events)
    >>> now = [datetime(2024, 5, 1, tzinfo=timezone.utc)]
    >>> inbox = Inbox()
    >>> router = AlertRouter({"inbox": inbox}, cooldown=timedelta(hours=1), clock=lambda: now[0])
    >>> e = Event("drift_detected", "credit", now[0], "warning", "drift in age",
    ...           action="retrain", version=1)
    >>> router.route([e]).sent, router.route([e]).suppressed
    ({'inbox': 1}, {'inbox': 1})
    >>> now[0] += timedelta(hours=1)
    >>> router.route([e]).sent
    {'inbox': 1}
    >>> router.counters()["inbox"]
    SinkCounters(sent=2, suppressed=1, failed=0)
    """

    def __init__(self, sinks: Mapping[str, Sink] | Sequence[Sink], *,
                 cooldown: timedelta = timedelta(minutes=30),
                 clock: Callable[[], datetime] = _utcnow) -> None:
        self.sinks: Mapping[str, Sink] = MappingProxyType(_named(sinks))
        if not isinstance(cooldown, timedelta) or cooldown < timedelta(0):
            raise ParameterError.invalid("cooldown", cooldown, "a timedelta >= 0")
        if not callable(clock):
            raise ParameterError.invalid("clock", clock, "a callable returning an aware datetime")
        self.cooldown, self.clock = cooldown, clock
        self._lock = threading.Lock()
        self._last: dict[str, dict[str, datetime]] = {name: {} for name in self.sinks}
        self._counts = {name: [0, 0, 0] for name in self.sinks}  # sent, suppressed, failed

    def __repr__(self) -> str:
        return f"AlertRouter(sinks={list(self.sinks)}, cooldown={self.cooldown!r})"

    def route(self, events: Iterable[Event]) -> RouteResult:
        """Deliver ``events`` to every sink that has not had them within the cooldown.

        Never raises for a sink's failure: failures are logged, counted and returned.
        """
        events = list(events)
        bad = [e for e in events if not isinstance(e, Event)]
        if bad:
            raise ParameterError.invalid("events", bad[0], "driftline.alerts.Event objects")
        now = self._now()
        with self._lock:
            plans = {name: self._plan(name, events, now) for name in self.sinks}
        sent: dict[str, int] = {}
        suppressed = {name: len(events) - len(batch) for name, batch in plans.items()}
        failures = []
        for name, batch in plans.items():
            error = self._deliver(name, batch) if batch else None
            with self._lock:
                counts = self._counts[name]
                counts[1] += suppressed[name]
                if error is None:
                    counts[0] += len(batch)
                    sent[name] = len(batch)
                    continue
                counts[2] += len(batch)
                sent[name] = 0
                for e in batch:  # a failed delivery must not start the cooldown
                    if self._last[name].get(e.fingerprint) == now:
                        del self._last[name][e.fingerprint]
            failures.append(SinkFailure(name, len(batch), error))
        return RouteResult(sent, suppressed, tuple(failures))

    def counters(self) -> dict[str, SinkCounters]:
        """Totals since the router was made, per sink (for Prometheus counters)."""
        with self._lock:
            return {name: SinkCounters(*c) for name, c in self._counts.items()}

    def _now(self) -> datetime:
        now = self.clock()
        if not isinstance(now, datetime) or now.tzinfo is None:
            raise ParameterError.invalid("clock()", now, "an aware datetime",
                                         "Return e.g. datetime.now(timezone.utc).")
        return now

    def _plan(self, name: str, events: list[Event], now: datetime) -> list[Event]:
        """The events ``name`` should get now; marks them sent (undone if delivery fails)."""
        last = self._last[name]
        for fp in [fp for fp, t in last.items() if now - t >= self.cooldown]:
            del last[fp]  # expired: keeps the map as small as the cooldown's traffic
        batch = []
        for e in events:
            if e.fingerprint in last:
                continue
            last[e.fingerprint] = now
            batch.append(e)
        return batch

    def _deliver(self, name: str, batch: list[Event]) -> str | None:
        try:
            self.sinks[name].send(batch)
        except Exception as exc:  # isolation: a sink's failure must not reach the monitoring loop
            _log.warning("alert sink %r failed to deliver %d event(s): %s", name, len(batch), exc)
            return f"{type(exc).__name__}: {exc}"
        return None


def _named(sinks: Mapping[str, Sink] | Sequence[Sink]) -> dict[str, Sink]:
    items = list(sinks.items()) if isinstance(sinks, Mapping) else _auto_names(sinks)
    if not items:
        raise ParameterError.invalid("sinks", sinks, "at least one sink")
    for name, sink in items:
        if not isinstance(sink, Sink):
            raise ParameterError.invalid(f"sinks[{name!r}]", sink, "an object with send(events)")
    return dict(items)


def _auto_names(sinks: Sequence[Sink]) -> list[tuple[str, Sink]]:
    seen: dict[str, int] = {}
    out = []
    for sink in sinks:
        base = type(sink).__name__
        seen[base] = seen.get(base, 0) + 1
        out.append((base if seen[base] == 1 else f"{base}-{seen[base]}", sink))
    return out
