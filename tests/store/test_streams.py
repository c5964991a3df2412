"""Feedback in arrival order and saved detector state, on SQLite and on the real PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from driftline.store import Store
from driftline.store._lease import FencedError

T0 = datetime(2026, 3, 1, tzinfo=timezone.utc)


@pytest.fixture
def store(store_url):
    s = Store.open(store_url)
    s.add_model("m", "binary")
    yield s
    s.close()


def test_feedback_is_read_once_in_arrival_order_with_ties_broken_by_id(store):
    store.add_feedback("m", ["c", "a", "b"], [1, 0, 1], arrived_at=T0)
    store.add_feedback("m", ["d"], [0], arrived_at=T0 + timedelta(seconds=1))
    store.add_feedback("m", ["0"], [1], arrived_at=T0 - timedelta(seconds=1))
    rows = store.feedback_after("m")
    assert [r[0] for r in rows] == ["0", "a", "b", "c", "d"]
    assert rows[1][2] == T0 and rows[1][2].tzinfo is not None
    # a reader that stops after 'a' continues with 'b', never re-reading 'a' (same instant)
    assert [r[0] for r in store.feedback_after("m", (T0, "a"))] == ["b", "c", "d"]
    assert [r[0] for r in store.feedback_after("m", (T0, "a"), limit=2)] == ["b", "c"]
    assert store.feedback_after("m", (rows[-1][2], rows[-1][0])) == []
    # a label sent again arrives again, with its new time
    store.add_feedback("m", ["a"], [1], arrived_at=T0 + timedelta(seconds=2))
    again = store.feedback_after("m", (rows[-1][2], rows[-1][0]))
    assert [(i, y) for i, y, _ in again] == [("a", 1)]


def test_state_and_events_are_written_together_and_fenced(store):
    assert store.stream_state("m", "concept_drift") is None
    store.save_stream_state("m", "concept_drift", {"n": 1},
                            new_events=[("concept_drift", {"index": 7})])
    store.save_stream_state("m", "concept_drift", {"n": 2})  # replaced in place
    assert store.stream_state("m", "concept_drift") == {"n": 2}
    assert [e["payload"]["index"] for e in store.events("m", "concept_drift")] == [7]
    epoch = store.acquire_lease("m", "w1", timedelta(minutes=5))
    store.save_stream_state("m", "concept_drift", {"n": 3}, epoch=epoch)
    with pytest.raises(FencedError):  # a stale worker writes neither state nor events
        store.save_stream_state("m", "concept_drift", {"n": 4}, epoch=epoch + 1,
                                new_events=[("concept_drift", {"index": 9})])
    assert store.stream_state("m", "concept_drift") == {"n": 3}
    assert len(store.events("m", "concept_drift")) == 1
