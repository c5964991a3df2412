"""Retention and erasure for logged predictions: delete by id, delete or downsample by age.

Each logged batch is one Arrow blob, so removing rows means rewriting the blob of every batch
they sit in, and keeping ``dl_predictions`` (one row per id, with its position in the blob) and
``dl_feedback`` (labels by id) in step. Every operation runs in one transaction.

Batches are chosen by their ``ts_min``/``ts_max`` columns, so a retention run only decodes the
blobs it has to change: batches wholly older than the cutoff are deleted without being read,
and only a batch that straddles the cutoff (or is being downsampled) is rewritten.

On PostgreSQL ``dl_batches`` is partitioned by model and time (see ``_partitions.py``): a
deleting retention run drops every partition of the model that ends at or before the cutoff,
whole, after deleting the ``dl_predictions`` and ``dl_feedback`` rows of its batches in the same
transaction, and handles the remaining old batches row by row as above.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

import numpy as np

from driftline.errors import ParameterError, require
from driftline.store._partitions import Partition, is_partitioned, list_partitions
from driftline.store._partitions import lock as _lock_partitions
from driftline.store._tables import batches, feedback, predictions

if TYPE_CHECKING:
    import pyarrow as pa
    from sqlalchemy.engine import Connection, Engine

    from driftline.store._partitions import Partitions

__all__ = ["RETENTION_ACTIONS", "RetentionMixin", "RetentionResult"]

RETENTION_ACTIONS = ("delete", "downsample")

_CHUNK = 5_000  # ids per IN (...) list: far below SQLite's and PostgreSQL's parameter limits


@dataclass(frozen=True)
class RetentionResult:
    """What a retention run did.

    Attributes
    ----------
    deleted
        Predictions removed (with their labels).
    kept
        Predictions of the model still stored after the run.
    batches_rewritten
        Batches whose blob was rewritten (straddling the cutoff, or downsampled).
    partitions_dropped
        PostgreSQL: partitions of the prediction log dropped whole. It is not compared by
        ``==`` and appears in :meth:`to_dict` only when positive, since it depends on the
        database rather than on what was kept.

    Examples
    --------
    >>> RetentionResult(deleted=90, kept=10, batches_rewritten=1).to_dict()
    {'deleted': 90, 'kept': 10, 'batches_rewritten': 1}
    >>> RetentionResult(90, 10, 0, partitions_dropped=2).to_dict()
    {'deleted': 90, 'kept': 10, 'batches_rewritten': 0, 'partitions_dropped': 2}
    """

    deleted: int
    kept: int
    batches_rewritten: int
    partitions_dropped: int = field(default=0, compare=False)

    def to_dict(self) -> dict[str, int]:
        """A JSON-ready dict."""
        out = {"deleted": self.deleted, "kept": self.kept,
               "batches_rewritten": self.batches_rewritten}
        if self.partitions_dropped:
            out["partitions_dropped"] = self.partitions_dropped
        return out


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _read(blob: bytes) -> pa.Table:
    from driftline.store._codec import decode_tables as _decode_tables

    return _decode_tables([blob])[0]


def _write(table: pa.Table) -> bytes:
    pa = require("pyarrow", extra="serve", feature="The prediction store")
    sink = io.BytesIO()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue()


def _ts_range(table: pa.Table) -> tuple[datetime, datetime]:
    import pyarrow.compute as pc

    bounds = pc.min_max(table["__ts"])
    return (bounds["min"].as_py().astimezone(timezone.utc),
            bounds["max"].as_py().astimezone(timezone.utc))


def _chunks(items: Sequence[Any]) -> list[Sequence[Any]]:
    return [items[i:i + _CHUNK] for i in range(0, len(items), _CHUNK)]


def _is_in(conn: Connection, column: Any, values: Sequence[Any]) -> Any:
    """``column IN values``; on PostgreSQL ``column = ANY(array)``, one parameter instead of
    thousands (binding and planning a long IN list costs more than the delete itself)."""
    if conn.dialect.name == "postgresql":
        import sqlalchemy as sa
        from sqlalchemy.dialects.postgresql import ARRAY

        return column == sa.any_(sa.literal(list(values), ARRAY(column.type)))
    return column.in_(values)


def _drop_ids(conn: Connection, mid: int, ids: Sequence[str]) -> int:
    """Delete the predictions and labels of ``ids``; return how many predictions went."""
    n = 0
    for chunk in _chunks(ids):
        conn.execute(feedback.delete().where(feedback.c.model_id == mid,
                                             _is_in(conn, feedback.c.id, chunk)))
        n += conn.execute(predictions.delete().where(
            predictions.c.model_id == mid, _is_in(conn, predictions.c.id, chunk))).rowcount
    return n


def _place(conn: Connection, mid: int, ids: Sequence[str], batch_id: int,
           positions: Sequence[int]) -> None:
    """Point the predictions ``ids`` at ``batch_id`` and their new rows in its blob."""
    import sqlalchemy as sa

    if not len(ids):
        return
    if conn.dialect.name == "postgresql":  # one statement with two arrays, not one per row
        conn.execute(sa.text(
            "UPDATE dl_predictions AS p SET batch_id = :b, row_index = v.ri "
            "FROM unnest(CAST(:ids AS text[]), CAST(:ris AS integer[])) AS v(id, ri) "
            "WHERE p.model_id = :m AND p.id = v.id"),
            {"b": batch_id, "m": mid, "ids": list(ids), "ris": [int(p) for p in positions]})
        return
    stmt = predictions.update().where(
        predictions.c.model_id == mid, predictions.c.id == sa.bindparam("_id")).values(
        batch_id=batch_id, row_index=sa.bindparam("_ri"))
    conn.execute(stmt, [{"_id": i, "_ri": int(p)} for i, p in zip(ids, positions, strict=True)])


def _rewrite(conn: Connection, mid: int, bid: int, table: pa.Table, keep: np.ndarray, *,
             positions: np.ndarray | None = None, sample_rate: float | None = None) -> int:
    """Make ``table[keep]`` the blob of batch ``bid``: drop the other rows' predictions and
    labels, and renumber the kept rows whose index moved. ``positions`` are the rows' current
    ``row_index`` (by default their order in ``table``). Returns the rows dropped."""
    import pyarrow as pa
    import sqlalchemy as sa

    ids = np.asarray(table["__id"].to_pylist(), dtype=object)
    dropped = _drop_ids(conn, mid, list(ids[~keep]))
    if not keep.any():
        conn.execute(sa.delete(batches).where(batches.c.model_id == mid, batches.c.id == bid))
        return dropped
    kept = table.filter(pa.array(keep))
    ts_min, ts_max = _ts_range(kept)
    values: dict[str, Any] = {"data": _write(kept), "n_rows": kept.num_rows,
                              "ts_min": ts_min, "ts_max": ts_max}
    if sample_rate is not None:
        values["sample_rate"] = sample_rate
    conn.execute(sa.update(batches).where(batches.c.model_id == mid, batches.c.id == bid)
                 .values(**values))
    before = (np.arange(len(keep)) if positions is None else positions)[keep]
    moved = before != np.arange(len(before))  # rows before the first dropped one stay put
    _place(conn, mid, list(ids[keep][moved]), bid, list(np.flatnonzero(moved)))
    return dropped


def _sample(n: int, fraction: float, rng: np.random.Generator) -> np.ndarray:
    """A mask keeping about ``fraction`` of ``n`` rows: floor(fraction * n) plus one more with
    the probability of the remainder, so the expected count is exactly fraction * n."""
    k = int(np.floor(fraction * n))
    k += int(rng.random() < fraction * n - k)
    keep = np.zeros(n, dtype=bool)
    keep[rng.choice(n, size=min(k, n), replace=False)] = True
    return keep


class RetentionMixin:
    """Erasure by id and retention by age; mixed into :class:`~driftline.store.Store`.

    Examples
    --------
    >>> from datetime import datetime, timedelta, timezone
    >>> import pandas as pd
    >>> from driftline.store import Store
    >>> store = Store.open("sqlite://")
    >>> _ = store.add_model("credit", "binary")
    >>> t0 = datetime(2026, 1, 1, tzinfo=timezone.utc)
    >>> _ = store.log_predictions("credit", pd.DataFrame({"x": [1.0, 2.0, 3.0]}),
    ...                           predictions=[0, 1, 0], ids=["a", "b", "c"], version=1,
    ...                           timestamps=[t0, t0, t0 + timedelta(days=40)])
    >>> store.delete_ids("credit", ["b"])
    1
    >>> store.apply_retention("credit", days=30, now=t0 + timedelta(days=41)).to_dict()
    {'deleted': 1, 'kept': 1, 'batches_rewritten': 1}
    >>> store.read_window("credit")["id"].tolist()
    ['c']
    """

    engine: Engine
    partitions: Partitions  # provided by Store

    def model_id(self, name: str) -> int:  # provided by Store
        raise NotImplementedError

    def delete_ids(self, model: str, ids: Sequence[str]) -> int:
        """Erase predictions by id: their rows in the batch blobs, their idempotency rows and
        their labels, in one transaction (the right to erasure).

        Each affected batch blob is rewritten without the rows, so the values are gone from
        the database, not only hidden; a batch left empty is deleted. Labels of the ids are
        deleted even when no prediction with that id is stored. An erased id can be logged
        again, and is then a new prediction.

        Parameters
        ----------
        model
            The model's name.
        ids
            Prediction ids; unknown ids are ignored.

        Returns
        -------
        int
            The number of predictions deleted.

        Examples
        --------
        >>> import pandas as pd
        >>> from driftline.store import Store
        >>> store = Store.open("sqlite://")
        >>> _ = store.add_model("m", "regression")
        >>> _ = store.log_predictions("m", pd.DataFrame({"x": [1.0, 2.0]}), predictions=[0.5, 0.7],
        ...                           ids=["keep", "erase"], version=1)
        >>> store.delete_ids("m", ["erase", "never-logged"])
        1
        >>> store.read_window("m")["id"].tolist()
        ['keep']
        """
        import sqlalchemy as sa

        mid = self.model_id(model)
        wanted = list(dict.fromkeys(str(i) for i in ids))
        with self.engine.begin() as conn:
            by_batch: dict[int, set[str]] = {}
            for chunk in _chunks(wanted):
                rows = conn.execute(sa.select(predictions.c.batch_id, predictions.c.id).where(
                    predictions.c.model_id == mid, _is_in(conn, predictions.c.id, chunk)))
                for r in rows:
                    by_batch.setdefault(int(r.batch_id), set()).add(r.id)
            deleted = 0
            for bid in sorted(by_batch):
                table = _read(_blob(conn, mid, bid))
                erase = by_batch[bid]
                keep = np.array([i not in erase for i in table["__id"].to_pylist()], dtype=bool)
                deleted += _rewrite(conn, mid, bid, table, keep)
            for chunk in _chunks(wanted):  # labels of ids whose prediction is not stored
                conn.execute(feedback.delete().where(feedback.c.model_id == mid,
                                                     _is_in(conn, feedback.c.id, chunk)))
        return deleted

    def apply_retention(self, model: str, *, days: int, action: str = "delete",
                        fraction: float = 0.1, seed: int = 0,
                        now: datetime | None = None) -> RetentionResult:
        """Delete, or downsample, the predictions logged more than ``days`` days before ``now``.

        Parameters
        ----------
        model
            The model's name.
        days
            Rows with a timestamp before ``now - days`` are old.
        action
            ``"delete"`` removes old rows with their labels. ``"downsample"`` keeps a seeded
            ``fraction`` of the old rows of batches not downsampled before, and multiplies the
            batch's ``sample_rate`` by ``fraction``; running it again does not shrink them again.
        fraction
            The share of old rows a downsample keeps, in (0, 1).
        seed
            Seeds the downsample's choice of rows (with each batch's id), so a run is repeatable.
        now
            The time the cutoff is counted back from, timezone-aware; the current time if omitted.

        Notes
        -----
        Batches wholly older than the cutoff are deleted without reading their blobs. A batch
        that straddles the cutoff is rewritten without its old rows; when downsampling, its
        sampled old rows stay in the batch (with the lower ``sample_rate``) and its recent rows
        move to a new batch (``sample_rate`` 1), so each batch has a single sampling rate.

        Examples
        --------
        >>> from datetime import datetime, timedelta, timezone
        >>> import pandas as pd
        >>> from driftline.store import Store
        >>> store = Store.open("sqlite://")
        >>> _ = store.add_model("m", "regression")
        >>> t0 = datetime(2026, 1, 1, tzinfo=timezone.utc)
        >>> _ = store.log_predictions("m", pd.DataFrame({"x": range(100)}), predictions=range(100),
        ...                           version=1, timestamps=[t0] * 100)
        >>> later = t0 + timedelta(days=100)
        >>> store.apply_retention("m", days=90, action="downsample", fraction=0.1, now=later)
        RetentionResult(deleted=90, kept=10, batches_rewritten=1, partitions_dropped=0)
        >>> store.apply_retention("m", days=90, action="downsample", fraction=0.1, now=later)
        RetentionResult(deleted=0, kept=10, batches_rewritten=0, partitions_dropped=0)
        """
        cutoff = _cutoff(days, action, fraction, seed, now)
        mid = self.model_id(model)
        dropped: list[Partition] = []
        try:
            with self.engine.begin() as conn:
                if action == "delete":
                    deleted, rewritten, dropped = _delete_old(conn, mid, cutoff)
                else:
                    deleted, rewritten = _downsample_old(conn, mid, cutoff, fraction, seed)
                kept = _count(conn, mid)
        finally:
            if dropped:
                self.partitions.forget(mid)
        return RetentionResult(deleted=deleted, kept=kept, batches_rewritten=rewritten,
                               partitions_dropped=len(dropped))


def _cutoff(days: int, action: str, fraction: float, seed: int,
            now: datetime | None) -> datetime:
    if isinstance(days, bool) or not isinstance(days, int | np.integer) or days < 1:
        raise ParameterError.invalid("days", days, "a whole number of days >= 1")
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ParameterError.invalid("seed", seed, "a whole number >= 0")
    if action not in RETENTION_ACTIONS:
        raise ParameterError.choice("action", action, RETENTION_ACTIONS)
    if action == "downsample" and not 0.0 < fraction < 1.0:
        raise ParameterError.invalid("fraction", fraction, "a float in (0, 1)",
                                     "It is the share of old rows a downsample keeps.")
    if now is None:
        now = _now()
    elif now.tzinfo is None:
        raise ParameterError.invalid("now", now, "a timezone-aware datetime",
                                     "Pass e.g. datetime.now(timezone.utc).")
    return now.astimezone(timezone.utc) - timedelta(days=int(days))


def _count(conn: Connection, mid: int) -> int:
    import sqlalchemy as sa

    total = conn.execute(sa.select(sa.func.sum(batches.c.n_rows)).where(
        batches.c.model_id == mid)).scalar()
    return int(total or 0)


def _old_batches(conn: Connection, mid: int, cutoff: datetime, *where: Any) -> list[Any]:
    import sqlalchemy as sa

    return conn.execute(sa.select(batches.c.id, batches.c.ts_max, batches.c.version,
                                  batches.c.source, batches.c.sample_rate, batches.c.ts_bound)
                        .where(batches.c.model_id == mid, batches.c.ts_min < cutoff, *where)
                        .order_by(batches.c.id).with_for_update()).all()


def _delete_old(conn: Connection, mid: int,
                cutoff: datetime) -> tuple[int, int, list[Partition]]:
    """Empty the partitions wholly older than the cutoff (PostgreSQL), delete the other whole
    old batches by id (their blobs unread), rewrite the straddling ones, and drop the emptied
    partitions last, so that the parent table's exclusive lock is held only until the commit."""
    import sqlalchemy as sa

    deleted, old_parts = _empty_old_partitions(conn, mid, cutoff)
    newer = [batches.c.ts_bound >= max(p.hi for p in old_parts)] if old_parts else []
    found = _old_batches(conn, mid, cutoff, *newer)
    whole = [int(r.id) for r in found if _aware(r.ts_max) < cutoff]
    for chunk in _chunks(whole):
        in_chunk = sa.select(predictions.c.id).where(predictions.c.model_id == mid,
                                                     predictions.c.batch_id.in_(chunk))
        conn.execute(feedback.delete().where(feedback.c.model_id == mid,
                                             feedback.c.id.in_(in_chunk)))
        deleted += conn.execute(predictions.delete().where(
            predictions.c.model_id == mid, predictions.c.batch_id.in_(chunk))).rowcount
        conn.execute(batches.delete().where(batches.c.model_id == mid, batches.c.id.in_(chunk)))
    straddling = [int(r.id) for r in found if _aware(r.ts_max) >= cutoff]
    for bid in straddling:
        table = _read(_blob(conn, mid, bid))
        deleted += _rewrite(conn, mid, bid, table, ~_older(table, cutoff))
    return deleted, len(straddling), _drop_partitions(conn, old_parts)


