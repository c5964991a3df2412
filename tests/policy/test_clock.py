"""Clocks: aware UTC times, simulated time that moves only forward."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from driftline.errors import ParameterError
from driftline.policy import Clock, PolicyContext, SimulatedClock, SystemClock, WindowSummary

from ._build import T0


def test_system_clock_is_aware_utc():
    now = SystemClock().now()
    assert now.tzinfo is timezone.utc
    assert isinstance(SystemClock(), Clock) and isinstance(SimulatedClock(T0), Clock)


def test_simulated_clock_advances_and_sets():
    clock = SimulatedClock(T0)
    assert clock.now() == clock.now() == T0
    assert clock.advance(timedelta(hours=3)) == T0 + timedelta(hours=3)
    assert clock.set(T0 + timedelta(days=1)) == clock.now() == T0 + timedelta(days=1)


def test_simulated_clock_step_ticks_after_each_read():
    clock = SimulatedClock(T0, step=timedelta(minutes=30))
    assert [clock.now() for _ in range(3)] == [T0 + timedelta(minutes=30 * i) for i in range(3)]


def test_simulated_clock_converts_other_zones_to_utc():
    start = datetime(2024, 1, 1, 2, tzinfo=timezone(timedelta(hours=2)))
    assert SimulatedClock(start).now() == T0 and SimulatedClock(start).now().tzinfo is timezone.utc


@pytest.mark.parametrize("make, match", [
    (lambda: SimulatedClock(datetime(2024, 1, 1)), "start must be a timezone-aware datetime"),
    (lambda: SimulatedClock(T0).advance(timedelta(hours=-1)), "does not run backwards"),
    (lambda: SimulatedClock(T0).set(T0 - timedelta(seconds=1)), "does not run backwards"),
    (lambda: SimulatedClock(T0, step=timedelta(hours=-1)), "step must be"),
    (lambda: PolicyContext(datetime(2024, 1, 1), "m"), "now must be a timezone-aware"),
    (lambda: WindowSummary(T0, 10, label_coverage=1.5), "label_coverage must be a share"),
], ids=["naive-start", "advance-back", "set-back", "negative-step", "naive-now", "coverage"])
def test_bad_times_are_refused_with_the_parameter_named(make, match):
    with pytest.raises(ParameterError, match=match):
        make()


def test_context_and_window_round_trip_to_dicts():
    w = WindowSummary(T0, 100, True, 0.5, ("a",), {"roc_auc": 0.8}, 0.9, False, ("nulls in a",), 2)
    c = PolicyContext(T0, "m", [w], baseline={"roc_auc": 0.85}, demand="x")
    d = c.to_dict()
    assert d["windows"][0]["quality_problems"] == ["nulls in a"] and d["now"] == T0.isoformat()
    assert c.windows == (w,) and c.evidence_since is None and c.fresh_windows() == (w,)
