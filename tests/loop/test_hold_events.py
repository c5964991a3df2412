"""Only a hold by the data-quality gate is an event and an alert: a hold by the cooldown,
whose reasons also say "data quality ok", is not."""

from __future__ import annotations

from driftline.worker._alerts import events_of_turn


def _turn(reasons):
    return {"results": [], "decision": {"action": "hold", "reasons": reasons}}


def test_a_cooldown_hold_is_not_a_quality_alert():
    reasons = ["data drift in 3/6 features", "no retrain running", "data quality ok",
               "held: cooldown: last retrain 1 h ago, cooldown 3 h"]
    assert [e.kind for e in events_of_turn("credit", _turn(reasons))] == []


def test_a_quality_hold_is_an_alert():
    reasons = ["data drift in 3/6 features", "no retrain running",
               "held: data quality gate: the latest window has problems (income: 40% missing)"]
    assert [e.kind for e in events_of_turn("credit", _turn(reasons))] == ["retrain_held"]
