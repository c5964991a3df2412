"""Compaction merges small batches without changing what any read path sees."""

from __future__ import annotations

import pandas as pd
import pytest

from driftline.store import Store


def _log(store, k, version=1, source="served"):
    return store.log_predictions(
        "m", pd.DataFrame({"x": [float(k)], "c": [f"v{k % 3}"]}), predictions=[k % 2],
        ids=[f"r{k}"], version=version, scores=pd.DataFrame({"1": [k / 100]}), source=source)


def _batch_sizes(store):
    import sqlalchemy as sa

    with store.engine.connect() as conn:
        return [r[0] for r in conn.execute(sa.text("SELECT n_rows FROM dl_batches ORDER BY id"))]


def test_compaction_keeps_windows_replays_labels_and_erasure(store_url):
    store = Store.open(store_url)
    store.add_model("m", "binary")
    for k in range(30):
        _log(store, k, version=1 if k < 20 else 2)
    store.add_feedback("m", ["r3", "r25"], [1, 0])
    before = store.read_window("m").sort_values("id").reset_index(drop=True)
    res = store.compact("m", small=100, max_rows=8)
    assert res.batches_merged == 30 and res.rows == 30
    assert sorted(_batch_sizes(store)) == [2, 4, 8, 8, 8]  # 20 + 10 rows, per version, <= 8
    after = store.read_window("m").sort_values("id").reset_index(drop=True)
    pd.testing.assert_frame_equal(before, after)
    got = store.get_predictions("m", ["r7", "r25"]).set_index("id")
    assert got.loc["r7", "x"] == 7.0 and got.loc["r25", "version"] == 2
    assert _log(store, 7).replayed == ("r7",)  # idempotency rows follow the rows
    assert store.delete_ids("m", ["r7"]) == 1
    assert "r7" not in set(store.read_window("m")["id"])
    assert store.compact("m", small=100, max_rows=8).batches_merged == 0  # nothing small left


def test_compaction_leaves_large_batches_and_checks_its_parameters(store_url):
    store = Store.open(store_url)
    store.add_model("m", "binary")
    store.log_predictions("m", pd.DataFrame({"x": range(50)}, dtype=float),
                          predictions=[0] * 50, version=1)
    _log(store, 1000)
    assert store.compact("m", small=10).batches_merged == 0  # one small batch: nothing to merge
    with pytest.raises(Exception, match="small"):
        store.compact("m", small=0)


def test_logged_and_served_batches_read_back_together():
    """A frame logged through pandas (large strings in Arrow) and served rows (JSON row blobs
    with plain strings and integer-valued floats) make one window, before and after compaction."""
    from datetime import datetime, timezone

    import numpy as np

    from driftline.store import PendingBatch

    store = Store.open("sqlite://")
    mid = store.add_model("m", "binary")
    store.log_predictions("m", pd.DataFrame({"region": pd.array(["north"], dtype="string"),
                                             "x": [1.0]}), predictions=[1], ids=["a"], version=1)
    store.append_batches([PendingBatch(mid, 1, {"region": np.array(["east"], dtype=object),
                                                "x": np.array([2.0]),
                                                "prediction": np.array([0])},
                                       ["b"], [datetime.now(timezone.utc)], [""], [1.0], "served")])
    before = store.read_window("m")
    assert before["region"].tolist() == ["north", "east"]
    store.compact("m")
    assert store.read_window("m")["region"].tolist() == ["north", "east"]
