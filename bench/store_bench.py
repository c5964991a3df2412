"""Store throughput: log 1M rows x 25 features in batches, then read them back as columns;
and served traffic: one-row commits as the durable server makes them, compacted, read back.

Run: .venv/bin/python bench/store_bench.py [--rows 1000000] [--batch 10000] [--served 50000]
Measures SQLite (a file, WAL) and PostgreSQL on 127.0.0.1:5432 (a fresh database).
"""

from __future__ import annotations

import argparse
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone

import numpy as np
import sqlalchemy as sa

from driftline.datasets import make_drift_frames
from driftline.store import Store


def run(url: str, rows: int, batch: int) -> tuple[float, float]:
    store = Store.open(url)
    store.add_model("bench", "binary")
    frame, _ = make_drift_frames(rows, 1, seed=0)
    t0 = datetime(2026, 1, 1, tzinfo=timezone.utc)
    start = time.perf_counter()
    for lo in range(0, rows, batch):
        part = frame.iloc[lo:lo + batch]
        times = [t0 + timedelta(seconds=lo + k) for k in range(len(part))]
        store.log_predictions("bench", part, predictions=np.zeros(len(part), dtype=int),
                              version=1, ids=[f"{lo + k}" for k in range(len(part))],
                              timestamps=times)
    write = time.perf_counter() - start
    start = time.perf_counter()
    window = store.read_window("bench")
    read = time.perf_counter() - start
    assert len(window) == rows
    store.close()
    return write, read


def served(url: str, rows: int) -> tuple[float, float, float]:
    """One-row commits (the durable server's worst case), then compaction, then a read."""
    from driftline.store import PendingBatch

    store = Store.open(url)
    mid = store.add_model("served", "binary")
    frame, _ = make_drift_frames(rows, 1, seed=1)
    cols = {c: frame[c].to_numpy() for c in frame.columns}
    now = datetime(2026, 1, 1, tzinfo=timezone.utc)
    start = time.perf_counter()
    for k in range(rows):
        payload = {c: v[k:k + 1] for c, v in cols.items()}
        payload["prediction"] = np.zeros(1, dtype=int)
        store.append_batches([PendingBatch(mid, 1, payload, [f"s{k}"],
                                           [now + timedelta(milliseconds=k)], [""], [1.0],
                                           "served")])
    write = time.perf_counter() - start
    start = time.perf_counter()
    while store.compact("served", small=1_000, max_rows=50_000).batches_merged:
        pass
    compact = time.perf_counter() - start
    start = time.perf_counter()
    assert len(store.read_window("served")) == rows
    read = time.perf_counter() - start
    store.close()
    return write, compact, read


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--batch", type=int, default=10_000)
    ap.add_argument("--served", type=int, default=50_000, help="one-row commits (0: skip)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        w, r = run(f"sqlite:///{d}/bench.db", args.rows, args.batch)
        print(f"sqlite      rows={args.rows} batch={args.batch} write {w:.1f} s "
              f"({args.rows / w:,.0f} rows/s) read {r:.2f} s")
        if args.served:
            w, c, r = served(f"sqlite:///{d}/served.db", args.served)
            print(f"sqlite      served one-row commits={args.served}: {w / args.served * 1e3:.3f} "
                  f"ms/commit, compaction {c:.1f} s, read {r:.2f} s")
    name = f"dl_bench_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine("postgresql+psycopg://127.0.0.1:5432/test", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        url = f"postgresql+psycopg://127.0.0.1:5432/{name}"
        w, r = run(url, args.rows, args.batch)
        print(f"postgresql  rows={args.rows} batch={args.batch} write {w:.1f} s "
              f"({args.rows / w:,.0f} rows/s) read {r:.2f} s")
        if args.served:
            w, c, r = served(url, args.served)
            print(f"postgresql  served one-row commits={args.served}: {w / args.served * 1e3:.3f} "
                  f"ms/commit, compaction {c:.1f} s, read {r:.2f} s")
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


if __name__ == "__main__":
    main()
