"""Triggers: each answers one question about a :class:`PolicyContext` with a
:class:`TriggerResult` whose reason is a sentence a person can read in the audit trail."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol, runtime_checkable

from driftline.errors import ParameterError, require
from driftline.policy._clock import human
from driftline.policy._context import PolicyContext

__all__ = ["AllOf", "AnyOf", "OnDemand", "OnModelAge", "OnNewData", "OnSchedule", "Trigger",
           "TriggerResult"]


@dataclass(frozen=True)
class TriggerResult:
    """Whether a trigger fired, why (a sentence), and which trigger it was.

    Examples
    --------
    >>> TriggerResult(True, "on demand: new labels arrived", "on_demand").to_dict()
    {'fired': True, 'reason': 'on demand: new labels arrived', 'name': 'on_demand'}
    """

    fired: bool
    reason: str
    name: str

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return asdict(self)


@runtime_checkable
class Trigger(Protocol):
    """The extension point for retraining triggers: ``evaluate(ctx) -> TriggerResult``.

    A trigger is pure: it reads only the context it is given (time included), so it can be
    tested on a simulated clock.

    Examples
    --------
    >>> isinstance(OnDemand(), Trigger)
    True
    """

    def evaluate(self, ctx: PolicyContext) -> TriggerResult:
        """Decide whether this trigger fires for ``ctx``."""
        ...


def _fmt(when: datetime) -> str:
    return when.strftime("%Y-%m-%d %H:%M UTC")


@dataclass(frozen=True)
class OnDemand:
    """Fires when someone asked for a retrain (``ctx.demand`` is set, e.g. by the API).

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> now = datetime(2024, 1, 1, tzinfo=timezone.utc)
    >>> OnDemand().evaluate(PolicyContext(now, "m", demand="new labels from the audit")).reason
    'on demand: new labels from the audit'
    >>> OnDemand().evaluate(PolicyContext(now, "m")).fired
    False
    """

    name = "on_demand"

    def evaluate(self, ctx: PolicyContext) -> TriggerResult:
        """Fire when ``ctx.demand`` holds a request."""
        if ctx.demand:
            return TriggerResult(True, f"on demand: {ctx.demand}", self.name)
        return TriggerResult(False, "no on-demand request", self.name)


@dataclass(frozen=True)
class OnSchedule:
    """Fires when a time of the cron schedule fell after the last training or retrain decision.

    The schedule is read by croniter (times in UTC). The anchor is the later of
    ``last_training_at`` and ``last_retrain_decision_at``, or the champion's promotion when
    neither is known; the trigger fires when the first scheduled time after the anchor is at
    or before ``now``, so a missed slot (the worker was down) is caught up once, not repeatedly.

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> weekly = OnSchedule("0 3 * * 1")
    >>> ctx = PolicyContext(datetime(2024, 1, 8, 4, tzinfo=timezone.utc), "m",
    ...                     last_training_at=datetime(2024, 1, 1, 3, tzinfo=timezone.utc))
    >>> weekly.evaluate(ctx).reason
    "scheduled retrain due at 2024-01-08 03:00 UTC (cron '0 3 * * 1')"
    >>> OnSchedule("every monday")
    Traceback (most recent call last):
    ...
    driftline.errors.ParameterError: cron must be a cron expression ...
    """

    cron: str
    name = "on_schedule"

    def __post_init__(self) -> None:
        croniter = require("croniter", extra="serve", feature="Scheduled retraining").croniter
        if not isinstance(self.cron, str) or not croniter.is_valid(self.cron):
            raise ParameterError.invalid(
                "cron", self.cron, "a cron expression with 5 fields (minute hour day month weekday)",
                "For example '0 3 * * 1' is Mondays at 03:00 UTC.")

    def next_after(self, when: datetime) -> datetime:
        """The first scheduled time strictly after ``when``."""
        croniter = require("croniter", extra="serve", feature="Scheduled retraining").croniter
        result: datetime = croniter(self.cron, when).get_next(datetime)
        return result

    def evaluate(self, ctx: PolicyContext) -> TriggerResult:
        """Fire when a scheduled time falls in (anchor, now]."""
        anchor = ctx.evidence_since or ctx.champion_promoted_at
        if anchor is None:
            return TriggerResult(False, "no training, decision or promotion yet to count the "
                                 f"schedule from (cron {self.cron!r})", self.name)
        due = self.next_after(anchor)
        if due <= ctx.now:
            return TriggerResult(True, f"scheduled retrain due at {_fmt(due)} (cron {self.cron!r})",
                                 self.name)
        return TriggerResult(False, f"next scheduled retrain at {_fmt(due)} (cron {self.cron!r})",
                             self.name)


@dataclass(frozen=True)
class OnNewData:
    """Fires when at least ``min_rows`` labelled rows arrived since the last training.

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> now = datetime(2024, 1, 1, tzinfo=timezone.utc)
    >>> OnNewData(10_000).evaluate(PolicyContext(now, "m", labelled_rows_since_training=12_500)).reason
    '12,500 new labelled rows since the last training (at least 10,000)'
    """

    min_rows: int
    name = "on_new_data"

    def __post_init__(self) -> None:
        if not isinstance(self.min_rows, int) or self.min_rows < 1:
            raise ParameterError.invalid("min_rows", self.min_rows, "an integer >= 1")

    def evaluate(self, ctx: PolicyContext) -> TriggerResult:
        """Fire when ``ctx.labelled_rows_since_training >= min_rows``."""
        n = ctx.labelled_rows_since_training
        if n >= self.min_rows:
            return TriggerResult(True, f"{n:,} new labelled rows since the last training "
                                 f"(at least {self.min_rows:,})", self.name)
        return TriggerResult(False, f"{n:,} new labelled rows since the last training "
                             f"(fewer than {self.min_rows:,})", self.name)


@dataclass(frozen=True)
class OnModelAge:
    """Fires when the champion was promoted more than ``max_age`` ago.

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> ctx = PolicyContext(datetime(2024, 2, 5, tzinfo=timezone.utc), "m", champion_version=3,
    ...                     champion_promoted_at=datetime(2024, 1, 1, tzinfo=timezone.utc))
    >>> OnModelAge(timedelta(days=30)).evaluate(ctx).reason
    'champion v3 is 35 d old (limit 30 d)'
    """

    max_age: timedelta
    name = "on_model_age"

    def __post_init__(self) -> None:
        if not isinstance(self.max_age, timedelta) or self.max_age <= timedelta(0):
            raise ParameterError.invalid("max_age", self.max_age, "a positive timedelta")

    def evaluate(self, ctx: PolicyContext) -> TriggerResult:
        """Fire when ``now - champion_promoted_at > max_age``."""
        if ctx.champion_promoted_at is None:
            return TriggerResult(False, "no champion, so no model age", self.name)
        age = ctx.now - ctx.champion_promoted_at
        who = "champion" if ctx.champion_version is None else f"champion v{ctx.champion_version}"
        verb = "limit" if age > self.max_age else "within the limit of"
        return TriggerResult(age > self.max_age, f"{who} is {human(age)} old ({verb} "
                             f"{human(self.max_age)})", self.name)


def _children(kind: str, triggers: tuple[Any, ...]) -> tuple[Trigger, ...]:
    if not triggers:
        raise ParameterError.invalid(kind, "no triggers", "given at least one trigger",
                                     f"For example {kind}(OnDemand(), OnSchedule('0 3 * * 1')).")
    for t in triggers:
        if not isinstance(t, Trigger):
            raise ParameterError.invalid(f"{kind} argument", t, "a trigger with evaluate(ctx)")
    return tuple(triggers)


@dataclass(frozen=True, init=False)
class AnyOf:
    """Fires when at least one of its triggers fires; every trigger is evaluated so the
    reasons are complete. Its name joins the names of the fired ones with ``+``.

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> ctx = PolicyContext(datetime(2024, 1, 1, tzinfo=timezone.utc), "m", demand="audit")
    >>> r = AnyOf(OnDemand(), OnNewData(1000)).evaluate(ctx)
    >>> r.fired, r.name, r.reason
    (True, 'on_demand', 'on demand: audit')
    """

    triggers: tuple[Trigger, ...]

    def __init__(self, *triggers: Trigger) -> None:
        object.__setattr__(self, "triggers", _children("AnyOf", triggers))

    def evaluate(self, ctx: PolicyContext) -> TriggerResult:
        """Fire when any child fires."""
        results = [t.evaluate(ctx) for t in self.triggers]
        fired = [r for r in results if r.fired]
        if fired:
            return TriggerResult(True, "; ".join(r.reason for r in fired),
                                 "+".join(r.name for r in fired))
        return TriggerResult(False, "; ".join(r.reason for r in results), "any_of")


@dataclass(frozen=True, init=False)
class AllOf:
    """Fires only when every one of its triggers fires. Its name joins theirs with ``&``.

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> ctx = PolicyContext(datetime(2024, 1, 1, tzinfo=timezone.utc), "m", demand="audit",
    ...                     labelled_rows_since_training=200)
    >>> r = AllOf(OnDemand(), OnNewData(1000)).evaluate(ctx)
    >>> r.fired, r.reason
    (False, '200 new labelled rows since the last training (fewer than 1,000)')
    """

    triggers: tuple[Trigger, ...]

    def __init__(self, *triggers: Trigger) -> None:
        object.__setattr__(self, "triggers", _children("AllOf", triggers))

    def evaluate(self, ctx: PolicyContext) -> TriggerResult:
        """Fire when every child fires; otherwise the reasons are those of the silent ones."""
        results = [t.evaluate(ctx) for t in self.triggers]
        silent = [r for r in results if not r.fired]
        if silent:
            return TriggerResult(False, "; ".join(r.reason for r in silent), "all_of")
        return TriggerResult(True, "; ".join(r.reason for r in results),
                             "&".join(r.name for r in results))
