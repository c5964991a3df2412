"""A tracked run as read back from the store, and the functions that read runs."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from driftline.store import Store

__all__ = ["RunRecord", "get_run", "list_runs", "metric_history"]


@dataclass(frozen=True)
class RunRecord:
    """One tracked run: what it was given and what it measured.

    ``params`` are hyperparameters (set before training); ``model_params`` summarise the
    parameters the model learned (their count, coefficient or tree statistics).

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> r = RunRecord("a1", "credit", "baseline", None, "run", "finished",
    ...               datetime(2026, 1, 1, tzinfo=timezone.utc), None, params={"C": 1.0})
    >>> r.to_dict()["params"], r.duration
    ({'C': 1.0}, None)
    """

    id: str
    model: str
    name: str | None
    parent_id: str | None
    kind: str
    status: str
    started_at: datetime
    ended_at: datetime | None
    params: Mapping[str, Any] = field(default_factory=dict)
    model_params: Mapping[str, Any] = field(default_factory=dict)
    tags: Mapping[str, Any] = field(default_factory=dict)
    metrics: Mapping[str, float] = field(default_factory=dict)
    version: int | None = None
    decision_id: int | None = None

    @property
    def duration(self) -> float | None:
        """Seconds from start to end, ``None`` while running."""
        if self.ended_at is None:
            return None
        return (self.ended_at - self.started_at).total_seconds()

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (times as ISO 8601)."""
        return {"id": self.id, "model": self.model, "name": self.name,
                "parent_id": self.parent_id, "kind": self.kind, "status": self.status,
                "started_at": self.started_at.isoformat(),
                "ended_at": None if self.ended_at is None else self.ended_at.isoformat(),
                "duration": self.duration, "params": dict(self.params),
                "model_params": dict(self.model_params), "tags": dict(self.tags),
                "metrics": dict(self.metrics), "version": self.version,
                "decision_id": self.decision_id}

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> RunRecord:
        """Build from a store row (:meth:`driftline.store.Store.run`)."""
        return cls(**{k: row[k] for k in cls.__dataclass_fields__})


def get_run(store: Store, run_id: str) -> RunRecord:
    """The run ``run_id``.

    Examples
    --------
    >>> from driftline.store import Store
    >>> from driftline.tracking import track
    >>> store = Store.open("sqlite://")
    >>> with track("credit", store=store, run_name="first") as run:
    ...     run.log_metric("auc", 0.8)
    >>> get_run(store, run.id).metrics
    {'auc': 0.8}
    """
    from driftline.errors import ParameterError

    row = store.run(run_id)
    if row is None:
        raise ParameterError(f"run {run_id!r} does not exist in this store.")
    return RunRecord.from_row(row)


def list_runs(store: Store, model: str | None = None, *, kind: str | None = None,
              parent: str | None = None, top_level: bool = False,
              limit: int | None = None) -> list[RunRecord]:
    """Runs, newest first, filtered by model, kind, parent run, or top-level only.

    Examples
    --------
    >>> from driftline.store import Store
    >>> from driftline.tracking import track
    >>> store = Store.open("sqlite://")
    >>> with track("credit", store=store, run_name="study", kind="study") as study:
    ...     for c in (0.1, 1.0):
    ...         with study.child(params={"C": c}) as trial:
    ...             trial.log_metric("auc", 0.7 + c / 10)
    >>> [r.params["C"] for r in list_runs(store, "credit", parent=study.id)]
    [1.0, 0.1]
    """
    return [RunRecord.from_row(r) for r in store.runs(model, kind=kind, parent_id=parent,
                                                      top_level=top_level, limit=limit)]


def metric_history(store: Store, run_id: str, name: str | None = None,
                   ) -> dict[str, list[tuple[int | None, float]]]:
    """Each metric's logged values as ``{name: [(step, value), ...]}``, in logging order.

    Examples
    --------
    >>> from driftline.store import Store
    >>> from driftline.tracking import track
    >>> store = Store.open("sqlite://")
    >>> with track("credit", store=store) as run:
    ...     for step, loss in enumerate([0.9, 0.5, 0.3]):
    ...         run.log_metric("loss", loss, step=step)
    >>> metric_history(store, run.id)
    {'loss': [(0, 0.9), (1, 0.5), (2, 0.3)]}
    """
    out: dict[str, list[tuple[int | None, float]]] = {}
    for n, step, value, _ in store.run_metric_history(run_id, None if name is None else [name]):
        out.setdefault(n, []).append((step, value))
    return out
