"""The time- and count-based triggers and their combinations, on a simulated clock."""

from __future__ import annotations

from datetime import timedelta

import pytest

from driftline.errors import ParameterError
from driftline.policy import (
    AllOf,
    AnyOf,
    OnDemand,
    OnModelAge,
    OnNewData,
    OnSchedule,
    SimulatedClock,
    Trigger,
    TriggerResult,
)

from ._build import HOUR, T0, ctx


def test_on_demand_fires_only_with_a_request():
    assert OnDemand().evaluate(ctx(demand="labels fixed")) == TriggerResult(
        True, "on demand: labels fixed", "on_demand")
    silent = OnDemand().evaluate(ctx())
    assert not silent.fired and silent.reason == "no on-demand request"


def test_on_schedule_fires_once_per_slot_on_a_simulated_clock():
    trigger, clock = OnSchedule("0 3 * * *"), SimulatedClock(T0, step=HOUR)  # daily at 03:00
    last_decision, fired_at = None, []
    for _ in range(72):  # three days, hourly
        now = clock.now()
        r = trigger.evaluate(ctx(now, last_training_at=T0, last_retrain_decision_at=last_decision))
        if r.fired:
            fired_at.append(now)
            last_decision = now
    assert fired_at == [T0 + timedelta(days=d, hours=3) for d in range(3)]


def test_on_schedule_catches_up_a_missed_slot_once_and_says_when_next():
    trigger = OnSchedule("0 3 * * 1")  # Mondays 03:00; 2024-01-01 is a Monday
    late = ctx(T0 + timedelta(days=16), last_training_at=T0 + timedelta(hours=4))
    r = trigger.evaluate(late)
    assert r.fired and r.reason == "scheduled retrain due at 2024-01-08 03:00 UTC (cron '0 3 * * 1')"
    after = ctx(T0 + timedelta(days=16), last_training_at=T0 + timedelta(days=16))
    silent = trigger.evaluate(after)
    assert not silent.fired and "next scheduled retrain at 2024-01-22 03:00 UTC" in silent.reason


def test_on_schedule_uses_the_promotion_when_nothing_else_is_known():
    trigger = OnSchedule("0 * * * *")
    assert trigger.evaluate(ctx(T0 + 2 * HOUR, champion_promoted_at=T0)).fired
    assert not trigger.evaluate(ctx(T0 + 2 * HOUR)).fired


@pytest.mark.parametrize("cron", ["every monday", "61 * * * *", "* * *", ""],
                         ids=["words", "minute-61", "three-fields", "empty"])
def test_on_schedule_refuses_bad_cron(cron):
    with pytest.raises(ParameterError, match=r"cron must be a cron expression with 5 fields .*got"):
        OnSchedule(cron)


def test_on_new_data_threshold():
    assert OnNewData(1000).evaluate(ctx(labelled_rows_since_training=1000)).fired
    r = OnNewData(1000).evaluate(ctx(labelled_rows_since_training=999))
    assert not r.fired and r.reason == "999 new labelled rows since the last training (fewer than 1,000)"
    with pytest.raises(ParameterError, match="min_rows must be an integer >= 1; got 0"):
        OnNewData(0)


def test_on_model_age_on_a_simulated_clock():
    trigger, clock = OnModelAge(timedelta(days=30)), SimulatedClock(T0)
    assert not trigger.evaluate(ctx(clock.now(), champion_promoted_at=T0)).fired
    clock.advance(timedelta(days=30))
    assert not trigger.evaluate(ctx(clock.now(), champion_promoted_at=T0)).fired  # not older yet
    clock.advance(timedelta(minutes=1))
    r = trigger.evaluate(ctx(clock.now(), champion_promoted_at=T0, champion_version=4))
    assert r.fired and r.reason == "champion v4 is 30 d 1 min old (limit 30 d)"
    assert trigger.evaluate(ctx(clock.now())).reason == "no champion, so no model age"


def test_any_of_names_what_fired_and_all_of_needs_every_one():
    both = ctx(demand="audit", labelled_rows_since_training=5000)
    one = ctx(demand="audit")
    any_of, all_of = AnyOf(OnDemand(), OnNewData(1000)), AllOf(OnDemand(), OnNewData(1000))
    assert any_of.evaluate(both).name == "on_demand+on_new_data"
    assert any_of.evaluate(one).name == "on_demand" and any_of.evaluate(one).fired
    assert all_of.evaluate(both).fired and all_of.evaluate(both).name == "on_demand&on_new_data"
    silent = all_of.evaluate(one)
    assert not silent.fired and "fewer than 1,000" in silent.reason and "audit" not in silent.reason
    nothing = any_of.evaluate(ctx())
    assert not nothing.fired and nothing.reason.startswith("no on-demand request; 0 new labelled rows")


def test_combinations_refuse_nothing_and_non_triggers():
    with pytest.raises(ParameterError, match="AnyOf must be given at least one trigger"):
        AnyOf()
    with pytest.raises(ParameterError, match="AllOf argument must be a trigger"):
        AllOf(OnDemand(), "drift")  # type: ignore[arg-type]


def test_every_trigger_satisfies_the_protocol():
    for t in (OnDemand(), OnSchedule("0 3 * * 1"), OnNewData(1), OnModelAge(HOUR), AnyOf(OnDemand())):
        assert isinstance(t, Trigger)
