"""Tracked runs in the store: training and tuning runs, their metric history and artifacts
(the rows behind :mod:`driftline.tracking`)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from driftline.errors import ParameterError
from driftline.store._service import _utc
from driftline.store._tables import run_artifacts, run_metrics, runs

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

__all__ = ["RUN_KINDS", "RUN_STATUSES", "RunsMixin"]

#: What a run is: a plain training run, a tuning study, one trial of a study, or a retraining
#: run of the continuous-learning loop.
RUN_KINDS = ("run", "study", "trial", "retrain")
#: A run's state; every state but ``running`` is final.
RUN_STATUSES = ("running", "finished", "failed", "pruned")
_MERGED = ("params", "model_params", "tags")


def _as_utc(v: datetime | None) -> datetime | None:
    """Aware UTC (SQLite keeps no offset: a non-UTC time would be read back as UTC)."""
    return None if v is None else _utc(v).astimezone(timezone.utc)


def _locked(conn: Any, run_id: str) -> Any:
    """The run's row, locked for the transaction on PostgreSQL (concurrent merges of its JSON
    columns would otherwise lose updates); an error naming the run when it does not exist."""
    sel = runs.select().where(runs.c.id == run_id)
    if conn.dialect.name == "postgresql":
        sel = sel.with_for_update()
    row = conn.execute(sel).first()
    if row is None:
        raise ParameterError(f"run {run_id!r} does not exist in this store.")
    return row


def _row(r: Any) -> dict[str, Any]:
    return {"id": r.id, "model": r.model, "name": r.name, "parent_id": r.parent_id,
            "kind": r.kind, "status": r.status, "started_at": _utc(r.started_at),
            "ended_at": None if r.ended_at is None else _utc(r.ended_at),
            "params": dict(r.params or {}), "model_params": dict(r.model_params or {}),
            "tags": dict(r.tags or {}), "metrics": dict(r.metrics or {}),
            "version": r.version, "decision_id": r.decision_id}


class RunsMixin:
    """Runs, metric history and artifacts; mixed into :class:`~driftline.store.Store`.

    Examples
    --------
    >>> from driftline.store import Store
    >>> store = Store.open("sqlite://")
    >>> store.create_run("r1", "credit", name="baseline", params={"C": 1.0})
    >>> store.log_run_metrics("r1", [("loss", 0.7, 0), ("loss", 0.4, 1)])
    >>> store.update_run("r1", status="finished")
    >>> run = store.run("r1")
    >>> run["status"], run["metrics"], [v for _, _, v, _ in store.run_metric_history("r1")]
    ('finished', {'loss': 0.4}, [0.7, 0.4])
    """

    engine: Engine

    def now(self) -> datetime:  # provided by Store (its clock)
        raise NotImplementedError

    def create_run(self, run_id: str, model: str, *, name: str | None = None,
                   parent_id: str | None = None, kind: str = "run",
                   params: Mapping[str, Any] | None = None,
                   tags: Mapping[str, Any] | None = None,
                   started_at: datetime | None = None) -> None:
        """Start a run (status ``running``)."""
        if kind not in RUN_KINDS:
            raise ParameterError.choice("kind", kind, RUN_KINDS)
        with self.engine.begin() as conn:
            if parent_id is not None and conn.execute(
                    runs.select().where(runs.c.id == parent_id)).first() is None:
                raise ParameterError(f"parent run {parent_id!r} does not exist in this store.")
            conn.execute(runs.insert().values(
                id=run_id, model=model, name=name, parent_id=parent_id, kind=kind,
                status="running", started_at=_as_utc(started_at or self.now()), ended_at=None,
                params=dict(params or {}), model_params={}, tags=dict(tags or {}), metrics={},
                version=None, decision_id=None))

    def update_run(self, run_id: str, *, status: str | None = None,
                   ended_at: datetime | None = None, params: Mapping[str, Any] | None = None,
                   model_params: Mapping[str, Any] | None = None,
                   tags: Mapping[str, Any] | None = None, version: int | None = None,
                   decision_id: int | None = None, name: str | None = None) -> None:
        """Change a run: ``params``, ``model_params`` and ``tags`` are merged into what the run
        has; a final ``status`` stamps ``ended_at`` (now, unless given)."""
        if status is not None and status not in RUN_STATUSES:
            raise ParameterError.choice("status", status, RUN_STATUSES)
        with self.engine.begin() as conn:
            row = _locked(conn, run_id)
            values: dict[str, Any] = {}
            for key, new in zip(_MERGED, (params, model_params, tags), strict=True):
                if new:
                    values[key] = {**(getattr(row, key) or {}), **dict(new)}
            if status is not None:
                values["status"] = status
                if status != "running":
                    values["ended_at"] = _as_utc(ended_at or self.now())
            for key, value in (("version", version), ("decision_id", decision_id),
                               ("name", name)):
                if value is not None:
                    values[key] = value
            if values:
                conn.execute(runs.update().where(runs.c.id == run_id).values(**values))

    def log_run_metrics(self, run_id: str, values: Iterable[tuple[str, float, int | None]],
                        *, at: datetime | None = None) -> None:
        """Append ``(name, value, step)`` rows to the history, and make each the run's latest
        value of its metric, in one transaction."""
        rows = [(str(n), float(v), None if s is None else int(s)) for n, v, s in values]
        if not rows:
            return
        at = at or self.now()
        with self.engine.begin() as conn:
            row = _locked(conn, run_id)
            conn.execute(run_metrics.insert(), [
                {"run_id": run_id, "name": n, "step": s, "value": v, "at": at}
                for n, v, s in rows])
            latest = dict(row.metrics or {})
            latest.update({n: v for n, v, _ in rows})
            conn.execute(runs.update().where(runs.c.id == run_id).values(metrics=latest))

    def add_run_artifact(self, run_id: str, name: str, data: bytes, *,
                         media_type: str = "application/octet-stream") -> str:
        """Store ``data`` under ``name`` with the run (replacing one of the same name); returns
        its SHA-256."""
        digest = hashlib.sha256(data).hexdigest()
        with self.engine.begin() as conn:
            conn.execute(run_artifacts.delete().where(
                (run_artifacts.c.run_id == run_id) & (run_artifacts.c.name == name)))
            conn.execute(run_artifacts.insert().values(
                run_id=run_id, name=name, media_type=media_type, size=len(data), sha256=digest,
                data=data, at=self.now()))
        return digest

    def run(self, run_id: str) -> dict[str, Any] | None:
        """One run as a dict, or ``None``."""
        with self.engine.connect() as conn:
            row = conn.execute(runs.select().where(runs.c.id == run_id)).first()
        return None if row is None else _row(row)

    def runs(self, model: str | None = None, *, kind: str | Sequence[str] | None = None,
             parent_id: str | None = None, top_level: bool = False,
             limit: int | None = None) -> list[dict[str, Any]]:
        """Runs, newest first: of ``model``, of a ``kind`` (or kinds), the children of
        ``parent_id``, or only those without a parent (``top_level``)."""
        q = runs.select()
        if model is not None:
            q = q.where(runs.c.model == model)
        if kind is not None:
            q = q.where(runs.c.kind.in_([kind] if isinstance(kind, str) else list(kind)))
        if parent_id is not None:
            q = q.where(runs.c.parent_id == parent_id)
        if top_level:
            q = q.where(runs.c.parent_id.is_(None))
        q = q.order_by(runs.c.started_at.desc(), runs.c.id.desc())
        if limit is not None:
            q = q.limit(limit)
        with self.engine.connect() as conn:
            return [_row(r) for r in conn.execute(q)]

    def run_metric_history(self, run_id: str, names: Sequence[str] | None = None,
                           ) -> list[tuple[str, int | None, float, datetime]]:
        """Every logged value of the run's metrics as ``(name, step, value, at)``, in the order
        they were logged."""
        q = run_metrics.select().where(run_metrics.c.run_id == run_id)
        if names is not None:
            q = q.where(run_metrics.c.name.in_(list(names)))
        with self.engine.connect() as conn:
            return [(r.name, r.step, r.value, _utc(r.at))
                    for r in conn.execute(q.order_by(run_metrics.c.id))]

    def run_artifacts(self, run_id: str) -> list[dict[str, Any]]:
        """The run's artifacts (name, media type, size, SHA-256), without their bytes."""
        cols = [run_artifacts.c.name, run_artifacts.c.media_type, run_artifacts.c.size,
                run_artifacts.c.sha256]
        from sqlalchemy import select

        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(
                select(*cols).where(run_artifacts.c.run_id == run_id)
                .order_by(run_artifacts.c.name))]

    def run_artifact(self, run_id: str, name: str) -> tuple[str, bytes]:
        """``(media_type, data)`` of one artifact."""
        with self.engine.connect() as conn:
            row = conn.execute(run_artifacts.select().where(
                (run_artifacts.c.run_id == run_id) & (run_artifacts.c.name == name))).first()
        if row is None:
            raise ParameterError.choice("artifact", name,
                                        [a["name"] for a in self.run_artifacts(run_id)])
        return row.media_type, bytes(row.data)