#: How long dropping a partition waits for the parent table's lock (readers and writers of the
#: log hold it briefly); past it the partition's rows are deleted instead, and the empty
#: partition is dropped by a later run.
DROP_LOCK_TIMEOUT = "5s"


def _empty_old_partitions(conn: Connection, mid: int,
                          cutoff: datetime) -> tuple[int, list[Partition]]:
    """PostgreSQL: lock the model's partitions that end at or before ``cutoff`` against writes
    and delete the predictions and labels of their batches; return the predictions deleted and
    the partitions, to drop with :func:`_drop_partitions`. Elsewhere: ``(0, [])``."""
    import sqlalchemy as sa

    if not is_partitioned(conn):
        return 0, []
    _lock_partitions(conn, mid)  # one retention run of the model at a time
    old = [p for p in list_partitions(conn, mid) if p.hi <= cutoff]
    deleted = 0
    for p in old:
        # EXCLUSIVE: reads go on, but no batch enters or leaves the partition until the commit,
        # so the predictions deleted here are exactly those of the batches dropped with it
        conn.execute(sa.text(f'LOCK TABLE "{p.name}" IN EXCLUSIVE MODE'))
        in_part = sa.text(f'SELECT id FROM "{p.name}"').columns(sa.column("id"))
        ids = sa.select(predictions.c.id).where(predictions.c.model_id == mid,
                                                predictions.c.batch_id.in_(in_part))
        conn.execute(feedback.delete().where(feedback.c.model_id == mid, feedback.c.id.in_(ids)))
        deleted += conn.execute(predictions.delete().where(
            predictions.c.model_id == mid, predictions.c.batch_id.in_(in_part))).rowcount
    return deleted, old


