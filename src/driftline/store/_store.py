"""The store: models, logged predictions (idempotent by id) and late labels, in SQLite or
PostgreSQL through SQLAlchemy 2, with the schema managed by Alembic."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from driftline.errors import DataError, DriftlineError, ParameterError, require
from driftline.store._codec import SMALL_BATCH_ROWS
from driftline.store._codec import decode as _decode
from driftline.store._codec import encode as _encode
from driftline.store._codec import encode_rows as _encode_rows
from driftline.store._codec import utc_times as _utc_times
from driftline.store._compaction import CompactionMixin
from driftline.store._lease import LeaseMixin
from driftline.store._monitoring import MonitoringMixin
from driftline.store._partitions import Partitions, check_interval, missing_partition
from driftline.store._retention import RetentionMixin
from driftline.store._runs import RunsMixin
from driftline.store._service import ServiceMixin
from driftline.store._streams import StreamMixin
from driftline.store._tables import batches, feedback, models, predictions
from driftline.store._versions import VersionsMixin

if TYPE_CHECKING:
    import pandas as pd
    from sqlalchemy.engine import Engine

__all__ = ["ConflictError", "LogResult", "PendingBatch", "Store"]

_TASKS = ("binary", "multiclass", "regression")


class ConflictError(DriftlineError):
    """A prediction id was logged before with a different payload (HTTP 409).

    Examples
    --------
    >>> import pandas as pd
    >>> store = Store.open("sqlite://")
    >>> _ = store.add_model("m", "regression")
    >>> _ = store.log_predictions("m", pd.DataFrame({"x": [1.0]}), predictions=[2.0], ids=["a"], version=1)
    >>> store.log_predictions("m", pd.DataFrame({"x": [5.0]}), predictions=[2.0], ids=["a"], version=1)
    Traceback (most recent call last):
    ...
    driftline.store._store.ConflictError: prediction id 'a' was logged before with a different ...
    """


@dataclass(frozen=True)
class PendingBatch:
    """A batch ready to append: the rows' values, ids, times, payload hashes and latencies.

    Examples
    --------
    >>> import pandas as pd
    >>> from datetime import datetime, timezone
    >>> store = Store.open("sqlite://")
    >>> mid = store.add_model("m", "regression")
    >>> now = datetime.now(timezone.utc)
    >>> store.append_batches([PendingBatch(mid, 1, pd.DataFrame({"x": [1.0], "prediction": [3.0]}),
    ...                                    ["r1"], [now], [""], [0.4], "served")])
    >>> store.read_window("m")["prediction"].tolist()
    [3.0]
    """

    model_id: int
    version: int
    payload: pd.DataFrame | dict[str, Any]
    ids: list[str]
    times: list[datetime]
    hashes: list[str]
    latency_ms: list[float] | None
    source: str


_INSERT_BATCH = batches.insert()
_INSERT_PREDICTIONS = predictions.insert()
_PRED_COLS = ("model_id", "id", "batch_id", "row_index", "ts", "payload_hash", "latency_ms")


@dataclass(frozen=True)
class LogResult:
    """What :meth:`Store.log_predictions` did: the ids in order, and which were replays.

    Examples
    --------
    >>> LogResult(("a", "b"), ("a",), 1).n_written
    1
    """

    ids: tuple[str, ...]
    replayed: tuple[str, ...]
    n_written: int


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _hashes(frame: pd.DataFrame) -> list[str]:
    import pandas as pd

    values = pd.util.hash_pandas_object(frame, index=False).to_numpy()
    return [hashlib.blake2b(int(v).to_bytes(8, "little"), digest_size=16).hexdigest()
            for v in values]


class Store(VersionsMixin, RetentionMixin, CompactionMixin, MonitoringMixin, LeaseMixin,
            ServiceMixin, StreamMixin, RunsMixin):
    """Models, predictions and labels in one database.

    Examples
    --------
    >>> import pandas as pd
    >>> store = Store.open("sqlite://")          # in memory; a file or PostgreSQL by URL
    >>> store.add_model("credit", "binary")
    1
    >>> res = store.log_predictions("credit", pd.DataFrame({"income": [1.0, 2.0]}),
    ...                             predictions=[0, 1], ids=["a", "b"], version=1)
    >>> store.add_feedback("credit", ["a"], [1])
    >>> store.read_window("credit")[["id", "income", "prediction", "label"]].to_dict("list")
    {'id': ['a', 'b'], 'income': [1.0, 2.0], 'prediction': [0, 1], 'label': [1, None]}
    """

    def __init__(self, engine: Engine, *, partition_interval: str = "day") -> None:
        self.engine = engine
        # PostgreSQL: which partitions of dl_batches exist, and making the missing ones
        self.partitions = Partitions(engine, partition_interval)
        # What the store stamps events, stage changes, versions, decisions and label arrivals
        # with; a simulation replaces it (leases keep the real time: they fence processes).
        self.clock: Callable[[], datetime] = _now

    def now(self) -> datetime:
        """The time the store stamps its records with: ``self.clock()`` (UTC wall clock
        by default).

        Examples
        --------
        >>> from datetime import datetime, timezone
        >>> store = Store.open("sqlite://")
        >>> store.clock = lambda: datetime(2026, 1, 1, tzinfo=timezone.utc)
        >>> _ = store.add_event(None, "note", {})
        >>> store.now().year, store.events()[0]["at"][:10]
        (2026, '2026-01-01')
        """
        return self.clock()

    @classmethod
    def open(cls, url: str, *, partition_interval: str = "day") -> Store:
        """Connect and bring the schema to the latest migration.

        Parameters
        ----------
        url
            A SQLAlchemy URL: ``sqlite:///path.db``, ``sqlite://`` (in memory) or
            ``postgresql+psycopg://user@host:5432/db``.
        partition_interval
            On PostgreSQL, the span of the prediction log's new partitions: ``"day"`` or
            ``"week"`` (UTC; weeks start on Monday). Ignored on SQLite.

        Examples
        --------
        >>> Store.open("sqlite://", partition_interval="week").partitions.interval
        'week'
        >>> Store.open("sqlite://", partition_interval="month")
        Traceback (most recent call last):
        ...
        driftline.errors.ParameterError: partition_interval must be one of 'day', 'week'; got 'month'.
        """
        sa = require("sqlalchemy", extra="serve", feature="The store")
        check_interval(partition_interval)  # before connecting
        kwargs: dict[str, Any] = {}
        if url.startswith("sqlite"):
            kwargs["connect_args"] = {"check_same_thread": False}
            if url in ("sqlite://", "sqlite:///:memory:"):  # one shared in-memory database
                from sqlalchemy.pool import StaticPool

                kwargs["poolclass"] = StaticPool
        engine = sa.create_engine(url, **kwargs)
        if url.startswith("sqlite"):
            sa.event.listen(engine, "connect", _sqlite_pragmas)
        store = cls(engine, partition_interval=partition_interval)
        store.migrate()
        return store

    def migrate(self) -> None:
        """Run the Alembic migrations up to head."""
        from alembic import command
        from alembic.config import Config

        cfg = Config()
        cfg.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
        with self.engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")

    # -- models ----------------------------------------------------------------------
    def add_model(self, name: str, task: str) -> int:
        """Create a model (or return its id if it exists with the same task)."""
        if task not in _TASKS:
            raise ParameterError.choice("task", task, _TASKS)
        existing = self._model_row(name)
        if existing is not None:
            if existing.task != task:
                raise ParameterError(f"model {name!r} exists with task {existing.task!r}; "
                                     f"got {task!r}.")
            return int(existing.id)
        with self.engine.begin() as conn:
            res = conn.execute(models.insert().values(name=name, task=task, created_at=self.now()))
            return int(res.inserted_primary_key[0])

    def _model_row(self, name: str) -> Any:
        with self.engine.connect() as conn:
            return conn.execute(models.select().where(models.c.name == name)).first()

    def model_id(self, name: str) -> int:
        """The id of a model, or an error naming the known models."""
        row = self._model_row(name)
        if row is None:
            with self.engine.connect() as conn:
                names = [r.name for r in conn.execute(models.select())]
            raise ParameterError.choice("model", name, names)
        return int(row.id)

    # -- predictions -----------------------------------------------------------------
    def log_predictions(
        self, model: str, features: pd.DataFrame, *, predictions: Sequence[Any] | np.ndarray,
        version: int, ids: Sequence[str] | None = None, timestamps: Any = None,
        scores: pd.DataFrame | None = None, latency_ms: Sequence[float] | None = None,
        source: str = "served",
    ) -> LogResult:
        """Log a batch in one transaction. Replayed ids with the same payload are skipped and
        reported; the same id with a different payload raises :class:`ConflictError`."""
        import pandas as pd

        mid = self.model_id(model)
        n = len(features)
        preds = np.asarray(predictions)
        if preds.shape[0] != n:
            raise DataError(f"got {preds.shape[0]} predictions for {n} rows.")
        ids = [str(i) for i in ids] if ids is not None else [_new_id() for _ in range(n)]
        if len(ids) != n or len(set(ids)) != n:
            raise DataError("ids must be unique, one per row.")
        ts = pd.to_datetime(pd.Series(timestamps if timestamps is not None else [self.now()] * n),
                            utc=True)
        payload = features.reset_index(drop=True).assign(prediction=preds)
        if scores is not None:
            payload = pd.concat([payload, scores.reset_index(drop=True).add_prefix("score_")],
                                axis=1)
        hashes = _hashes(payload)
        known = self._known_hashes(mid, ids)
        clash = [i for i, h in zip(ids, hashes, strict=True) if i in known and known[i] != h]
        if clash:
            raise ConflictError(f"prediction id {clash[0]!r} was logged before with a different "
                                "payload; use a new id.")
        fresh = np.array([i not in known for i in ids])
        replayed = tuple(i for i in ids if i in known)
        if fresh.any():
            self._write(mid, version, payload[fresh].reset_index(drop=True),
                        [i for i, f in zip(ids, fresh, strict=True) if f], ts[fresh],
                        [h for h, f in zip(hashes, fresh, strict=True) if f],
                        None if latency_ms is None else np.asarray(latency_ms)[fresh], source)
        return LogResult(tuple(ids), replayed, int(fresh.sum()))

    def _known_hashes(self, mid: int, ids: list[str]) -> dict[str, str]:
        out: dict[str, str] = {}
        with self.engine.connect() as conn:
            if conn.dialect.name == "postgresql":  # one array parameter, not 10k bound values
                import sqlalchemy as sa

                q = sa.text("SELECT id, payload_hash FROM dl_predictions "
                            "WHERE model_id = :m AND id = ANY(:ids)")
                return {r.id: r.payload_hash for r in conn.execute(q, {"m": mid, "ids": ids})}
            for start in range(0, len(ids), 5_000):
                chunk = ids[start:start + 5_000]
                q = predictions.select().with_only_columns(
                    predictions.c.id, predictions.c.payload_hash).where(
                    predictions.c.model_id == mid, predictions.c.id.in_(chunk))
                out.update({r.id: r.payload_hash for r in conn.execute(q)})
        return out

    def _write(self, mid: int, version: int, payload: pd.DataFrame, ids: list[str], ts: Any,
               hashes: list[str], latency: np.ndarray | None, source: str) -> None:
        times = list(ts.dt.to_pydatetime())
        lat = None if latency is None else [float(x) for x in latency]
        self.append_batches([PendingBatch(mid, version, payload, ids, times, hashes, lat, source)])

    def append_batches(self, pending: Sequence[PendingBatch]) -> None:
        """Write prepared batches in ONE transaction, without the replay checks of
        :meth:`log_predictions` (the serving log checks before it predicts). A duplicate id
        makes the whole transaction fail with the database's integrity error."""
        if self.engine.dialect.name == "sqlite":
            self._append_sqlite(pending)
            return
        keys = [(p.model_id, max(p.times)) for p in pending]
        self.partitions.ensure(keys)  # PostgreSQL: before the transaction, in one of its own
        try:
            self._append(pending)
        except Exception as exc:
            if not missing_partition(exc):
                raise
            # another process's retention dropped a partition this process had seen
            self.partitions.forget()
            self.partitions.ensure(keys)
            self._append(pending)

    def _append(self, pending: Sequence[PendingBatch]) -> None:
        with self.engine.begin() as conn:
            for p in pending:
                if isinstance(p.payload, dict) and len(p.ids) <= SMALL_BATCH_ROWS:
                    blob = _encode_rows(p.payload, p.ids, p.times)
                elif isinstance(p.payload, dict):
                    blob = _encode({**p.payload, "__id": p.ids, "__ts": _utc_times(p.times)})
                else:
                    blob = _encode(p.payload.assign(__id=p.ids, __ts=p.times))
                res = conn.execute(_INSERT_BATCH, {
                    "model_id": p.model_id, "version": p.version, "ts_min": min(p.times),
                    "ts_max": max(p.times), "n_rows": len(p.ids), "source": p.source,
                    "data": blob, "ts_bound": max(p.times)})
                bid = int(res.inserted_primary_key[0])
                lat = [None] * len(p.ids) if p.latency_ms is None else p.latency_ms
                rows = [(p.model_id, i, bid, k, t, h, lat[k])
                        for k, (i, t, h) in enumerate(zip(p.ids, p.times, p.hashes, strict=True))]
                if conn.dialect.name == "postgresql":
                    _copy_rows(conn, rows)  # COPY is ~10x faster than multi-row INSERT here
                else:
                    conn.execute(_INSERT_PREDICTIONS, [dict(zip(_PRED_COLS, r, strict=True))
                                                       for r in rows])

    def close(self) -> None:
        """Close the store's connections."""
        raw = getattr(self, "_raw", None)
        if raw is not None:
            with self._raw_lock:
                raw.close()
                self._raw = None
        self.engine.dispose()

    def _append_sqlite(self, pending: Sequence[PendingBatch]) -> None:
        """SQLite: one long-lived driver connection and the driver's own statements, which
        cost a fraction of a pooled SQLAlchemy transaction per commit (the serving log commits
        small groups often). Times are converted by SQLAlchemy's own processor, so the stored
        text is what SQLAlchemy would store (windows compare these strings)."""
        import threading

        if not hasattr(self, "_raw_lock"):
            self._raw_lock = threading.Lock()
        with self._raw_lock:
            raw = getattr(self, "_raw", None)
            if raw is None:
                raw = self._raw = self.engine.raw_connection()
                impl = batches.c.ts_min.type.dialect_impl(self.engine.dialect)
                self._ts_proc = impl.bind_processor(self.engine.dialect)
            cursor = raw.cursor()
            try:
                for p in pending:
                    _append_sqlite(cursor, self._ts_proc, p)
                raw.commit()
            except BaseException:
                raw.rollback()
                raise
            finally:
                cursor.close()

    def get_predictions(self, model: str, ids: Sequence[str]) -> pd.DataFrame:
        """The stored rows of these ids (id, version, payload_hash, prediction, scores,
        features), in no particular order; unknown ids are absent."""
        import pandas as pd
        import sqlalchemy as sa

        mid = self.model_id(model)
        want = [str(i) for i in ids]
        with self.engine.connect() as conn:
            found = conn.execute(sa.select(predictions.c.id, predictions.c.batch_id,
                                           predictions.c.row_index, predictions.c.payload_hash)
                                 .where(predictions.c.model_id == mid,
                                        predictions.c.id.in_(want))).all()
            if not found:
                return pd.DataFrame(columns=["id", "version", "payload_hash", "prediction"])
            bids = sorted({r.batch_id for r in found})
            blobs = conn.execute(sa.select(batches.c.id, batches.c.version, batches.c.data)
                                 .where(batches.c.model_id == mid,  # only this model's partitions
                                        batches.c.id.in_(bids))).all()
        by_batch = {b.id: b for b in blobs}
        parts = []
        for bid in bids:
            rows = [r for r in found if r.batch_id == bid]
            frame = _decode([by_batch[bid].data]).iloc[[r.row_index for r in rows]]
            parts.append(frame.assign(version=by_batch[bid].version,
                                      payload_hash=[r.payload_hash for r in rows]))
        out = pd.concat(parts, ignore_index=True).rename(columns={"__id": "id"})
        return out.drop(columns=["__ts"])

    def read_window(self, model: str, start: datetime | None = None,
                    end: datetime | None = None) -> pd.DataFrame:
        """Logged rows with ``start <= ts < end`` as columns: id, ts, version, the features,
        prediction, scores and the label (``None`` until it arrives).

        Each logged batch is one Arrow blob that also carries its rows' ids and timestamps,
        so a window is read as a few large values, not one database row per prediction.
        """
        import pandas as pd
        import sqlalchemy as sa

        mid = self.model_id(model)
        cond = [batches.c.model_id == mid]
        if start is not None:  # ts_bound >= ts_max: on PostgreSQL it skips older partitions
            cond += [batches.c.ts_max >= start, batches.c.ts_bound >= start]
        if end is not None:
            cond.append(batches.c.ts_min < end)
        with self.engine.connect() as conn:
            found = conn.execute(sa.select(batches.c.version, batches.c.n_rows, batches.c.data)
                                 .where(*cond).order_by(batches.c.id)).all()
            labels = conn.execute(sa.select(feedback.c.id, feedback.c.label).where(
                feedback.c.model_id == mid)).all()
        if not found:
            return pd.DataFrame(columns=["id", "ts", "version", "prediction", "label"])
        data = _decode([r.data for r in found])
        version = np.repeat([r.version for r in found], [r.n_rows for r in found])
        ts = pd.to_datetime(data.pop("__ts"), utc=True)
        keep = np.ones(len(data), dtype=bool)
        if start is not None:
            keep &= (ts >= pd.Timestamp(start)).to_numpy()
        if end is not None:
            keep &= (ts < pd.Timestamp(end)).to_numpy()
        ids = data.pop("__id")
        out = data[keep].reset_index(drop=True)
        out.insert(0, "version", version[keep])
        out.insert(0, "ts", ts[keep].reset_index(drop=True))
        out.insert(0, "id", ids[keep].reset_index(drop=True).astype(object))
        label_of = pd.Series({r.id: r.label for r in labels}, dtype=object)
        out["label"] = pd.Series(out["id"].map(label_of), dtype=object).where(
            out["id"].isin(label_of.index), None)
        return out

    # -- labels ----------------------------------------------------------------------
    def add_feedback(self, model: str, ids: Sequence[str], labels: Sequence[Any],
                     arrived_at: datetime | None = None) -> None:
        """Record late labels by prediction id (a repeated id replaces the label)."""
        mid = self.model_id(model)
        if len(ids) != len(labels):
            raise DataError(f"got {len(ids)} ids and {len(labels)} labels.")
        at = arrived_at or self.now()
        rows = [{"model_id": mid, "id": str(i), "label": _plain(v), "arrived_at": at}
                for i, v in zip(ids, labels, strict=True)]
        with self.engine.begin() as conn:
            conn.execute(feedback.delete().where(feedback.c.model_id == mid,
                                                 feedback.c.id.in_([r["id"] for r in rows])))
            conn.execute(feedback.insert(), rows)


