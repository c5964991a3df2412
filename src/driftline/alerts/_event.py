"""Events: what happened to a model, when, how bad, and what to do about it.

An :class:`Event` is the unit every sink delivers. Its ``fingerprint`` (a hash of the kind,
the model and a deduplication key) identifies "the same notification" for the router's
cooldown.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from types import MappingProxyType
from typing import Any

from driftline.errors import ParameterError

__all__ = ["ACTION_REQUIRED", "EVENT_KINDS", "EVENT_SCHEMA", "SEVERITIES", "Event"]

EVENT_SCHEMA = "driftline.event/1"
EVENT_KINDS = (
    "drift_detected",
    "performance_degraded",
    "retrain_started",
    "retrain_finished",
    "retrain_failed",
    "challenger_rejected",
    "promoted",
    "rolled_back",
    "retrain_held",
)
SEVERITIES = ("info", "warning", "critical")
# Kinds whose events must say what to do: a drift alert without a recommended action is noise.
ACTION_REQUIRED = frozenset({"drift_detected"})


@dataclass(frozen=True)
class Event:
    """Something that happened to a model, ready for delivery.

    Parameters
    ----------
    kind : one of :data:`EVENT_KINDS`.
    model : the model's name.
    at : when it happened; a timezone-aware datetime, stored in UTC.
    severity : ``info``, ``warning`` or ``critical``.
    summary : one line for humans.
    details : JSON-ready facts (drifted features, scores, the decision's reasons). Numpy
        scalars and datetimes are converted; NaN and infinities become ``None``.
    action : the recommended action. Required for ``drift_detected``.
    version : the model version concerned, if any.
    key : the deduplication key; events with the same kind, model and key share a
        :attr:`fingerprint`. Defaults to the version, so the same drift on the same version
        is one notification, and a new version's drift is another.
    resolved : the condition has ended (Alertmanager gets ``endsAt``). A resolved event has
        its own fingerprint, so the cooldown of the firing one never suppresses it.

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> e = Event("drift_detected", "credit", datetime(2024, 5, 1, 12, tzinfo=timezone.utc),
    ...           "warning", "drift in 3/20 features", {"features": ["age", "income", "debt"]},
    ...           action="retrain on the last 30 days", version=4)
    >>> e.to_dict()["schema"], e.to_dict()["at"]
    ('driftline.event/1', '2024-05-01T12:00:00Z')
    >>> Event.from_dict(e.to_dict()) == e
    True
    >>> e.fingerprint == Event("drift_detected", "credit", e.at, "critical", "again",
    ...                        action="retrain", version=4).fingerprint
    True
    >>> Event("drift_detected", "credit", e.at, "warning", "drift")
    Traceback (most recent call last):
    ...
    driftline.errors.ParameterError: action must be the recommended action ... got None. ...
    """

    kind: str
    model: str
    at: datetime
    severity: str
    summary: str
    details: Mapping[str, Any] = field(default_factory=dict)
    action: str | None = None
    version: int | None = None
    key: str | None = None
    resolved: bool = False

    def __post_init__(self) -> None:
        if self.kind not in EVENT_KINDS:
            raise ParameterError.choice("kind", self.kind, EVENT_KINDS)
        if self.severity not in SEVERITIES:
            raise ParameterError.choice("severity", self.severity, SEVERITIES)
        if not isinstance(self.model, str) or not self.model.strip():
            raise ParameterError.invalid("model", self.model, "a non-empty model name")
        _check_line("summary", self.summary)
        if not isinstance(self.at, datetime) or self.at.tzinfo is None:
            raise ParameterError.invalid("at", self.at, "a timezone-aware datetime",
                                         "Use datetime.now(timezone.utc).")
        object.__setattr__(self, "at", self.at.astimezone(timezone.utc))
        if self.action is not None:
            _check_line("action", self.action)
        elif self.kind in ACTION_REQUIRED:
            raise ParameterError.invalid(
                "action", None, f"the recommended action for a {self.kind} event",
                "Say what to do, e.g. 'retrain on the last 30 days' or 'check the upstream feed'.")
        if self.version is not None and (isinstance(self.version, bool)
                                         or not isinstance(self.version, int) or self.version < 0):
            raise ParameterError.invalid("version", self.version, "a non-negative int or None")
        if self.key is not None and not isinstance(self.key, str):
            raise ParameterError.invalid("key", self.key, "a str or None")
        if not isinstance(self.details, Mapping):
            raise ParameterError.invalid("details", self.details, "a mapping of JSON-ready values")
        object.__setattr__(self, "details", MappingProxyType(_jsonable(dict(self.details), "details")))

    @property
    def fingerprint(self) -> str:
        """A stable 16-hex-digit hash of the kind, the model, the key and the resolved flag.

        Examples
        --------
        >>> from datetime import datetime, timezone
        >>> at = datetime(2024, 5, 1, tzinfo=timezone.utc)
        >>> fp = Event("promoted", "credit", at, "info", "v2 is champion", version=2).fingerprint
        >>> len(fp), fp == Event("promoted", "credit", at, "info", "later", version=2).fingerprint
        (16, True)
        """
        key = self.key if self.key is not None else ("" if self.version is None else str(self.version))
        parts = [EVENT_SCHEMA, self.kind, self.model, key] + (["resolved"] if self.resolved else [])
        return hashlib.sha256(json.dumps(parts).encode("utf-8")).hexdigest()[:16]

    def to_dict(self) -> dict[str, Any]:
        """The event as JSON-ready data, versioned by ``"schema": "driftline.event/1"``."""
        return {
            "schema": EVENT_SCHEMA,
            "kind": self.kind,
            "model": self.model,
            "at": format_time(self.at),
            "severity": self.severity,
            "summary": self.summary,
            "details": json.loads(json.dumps(dict(self.details))),
            "action": self.action,
            "version": self.version,
            "key": self.key,
            "resolved": self.resolved,
            "fingerprint": self.fingerprint,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Event:
        """Rebuild an event from :meth:`to_dict` output (the ``schema`` must match)."""
        if data.get("schema") != EVENT_SCHEMA:
            raise ParameterError.invalid("schema", data.get("schema"), repr(EVENT_SCHEMA))
        at = datetime.fromisoformat(str(data["at"]).replace("Z", "+00:00"))
        return cls(kind=data["kind"], model=data["model"], at=at, severity=data["severity"],
                   summary=data["summary"], details=data.get("details") or {},
                   action=data.get("action"), version=data.get("version"), key=data.get("key"),
                   resolved=bool(data.get("resolved", False)))


def format_time(at: datetime) -> str:
    """RFC 3339 in UTC with a ``Z``, milliseconds only when there are any.

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> format_time(datetime(2024, 5, 1, 12, 0, 0, 250_000, tzinfo=timezone.utc))
    '2024-05-01T12:00:00.250Z'
    """
    at = at.astimezone(timezone.utc)
    spec = "milliseconds" if at.microsecond else "seconds"
    return at.replace(tzinfo=None).isoformat(timespec=spec) + "Z"


def _check_line(name: str, value: object) -> None:
    if not isinstance(value, str) or not value.strip() or "\n" in value or "\r" in value:
        raise ParameterError.invalid(name, value, "one non-empty line of text")


def _jsonable(value: Any, where: str) -> Any:
    """``value`` as plain JSON data; raises ParameterError naming the offending path."""
    if value is None or isinstance(value, (bool, str, int)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v, f"{where}[{k!r}]") for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        items = sorted(value, key=repr) if isinstance(value, (set, frozenset)) else value
        return [_jsonable(v, f"{where}[{i}]") for i, v in enumerate(items)]
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if hasattr(value, "tolist"):  # numpy scalars and arrays, without importing numpy
        return _jsonable(value.tolist(), where)
    raise ParameterError.invalid(where, value, "JSON-ready (str, number, bool, None, list or mapping)")
