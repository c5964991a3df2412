"""The ``policies`` section of the project file, round trip to a Policy, and its errors."""

from __future__ import annotations

from datetime import timedelta

import pytest

pytest.importorskip("pydantic")

from driftline.config import ProjectConfig, validate
from driftline.errors import ConfigError
from driftline.policy import (
    TRIGGER_TYPES,
    AllOf,
    AnyOf,
    OnConceptDrift,
    OnDataDrift,
    OnDemand,
    OnModelAge,
    OnNewData,
    OnPerformanceDegradation,
    OnSchedule,
    Policy,
    policy_from_config,
    stage_policy,
)

BASE = {"version": 1, "model": {"name": "credit", "task": "binary", "target": "default"},
        "training": {"function": "credit_model:train"}, "reference": {"path": "ref.csv"}}


def project(policies: dict) -> ProjectConfig:
    return validate({**BASE, "policies": policies})


def test_default_is_stage_one():
    assert policy_from_config(validate(BASE)) == stage_policy(1) == Policy(OnDemand())


def test_every_trigger_type_round_trips():
    cfg = project({
        "mode": "stateful", "cooldown": "6h", "min_rows": 1000, "quality_gate": False,
        "triggers": [
            {"type": "on_demand"},
            {"type": "on_schedule", "cron": "0 3 * * 1"},
            {"type": "on_data_drift", "features": ["income"], "share": 0.3, "persistence": [2, 3]},
            {"type": "on_performance_degradation", "metric": "rmse", "max_drop": 0.1,
             "relative": True, "persistence": [2, 4], "min_coverage": 0.3},
            {"type": "on_concept_drift", "min_events": 2},
            {"type": "on_new_data", "min_rows": 5000},
            {"type": "on_model_age", "max_age": "30d"},
        ]})
    assert policy_from_config(cfg) == Policy(
        AnyOf(OnDemand(), OnSchedule("0 3 * * 1"), OnDataDrift(("income",), 0.3, (2, 3)),
              OnPerformanceDegradation("rmse", 0.1, relative=True, persistence=(2, 4), min_coverage=0.3),
              OnConceptDrift(2), OnNewData(5000), OnModelAge(timedelta(days=30))),
        mode="stateful", cooldown=timedelta(hours=6), min_rows=1000, quality_gate=False)
    assert set(TRIGGER_TYPES) == {t["type"] for t in cfg.policies.model_dump()["triggers"]}


def test_combine_all_and_a_single_trigger():
    cfg = project({"combine": "all", "triggers": [{"type": "on_data_drift"},
                                                  {"type": "on_new_data", "min_rows": 100}]})
    assert policy_from_config(cfg).trigger == AllOf(OnDataDrift(), OnNewData(100))
    single = project({"triggers": [{"type": "on_new_data", "min_rows": 100}], "cooldown": 3600})
    assert policy_from_config(single) == Policy(OnNewData(100), cooldown=timedelta(hours=1))


def test_stage_with_overrides_and_cron():
    cfg = project({"stage": 3, "cron": "0 2 * * *", "cooldown": "1h30m", "min_rows": 0})
    assert policy_from_config(cfg) == stage_policy(3, cron="0 2 * * *", cooldown=timedelta(minutes=90),
                                                   min_rows=0)
    assert policy_from_config(project({"stage": 4})) == stage_policy(4)
    assert policy_from_config(project({"stage": 4}).policies) == stage_policy(4)  # the section alone


@pytest.mark.parametrize("value, seconds", [("6h", 21600), ("30min", 1800), ("1h30m", 5400),
                                            ("2d", 172800), ("1w", 604800), ("90s", 90),
                                            ("120", 120), (45, 45), (0, 0)])
def test_durations(value, seconds):
    assert project({"cooldown": value}).policies.cooldown == timedelta(seconds=seconds)


@pytest.mark.parametrize("policies, expected", [
    ({"triggers": [{"type": "on_weather"}]},
     "policies.triggers.0 unknown trigger type 'on_weather'; expected one of on_demand, on_schedule, "
     "on_data_drift, on_performance_degradation, on_concept_drift, on_new_data, on_model_age"),
    ({"triggers": [{"type": "on_schedule", "cron": "every monday"}]},
     "cron 'every monday' is not a cron expression with 5 fields"),
    ({"stage": 2, "cron": "61 * * * *"}, "cron '61 * * * *' is not a cron expression"),
    ({"triggers": [{"type": "on_schedule"}]}, "on_schedule needs cron"),
    ({"triggers": [{"type": "on_new_data", "min_rows": 10, "cron": "0 3 * * 1"}]},
     "on_new_data takes min_rows; got unknown parameter(s) cron"),
    ({"triggers": [{"type": "on_demand", "reason": "x"}]}, "on_demand takes no parameters"),
    ({"triggers": [{"type": "on_data_drift", "persistence": [3, 2]}]}, "persistence must be [k, m]"),
    ({"triggers": [{"type": "on_model_age", "max_age": "a month"}]},
     "policies.triggers.0.max_age must be a duration such as '6h'"),
    ({"cooldown": "soon"}, "policies.cooldown must be a duration"),
    ({"stage": 5}, "policies.stage input should be less than or equal to 4"),
    ({"stage": 2, "triggers": [{"type": "on_demand"}]}, "give either 'stage'"),
    ({"cron": "0 3 * * 1"}, "'cron' sets the schedule of stages 2 and 3"),
    ({"combine": "either"}, "policies.combine input should be 'any' or 'all'"),
    ({"mode": "online"}, "policies.mode input should be 'stateless' or 'stateful'"),
    ({"trigger": []}, "unknown key 'policies.trigger'; allowed here: combine, cooldown, cron"),
], ids=["type", "cron", "stage-cron", "missing-cron", "foreign-param", "demand-param", "persistence",
        "max-age", "cooldown", "stage", "stage-and-triggers", "cron-without-stage", "combine", "mode",
        "unknown-key"])
def test_errors_name_the_key_and_the_allowed_values(policies, expected):
    with pytest.raises(ConfigError) as info:
        project(policies)
    assert expected in str(info.value)
