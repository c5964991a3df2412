"""Model versions, their stages and the stage history, and events, as the store keeps them.

A version's stage is one of ``champion``, ``challenger`` or ``archived``. At most one version of
a model is champion and at most one is challenger: promoting a version archives the one it
replaces. Every change appends a row to the stage history, which is never updated, so you can
always tell who was champion when.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from driftline.errors import DataError, ParameterError
from driftline.store._tables import events, model_versions, stage_history

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Engine

__all__ = ["STAGES", "StageChange", "VersionRow", "VersionsMixin"]

STAGES = ("champion", "challenger", "archived")


@dataclass(frozen=True)
class VersionRow:
    """One stored model version: its number, stage, JSON record and creation time.

    Examples
    --------
    >>> VersionRow(1, "champion", {}, None).to_dict()["stage"]
    'champion'
    """

    version: int
    stage: str
    record: dict[str, Any]
    created_at: datetime | None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {"version": self.version, "stage": self.stage, "record": self.record,
                "created_at": None if self.created_at is None else self.created_at.isoformat()}


@dataclass(frozen=True)
class StageChange:
    """One row of the stage history.

    Examples
    --------
    >>> StageChange(2, "champion", "challenger", None, "manual").to_dict()["previous_stage"]
    'challenger'
    """

    version: int
    stage: str
    previous_stage: str | None
    at: datetime | None
    reason: str

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {"version": self.version, "stage": self.stage,
                "previous_stage": self.previous_stage, "reason": self.reason,
                "at": None if self.at is None else self.at.isoformat()}


class VersionsMixin:
    """Version and stage bookkeeping; mixed into :class:`~driftline.store.Store`.

    Examples
    --------
    >>> from driftline.store import Store
    >>> store = Store.open("sqlite://")
    >>> _ = store.add_model("credit", "binary")
    >>> store.add_version("credit", {"params": {}}), store.add_version("credit", {"params": {}})
    (1, 2)
    >>> store.set_stage("credit", 1, "champion", reason="first version")
    >>> store.set_stage("credit", 2, "champion", reason="better AUC")
    >>> [(v.version, v.stage) for v in store.versions("credit")]
    [(1, 'archived'), (2, 'champion')]
    >>> [(h.version, h.stage) for h in store.stage_history("credit")]
    [(1, 'challenger'), (1, 'archived'), (2, 'challenger'), (1, 'champion'), (1, 'archived'), (2, 'champion')]
    """

    engine: Engine

    def model_id(self, name: str) -> int:  # provided by Store
        raise NotImplementedError

    def now(self) -> datetime:  # provided by Store (its clock)
        raise NotImplementedError

    def next_version(self, model: str) -> int:
        """The number the next registered version of ``model`` gets."""
        import sqlalchemy as sa

        mid = self.model_id(model)
        with self.engine.connect() as conn:
            top = conn.execute(sa.select(sa.func.max(model_versions.c.version)).where(
                model_versions.c.model_id == mid)).scalar()
        return int(top or 0) + 1

    def add_version(self, model: str, record: Mapping[str, Any], *, version: int | None = None,
                    stage: str = "challenger", reason: str = "registered") -> int:
        """Store a new version (as a challenger unless ``stage`` says otherwise) and return its
        number. An existing challenger is archived: there is one challenger at a time."""
        if stage not in STAGES:
            raise ParameterError.choice("stage", stage, STAGES)
        mid = self.model_id(model)
        number = version if version is not None else self.next_version(model)
        with self.engine.begin() as conn:
            if stage != "archived":
                self._demote(conn, mid, stage, f"replaced by version {number}")
            conn.execute(model_versions.insert().values(
                model_id=mid, version=number, stage=stage, record=dict(record),
                created_at=self.now()))
            self._history(conn, mid, number, stage, None, reason)
        return number

    def versions(self, model: str) -> list[VersionRow]:
        """Every version of ``model``, oldest first."""
        mid = self.model_id(model)
        with self.engine.connect() as conn:
            rows = conn.execute(model_versions.select().where(model_versions.c.model_id == mid)
                                .order_by(model_versions.c.version)).all()
        return [VersionRow(r.version, r.stage, dict(r.record), r.created_at) for r in rows]

    def get_version(self, model: str, version: int) -> VersionRow:
        """One version, or an error naming the versions that exist."""
        found = {v.version: v for v in self.versions(model)}
        if version not in found:
            raise ParameterError.choice("version", version, sorted(found))
        return found[version]

    def version_in_stage(self, model: str, stage: str) -> VersionRow | None:
        """The version of ``model`` currently in ``stage`` (champion or challenger), if any."""
        if stage not in ("champion", "challenger"):
            raise ParameterError.choice("stage", stage, ("champion", "challenger"))
        mid = self.model_id(model)
        with self.engine.connect() as conn:
            r = conn.execute(model_versions.select().where(
                model_versions.c.model_id == mid, model_versions.c.stage == stage)).first()
        return None if r is None else VersionRow(r.version, r.stage, dict(r.record), r.created_at)

    def set_stage(self, model: str, version: int, stage: str, *, reason: str,
                  epoch: int | None = None) -> None:
        """Move ``version`` to ``stage`` in one transaction, archiving the version that held
        that stage, and append the changes to the stage history. With ``epoch`` (a worker's
        lease), the transaction first checks that the lease is still that worker's."""
        if stage not in STAGES:
            raise ParameterError.choice("stage", stage, STAGES)
        mid = self.model_id(model)
        with self.engine.begin() as conn:
            if epoch is not None:
                self.check_fence(conn, mid, epoch)  # type: ignore[attr-defined]
            row = conn.execute(model_versions.select().where(
                model_versions.c.model_id == mid, model_versions.c.version == version)).first()
            if row is None:
                raise DataError(f"model {model!r} has no version {version}.")
            if row.stage == stage:
                return
            if stage != "archived":
                self._demote(conn, mid, stage, f"replaced by version {version}")
            conn.execute(model_versions.update().where(
                model_versions.c.model_id == mid, model_versions.c.version == version)
                .values(stage=stage))
            self._history(conn, mid, version, stage, row.stage, reason)

    def stage_history(self, model: str) -> list[StageChange]:
        """Every stage change of ``model``, oldest first."""
        mid = self.model_id(model)
        with self.engine.connect() as conn:
            rows = conn.execute(stage_history.select().where(stage_history.c.model_id == mid)
                                .order_by(stage_history.c.id)).all()
        return [StageChange(r.version, r.stage, r.previous_stage, r.at, r.reason) for r in rows]

    def add_event(self, model: str | None, kind: str, payload: Mapping[str, Any]) -> int:
        """Append an event (a retrain request, a failed load, ...) and return its id."""
        mid = None if model is None else self.model_id(model)
        with self.engine.begin() as conn:
            res = conn.execute(events.insert().values(model_id=mid, kind=kind, at=self.now(),
                                                      payload=dict(payload)))
            return int(res.inserted_primary_key[0])

    def events(self, model: str | None = None, kind: str | None = None, *,
               limit: int | None = None) -> list[dict[str, Any]]:
        """Stored events, oldest first, optionally for one model and one kind (the latest
        ``limit`` when given)."""
        q = events.select().order_by(events.c.id.desc())
        if model is not None:
            q = q.where(events.c.model_id == self.model_id(model))
        if kind is not None:
            q = q.where(events.c.kind == kind)
        if limit is not None:
            q = q.limit(limit)
        with self.engine.connect() as conn:
            rows = conn.execute(q).all()
        return [{"id": r.id, "kind": r.kind, "at": r.at.isoformat(), "payload": r.payload}
                for r in reversed(rows)]

    def latest_gauges(self, model: str) -> list[tuple[str, dict[str, str], float]]:
        """The gauges of the model's latest monitoring result, for the metrics scrape: the
        result's ``gauges`` list of ``{"name", "labels", "value"}`` (the monitoring loop
        writes them), then ``driftline_model_performance_baseline``, the champion's holdout
        metrics (the version record's ``metrics``), which realized performance is compared
        with.

        Examples
        --------
        >>> from driftline.store import Store
        >>> store = Store.open("sqlite://")
        >>> _ = store.add_model("credit", "binary")
        >>> store.add_version("credit", {"metrics": {"roc_auc": 0.84}}, stage="champion")
        1
        >>> store.latest_gauges("credit")
        [('driftline_model_performance_baseline',
          {'model': 'credit', 'version': '1', 'metric': 'roc_auc'}, 0.84)]
        """
        import sqlalchemy as sa

        from driftline.store._tables import monitor_results

        mid = self.model_id(model)
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(monitor_results.c.result)
                               .where(monitor_results.c.model_id == mid)
                               .order_by(monitor_results.c.id.desc()).limit(1)).first()
        out = []
        for g in ({} if row is None else row.result or {}).get("gauges", []):
            labels = {str(k): str(v) for k, v in dict(g.get("labels", {})).items()}
            out.append((str(g["name"]), labels, float(g["value"])))
        return out + self._baseline_gauges(model)

    def _baseline_gauges(self, model: str) -> list[tuple[str, dict[str, str], float]]:
        """The champion's finite numeric holdout metrics (none without a champion)."""
        champion = self.version_in_stage(model, "champion")
        if champion is None:
            return []
        out = []
        for metric, value in dict(champion.record.get("metrics") or {}).items():
            if isinstance(value, (int, float)) and not isinstance(value, bool) \
                    and math.isfinite(value):
                out.append(("driftline_model_performance_baseline",
                            {"model": model, "version": str(champion.version),
                             "metric": str(metric)}, float(value)))
        return out

    def _demote(self, conn: Connection, mid: int, stage: str, reason: str) -> None:
        holders = conn.execute(model_versions.select().where(
            model_versions.c.model_id == mid, model_versions.c.stage == stage)).all()
        for h in holders:
            conn.execute(model_versions.update().where(
                model_versions.c.model_id == mid, model_versions.c.version == h.version)
                .values(stage="archived"))
            self._history(conn, mid, h.version, "archived", stage, reason)

    def _history(self, conn: Connection, mid: int, version: int, stage: str, previous: str | None,
                 reason: str) -> None:
        conn.execute(stage_history.insert().values(
            model_id=mid, version=version, stage=stage, previous_stage=previous, at=self.now(),
            reason=reason[:256]))