def _drop_partitions(conn: Connection, parts: list[Partition]) -> list[Partition]:
    """Drop the emptied partitions; return those dropped. One whose lock is not granted within
    :data:`DROP_LOCK_TIMEOUT` has its rows deleted instead, and is dropped by a later run."""
    import sqlalchemy as sa

    dropped = []
    for p in parts:
        try:
            with conn.begin_nested():
                conn.execute(sa.text(f"SET LOCAL lock_timeout = '{DROP_LOCK_TIMEOUT}'"))
                conn.execute(sa.text(f'DROP TABLE "{p.name}"'))
            dropped.append(p)
        except sa.exc.OperationalError:  # lock_not_available: the rows go, the table stays
            conn.execute(sa.text(f'DELETE FROM "{p.name}"'))
    if parts:
        conn.execute(sa.text("SET LOCAL lock_timeout TO DEFAULT"))
    return dropped


def _downsample_old(conn: Connection, mid: int, cutoff: datetime, fraction: float,
                    seed: int) -> tuple[int, int]:
    """Keep a seeded ``fraction`` of the old rows of batches still at full rate."""
    found = _old_batches(conn, mid, cutoff, batches.c.sample_rate >= 1.0)
    deleted = 0
    for r in found:
        bid = int(r.id)
        table = _read(_blob(conn, mid, bid))
        old = _older(table, cutoff)
        rng = np.random.default_rng([int(seed), bid])
        keep = np.zeros(len(old), dtype=bool)
        keep[old] = _sample(int(old.sum()), fraction, rng)
        if not old.all():  # the recent rows move to a batch of their own, at full rate
            _split_off(conn, mid, r, table.filter(~old))
        deleted += _rewrite(conn, mid, bid, table.filter(old), keep[old],
                            positions=np.flatnonzero(old),
                            sample_rate=float(r.sample_rate) * fraction)
    return deleted, len(found)


