"""Erasure by id and retention by age, on SQLite and PostgreSQL: the values leave the blobs, the
labels and the idempotency rows go with them, and the store stays consistent."""

from __future__ import annotations

import io
from datetime import datetime, timedelta, timezone

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
import sqlalchemy as sa

from driftline.errors import ParameterError
from driftline.store import Store
from driftline.store._retention import RetentionResult
from driftline.store._tables import batches, feedback, predictions

T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)
NOW = T0 + timedelta(days=20)  # with days=10 the cutoff is T0 + 10 days


def log(store, ids, times, model="m", tag="v"):
    frame = pd.DataFrame({"x": np.arange(len(ids), dtype=float),
                          "secret": [f"{tag}-{i}" for i in ids]})
    return store.log_predictions(model, frame, predictions=np.zeros(len(ids)), version=1,
                                 ids=ids, timestamps=times)


def blobs(store):
    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(batches).order_by(batches.c.id)).all()
    return [(r, pa.ipc.open_stream(io.BytesIO(bytes(r.data))).read_all()) for r in rows]


def assert_consistent(store):
    """Every blob row has its dl_predictions row at the same index; bounds and counts agree."""
    with store.engine.connect() as conn:
        index = {(r.batch_id, r.row_index): r.id for r in conn.execute(sa.select(predictions))}
    total = 0
    for row, table in blobs(store):
        ids = table["__id"].to_pylist()
        ts = pd.to_datetime(pd.Series(table["__ts"].to_pylist()), utc=True)
        assert row.n_rows == len(ids) > 0
        assert pd.Timestamp(row.ts_min).tz_localize(None) == ts.min().tz_localize(None)
        assert pd.Timestamp(row.ts_max).tz_localize(None) == ts.max().tz_localize(None)
        assert [index.get((row.id, k)) for k in range(len(ids))] == ids
        total += len(ids)
    assert len(index) == total


def label_ids(store):
    with store.engine.connect() as conn:
        return {r.id for r in conn.execute(sa.select(feedback.c.id))}


def three_batches(store):
    """An old batch (day 0), one straddling the cutoff (days 5..14) and a recent one (day 19)."""
    store.add_model("m", "binary")
    log(store, [f"a{i}" for i in range(10)], [T0] * 10)
    log(store, [f"b{i}" for i in range(10)], [T0 + timedelta(days=5 + i) for i in range(10)])
    log(store, [f"c{i}" for i in range(5)], [T0 + timedelta(days=19)] * 5)
    store.add_feedback("m", ["a1", "b2", "b8", "c0"], [1, 0, 1, 1])


def test_delete_ids_removes_values_labels_and_idempotency_rows(store_url):
    store = Store.open(store_url)
    store.add_model("m", "binary")
    log(store, [f"r{i}" for i in range(10)], [T0 + timedelta(minutes=i) for i in range(10)])
    log(store, ["s0", "s1", "s2"], [T0 + timedelta(hours=1)] * 3)
    store.add_feedback("m", ["r3", "r5", "s1", "ghost"], [1, 0, 1, 0])

    assert store.delete_ids("m", ["r3", "s1", "r3", "never-logged", "ghost"]) == 2

    window = store.read_window("m")
    assert "r3" not in set(window["id"]) and "s1" not in set(window["id"])
    assert len(window) == 11 and window.set_index("id").loc["r5", "label"] == 0
    for _, table in blobs(store):
        assert not {"r3", "s1"} & set(table["__id"].to_pylist())
        assert not {"v-r3", "v-s1"} & set(table["secret"].to_pylist())
    assert label_ids(store) == {"r5"}  # a label with no stored prediction is erased too
    assert_consistent(store)
    got = store.get_predictions("m", ["r3", "r9", "s2"]).set_index("id")["secret"].to_dict()
    assert got == {"r9": "v-r9", "s2": "v-s2"}  # row_index was renumbered with the blob

    again = log(store, ["r3"], [T0], tag="new")  # an erased id is a new prediction
    assert again.n_written == 1 and again.replayed == ()
    assert store.read_window("m").set_index("id").loc["r3", "secret"] == "new-r3"
    assert_consistent(store)


def test_delete_ids_drops_a_batch_left_empty(store_url):
    store = Store.open(store_url)
    store.add_model("m", "regression")
    log(store, ["a", "b"], [T0] * 2)
    log(store, ["c"], [T0])
    assert store.delete_ids("m", ["a", "b"]) == 2
    assert [t["__id"].to_pylist() for _, t in blobs(store)] == [["c"]]
    assert store.delete_ids("m", []) == 0
    assert_consistent(store)


def test_delete_ids_only_touches_the_named_model(store_url):
    store = Store.open(store_url)
    store.add_model("m", "binary")
    store.add_model("other", "binary")
    log(store, ["x", "y"], [T0] * 2)
    log(store, ["x", "y"], [T0] * 2, model="other")
    assert store.delete_ids("other", ["x"]) == 1
    assert store.read_window("m")["id"].tolist() == ["x", "y"]
    assert store.read_window("other")["id"].tolist() == ["y"]


def test_retention_delete_by_age(store_url):
    store = Store.open(store_url)
    three_batches(store)

    res = store.apply_retention("m", days=10, now=NOW)

    assert res == RetentionResult(deleted=15, kept=10, batches_rewritten=1)
    window = store.read_window("m")
    assert window["id"].tolist() == [f"b{i}" for i in range(5, 10)] + [f"c{i}" for i in range(5)]
    assert (window["ts"] >= pd.Timestamp(NOW - timedelta(days=10))).all()
    assert label_ids(store) == {"b8", "c0"}
    secrets = {s for _, t in blobs(store) for s in t["secret"].to_pylist()}
    assert not any(s.startswith(("v-a", "v-b0", "v-b4")) for s in secrets)
    assert_consistent(store)
    assert store.apply_retention("m", days=10, now=NOW) == RetentionResult(0, 10, 0)
    assert log(store, ["a1"], [NOW], tag="new").n_written == 1


