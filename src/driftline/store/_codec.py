"""How the store keeps a batch's columns: an Arrow IPC stream, or, for the small groups a
durable server commits, compact JSON rows behind a marker (compaction turns them into Arrow).
Reading merges runs of JSON rows into one table and concatenates permissively (a column
logged through pandas may be a large string, a served one a string)."""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

import numpy as np

from driftline.errors import require

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["SMALL_BATCH_ROWS", "decode", "decode_tables", "encode", "encode_rows", "encode_table",
           "utc_times"]


def encode(frame: pd.DataFrame | dict[str, Any]) -> bytes:
    """One Arrow IPC stream: from a DataFrame, or straight from a dict of arrays (the
    serving log's batches, which skip pandas)."""
    pa = require("pyarrow", extra="serve", feature="The prediction store")
    if isinstance(frame, dict):
        table = pa.table({k: _arrow_array(pa, v) for k, v in frame.items()})
    else:
        table = pa.Table.from_pandas(frame, preserve_index=False)
    return encode_table(table)


def _arrow_array(pa: Any, values: Any) -> Any:
    if isinstance(values, np.ndarray) and values.dtype.kind == "O":
        return pa.array(values.tolist(), from_pandas=True)
    if isinstance(values, np.ndarray):
        return pa.array(values, from_pandas=True)
    return values if isinstance(values, (pa.Array, pa.ChunkedArray)) else pa.array(values)


# Small batches (a served request's rows, before compaction) are stored as JSON behind this
# marker: ten times cheaper to write than an Arrow stream, and compaction turns them into Arrow.
_ROWS_MAGIC = b"DLJ1"
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_MICRO = timedelta(microseconds=1)
SMALL_BATCH_ROWS = 64


def decode_tables(blobs: Sequence[bytes]) -> list[Any]:
    """One Arrow table per run of blobs, in order: Arrow blobs as they are, and each run of
    consecutive JSON row blobs with the same columns merged into one table (building one
    table from many small documents is far cheaper than one table each)."""
    import orjson

    pa = require("pyarrow", extra="serve", feature="The prediction store")
    out: list[Any] = []
    run: list[dict[str, Any]] = []
    names: tuple[str, ...] = ()
    for b in blobs:
        if b[:4] == _ROWS_MAGIC:
            doc = orjson.loads(b[4:])
            these = tuple(doc["columns"])
            if run and these != names:
                out.append(_json_table(pa, run))
                run = []
            run.append(doc)
            names = these
            continue
        if run:
            out.append(_json_table(pa, run))
            run = []
        out.append(pa.ipc.open_stream(io.BytesIO(b)).read_all())
    if run:
        out.append(_json_table(pa, run))
    return out


def _json_table(pa: Any, docs: list[dict[str, Any]]) -> Any:
    names = list(docs[0]["columns"])
    cols = {k: pa.array([v for d in docs for v in d["columns"][k]]) for k in names}
    cols["__id"] = pa.array([i for d in docs for i in d["ids"]], type=pa.string())
    cols["__ts"] = pa.array([t for d in docs for t in d["ts"]], type=pa.timestamp("us", tz="UTC"))
    return pa.table(cols)


def encode_rows(payload: dict[str, Any], ids: list[str], times: list[datetime]) -> bytes:
    import orjson

    columns = {k: (v.tolist() if isinstance(v, np.ndarray) else list(v))
               for k, v in payload.items()}
    micros = [(t - _EPOCH) // _MICRO for t in times]
    return _ROWS_MAGIC + orjson.dumps({"columns": columns, "ids": ids, "ts": micros})


def decode(blobs: Sequence[bytes]) -> pd.DataFrame:
    pa = require("pyarrow", extra="serve", feature="The prediction store")
    return pa.concat_tables(decode_tables(blobs), promote_options="permissive").to_pandas()


def encode_table(table: Any) -> bytes:
    pa = require("pyarrow", extra="serve", feature="The prediction store")
    sink = io.BytesIO()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue()


def utc_times(times: list[datetime]) -> Any:
    import pyarrow as pa

    return pa.array(times, type=pa.timestamp("us", tz="UTC"))


