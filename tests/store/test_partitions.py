"""The prediction log partitioned by model and time on PostgreSQL: the table is partitioned,
logging across days creates the partitions it needs, retention drops whole partitions and keeps
everything newer, and a database written before the partitioning is migrated with its rows.
SQLite keeps one plain table, and migrates too."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

import driftline.store
from driftline.errors import ParameterError
from driftline.store import Store
from driftline.store import _retention as retention_module
from driftline.store._partitions import Partition, list_partitions, partition_bounds
from driftline.store._tables import batches, feedback, predictions
from tests.conftest import _pg_database

T0 = datetime(2026, 3, 2, 12, tzinfo=timezone.utc)  # a Monday, noon


@pytest.fixture
def pg_url():
    admin, name = _pg_database()
    yield f"postgresql+psycopg://127.0.0.1:5432/{name}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def log(store, ids, times, model="m"):
    frame = pd.DataFrame({"x": np.arange(len(ids), dtype=float)})
    return store.log_predictions(model, frame, predictions=np.zeros(len(ids)), version=1,
                                 ids=ids, timestamps=times)


def partitions(store, model="m"):
    with store.engine.connect() as conn:
        mid = store.model_id(model)
        return [(p.lo.date().isoformat(), p.hi.date().isoformat())
                for p in list_partitions(conn, mid)]


def tables(store):
    with store.engine.connect() as conn:
        return set(sa.inspect(conn).get_table_names())


def assert_consistent(store):
    """Every dl_predictions row points at a stored batch row, and every batch row has one."""
    with store.engine.connect() as conn:
        pointed = {(r.batch_id, r.row_index) for r in conn.execute(sa.select(predictions))}
        rows = {(r.id, k) for r in conn.execute(sa.select(batches.c.id, batches.c.n_rows))
                for k in range(r.n_rows)}
    assert pointed == rows


def test_the_log_is_partitioned_by_model_and_time(pg_url):
    store = Store.open(pg_url)
    with store.engine.connect() as conn:
        strategy, columns = conn.execute(sa.text(
            "SELECT p.partstrat, array_agg(a.attname ORDER BY k.ord) FROM pg_partitioned_table p "
            "CROSS JOIN LATERAL unnest(p.partattrs) WITH ORDINALITY AS k(attnum, ord) "
            "JOIN pg_attribute a ON a.attrelid = p.partrelid AND a.attnum = k.attnum "
            "WHERE p.partrelid = 'dl_batches'::regclass GROUP BY p.partstrat")).one()
        pkey = conn.execute(sa.text(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = 'dl_batches'::regclass AND contype = 'p'")).scalar_one()
        batch_fks = conn.execute(sa.text(
            "SELECT count(*) FROM pg_constraint WHERE contype = 'f' "
            "AND confrelid = 'dl_batches'::regclass")).scalar_one()
    assert strategy == "r" and list(columns) == ["model_id", "ts_bound"]
    assert pkey == "PRIMARY KEY (id, model_id, ts_bound)"
    assert batch_fks == 0  # nothing references dl_batches(id) any more
    assert store.partitions.enabled


def test_logging_across_days_creates_a_partition_per_model_and_day(pg_url):
    store = Store.open(pg_url)
    store.add_model("m", "binary")
    store.add_model("other", "binary")
    log(store, ["a", "b"], [T0, T0 + timedelta(hours=1)])
    log(store, ["c"], [T0 + timedelta(days=1)])
    log(store, ["d", "e"], [T0 - timedelta(days=3), T0 + timedelta(days=2, hours=11)])
    log(store, ["z"], [T0], model="other")
    assert partitions(store) == [("2026-03-02", "2026-03-03"), ("2026-03-03", "2026-03-04"),
                                 ("2026-03-04", "2026-03-05")]  # a batch goes by its latest row
    assert partitions(store, "other") == [("2026-03-02", "2026-03-03")]
    with store.engine.connect() as conn:
        parents = conn.execute(sa.text(
            "SELECT DISTINCT i.inhparent::regclass::text FROM pg_inherits i "
            "JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE c.relkind = 'r' AND c.relname LIKE 'dl_batches_m%'")).scalars().all()
        counts = dict(conn.execute(sa.text(
            "SELECT tableoid::regclass::text, count(*) FROM dl_batches GROUP BY 1")).all())
    assert parents == ["dl_batches"]
    mid = store.model_id("m")
    assert counts[f"dl_batches_m{mid}_20260302_20260303"] == 1
    assert sorted(store.read_window("m")["id"]) == ["a", "b", "c", "d", "e"]
    window = store.read_window("m", T0 + timedelta(days=1), T0 + timedelta(days=2))
    assert window["id"].tolist() == ["c"]
    # a second store (another process) finds the partitions instead of creating them again
    again = Store.open(pg_url)
    log(again, ["f"], [T0 + timedelta(days=1, hours=3)])
    assert len(partitions(again)) == 3


def test_weekly_partitions_and_a_changed_interval_never_overlap(pg_url):
    weekly = Store.open(pg_url, partition_interval="week")
    weekly.add_model("m", "binary")
    log(weekly, ["a"], [T0 + timedelta(days=2)])  # Wednesday: the week from Monday
    assert partitions(weekly) == [("2026-03-02", "2026-03-09")]
    daily = Store.open(pg_url, partition_interval="day")
    log(daily, ["b"], [T0 + timedelta(days=7)])  # the next Monday: a day
    log(daily, ["c"], [T0 + timedelta(days=5)])  # covered by the week already
    weekly.partitions.forget()
    log(weekly, ["d"], [T0 + timedelta(days=9)])  # a week, shortened to start after Monday
    assert partitions(weekly) == [("2026-03-02", "2026-03-09"), ("2026-03-09", "2026-03-10"),
                                  ("2026-03-10", "2026-03-16")]
    assert sorted(weekly.read_window("m")["id"]) == ["a", "b", "c", "d"]
    with pytest.raises(ParameterError, match="partition_interval must be one of 'day', 'week'"):
        Store.open(pg_url, partition_interval="month")


def test_partition_bounds():
    wed = datetime(2026, 3, 4, 23, 59, tzinfo=timezone.utc)
    assert partition_bounds(wed, "day") == (datetime(2026, 3, 4, tzinfo=timezone.utc),
                                            datetime(2026, 3, 5, tzinfo=timezone.utc))
    sunday = datetime(2026, 3, 8, 1, tzinfo=timezone(timedelta(hours=3)))  # Saturday in UTC
    assert partition_bounds(sunday, "week")[0] == datetime(2026, 3, 2, tzinfo=timezone.utc)
    later = Partition.from_name("dl_batches_m1_20260306_20260307")
    assert partition_bounds(wed, "week", [later]) == (datetime(2026, 3, 2, tzinfo=timezone.utc),
                                                      datetime(2026, 3, 6, tzinfo=timezone.utc))
    with pytest.raises(ParameterError, match="already covers"):
        partition_bounds(datetime(2026, 3, 6, 5, tzinfo=timezone.utc), "day", [later])
    assert Partition.from_name("dl_batches_m1_20260306_20260307").name == \
        "dl_batches_m1_20260306_20260307"


def test_retention_drops_whole_partitions_and_keeps_everything_newer(pg_url):
    store = Store.open(pg_url)
    store.add_model("m", "binary")
    store.add_model("other", "binary")
    days = [T0 + timedelta(days=d) for d in range(6)]
    for d, t in enumerate(days):
        log(store, [f"d{d}-{k}" for k in range(20)], [t + timedelta(minutes=k) for k in range(20)])
        log(store, [f"o{d}"], [t], model="other")
    # a batch from day 1 to day 4: in day 4's partition, straddling the cutoff below
    log(store, ["s-old", "s-new"], [days[1], days[4]])
    store.add_feedback("m", ["d0-1", "d1-2", "d3-0", "s-old", "s-new"], [1, 0, 1, 1, 0])
    mid = store.model_id("m")
    names = {f"dl_batches_m{mid}_{t:%Y%m%d}_{t + timedelta(days=1):%Y%m%d}" for t in days}
    assert names <= tables(store)

    now = days[3] - timedelta(hours=12) + timedelta(days=30)  # cutoff: day 3, 00:00
    res = store.apply_retention("m", days=30, now=now)

    assert res.partitions_dropped == 3 and res.to_dict()["partitions_dropped"] == 3
    assert res.deleted == 60 + 1 and res.batches_rewritten == 1
    gone = {n for n in names if n.split("_")[3] < "20260305"}
    assert len(gone) == 3 and not gone & tables(store)  # the partition tables are gone
    assert partitions(store) == [("2026-03-05", "2026-03-06"), ("2026-03-06", "2026-03-07"),
                                 ("2026-03-07", "2026-03-08")]
    window = store.read_window("m")
    assert len(window) == res.kept == 60 + 1
    assert not any(i.startswith(("d0-", "d1-", "d2-")) for i in window["id"])
    assert "s-new" in set(window["id"]) and "s-old" not in set(window["id"])
    with store.engine.connect() as conn:
        labels = set(conn.execute(sa.select(feedback.c.id).where(
            feedback.c.model_id == mid)).scalars())
        ids = set(conn.execute(sa.select(predictions.c.id).where(
            predictions.c.model_id == mid)).scalars())
    assert labels == {"d3-0", "s-new"} and ids == set(window["id"])
    assert_consistent(store)
    # the other model's partitions and rows are untouched
    assert len(partitions(store, "other")) == 6 and len(store.read_window("other")) == 6
    # erased ids can be logged again, old or new: a dropped partition is created again
    assert log(store, ["d0-1"], [days[0]]).n_written == 1
    assert ("2026-03-02", "2026-03-03") in partitions(store)
    assert store.apply_retention("m", days=30, now=now).partitions_dropped == 1
    assert store.apply_retention("m", days=30, now=now).to_dict() == {
        "deleted": 0, "kept": 61, "batches_rewritten": 0}


def test_a_process_with_a_stale_view_recreates_a_dropped_partition(pg_url):
    writer = Store.open(pg_url)
    writer.add_model("m", "binary")
    log(writer, ["a"], [T0])  # the writer has seen the day's partition
    other = Store.open(pg_url)
    assert other.apply_retention("m", days=1, now=T0 + timedelta(days=3)).partitions_dropped == 1
    log(writer, ["b"], [T0 + timedelta(hours=2)])  # its cached partition is gone: made again
    assert writer.read_window("m")["id"].tolist() == ["b"]
    assert len(partitions(writer)) == 1


def test_a_busy_partition_is_emptied_now_and_dropped_by_a_later_run(pg_url, monkeypatch):
    store = Store.open(pg_url)
    store.add_model("m", "binary")
    log(store, ["a", "b"], [T0, T0])
    log(store, ["c"], [T0 + timedelta(days=5)])
    monkeypatch.setattr(retention_module, "DROP_LOCK_TIMEOUT", "200ms")
    reader = store.engine.connect()
    reader.execute(sa.text("SELECT count(*) FROM dl_batches"))  # holds a lock until it ends
    try:
        res = store.apply_retention("m", days=1, now=T0 + timedelta(days=2))
    finally:
        reader.rollback()
        reader.close()
    assert res.deleted == 2 and res.partitions_dropped == 0
    assert len(partitions(store)) == 2 and store.read_window("m")["id"].tolist() == ["c"]
    assert_consistent(store)
    again = store.apply_retention("m", days=1, now=T0 + timedelta(days=2))
    assert again.partitions_dropped == 1 and again.deleted == 0
    assert partitions(store) == [("2026-03-07", "2026-03-08")]


def test_compaction_merges_within_a_partition(pg_url):
    store = Store.open(pg_url)
    store.add_model("m", "binary")
    for k in range(6):
        log(store, [f"r{k}"], [T0 + timedelta(hours=12 * k - 12)])  # 3 days, 2 batches a day
    res = store.compact("m")
    assert res.batches_merged == 6 and res.batches_written == 3
    with store.engine.connect() as conn:
        per_partition = dict(conn.execute(sa.text(
            "SELECT tableoid::regclass::text, count(*) FROM dl_batches GROUP BY 1")).all())
    assert sorted(per_partition.values()) == [1, 1, 1]
    assert sorted(store.read_window("m")["id"]) == [f"r{k}" for k in range(6)]
    assert_consistent(store)


def test_concurrent_writers_create_each_partition_once(pg_url):
    Store.open(pg_url).add_model("m", "binary")
    stores = [Store.open(pg_url) for _ in range(4)]  # four processes' views; opened in turn
    errors = []

    def write(k):
        try:
            for d in range(4):
                log(stores[k], [f"w{k}-{d}"], [T0 + timedelta(days=d)])
            stores[k].close()
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    store = Store.open(pg_url)
    assert len(partitions(store)) == 4 and len(store.read_window("m")) == 16


def _at_0007(url):
    """A store at migration 0007 (before the partitioning) holding two batches of model 'm'."""
    from alembic import command
    from alembic.config import Config

    from driftline.store._codec import encode
    from driftline.store._store import _sqlite_pragmas

    engine = sa.create_engine(url)
    if url.startswith("sqlite"):
        sa.event.listen(engine, "connect", _sqlite_pragmas)
    cfg = Config()
    cfg.set_main_option("script_location", str(Path(driftline.store.__file__).parent / "migrations"))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0007")
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO dl_models (name, task, created_at) "
                             "VALUES ('m', 'binary', :t)"), {"t": T0})
        for bid, (ids, times) in enumerate([(["a", "b"], [T0, T0 + timedelta(hours=1)]),
                                            (["c"], [T0 + timedelta(days=2)])], start=1):
            blob = encode(pd.DataFrame({"x": [1.0] * len(ids), "prediction": [0] * len(ids),
                                        "__id": ids, "__ts": times}))
            conn.execute(sa.text(
                "INSERT INTO dl_batches (id, model_id, version, ts_min, ts_max, n_rows, source, "
                "data) VALUES (:id, 1, 1, :lo, :hi, :n, 'served', :data)"),
                {"id": bid, "lo": min(times), "hi": max(times), "n": len(ids), "data": blob})
            for k, (i, t) in enumerate(zip(ids, times, strict=True)):
                conn.execute(sa.text(
                    "INSERT INTO dl_predictions (model_id, id, batch_id, row_index, ts, "
                    "payload_hash) VALUES (1, :i, :b, :k, :t, 'h')"),
                    {"i": i, "b": bid, "k": k, "t": t})
        if url.startswith("postgresql"):  # as a serial column would have it
            conn.execute(sa.text("SELECT setval(pg_get_serial_sequence('dl_batches', 'id'), 2)"))
    engine.dispose()


def test_a_store_written_before_the_partitioning_is_migrated_with_its_rows(store_url):
    _at_0007(store_url)
    store = Store.open(store_url)
    assert sorted(store.read_window("m")["id"]) == ["a", "b", "c"]
    with store.engine.connect() as conn:
        bounds = conn.execute(sa.select(batches.c.id, batches.c.ts_max, batches.c.ts_bound)
                              .order_by(batches.c.id)).all()
    assert [r.id for r in bounds] == [1, 2] and all(r.ts_max == r.ts_bound for r in bounds)
    log(store, ["d"], [T0 + timedelta(days=2, hours=1)])
    with store.engine.connect() as conn:
        assert max(conn.execute(sa.select(batches.c.id)).scalars()) == 3  # the same sequence
    if store_url.startswith("postgresql"):
        assert partitions(store) == [("2026-03-02", "2026-03-03"), ("2026-03-04", "2026-03-05")]
        res = store.apply_retention("m", days=1, now=T0 + timedelta(days=2))
        assert res.partitions_dropped == 1 and res.deleted == 2
    assert store.delete_ids("m", ["c"]) == 1
    assert sorted(store.read_window("m")["id"]) == (
        ["d"] if store_url.startswith("postgresql") else ["a", "b", "d"])
