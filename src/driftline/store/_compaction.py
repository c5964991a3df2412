"""Compaction: merging the small batches that served traffic writes into large ones.

A durable server commits each request's rows as soon as it can, so its batches are small (often
one row). Small batches are cheap to write but slow to read back, since every batch is its own
Arrow stream. Compaction merges the small batches of a model into batches of up to
``max_rows`` rows, in one transaction: the merged blob is written, each prediction's
``(batch_id, row_index)`` is repointed, and the small batches are deleted. Windows, replays,
retention and erasure see the same rows before and after.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from driftline.errors import ParameterError
from driftline.store._partitions import list_partitions
from driftline.store._tables import batches, predictions

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from driftline.store._partitions import Partitions

__all__ = ["CompactionMixin", "CompactionResult"]


@dataclass(frozen=True)
class CompactionResult:
    """What :meth:`CompactionMixin.compact` did.

    Examples
    --------
    >>> CompactionResult(40, 1, 120).to_dict()
    {'batches_merged': 40, 'batches_written': 1, 'rows': 120}
    """

    batches_merged: int
    batches_written: int
    rows: int

    def to_dict(self) -> dict[str, int]:
        """A JSON-ready dict."""
        return {"batches_merged": self.batches_merged, "batches_written": self.batches_written,
                "rows": self.rows}


class CompactionMixin:
    """Merge small batches; mixed into :class:`~driftline.store.Store`.

    Examples
    --------
    >>> import pandas as pd
    >>> from driftline.store import Store
    >>> store = Store.open("sqlite://")
    >>> _ = store.add_model("m", "regression")
    >>> for k in range(5):
    ...     _ = store.log_predictions("m", pd.DataFrame({"x": [float(k)]}), predictions=[k],
    ...                               ids=[f"r{k}"], version=1)
    >>> store.compact("m").to_dict()
    {'batches_merged': 5, 'batches_written': 1, 'rows': 5}
    >>> store.read_window("m")["x"].tolist()
    [0.0, 1.0, 2.0, 3.0, 4.0]
    """

    engine: Engine
    partitions: Partitions  # provided by Store

    def model_id(self, name: str) -> int:  # provided by Store
        raise NotImplementedError

    def compact(self, model: str, *, small: int = 1_000, max_rows: int = 50_000,
                min_batches: int = 2) -> CompactionResult:
        """Merge the model's batches of fewer than ``small`` rows (same version and source,
        in logging order) into batches of at most ``max_rows`` rows."""
        import sqlalchemy as sa

        if small < 1:
            raise ParameterError.invalid("small", small, "a positive number of rows")
        if max_rows < 1:
            raise ParameterError.invalid("max_rows", max_rows, "a positive number of rows")
        mid = self.model_id(model)
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(batches.c.id, batches.c.version, batches.c.source, batches.c.n_rows,
                          batches.c.sample_rate, batches.c.ts_bound)
                .where(batches.c.model_id == mid, batches.c.n_rows < small)
                .order_by(batches.c.id)).all()
            # PostgreSQL: merge within a partition only, so that retention can still drop
            # every partition whole once it is old
            parts = list_partitions(conn, mid) if self.partitions.enabled else []
        groups: dict[tuple[Any, ...], list[Any]] = {}
        for r in rows:
            part = next((p.lo for p in parts if p.covers(r.ts_bound)), None)
            groups.setdefault((r.version, r.source, float(r.sample_rate), part), []).append(r)
        merged = written = total = 0
        for (version, source, rate, _), members in groups.items():
            chunk: list[Any] = []
            size = 0
            for r in [*members, None]:
                if r is None or size + r.n_rows > max_rows:
                    if len(chunk) >= min_batches:
                        self._merge(mid, version, source, rate, [c.id for c in chunk])
                        merged += len(chunk)
                        written += 1
                        total += size
                    chunk, size = [], 0
                if r is not None:
                    chunk.append(r)
                    size += r.n_rows
        return CompactionResult(merged, written, total)

    def _merge(self, mid: int, version: int, source: str, rate: float, ids: list[int]) -> None:
        import pyarrow as pa
        import sqlalchemy as sa

        from driftline.store._codec import decode_tables as _decode_tables
        from driftline.store._codec import encode_table as _encode_table

        # Read and re-encode outside the write transaction (WAL readers do not block the
        # writer), so the database is locked only for the insert, the repointing and the
        # delete: the serving log's commits wait milliseconds, not the whole merge.
        mine = [batches.c.model_id == mid, batches.c.id.in_(ids)]  # prunes other models' partitions
        with self.engine.connect() as conn:
            found = conn.execute(sa.select(batches.c.id, batches.c.data, batches.c.ts_min,
                                           batches.c.ts_max, batches.c.n_rows,
                                           batches.c.sample_rate, batches.c.ts_bound)
                                 .where(*mine).order_by(batches.c.id)).all()
        if len(found) != len(ids):  # changed under us (retention, erasure): next time
            return
        seen = {(f.id, f.n_rows, float(f.sample_rate)) for f in found}
        table = pa.concat_tables(_decode_tables([f.data for f in found]),
                                 promote_options="permissive")
        blob = _encode_table(table)
        pred_ids = table.column("__id").to_pylist()
        with self.engine.begin() as conn:
            now = conn.execute(sa.select(batches.c.id, batches.c.n_rows, batches.c.sample_rate)
                               .where(*mine)).all()
            if {(r.id, r.n_rows, float(r.sample_rate)) for r in now} != seen:
                return  # erased or downsampled since we read: merge next time, from fresh rows
            # the members' largest ts_bound: an upper bound of every merged row, and the key of
            # a partition that exists (the member's, locked by this transaction's reads)
            res = conn.execute(batches.insert().values(
                model_id=mid, version=version, ts_min=min(f.ts_min for f in found),
                ts_max=max(f.ts_max for f in found), n_rows=table.num_rows, source=source,
                data=blob, sample_rate=rate, ts_bound=max(f.ts_bound for f in found)))
            new_id = int(res.inserted_primary_key[0])
            conn.execute(
                predictions.update().where(predictions.c.model_id == sa.bindparam("m"),
                                           predictions.c.id == sa.bindparam("pid"))
                .values(batch_id=new_id, row_index=sa.bindparam("k")),
                [{"m": mid, "pid": pid, "k": k} for k, pid in enumerate(pred_ids)])
            conn.execute(batches.delete().where(*mine))
