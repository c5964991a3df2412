"""The store on SQLite and PostgreSQL: migrations, idempotent logging, windows, labels."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from driftline.store import ConflictError, Store
from driftline.store._tables import metadata

T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)


def features(n, seed=0):
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"income": rng.lognormal(10, 0.5, n), "age": rng.integers(18, 90, n),
                         "region": rng.choice(["north", "south"], n)})


def test_migrated_schema_matches_the_tables(store_url):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    store = Store.open(store_url)
    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == []
    Store.open(store_url)  # a second open finds the schema current


def test_log_and_read_back_as_columns(store_url):
    store = Store.open(store_url)
    store.add_model("credit", "binary")
    f = features(300)
    times = [T0 + timedelta(minutes=i) for i in range(300)]
    scores = pd.DataFrame({"0": np.linspace(0, 1, 300), "1": np.linspace(1, 0, 300)})
    res = store.log_predictions("credit", f, predictions=np.arange(300) % 2, version=1,
                                ids=[f"r{i}" for i in range(300)], timestamps=times,
                                scores=scores, latency_ms=np.full(300, 2.5))
    assert res.n_written == 300 and res.replayed == ()
    window = store.read_window("credit", T0 + timedelta(minutes=100), T0 + timedelta(minutes=200))
    assert window["id"].tolist() == [f"r{i}" for i in range(100, 200)]
    assert np.allclose(window["income"], f["income"].iloc[100:200])
    assert window["region"].tolist() == f["region"].iloc[100:200].tolist()
    assert window["score_1"].iloc[0] == pytest.approx(scores["1"].iloc[100])
    assert (window["version"] == 1).all() and window["label"].isna().all()


def test_replay_is_idempotent_and_a_changed_payload_conflicts(store_url):
    store = Store.open(store_url)
    store.add_model("m", "regression")
    f = features(5)
    ids = list("abcde")
    store.log_predictions("m", f, predictions=np.zeros(5), version=1, ids=ids)
    again = store.log_predictions("m", f, predictions=np.zeros(5), version=1, ids=ids)
    assert again.replayed == tuple(ids) and again.n_written == 0
    assert len(store.read_window("m")) == 5
    changed = f.copy()
    changed.loc[2, "income"] += 1.0
    with pytest.raises(ConflictError, match="'c' was logged before with a different payload"):
        store.log_predictions("m", changed, predictions=np.zeros(5), version=1, ids=ids)


def test_late_labels_join_by_id(store_url):
    store = Store.open(store_url)
    store.add_model("m", "binary")
    store.log_predictions("m", features(4), predictions=[0, 1, 0, 1], version=2,
                          ids=["w", "x", "y", "z"])
    store.add_feedback("m", ["x", "z"], [1, 0])
    store.add_feedback("m", ["z"], [1])  # a corrected label replaces the first
    assert store.read_window("m")["label"].tolist() == [None, 1, None, 1]


def test_errors_name_the_problem(store_url):
    store = Store.open(store_url)
    store.add_model("m", "binary")
    with pytest.raises(ValueError, match="model must be one of 'm'; got 'x'"):
        store.log_predictions("x", features(1), predictions=[0], version=1)
    with pytest.raises(ValueError, match="task must be one of"):
        store.add_model("n", "ranking")
    with pytest.raises(ValueError, match="ids must be unique"):
        store.log_predictions("m", features(2), predictions=[0, 1], version=1, ids=["a", "a"])


def test_sqlite_uses_wal(tmp_path):
    store = Store.open(f"sqlite:///{tmp_path / 'w.db'}")
    with store.engine.connect() as conn:
        assert conn.execute(sa.text("PRAGMA journal_mode")).scalar() == "wal"