# -- training metrics (read by the service at scrape time) -----------------------------------

#: The kinds of run that train a model (a study only holds its trials).
TRAINING_KINDS = ("run", "trial", "retrain")
#: Upper bounds in seconds of ``driftline_training_duration_seconds``: from a one-second fit to
#: a four-hour job; the last, ``inf``, counts every run.
TRAINING_DURATION_BUCKETS = (1.0, 5.0, 15.0, 60.0, 300.0, 900.0, 3600.0, 4 * 3600.0, float("inf"))
#: A histogram: ``(upper bound, cumulative count)`` pairs, ``inf`` last, and the sum.
HistogramValue = tuple[tuple[tuple[float, float], ...], float]
#: ``(family name, labels, value)``, as :class:`driftline.telemetry.LoopCollector` reads it.
MetricSample = tuple[str, dict[str, str], float | HistogramValue]


def _seconds(dialect: str) -> Any:
    """SQL for a run's duration in seconds (``NULL`` while it runs; never negative)."""
    import sqlalchemy as sa

    start, end = runs.c.started_at, runs.c.ended_at
    if dialect == "postgresql":
        raw: Any = sa.extract("epoch", end - start)
    else:  # SQLite keeps times as text: Julian days, to the millisecond (a day is a float)
        raw = sa.func.round((sa.func.julianday(end) - sa.func.julianday(start)) * 86400.0, 3)
    return sa.case((raw < 0, 0.0), else_=raw)


