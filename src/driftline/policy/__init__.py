"""Retraining policies: triggers, their combination, guards, and the decisions they store.

Everything here is pure decision logic: a :class:`Policy` reads a :class:`PolicyContext`
(the monitor's window summaries, the model's state and the time from a :class:`Clock`) and
returns a :class:`Decision` with its reasons. See ``docs/policies.md``.

Examples
--------
>>> from datetime import datetime, timedelta, timezone
>>> from driftline.policy import PolicyContext, SimulatedClock, stage_policy
>>> clock = SimulatedClock(datetime(2024, 1, 1, tzinfo=timezone.utc))
>>> policy = stage_policy(2, cron="0 3 * * *")
>>> trained = clock.now()
>>> _ = clock.advance(timedelta(hours=4))
>>> policy.decide(PolicyContext(clock.now(), "credit", last_training_at=trained)).summary()
"retrain (stateless): scheduled retrain due at 2024-01-01 03:00 UTC (cron '0 3 * * *'); ..."
"""

from driftline.policy._budget import MAX_PERSISTENCE_WINDOWS, expected_windows_between_false_alarms
from driftline.policy._clock import Clock, SimulatedClock, SystemClock
from driftline.policy._concept import OnConceptDrift
from driftline.policy._config import TRIGGER_TYPES, policy_from_config, scheduled_interval
from driftline.policy._context import ConceptDrift, PolicyContext, WindowSummary
from driftline.policy._policy import ACTIONS, MODES, QUALITY_HOLD, Decision, Policy
from driftline.policy._signals import LOWER_IS_BETTER, OnDataDrift, OnPerformanceDegradation, higher_is_better
from driftline.policy._stages import STAGES, stage_policy
from driftline.policy._triggers import (
    AllOf,
    AnyOf,
    OnDemand,
    OnModelAge,
    OnNewData,
    OnSchedule,
    Trigger,
    TriggerResult,
)

__all__ = [
    "ACTIONS",
    "LOWER_IS_BETTER",
    "MAX_PERSISTENCE_WINDOWS",
    "MODES",
    "QUALITY_HOLD",
    "STAGES",
    "TRIGGER_TYPES",
    "AllOf",
    "AnyOf",
    "Clock",
    "ConceptDrift",
    "Decision",
    "OnConceptDrift",
    "OnDataDrift",
    "OnDemand",
    "OnModelAge",
    "OnNewData",
    "OnPerformanceDegradation",
    "OnSchedule",
    "Policy",
    "PolicyContext",
    "SimulatedClock",
    "SystemClock",
    "Trigger",
    "TriggerResult",
    "WindowSummary",
    "expected_windows_between_false_alarms",
    "higher_is_better",
    "policy_from_config",
    "scheduled_interval",
    "stage_policy",
]
