"""Leases: at most one worker acts for a model at a time.

A worker holds a model's lease until it expires (renewing it while it works). Every change of
holder increments the lease's epoch, and a promotion made under a lease passes its epoch: the
promotion's transaction checks it, so a worker that lost its lease (paused, partitioned) cannot
promote afterwards (fencing). On PostgreSQL the row is locked with ``SELECT ... FOR UPDATE``;
on SQLite the write transaction serialises writers.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from driftline.errors import DriftlineError
from driftline.store._tables import leases

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Engine

__all__ = ["FencedError", "LeaseMixin"]


class FencedError(DriftlineError):
    """A worker acted under a lease it no longer holds.

    Examples
    --------
    >>> FencedError("lost the lease").args[0]
    'lost the lease'
    """


def _aware(v: datetime) -> datetime:
    return v if v.tzinfo is not None else v.replace(tzinfo=timezone.utc)


class LeaseMixin:
    """Acquire, renew and check leases; mixed into :class:`~driftline.store.Store`.

    Examples
    --------
    >>> from datetime import timedelta
    >>> from driftline.store import Store
    >>> store = Store.open("sqlite://")
    >>> _ = store.add_model("m", "binary")
    >>> store.acquire_lease("m", "worker-a", timedelta(seconds=30))
    1
    >>> store.acquire_lease("m", "worker-b", timedelta(seconds=30)) is None
    True
    >>> store.release_lease("m", "worker-a")
    >>> store.acquire_lease("m", "worker-b", timedelta(seconds=30))
    2
    """

    engine: Engine

    def model_id(self, name: str) -> int:  # provided by Store
        raise NotImplementedError

    def acquire_lease(self, model: str, holder: str, ttl: timedelta, *,
                      now: datetime | None = None) -> int | None:
        """Take (or renew) the model's lease for ``ttl``; its epoch, or ``None`` if another
        holder's lease has not expired."""
        import sqlalchemy as sa

        mid = self.model_id(model)
        now = now or datetime.now(timezone.utc)
        try:
            with self.engine.begin() as conn:
                return self._acquire(conn, mid, holder, ttl, now)
        except sa.exc.IntegrityError:  # another worker created the lease row first
            return None

    def _acquire(self, conn: Connection, mid: int, holder: str, ttl: timedelta,
                 now: datetime) -> int | None:
        row = self._locked(conn, mid)
        if row is None:
            conn.execute(leases.insert().values(model_id=mid, holder=holder, epoch=1,
                                                expires_at=now + ttl))
            return 1
        if row.holder != holder and _aware(row.expires_at) > now:
            return None
        epoch = row.epoch if row.holder == holder else row.epoch + 1
        conn.execute(leases.update().where(leases.c.model_id == mid).values(
            holder=holder, epoch=epoch, expires_at=now + ttl))
        return int(epoch)

    def release_lease(self, model: str, holder: str) -> None:
        """Give the lease up now (if ``holder`` has it)."""
        mid = self.model_id(model)
        with self.engine.begin() as conn:
            conn.execute(leases.update().where(leases.c.model_id == mid,
                                               leases.c.holder == holder)
                         .values(expires_at=datetime(1970, 1, 1, tzinfo=timezone.utc)))

    def check_fence(self, conn: Connection, model_id: int, epoch: int) -> None:
        """Inside a transaction: raise :class:`FencedError` unless ``epoch`` is current."""
        row = self._locked(conn, model_id)
        if row is None or row.epoch != epoch:
            current = None if row is None else row.epoch
            raise FencedError(f"lease epoch {epoch} is stale (current: {current}); another "
                              "worker took over, so this one must not promote.")

    @staticmethod
    def _locked(conn: Connection, mid: int) -> Any:
        q = leases.select().where(leases.c.model_id == mid)
        if conn.dialect.name == "postgresql":
            q = q.with_for_update()
        return conn.execute(q).first()
