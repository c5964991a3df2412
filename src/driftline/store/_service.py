"""What the built-in UI reads about serving: periodic samples of each serving process, and the
time, latency and version of logged predictions (the request series come from the log)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

import numpy as np

from driftline.store._tables import batches, predictions, service_samples

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

__all__ = ["RequestLog", "ServiceMixin"]


class RequestLog:
    """Logged predictions in a time range as three aligned arrays: ``ts`` (seconds since the
    epoch), ``latency_ms`` (NaN where none was recorded) and ``version``.

    Examples
    --------
    >>> log = RequestLog(np.array([1.0, 2.0]), np.array([3.0, np.nan]), np.array([1, 1]))
    >>> len(log), log.truncated
    (2, False)
    """

    def __init__(self, ts: np.ndarray, latency_ms: np.ndarray, version: np.ndarray,
                 truncated: bool = False) -> None:
        self.ts, self.latency_ms, self.version, self.truncated = ts, latency_ms, version, truncated

    def __len__(self) -> int:
        return len(self.ts)


def _utc(v: datetime) -> datetime:
    return v if v.tzinfo is not None else v.replace(tzinfo=timezone.utc)


class ServiceMixin:
    """Service samples and the request log; mixed into :class:`~driftline.store.Store`.

    Examples
    --------
    >>> from driftline.store import Store
    >>> store = Store.open("sqlite://")
    >>> store.add_service_sample("host:1", {"cpu": 0.25})
    1
    >>> [s["payload"]["cpu"] for s in store.service_samples()]
    [0.25]
    """

    engine: Engine

    def model_id(self, name: str) -> int:  # provided by Store
        raise NotImplementedError

    def now(self) -> datetime:  # provided by Store (its clock)
        raise NotImplementedError

    def add_service_sample(self, replica: str, payload: Mapping[str, Any],
                           at: datetime | None = None) -> int:
        """Store one sample of a serving process (``replica`` names the process)."""
        with self.engine.begin() as conn:
            res = conn.execute(service_samples.insert().values(
                at=at or self.now(), replica=str(replica)[:128],
                payload=dict(payload)))
            return int(res.inserted_primary_key[0])

    def service_samples(self, since: datetime | None = None, *,
                        limit: int = 20_000) -> list[dict[str, Any]]:
        """Samples since ``since``, oldest first (at most the latest ``limit``)."""
        q = service_samples.select().order_by(service_samples.c.id.desc()).limit(limit)
        if since is not None:
            q = q.where(service_samples.c.at >= since)
        with self.engine.connect() as conn:
            rows = conn.execute(q).all()
        return [{"at": _utc(r.at), "replica": r.replica, "payload": r.payload}
                for r in reversed(rows)]

    def prune_service_samples(self, before: datetime) -> int:
        """Delete samples taken before ``before``; return how many went."""
        with self.engine.begin() as conn:
            return int(conn.execute(service_samples.delete().where(
                service_samples.c.at < before)).rowcount or 0)

    def request_log(self, model: str, since: datetime, until: datetime | None = None, *,
                    limit: int = 500_000) -> RequestLog:
        """Time, latency and version of the predictions logged for ``model`` from ``since``
        (the latest ``limit`` rows; ``truncated`` says when more existed)."""
        import sqlalchemy as sa

        mid = self.model_id(model)
        q = (sa.select(predictions.c.ts, predictions.c.latency_ms, batches.c.version)
             .join(batches, batches.c.id == predictions.c.batch_id)
             .where(predictions.c.model_id == mid, predictions.c.ts >= since)
             .order_by(predictions.c.ts.desc()).limit(limit + 1))
        if until is not None:
            q = q.where(predictions.c.ts < until)
        with self.engine.connect() as conn:
            rows = conn.execute(q).all()
        truncated = len(rows) > limit
        rows = rows[:limit][::-1]
        ts = np.array([_utc(r[0]).timestamp() for r in rows], dtype=float)
        lat = np.array([np.nan if r[1] is None else r[1] for r in rows], dtype=float)
        ver = np.array([r[2] for r in rows], dtype=np.int64)
        return RequestLog(ts, lat, ver, truncated)