def test_retention_downsample_keeps_a_seeded_fraction_once(store_url):
    store = Store.open(store_url)
    store.add_model("m", "binary")
    old_ids = [f"o{i}" for i in range(1000)]
    log(store, old_ids, [T0] * 1000)
    log(store, ["s0", "s1", "s2", "s3"], [T0, T0, NOW, NOW])  # straddles the cutoff
    store.add_feedback("m", old_ids, [1] * 1000)

    res = store.apply_retention("m", days=10, action="downsample", fraction=0.1, seed=7, now=NOW)

    window = store.read_window("m")
    kept_old = [i for i in window["id"] if i.startswith("o")]
    assert len(kept_old) == 100
    straddled_old = sum(i in ("s0", "s1") for i in window["id"])  # 0.1 * 2 rows: 0 or 1 kept
    assert res.deleted == 900 + 2 - straddled_old
    assert res.kept == len(window) and res.batches_rewritten == 2
    assert {"s2", "s3"} <= set(window["id"])
    assert label_ids(store) == set(kept_old)
    with store.engine.connect() as conn:
        rates = conn.execute(sa.select(batches.c.ts_max, batches.c.sample_rate)).all()
    # the straddling batch's recent rows were split off into a batch at full rate
    assert sorted(r.sample_rate for r in rates) == [0.1] * (1 + straddled_old) + [1.0]
    assert_consistent(store)

    # running it again changes nothing: downsampled batches are never downsampled twice
    again = store.apply_retention("m", days=10, action="downsample", fraction=0.1, now=NOW)
    assert again == RetentionResult(deleted=0, kept=res.kept, batches_rewritten=0)
    assert store.read_window("m")["id"].tolist() == window["id"].tolist()

    # later, the split-off recent rows are old too: only they are downsampled
    later = store.apply_retention("m", days=10, action="downsample", fraction=0.5,
                                  now=NOW + timedelta(days=30))
    assert later.batches_rewritten == 1
    assert [i for i in store.read_window("m")["id"] if i.startswith("o")] == kept_old
    assert_consistent(store)


@pytest.mark.parametrize(("action", "seed"), [("delete", 0), ("downsample", 0), ("downsample", 1),
                                            ("downsample", 2)])
def test_a_batch_with_old_and_recent_rows_interleaved(store_url, action, seed):
    store = Store.open(store_url)
    store.add_model("m", "binary")
    ids = [f"i{k}" for k in range(40)]
    log(store, ids, [T0 if k % 2 else NOW for k in range(40)])  # recent, old, recent, ...
    res = store.apply_retention("m", days=10, action=action, fraction=0.5, seed=seed, now=NOW)
    window = store.read_window("m")
    recent = ids[0::2]
    assert [i for i in window["id"] if i in recent] == recent
    assert len(window) == (20 if action == "delete" else 30) == res.kept
    assert res.deleted == (20 if action == "delete" else 10) and res.batches_rewritten == 1
    assert window.set_index("id").loc[recent, "secret"].tolist() == [f"v-{i}" for i in recent]
    assert_consistent(store)
    got = store.get_predictions("m", list(window["id"]))
    assert sorted(got["id"]) == sorted(window["id"])
    assert (got["secret"] == "v-" + got["id"]).all()


def test_downsample_is_repeatable_with_the_seed(store_url, tmp_path):
    def kept(url, seed):
        store = Store.open(url)
        store.add_model("m", "regression")
        log(store, [f"o{i}" for i in range(200)], [T0] * 200)
        store.apply_retention("m", days=1, action="downsample", fraction=0.25, seed=seed, now=NOW)
        out = store.read_window("m")["id"].tolist()
        store.engine.dispose()
        return out

    first = kept(store_url, 3)
    assert len(first) == 50
    assert kept(f"sqlite:///{tmp_path / 'b.db'}", 3) == first
    assert kept(f"sqlite:///{tmp_path / 'c.db'}", 4) != first


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"days": 0}, "days must be a whole number of days >= 1; got 0"),
    ({"days": 1.5}, "days must be a whole number"),
    ({"days": 5, "action": "archive"}, "action must be one of 'delete', 'downsample'; got 'archive'"),
    ({"days": 5, "action": "downsample", "fraction": 1.0}, r"fraction must be a float in \(0, 1\)"),
    ({"days": 5, "seed": -1}, "seed must be a whole number >= 0"),
    ({"days": 5, "now": datetime(2026, 1, 1)}, "now must be a timezone-aware datetime"),
], ids=["days-zero", "days-float", "action-unknown", "fraction-one", "seed-negative", "now-naive"])
def test_retention_parameters_are_checked(store_url, kwargs, message):
    store = Store.open(store_url)
    store.add_model("m", "binary")
    with pytest.raises(ParameterError, match=message):
        store.apply_retention("m", **kwargs)


def test_retention_result_is_small_and_frozen():
    res = RetentionResult(deleted=1, kept=2, batches_rewritten=3)
    assert res.to_dict() == {"deleted": 1, "kept": 2, "batches_rewritten": 3}
    with pytest.raises(AttributeError):
        res.deleted = 5  # type: ignore[misc]