def training_samples(engine: Engine, model: str) -> list[MetricSample]:
    """The training metrics of ``model``'s tracked runs, as the service exports them.

    ``driftline_training_runs`` counts the runs of kind run, trial and retrain that ended, by
    outcome (their final status; every outcome from 0 once the model has a training run);
    ``driftline_training_duration_seconds`` is the histogram of their durations, counted in
    the database with :data:`TRAINING_DURATION_BUCKETS`; ``driftline_training_last_metric``
    holds the metrics of the latest finished run of kind run or retrain. A model without
    training runs has none of them.

    Examples
    --------
    >>> from datetime import datetime, timedelta, timezone
    >>> from driftline.store import Store
    >>> store = Store.open("sqlite://")
    >>> t0 = datetime(2026, 1, 1, tzinfo=timezone.utc)
    >>> store.create_run("r1", "credit", started_at=t0)
    >>> store.log_run_metrics("r1", [("auc", 0.8, None)])
    >>> store.update_run("r1", status="finished", ended_at=t0 + timedelta(seconds=90))
    >>> for name, labels, value in training_samples(store.engine, "credit"):
    ...     print(name, sorted(labels.values()), value)
    driftline_training_runs ['credit', 'finished'] 1.0
    driftline_training_runs ['credit', 'failed'] 0.0
    driftline_training_runs ['credit', 'pruned'] 0.0
    driftline_training_duration_seconds ['credit']
        (((1.0, 0.0), (5.0, 0.0), (15.0, 0.0), (60.0, 0.0), (300.0, 1.0), (900.0, 1.0),
          (3600.0, 1.0), (14400.0, 1.0), (inf, 1.0)), 90.0)
    driftline_training_last_metric ['auc', 'credit'] 0.8
    """
    import math

    import sqlalchemy as sa

    c = runs.c
    seconds = _seconds(engine.dialect.name)
    counts = [sa.func.sum(sa.case((seconds <= le, 1), else_=0))
              for le in TRAINING_DURATION_BUCKETS[:-1]]
    by_status = (sa.select(c.status, sa.func.count(), sa.func.sum(seconds), *counts)
                 .where(c.model == model, c.kind.in_(TRAINING_KINDS)).group_by(c.status))
    latest = (sa.select(c.metrics)
              .where(c.model == model, c.kind.in_(("run", "retrain")), c.status == "finished")
              .order_by(c.ended_at.desc(), c.started_at.desc(), c.id.desc()).limit(1))
    with engine.connect() as conn:
        rows = conn.execute(by_status).all()
        metrics = conn.execute(latest).scalar() or {}
    if not rows:
        return []
    ended = dict.fromkeys([s for s in RUN_STATUSES if s != "running"], 0.0)
    buckets = [0.0] * len(TRAINING_DURATION_BUCKETS)
    total = 0.0
    for status, n, seconds_sum, *below in rows:
        if status == "running":
            continue
        ended[status] = ended.get(status, 0.0) + n
        total += float(seconds_sum or 0.0)
        for i, k in enumerate([*below, n]):
            buckets[i] += float(k or 0)
    out: list[MetricSample] = [
        ("driftline_training_runs", {"model": model, "outcome": status}, n)
        for status, n in ended.items()]
    out.append(("driftline_training_duration_seconds", {"model": model},
                (tuple(zip(TRAINING_DURATION_BUCKETS, buckets, strict=True)), total)))
    out.extend(("driftline_training_last_metric", {"model": model, "metric": str(name)},
                float(value)) for name, value in sorted(metrics.items())
               if isinstance(value, (int, float)) and not isinstance(value, bool)
               and math.isfinite(value))
    return out
