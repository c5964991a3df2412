"""The four stages of retraining maturity, as ready-made policies."""

from __future__ import annotations

from datetime import timedelta

from driftline.errors import ParameterError
from driftline.policy._policy import Policy
from driftline.policy._signals import OnDataDrift, OnPerformanceDegradation
from driftline.policy._triggers import AnyOf, OnDemand, OnModelAge, OnNewData, OnSchedule, Trigger

__all__ = ["STAGES", "stage_policy"]

#: Per stage: (description, default mode, default cooldown, default min_rows).
STAGES: dict[int, tuple[str, str, timedelta, int]] = {
    1: ("on demand: a person asks for each retrain", "stateless", timedelta(0), 0),
    2: ("scheduled: retrain from scratch on a cron schedule", "stateless", timedelta(hours=1), 0),
    3: ("scheduled, continuing from the champion", "stateful", timedelta(hours=1), 100),
    4: ("triggered by the monitor: drift, degradation, new data or age", "stateless",
        timedelta(hours=6), 500),
}


def stage_policy(
    stage: int, *, cron: str = "0 3 * * 1", mode: str | None = None,
    cooldown: timedelta | None = None, min_rows: int | None = None, quality_gate: bool = True,
    on_demand: bool = True, metric: str = "roc_auc", max_drop: float = 0.05, relative: bool = True,
    new_rows: int = 10_000, max_age: timedelta = timedelta(days=30),
) -> Policy:
    """The preset policy of a maturity stage.

    1. **On demand**, stateless: only a request (the API's retrain endpoint, the CLI) retrains.
    2. **Scheduled**, stateless: retrain from scratch on ``cron`` (default Mondays 03:00 UTC).
    3. **Scheduled**, stateful: the same schedule, continuing from the champion.
    4. **Triggered**, stateless by default: any of data drift in 2 of the last 3 judged windows,
       ``metric`` worse than the baseline by ``max_drop`` (relative by default) in 2 of the last
       3 labelled windows, ``new_rows`` new labelled rows, or a champion older than ``max_age``.

    With ``on_demand`` (the default) stages 2-4 also honour on-demand requests. ``mode``,
    ``cooldown`` and ``min_rows`` override the stage's defaults (see :data:`STAGES`).

    Examples
    --------
    >>> stage_policy(3).mode, stage_policy(3).trigger
    ('stateful', AnyOf(triggers=(OnDemand(), OnSchedule(cron='0 3 * * 1'))))
    >>> stage_policy(4).cooldown
    datetime.timedelta(seconds=21600)
    >>> stage_policy(5)
    Traceback (most recent call last):
    ...
    driftline.errors.ParameterError: stage must be one of '1', '2', '3', '4'; got 5.
    """
    if stage not in STAGES:
        raise ParameterError.choice("stage", stage, [str(s) for s in STAGES])
    _, default_mode, default_cooldown, default_rows = STAGES[stage]
    triggers: list[Trigger] = []
    if stage in (2, 3):
        triggers.append(OnSchedule(cron))
    elif stage == 4:
        triggers += [OnDataDrift(persistence=(2, 3)),
                     OnPerformanceDegradation(metric, max_drop, relative=relative, persistence=(2, 3)),
                     OnNewData(new_rows), OnModelAge(max_age)]
    if stage == 1 or on_demand:
        triggers.insert(0, OnDemand())
    trigger = triggers[0] if len(triggers) == 1 else AnyOf(*triggers)
    return Policy(trigger, mode=mode or default_mode,
                  cooldown=default_cooldown if cooldown is None else cooldown,
                  min_rows=default_rows if min_rows is None else min_rows, quality_gate=quality_gate)
