"""Policies: guards in order, decisions with reasons, stage presets."""

from __future__ import annotations

from datetime import timedelta

import pytest

from driftline.errors import ParameterError
from driftline.policy import (
    STAGES,
    AnyOf,
    Decision,
    OnDataDrift,
    OnDemand,
    OnModelAge,
    OnNewData,
    OnPerformanceDegradation,
    OnSchedule,
    Policy,
    SimulatedClock,
    stage_policy,
)

from ._build import HOUR, T0, ctx, window, windows

DRIFT = OnDataDrift(persistence=(2, 3))


def test_retrain_with_every_guard_reported():
    policy = Policy(DRIFT, mode="stateful", cooldown=timedelta(hours=6), min_rows=500)
    d = policy.decide(ctx(windows=windows("D.DD"), champion_version=2, labelled_rows_since_training=800))
    assert d.action == "retrain" and d.retrain and d.trigger == "on_data_drift" and d.mode == "stateful"
    assert d.summary() == ("retrain (stateful): data drift in 7/20 features, 2 of last 3 windows; "
                           "no retrain running; data quality ok; cooldown ok; "
                           "enough data (800 labelled rows, at least 500)")


def test_no_trigger_gives_none_with_the_reasons():
    d = Policy(DRIFT).decide(ctx(windows=windows("D..")))
    assert d.action == "none" and d.trigger == "" and not d.retrain
    assert d.reasons == ("no trigger fired: no persistent data drift: 1 of last 3 windows drifted "
                         "(need 2 of 3)",)
    assert d.summary().startswith("none: no trigger fired")


def test_running_retrain_holds_first():
    bad_quality = [window(0, True), window(1, True, quality_ok=False, quality_problems=("x",))]
    d = Policy(DRIFT).decide(ctx(windows=bad_quality, retrain_running=True))
    assert d.action == "hold" and d.reasons[-1] == "held: a retrain is already running"
    assert d.trigger == "on_data_drift"


def test_quality_gate_holds_and_names_the_problems():
    problems = ("income: 40% missing", "age: 12 values below 0")
    ws = [window(0, True), window(1, True, quality_ok=False, quality_problems=problems)]
    d = Policy(DRIFT).decide(ctx(windows=ws))
    assert d.action == "hold"
    assert d.reasons[-1] == ("held: data quality gate: the latest window has problems (income: 40% "
                             "missing; age: 12 values below 0); retraining on broken data is worse "
                             "than not retraining")
    assert Policy(DRIFT, quality_gate=False).decide(ctx(windows=ws)).action == "retrain"


def test_cooldown_on_a_simulated_clock():
    policy = Policy(OnDemand(), cooldown=timedelta(hours=6))
    clock = SimulatedClock(T0)
    last = None
    actions = []
    for _ in range(13):  # a request every hour for 12 hours
        d = policy.decide(ctx(clock.now(), demand="please", last_retrain_decision_at=last))
        actions.append(d.action)
        if d.retrain:
            last = d.at
        clock.advance(HOUR)
    assert actions == ["retrain"] + ["hold"] * 5 + ["retrain"] + ["hold"] * 5 + ["retrain"]
    held = policy.decide(ctx(T0 + 2 * HOUR, demand="x", last_retrain_decision_at=T0))
    assert held.reasons[-1] == ("held: cooldown: last retrain 2 h ago, cooldown 6 h "
                                "(next allowed at 2024-01-01 06:00 UTC)")


def test_min_rows_guard():
    policy = Policy(OnDemand(), min_rows=1000)
    held = policy.decide(ctx(demand="x", labelled_rows_since_training=999))
    assert held.action == "hold"
    assert held.reasons[-1] == "held: only 999 labelled rows since the last training; need at least 1,000"
    assert policy.decide(ctx(demand="x", labelled_rows_since_training=1000)).action == "retrain"


def test_guards_stop_at_the_first_that_holds():
    ws = [window(0, quality_ok=False, quality_problems=("nulls",))]
    d = Policy(OnDemand(), cooldown=timedelta(hours=1), min_rows=10).decide(
        ctx(T0 + HOUR, windows=ws, demand="x", last_training_at=T0 + HOUR))
    assert [r for r in d.reasons if r.startswith("held")] == [d.reasons[-1]]
    assert "data quality gate" in d.reasons[-1]


def test_stateful_without_champion_trains_from_scratch_and_says_so():
    d = Policy(OnDemand(), mode="stateful").decide(ctx(demand="x"))
    assert d.mode == "stateless" and d.reasons[-1] == "no champion to continue from, so training from scratch"


def test_decision_round_trip_and_validation():
    d = Policy(OnDemand()).decide(ctx(demand="audit"))
    assert Decision.from_dict(d.to_dict()) == d
    with pytest.raises(ParameterError, match="action must be one of 'retrain', 'hold', 'none'"):
        Decision("m", T0, "wait", "stateless")


@pytest.mark.parametrize("kwargs, match", [
    ({"mode": "incremental"}, "mode must be one of 'stateless', 'stateful'; got 'incremental'"),
    ({"cooldown": timedelta(hours=-1)}, "cooldown must be a non-negative timedelta"),
    ({"min_rows": -1}, "min_rows must be an integer >= 0"),
], ids=["mode", "cooldown", "min-rows"])
def test_policy_parameters_are_validated(kwargs, match):
    with pytest.raises(ParameterError, match=match):
        Policy(OnDemand(), **kwargs)
    with pytest.raises(ParameterError, match="trigger must be a trigger"):
        Policy("drift")  # type: ignore[arg-type]


def test_stage_presets():
    one, two, three, four = (stage_policy(s) for s in (1, 2, 3, 4))
    assert one == Policy(OnDemand())
    assert two.trigger == AnyOf(OnDemand(), OnSchedule("0 3 * * 1")) and two.mode == "stateless"
    assert three.trigger == two.trigger and three.mode == "stateful"
    assert four.mode == "stateless" and four.trigger == AnyOf(
        OnDemand(), OnDataDrift(persistence=(2, 3)),
        OnPerformanceDegradation("roc_auc", 0.05, relative=True, persistence=(2, 3)),
        OnNewData(10_000), OnModelAge(timedelta(days=30)))
    for stage, (_, mode, cooldown, rows) in STAGES.items():
        p = stage_policy(stage)
        assert (p.mode, p.cooldown, p.min_rows) == (mode, cooldown, rows)
    assert stage_policy(2, on_demand=False).trigger == OnSchedule("0 3 * * 1")
    custom = stage_policy(4, mode="stateful", cooldown=timedelta(0), min_rows=0, metric="rmse")
    assert custom.mode == "stateful" and custom.cooldown == timedelta(0)
    with pytest.raises(ParameterError, match="stage must be one of '1', '2', '3', '4'; got 0"):
        stage_policy(0)


def test_stage_four_retrains_on_drift_but_not_on_one_false_alarm():
    policy = stage_policy(4, min_rows=0)
    assert policy.decide(ctx(windows=windows("...D"))).action == "none"
    d = policy.decide(ctx(windows=windows("..DD")))
    assert d.action == "retrain" and d.trigger == "on_data_drift"
