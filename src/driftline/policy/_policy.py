"""A policy: a trigger, the retraining mode and the guards, turned into a stored decision."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from driftline.errors import ParameterError
from driftline.policy._clock import human, utc
from driftline.policy._context import PolicyContext
from driftline.policy._triggers import Trigger

__all__ = ["ACTIONS", "MODES", "QUALITY_HOLD", "Decision", "Policy"]

# how the reason of a hold by the data-quality gate starts (events and alerts look for it)
QUALITY_HOLD = "held: data quality gate"

MODES = ("stateless", "stateful")
ACTIONS = ("retrain", "hold", "none")


@dataclass(frozen=True)
class Decision:
    """What a policy decided for a model at a time, and every reason for it.

    ``action`` is ``"retrain"``, ``"hold"`` (a trigger fired but a guard stopped it) or
    ``"none"`` (no trigger fired). Every decision is stored, whether or not it acts.

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> d = Decision("credit", datetime(2024, 1, 1, tzinfo=timezone.utc), "retrain", "stateful",
    ...              "on_data_drift", ("data drift in 7/20 features, 3 of last 4 windows", "cooldown ok"))
    >>> d.summary()
    'retrain (stateful): data drift in 7/20 features, 3 of last 4 windows; cooldown ok'
    >>> d.to_dict()["at"]
    '2024-01-01T00:00:00+00:00'
    """

    model: str
    at: datetime
    action: str
    mode: str
    trigger: str = ""
    reasons: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "at", utc(self.at, "at"))
        object.__setattr__(self, "reasons", tuple(self.reasons))
        if self.action not in ACTIONS:
            raise ParameterError.choice("action", self.action, ACTIONS)
        if self.mode not in MODES:
            raise ParameterError.choice("mode", self.mode, MODES)

    @property
    def retrain(self) -> bool:
        """Whether the decision is to retrain."""
        return self.action == "retrain"

    def summary(self) -> str:
        """One line: the action, the mode when it acts or holds, and the reasons."""
        head = self.action if self.action == "none" else f"{self.action} ({self.mode})"
        return f"{head}: {'; '.join(self.reasons)}" if self.reasons else head

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (what the store keeps)."""
        return {"model": self.model, "at": self.at.isoformat(), "action": self.action,
                "mode": self.mode, "trigger": self.trigger, "reasons": list(self.reasons)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Decision:
        """Rebuild a decision from :meth:`to_dict` output."""
        d = dict(data)
        d["at"] = datetime.fromisoformat(d["at"])
        d["reasons"] = tuple(d.get("reasons", ()))
        return cls(**d)


@dataclass(frozen=True)
class Policy:
    """Decide whether to retrain a model: a trigger, then the guards, in this order.

    1. At most one retrain per model: if one is running, hold.
    2. The data-quality gate (``quality_gate``): if the latest window failed its quality
       checks, hold and name the problems; retraining on broken data is worse than not
       retraining.
    3. The cooldown: no retrain within ``cooldown`` of the last training or retrain decision.
    4. The minimum-data guard: at least ``min_rows`` labelled rows since the last training.

    Guards are checked only when the trigger fired, and stop at the first that holds; each
    guard that passed adds its own short reason.

    Parameters
    ----------
    trigger : what can start a retrain (see :class:`~driftline.policy.Trigger`).
    mode : ``"stateless"`` retrains from scratch; ``"stateful"`` continues from the champion
        (without a champion, it falls back to stateless and says so).
    cooldown : the shortest time between retrains.
    min_rows : the fewest labelled rows since the last training worth retraining on.
    quality_gate : hold while the latest window's data quality is broken.

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> from driftline.policy import OnDemand
    >>> policy = Policy(OnDemand(), cooldown=timedelta(hours=6))
    >>> now = datetime(2024, 1, 1, 12, tzinfo=timezone.utc)
    >>> policy.decide(PolicyContext(now, "credit", demand="audit")).summary()
    'retrain (stateless): on demand: audit; no retrain running; cooldown ok'
    >>> policy.decide(PolicyContext(now, "credit", demand="audit", retrain_running=True)).summary()
    'hold (stateless): on demand: audit; held: a retrain is already running'
    >>> policy.decide(PolicyContext(now, "credit")).summary()
    'none: no trigger fired: no on-demand request'
    """

    trigger: Trigger
    mode: str = "stateless"
    cooldown: timedelta = timedelta(0)
    min_rows: int = 0
    quality_gate: bool = True

    def __post_init__(self) -> None:
        if not isinstance(self.trigger, Trigger):
            raise ParameterError.invalid("trigger", self.trigger, "a trigger with evaluate(ctx)",
                                         "For example OnDemand() or AnyOf(OnDataDrift(), ...).")
        if self.mode not in MODES:
            raise ParameterError.choice("mode", self.mode, MODES)
        if not isinstance(self.cooldown, timedelta) or self.cooldown < timedelta(0):
            raise ParameterError.invalid("cooldown", self.cooldown, "a non-negative timedelta")
        if not isinstance(self.min_rows, int) or self.min_rows < 0:
            raise ParameterError.invalid("min_rows", self.min_rows, "an integer >= 0")

    def decide(self, ctx: PolicyContext) -> Decision:
        """The decision for ``ctx``: ``retrain``, ``hold`` or ``none``, with its reasons."""
        result = self.trigger.evaluate(ctx)
        mode = self.mode
        if not result.fired:
            return Decision(ctx.model, ctx.now, "none", mode, "", (f"no trigger fired: {result.reason}",))
        reasons = [result.reason]
        for guard in (self._running, self._quality, self._cooldown, self._data):
            passed, reason = guard(ctx)
            if reason:
                reasons.append(reason)
            if not passed:
                return Decision(ctx.model, ctx.now, "hold", mode, result.name, tuple(reasons))
        if mode == "stateful" and ctx.champion_version is None:
            mode = "stateless"
            reasons.append("no champion to continue from, so training from scratch")
        return Decision(ctx.model, ctx.now, "retrain", mode, result.name, tuple(reasons))

    # -- guards: each returns (passed, reason); an empty reason means the guard is off ----
    def _running(self, ctx: PolicyContext) -> tuple[bool, str]:
        if ctx.retrain_running:
            return False, "held: a retrain is already running"
        return True, "no retrain running"

    def _quality(self, ctx: PolicyContext) -> tuple[bool, str]:
        if not self.quality_gate or not ctx.windows:
            return True, ""
        latest = ctx.windows[-1]
        if latest.quality_ok:
            return True, "data quality ok"
        problems = "; ".join(latest.quality_problems) or "quality checks failed"
        return False, (f"{QUALITY_HOLD}: the latest window has problems ({problems}); "
                       "retraining on broken data is worse than not retraining")

    def _cooldown(self, ctx: PolicyContext) -> tuple[bool, str]:
        last = ctx.evidence_since
        if self.cooldown <= timedelta(0):
            return True, ""
        if last is None:
            return True, "cooldown ok"
        since = ctx.now - last
        if since < self.cooldown:
            after = last + self.cooldown
            return False, (f"held: cooldown: last retrain {human(since)} ago, cooldown "
                           f"{human(self.cooldown)} (next allowed at {after:%Y-%m-%d %H:%M} UTC)")
        return True, "cooldown ok"

    def _data(self, ctx: PolicyContext) -> tuple[bool, str]:
        if self.min_rows <= 0:
            return True, ""
        n = ctx.labelled_rows_since_training
        if n < self.min_rows:
            return False, (f"held: only {n:,} labelled rows since the last training; "
                           f"need at least {self.min_rows:,}")
        return True, f"enough data ({n:,} labelled rows, at least {self.min_rows:,})"
