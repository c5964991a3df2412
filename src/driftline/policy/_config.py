"""Build a :class:`Policy` from the ``policies`` section of a project file."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from driftline.errors import ConfigError
from driftline.policy._concept import OnConceptDrift
from driftline.policy._policy import Policy
from driftline.policy._signals import OnDataDrift, OnPerformanceDegradation
from driftline.policy._stages import stage_policy
from driftline.policy._triggers import AllOf, AnyOf, OnDemand, OnModelAge, OnNewData, OnSchedule, Trigger

if TYPE_CHECKING:
    from driftline.config import ProjectConfig
    from driftline.config._model import PoliciesConfig, TriggerConfig

__all__ = ["TRIGGER_TYPES", "policy_from_config", "scheduled_interval"]


def _drift(t: TriggerConfig) -> Trigger:
    return OnDataDrift(None if t.features is None else tuple(t.features), t.share,
                       t.persistence or (1, 1), None if t.methods is None else tuple(t.methods))


def _degradation(t: TriggerConfig) -> Trigger:
    extra: dict[str, Any] = {} if t.min_coverage is None else {"min_coverage": t.min_coverage}
    if t.concept_drift is not None:
        extra["concept_drift"] = t.concept_drift
    if t.estimated is not None:
        extra["estimated"] = t.estimated
    return OnPerformanceDegradation(str(t.metric), float(t.max_drop or 0.0), relative=t.relative,
                                    persistence=t.persistence or (1, 1),
                                    higher_is_better=t.higher_is_better, **extra)


def _concept(t: TriggerConfig) -> Trigger:
    return OnConceptDrift(t.min_events or 1, None if t.detectors is None else tuple(t.detectors),
                          worse_only=True if t.worse_only is None else t.worse_only)


def _schedule(t: TriggerConfig) -> Trigger:
    return OnSchedule(str(t.cron))


def _new_data(t: TriggerConfig) -> Trigger:
    return OnNewData(int(t.min_rows or 0))


def _age(t: TriggerConfig) -> Trigger:
    return OnModelAge(t.max_age or timedelta(0))


#: The ``type`` of each trigger in the project file, and how it is built from its entry.
TRIGGER_TYPES: dict[str, Callable[[TriggerConfig], Trigger]] = {
    "on_demand": lambda t: OnDemand(),
    "on_schedule": _schedule,
    "on_data_drift": _drift,
    "on_performance_degradation": _degradation,
    "on_concept_drift": _concept,
    "on_new_data": _new_data,
    "on_model_age": _age,
}


def build_trigger(t: TriggerConfig) -> Trigger:
    """The trigger a ``policies.triggers`` entry describes."""
    try:
        build = TRIGGER_TYPES[t.type]
    except KeyError:
        raise ConfigError(f"policies.triggers: unknown trigger type {t.type!r}; expected one of "
                          + ", ".join(TRIGGER_TYPES)) from None
    return build(t)


def policy_from_config(cfg: ProjectConfig | PoliciesConfig) -> Policy:
    """The :class:`Policy` of a project file (or of its ``policies`` section).

    With ``triggers``, they are combined by ``combine`` (``any`` or ``all``); otherwise the
    ``stage`` preset is used (stage 1, on demand only, when neither is given). ``mode``,
    ``cooldown`` and ``min_rows`` override the defaults when set.

    Examples
    --------
    >>> from driftline.config._model import PoliciesConfig
    >>> cfg = PoliciesConfig.model_validate({
    ...     "triggers": [{"type": "on_data_drift", "persistence": [2, 3]},
    ...                  {"type": "on_model_age", "max_age": "30d"}],
    ...     "mode": "stateful", "cooldown": "6h", "min_rows": 1000})
    >>> policy = policy_from_config(cfg)
    >>> policy.mode, policy.cooldown, policy.min_rows
    ('stateful', datetime.timedelta(seconds=21600), 1000)
    >>> policy.trigger
    AnyOf(triggers=(OnDataDrift(features=None, share=None, persistence=(2, 3), methods=None),
                    OnModelAge(max_age=datetime.timedelta(days=30))))
    """
    section: PoliciesConfig = cfg.policies if hasattr(cfg, "policies") else cfg
    if not section.triggers:
        kwargs: dict[str, Any] = {"quality_gate": section.quality_gate, "mode": section.mode,
                                  "cooldown": section.cooldown, "min_rows": section.min_rows}
        if section.cron is not None:
            kwargs["cron"] = section.cron
        return stage_policy(section.stage or 1, **kwargs)
    triggers = [build_trigger(t) for t in section.triggers]
    combined = triggers[0] if len(triggers) == 1 else (
        AnyOf(*triggers) if section.combine == "any" else AllOf(*triggers))
    defaults = Policy(combined)
    return Policy(combined, mode=section.mode or defaults.mode,
                  cooldown=defaults.cooldown if section.cooldown is None else section.cooldown,
                  min_rows=defaults.min_rows if section.min_rows is None else section.min_rows,
                  quality_gate=section.quality_gate)


def scheduled_interval(cfg: ProjectConfig | PoliciesConfig) -> float | None:
    """Seconds between two scheduled retrains of a project's policy, or ``None`` when it has
    no schedule (exported as ``driftline_retrain_expected_interval_seconds``).

    Examples
    --------
    >>> from driftline.config._model import PoliciesConfig
    >>> scheduled_interval(PoliciesConfig(stage=2, cron="0 3 * * *"))
    86400.0
    >>> scheduled_interval(PoliciesConfig(stage=1)) is None
    True
    """
    from datetime import datetime, timezone

    section = getattr(cfg, "policies", cfg)
    cron = next((str(t.cron or section.cron) for t in (section.triggers or [])
                 if t.type == "on_schedule"), None)
    if cron is None and section.stage in (2, 3):
        cron = section.cron or "0 3 * * 1"
    if cron is None:
        return None
    from croniter import croniter

    it = croniter(cron, datetime.now(timezone.utc))
    first, second = it.get_next(datetime), it.get_next(datetime)
    return (second - first).total_seconds()
