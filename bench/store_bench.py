"""Store throughput: log 1M rows x 25 features in batches, then read them back as columns.

Run: .venv/bin/python bench/store_bench.py [--rows 1000000] [--batch 10000]
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
    store.engine.dispose()
    return write, read


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--batch", type=int, default=10_000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        w, r = run(f"sqlite:///{d}/bench.db", args.rows, args.batch)
        print(f"sqlite      rows={args.rows} batch={args.batch} write {w:.1f} s read {r:.2f} s")
    name = f"dl_bench_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine("postgresql+psycopg://127.0.0.1:5432/test", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        w, r = run(f"postgresql+psycopg://127.0.0.1:5432/{name}", args.rows, args.batch)
        print(f"postgresql  rows={args.rows} batch={args.batch} write {w:.1f} s read {r:.2f} s")
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


if __name__ == "__main__":
    main()