_SQLITE_BATCH = ("INSERT INTO dl_batches (model_id, version, ts_min, ts_max, n_rows, source, data, "
                 "sample_rate, ts_bound) VALUES (?, ?, ?, ?, ?, ?, ?, 1.0, ?)")
_SQLITE_PREDICTIONS = ("INSERT INTO dl_predictions (model_id, id, batch_id, row_index, ts, "
                       "payload_hash, latency_ms) VALUES (?, ?, ?, ?, ?, ?, ?)")


def _append_sqlite(cursor: Any, to_text: Any, p: PendingBatch) -> None:
    if isinstance(p.payload, dict) and len(p.ids) <= SMALL_BATCH_ROWS:
        blob = _encode_rows(p.payload, p.ids, p.times)
    elif isinstance(p.payload, dict):
        blob = _encode({**p.payload, "__id": p.ids, "__ts": _utc_times(p.times)})
    else:
        blob = _encode(p.payload.assign(__id=p.ids, __ts=p.times))
    ts_max = to_text(max(p.times))
    cursor.execute(_SQLITE_BATCH, (p.model_id, p.version, to_text(min(p.times)), ts_max,
                                   len(p.ids), p.source, blob, ts_max))
    bid = cursor.lastrowid
    lat = [None] * len(p.ids) if p.latency_ms is None else p.latency_ms
    texts = {t: to_text(t) for t in set(p.times)}
    cursor.executemany(_SQLITE_PREDICTIONS, [
        (p.model_id, i, bid, k, texts[t], h, lat[k])
        for k, (i, t, h) in enumerate(zip(p.ids, p.times, p.hashes, strict=True))])


def _copy_rows(conn: Any, rows: list[tuple[Any, ...]]) -> None:
    cursor = conn.connection.driver_connection.cursor()
    sql = ("COPY dl_predictions (model_id, id, batch_id, row_index, ts, payload_hash, "
           "latency_ms) FROM STDIN")
    with cursor.copy(sql) as copy:
        for row in rows:
            copy.write_row(row)


def _plain(v: Any) -> Any:
    return v.item() if hasattr(v, "item") else v


def _new_id() -> str:
    import uuid

    return uuid.uuid4().hex


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()
