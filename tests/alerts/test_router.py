"""AlertRouter: dedup within a cooldown on a simulated clock, isolation of failing sinks, counters."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone

import pytest

from driftline.alerts import AlertRouter, DeliveryError, Event, SinkCounters, WebhookSink
from driftline.errors import ParameterError
from tests.alerts._server import hook_server

START = datetime(2024, 5, 1, 12, tzinfo=timezone.utc)


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


class Inbox:
    def __init__(self) -> None:
        self.batches: list[list[Event]] = []

    def send(self, events):
        self.batches.append(list(events))

    @property
    def kinds(self):
        return [e.kind for batch in self.batches for e in batch]


class Broken:
    def __init__(self) -> None:
        self.calls = 0

    def send(self, events):
        self.calls += 1
        raise DeliveryError("http://pager.example/hook", 503, 4, "Service Unavailable")


def drift(version: int = 3, **overrides) -> Event:
    kwargs = {"kind": "drift_detected", "model": "credit", "at": START, "severity": "warning",
              "summary": "drift in 2/5 features", "action": "retrain on the last 30 days",
              "version": version}
    return Event(**{**kwargs, **overrides})


def test_repeats_within_the_cooldown_are_suppressed_and_resent_after_it():
    clock, inbox = Clock(), Inbox()
    router = AlertRouter({"inbox": inbox}, cooldown=timedelta(minutes=30), clock=clock)
    assert router.route([drift()]).sent == {"inbox": 1}
    clock.advance(minutes=29, seconds=59)
    result = router.route([drift(summary="still drifting")])
    assert result.sent == {"inbox": 0} and result.suppressed == {"inbox": 1}
    clock.advance(seconds=1)  # exactly one cooldown after the first delivery
    assert router.route([drift()]).sent == {"inbox": 1}
    assert len(inbox.batches) == 2
    assert router.counters() == {"inbox": SinkCounters(sent=2, suppressed=1, failed=0)}


def test_the_cooldown_runs_from_the_last_delivery_not_the_last_sighting():
    clock, inbox = Clock(), Inbox()
    router = AlertRouter([inbox], cooldown=timedelta(minutes=10), clock=clock)
    for _ in range(5):  # seen every 4 minutes: delivered at 0, 12 (not 4 or 8), then suppressed
        router.route([drift()])
        clock.advance(minutes=4)
    assert [len(b) for b in inbox.batches] == [1, 1]
    assert router.counters()["Inbox"] == SinkCounters(sent=2, suppressed=3, failed=0)


def test_duplicates_in_one_batch_and_distinct_fingerprints():
    clock, inbox = Clock(), Inbox()
    router = AlertRouter({"inbox": inbox}, cooldown=timedelta(hours=1), clock=clock)
    promoted = Event("promoted", "credit", START, "info", "v4 is the champion", version=4)
    result = router.route([drift(), drift(), drift(version=4), promoted,
                           drift(resolved=True, summary="drift is gone")])
    assert result.sent == {"inbox": 4} and result.suppressed == {"inbox": 1}
    assert inbox.kinds == ["drift_detected", "drift_detected", "promoted", "drift_detected"]


def test_a_failing_sink_is_isolated_counted_and_retried_next_time(caplog):
    clock, inbox, broken = Clock(), Inbox(), Broken()
    router = AlertRouter({"pager": broken, "inbox": inbox}, cooldown=timedelta(hours=1), clock=clock)
    with caplog.at_level(logging.WARNING, logger="driftline.alerts"):
        result = router.route([drift(), drift(version=4)])  # must not raise
    assert not result.ok
    assert result.sent == {"pager": 0, "inbox": 2}
    [failure] = result.failures
    assert failure.sink == "pager" and failure.events == 2
    assert failure.error.startswith("DeliveryError: delivery to http://pager.example/hook failed")
    assert "pager" in caplog.text
    # The failed delivery did not start the pager's cooldown; the inbox's did.
    clock.advance(minutes=5)
    again = router.route([drift()])
    assert broken.calls == 2 and again.suppressed == {"pager": 0, "inbox": 1}
    assert router.counters() == {"pager": SinkCounters(sent=0, suppressed=0, failed=3),
                                 "inbox": SinkCounters(sent=2, suppressed=1, failed=0)}
    assert result.to_dict()["failures"][0]["sink"] == "pager"


def test_any_exception_from_a_sink_is_isolated():
    class Buggy:
        def send(self, events):
            raise KeyError("oops")

    inbox = Inbox()
    result = AlertRouter([Buggy(), inbox], clock=Clock()).route([drift()])
    assert result.sent == {"Buggy": 0, "Inbox": 1}
    assert result.failures[0].error == "KeyError: 'oops'"


def test_routes_to_real_webhooks_isolating_the_one_that_is_down():
    clock = Clock()
    with hook_server() as up, hook_server(fail=[500] * 10) as down:
        router = AlertRouter(
            {"up": WebhookSink(up.url, retries=1, sleep=lambda s: None),
             "down": WebhookSink(f"{down.url}/hook?token=abc", retries=1, sleep=lambda s: None)},
            cooldown=timedelta(minutes=30), clock=clock)
        result = router.route([drift()])
    assert result.sent == {"up": 1, "down": 0}
    assert len(up.requests) == 1 and len(down.requests) == 2
    assert "abc" not in result.failures[0].error
    assert result.failures[0].error.endswith(
        "failed after 2 attempts; last status 500 (Internal Server Error).")


def test_sinks_are_named_by_class_with_a_suffix_for_repeats():
    router = AlertRouter([Inbox(), Inbox(), Broken()], clock=Clock())
    assert list(router.sinks) == ["Inbox", "Inbox-2", "Broken"]


@pytest.mark.parametrize(("args", "kwargs", "parameter"), [
    pytest.param(([],), {}, "sinks", id="no-sinks"),
    pytest.param(([object()],), {}, "sinks['object']", id="not-a-sink"),
    pytest.param(([Inbox()],), {"cooldown": 30}, "cooldown", id="cooldown-not-timedelta"),
    pytest.param(([Inbox()],), {"cooldown": timedelta(seconds=-1)}, "cooldown", id="negative-cooldown"),
])
def test_invalid_settings_name_the_parameter(args, kwargs, parameter):
    with pytest.raises(ParameterError) as info:
        AlertRouter(*args, **kwargs)
    assert str(info.value).startswith(f"{parameter} must be ")


def test_a_naive_clock_and_non_events_are_refused():
    with pytest.raises(ParameterError, match=r"^clock\(\) must be an aware datetime"):
        AlertRouter([Inbox()], clock=lambda: datetime(2024, 5, 1)).route([drift()])
    with pytest.raises(ParameterError, match=r"^events must be "):
        AlertRouter([Inbox()], clock=Clock()).route([{"kind": "drift_detected"}])