def _split_off(conn: Connection, mid: int, source_row: Any, recent: pa.Table) -> None:
    ts_min, ts_max = _ts_range(recent)
    res = conn.execute(batches.insert().values(  # the source's ts_bound: its partition exists
        model_id=mid, version=source_row.version, ts_min=ts_min, ts_max=ts_max,
        n_rows=recent.num_rows, source=source_row.source, data=_write(recent),
        sample_rate=float(source_row.sample_rate), ts_bound=source_row.ts_bound))
    new_id = int(res.inserted_primary_key[0])
    _place(conn, mid, recent["__id"].to_pylist(), new_id, range(recent.num_rows))


def _blob(conn: Connection, mid: int, bid: int) -> bytes:
    import sqlalchemy as sa

    return bytes(conn.execute(sa.select(batches.c.data)
                              .where(batches.c.model_id == mid, batches.c.id == bid)
                              .with_for_update()).scalar_one())


def _older(table: pa.Table, cutoff: datetime) -> np.ndarray:
    import pyarrow as pa
    import pyarrow.compute as pc

    column = table["__ts"]
    return pc.less(column, pa.scalar(cutoff, type=column.type)).to_numpy(zero_copy_only=False)


def _aware(ts: datetime) -> datetime:
    # SQLite gives back naive datetimes; the store writes UTC
    return ts.replace(tzinfo=timezone.utc) if ts.tzinfo is None else ts
