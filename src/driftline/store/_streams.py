"""Streaming state in the store: labels in the order they arrived, and the saved state of the
detectors that run on them, written together with the events they raise."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from driftline.store._service import _utc
from driftline.store._tables import events, feedback, stream_state

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Engine

__all__ = ["StreamMixin"]


class StreamMixin:
    """Feedback in arrival order and detector state; mixed into :class:`~driftline.store.Store`.

    Examples
    --------
    >>> from driftline.store import Store
    >>> store = Store.open("sqlite://")
    >>> _ = store.add_model("m", "binary")
    >>> store.save_stream_state("m", "concept", {"seen": 3})
    >>> store.stream_state("m", "concept")["seen"]
    3
    """

    engine: Engine

    def model_id(self, name: str) -> int:  # provided by Store
        raise NotImplementedError

    def now(self) -> datetime:  # provided by Store (its clock)
        raise NotImplementedError

    def check_fence(self, conn: Connection, model_id: int, epoch: int) -> None:  # LeaseMixin
        raise NotImplementedError

    def feedback_after(self, model: str, after: tuple[datetime, str] | None = None, *,
                       limit: int | None = None) -> list[tuple[str, Any, datetime]]:
        """Labels that arrived after the position ``after`` = (arrived_at, id), as
        ``(id, label, arrived_at)`` in arrival order (ties broken by id), at most ``limit``.

        A position is the last tuple a previous call returned, so a reader that saves it sees
        every label once, even when several arrive in the same instant. A label that is sent
        again for the same id arrives again, with its new time.

        Examples
        --------
        >>> from datetime import datetime, timezone
        >>> from driftline.store import Store
        >>> store = Store.open("sqlite://")
        >>> _ = store.add_model("m", "binary")
        >>> t = datetime(2026, 1, 1, tzinfo=timezone.utc)
        >>> store.add_feedback("m", ["b", "a"], [1, 0], arrived_at=t)
        >>> [(i, y) for i, y, _ in store.feedback_after("m")]
        [('a', 0), ('b', 1)]
        >>> [i for i, _, _ in store.feedback_after("m", (t, "a"))]
        ['b']
        """
        import sqlalchemy as sa

        mid = self.model_id(model)
        q = sa.select(feedback.c.id, feedback.c.label, feedback.c.arrived_at).where(
            feedback.c.model_id == mid)
        if after is not None:
            at, last = after
            with self.engine.connect() as conn:
                if conn.dialect.name == "sqlite":  # SQLite keeps the times without their zone
                    at = _utc(at).astimezone(timezone.utc).replace(tzinfo=None)
            q = q.where(sa.or_(feedback.c.arrived_at > at,
                               sa.and_(feedback.c.arrived_at == at, feedback.c.id > last)))
        q = q.order_by(feedback.c.arrived_at, feedback.c.id)
        if limit is not None:
            q = q.limit(limit)
        with self.engine.connect() as conn:
            rows = conn.execute(q).all()
        return [(str(r.id), r.label, _utc(r.arrived_at)) for r in rows]

    def stream_state(self, model: str, name: str) -> dict[str, Any] | None:
        """The state saved under ``name`` for ``model``, or ``None``."""
        mid = self.model_id(model)
        with self.engine.connect() as conn:
            row = conn.execute(stream_state.select().where(
                stream_state.c.model_id == mid, stream_state.c.name == name)).first()
        return None if row is None else dict(row.state)

    def save_stream_state(self, model: str, name: str, state: Mapping[str, Any], *,
                          new_events: Sequence[tuple[str, Mapping[str, Any]]] = (),
                          epoch: int | None = None) -> None:
        """Replace the state saved under ``name`` and append ``new_events`` ((kind, payload)
        pairs) in one transaction: a process that dies in between leaves neither, so the
        stream is read again from the old position and no event is lost or doubled. With
        ``epoch``, the write is fenced by the model's lease."""
        mid = self.model_id(model)
        now = self.now()
        with self.engine.begin() as conn:
            if epoch is not None:
                self.check_fence(conn, mid, epoch)
            conn.execute(stream_state.delete().where(stream_state.c.model_id == mid,
                                                     stream_state.c.name == name))
            conn.execute(stream_state.insert().values(model_id=mid, name=name, state=dict(state),
                                                      updated_at=now))
            for kind, payload in new_events:
                conn.execute(events.insert().values(model_id=mid, kind=kind, at=now,
                                                    payload=dict(payload)))
