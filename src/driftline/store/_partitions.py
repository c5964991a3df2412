"""The prediction log on PostgreSQL, partitioned by model and time.

On PostgreSQL ``dl_batches`` is a table partitioned by range on ``(model_id, ts_bound)``.
``ts_bound`` is an upper bound of the times of a batch's rows: the batch's ``ts_max`` when it was
written. Rewrites only ever remove rows (erasure, retention, downsampling), and a merge takes the
largest ``ts_bound`` of its members, so it stays an upper bound while ``ts_max`` may shrink, and
it never moves a batch to another partition. Each partition holds one model's batches whose
``ts_bound`` falls in one day (or one week) in UTC, so:

- a partition whose upper end is at or before the retention cutoff holds only rows older than the
  cutoff, and retention drops it whole instead of deleting rows;
- one model's retention never touches another model's partitions.

Partitions are named ``dl_batches_m<model id>_<first day>_<day after the last>`` (days as
``YYYYMMDD``) and are created on demand by the writer, before the transaction that inserts into
them (:meth:`Partitions.ensure`). Creating one is a ``CREATE TABLE ... (LIKE dl_batches)`` and an
``ATTACH PARTITION``, which locks the parent table in ``SHARE UPDATE EXCLUSIVE`` mode only: reads
and writes of the log go on meanwhile. Concurrent writers serialise on a transaction-level
advisory lock, and a new partition fills the gap between existing ones, so processes configured
with different intervals (or an interval changed later) never create overlapping partitions.

SQLite is not partitioned: there ``ts_bound`` is an ordinary column, kept as on PostgreSQL.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

from driftline.errors import ParameterError

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Engine

__all__ = ["PARTITION_INTERVALS", "Partition", "Partitions", "check_interval", "create_partition",
           "ensure_partitions", "is_partitioned", "list_partitions", "lock", "missing_partition",
           "partition_bounds"]

PARTITION_INTERVALS = ("day", "week")

_NAME = re.compile(r"^dl_batches_m(\d+)_(\d{8})_(\d{8})$")
# pg_advisory_xact_lock(int4, int4): a key space apart from the workers' one-bigint locks;
# (_LOCK[0] + 1, model id) serialises one model's retention runs
_LOCK = (0x646C6270, 0)  # "dlbp"


@dataclass(frozen=True)
class Partition:
    """One partition of ``dl_batches``: a model's batches with ``lo <= ts_bound < hi``.

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> p = Partition.from_name("dl_batches_m3_20260105_20260112")
    >>> p.model_id, p.lo.date().isoformat(), p.hi.date().isoformat()
    (3, '2026-01-05', '2026-01-12')
    >>> p.covers(datetime(2026, 1, 11, 23, 59, tzinfo=timezone.utc))
    True
    >>> Partition.from_name("dl_batches") is None
    True
    """

    model_id: int
    lo: datetime
    hi: datetime

    @property
    def name(self) -> str:
        """The table's name, ``dl_batches_m<model id>_<lo>_<hi>``."""
        return f"dl_batches_m{self.model_id}_{_day(self.lo)}_{_day(self.hi)}"

    def covers(self, ts: datetime) -> bool:
        """Whether a batch with ``ts_bound == ts`` belongs here."""
        return self.lo <= _utc(ts) < self.hi

    @classmethod
    def from_name(cls, name: str) -> Partition | None:
        """The partition a table name describes, or ``None`` for any other name."""
        match = _NAME.match(name)
        if match is None:
            return None
        lo, hi = (datetime.strptime(d, "%Y%m%d").replace(tzinfo=timezone.utc)
                  for d in match.group(2, 3))
        return cls(int(match.group(1)), lo, hi)


def _day(ts: datetime) -> str:
    return f"{ts.year:04d}{ts.month:02d}{ts.day:02d}"


def _utc(ts: datetime) -> datetime:
    return ts.replace(tzinfo=timezone.utc) if ts.tzinfo is None else ts.astimezone(timezone.utc)


def check_interval(interval: str) -> None:
    """Raise :class:`~driftline.errors.ParameterError` unless ``interval`` is ``day`` or
    ``week``.

    Examples
    --------
    >>> check_interval("week")
    >>> check_interval("month")
    Traceback (most recent call last):
    ...
    driftline.errors.ParameterError: partition_interval must be one of 'day', 'week'; got 'month'.
    """
    if interval not in PARTITION_INTERVALS:
        raise ParameterError.choice("partition_interval", interval, PARTITION_INTERVALS)


def partition_bounds(ts: datetime, interval: str = "day",
                     existing: Iterable[Partition] = ()) -> tuple[datetime, datetime]:
    """The range ``[lo, hi)`` of the partition to create for a batch with ``ts_bound == ts``.

    The UTC day (or the ISO week, Monday to Monday) holding ``ts``, shrunk so that it does not
    overlap the model's ``existing`` partitions.

    Parameters
    ----------
    ts
        The batch's ``ts_bound``; a naive time is taken as UTC.
    interval
        ``"day"`` or ``"week"``.
    existing
        The model's partitions; none of them may cover ``ts``.

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> t = datetime(2026, 1, 7, 15, 30, tzinfo=timezone.utc)   # a Wednesday
    >>> [d.date().isoformat() for d in partition_bounds(t, "day")]
    ['2026-01-07', '2026-01-08']
    >>> [d.date().isoformat() for d in partition_bounds(t, "week")]
    ['2026-01-05', '2026-01-12']
    >>> daily = Partition.from_name("dl_batches_m1_20260106_20260107")
    >>> [d.date().isoformat() for d in partition_bounds(t, "week", [daily])]
    ['2026-01-07', '2026-01-12']
    """
    check_interval(interval)
    ts = _utc(ts)
    lo = ts.replace(hour=0, minute=0, second=0, microsecond=0)
    if interval == "week":
        lo -= timedelta(days=lo.weekday())
    hi = lo + timedelta(days=1 if interval == "day" else 7)
    for p in existing:
        if p.covers(ts):
            raise ParameterError(f"existing partition {p.name} already covers {ts.isoformat()}.")
        if p.hi <= ts:
            lo = max(lo, p.hi)
        elif p.lo > ts:
            hi = min(hi, p.lo)
    return lo, hi


def is_partitioned(conn: Connection) -> bool:
    """Whether ``dl_batches`` is a partitioned table (PostgreSQL after migration 0008).

    Examples
    --------
    >>> import sqlalchemy as sa
    >>> with sa.create_engine("sqlite://").connect() as conn:
    ...     is_partitioned(conn)
    False
    """
    if conn.dialect.name != "postgresql":
        return False
    import sqlalchemy as sa

    return conn.execute(sa.text(
        "SELECT EXISTS (SELECT 1 FROM pg_partitioned_table "
        "WHERE partrelid = to_regclass('dl_batches'))")).scalar() is True


def list_partitions(conn: Connection, model_id: int | None = None) -> list[Partition]:
    """The partitions of ``dl_batches`` (of one model when ``model_id`` is given), by model and
    time; tables attached under other names are left out."""
    import sqlalchemy as sa

    names = conn.execute(sa.text(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "WHERE i.inhparent = to_regclass('dl_batches')")).scalars().all()
    found = [p for p in map(Partition.from_name, names) if p is not None]
    if model_id is not None:
        found = [p for p in found if p.model_id == model_id]
    return sorted(found, key=lambda p: (p.model_id, p.lo))


def _literal(ts: datetime) -> str:
    return f"'{_utc(ts):%Y-%m-%d %H:%M:%S}+00'"


def create_partition(conn: Connection, p: Partition) -> None:
    """Create and attach the partition ``p`` (the caller holds the advisory lock)."""
    import sqlalchemy as sa

    mid = int(p.model_id)
    conn.execute(sa.text(f'CREATE TABLE IF NOT EXISTS "{p.name}" '
                         "(LIKE dl_batches INCLUDING DEFAULTS)"))
    conn.execute(sa.text(f'ALTER TABLE dl_batches ATTACH PARTITION "{p.name}" FOR VALUES '
                         f"FROM ({mid}, {_literal(p.lo)}) TO ({mid}, {_literal(p.hi)})"))


def lock(conn: Connection, model_id: int | None = None) -> None:
    """Serialise across processes, until ``conn``'s transaction ends, the creation of
    partitions (``model_id=None``) or the dropping of one model's partitions by retention."""
    import sqlalchemy as sa

    key = _LOCK if model_id is None else (_LOCK[0] + 1, int(model_id))
    conn.execute(sa.text("SELECT pg_advisory_xact_lock(:a, :b)"), {"a": key[0], "b": key[1]})


def ensure_partitions(conn: Connection, keys: Iterable[tuple[int, datetime]],
                      interval: str = "day") -> list[Partition]:
    """Create the partitions that batches with these ``(model_id, ts_bound)`` need, in ``conn``'s
    transaction; return every partition of the models involved afterwards."""
    wanted = sorted({(int(m), _utc(t)) for m, t in keys})
    if not wanted:
        return []
    lock(conn)
    models = {m for m, _ in wanted}
    known = [p for p in list_partitions(conn) if p.model_id in models]
    for mid, ts in wanted:
        mine = [p for p in known if p.model_id == mid]
        if any(p.covers(ts) for p in mine):
            continue
        lo, hi = partition_bounds(ts, interval, mine)
        new = Partition(mid, lo, hi)
        create_partition(conn, new)
        known.append(new)
    return known


class Partitions:
    """A process's view of the partitions of ``dl_batches``: which exist (cached), and creating
    the missing ones before a write.

    Examples
    --------
    >>> import sqlalchemy as sa
    >>> Partitions(sa.create_engine("sqlite://")).enabled   # SQLite is never partitioned
    False
    """

    def __init__(self, engine: Engine, interval: str = "day") -> None:
        check_interval(interval)
        self.engine = engine
        self.interval = interval
        self._known: dict[int, list[Partition]] = {}
        self._enabled: bool | None = None
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        """Whether the store's ``dl_batches`` is partitioned (checked once)."""
        if self._enabled is None:
            if self.engine.dialect.name != "postgresql":
                self._enabled = False
            else:
                with self.engine.connect() as conn:
                    self._enabled = is_partitioned(conn)
        return self._enabled

    def ensure(self, keys: Iterable[tuple[int, datetime]]) -> None:
        """Make sure a partition exists for every ``(model_id, ts_bound)``, in a short
        transaction of its own (call it before the transaction that inserts)."""
        if not self.enabled:
            return
        with self._lock:
            missing = [(m, t) for m, t in keys
                       if not any(p.covers(t) for p in self._known.get(int(m), ()))]
        if not missing:
            return
        with self.engine.begin() as conn:
            known = ensure_partitions(conn, missing, self.interval)
        with self._lock:
            for mid in {int(m) for m, _ in missing}:
                self._known[mid] = [p for p in known if p.model_id == mid]

    def forget(self, model_id: int | None = None) -> None:
        """Drop the cached partitions (of one model): after retention dropped some, or when an
        insert found no partition for its row (another process dropped it)."""
        with self._lock:
            if model_id is None:
                self._known.clear()
            else:
                self._known.pop(int(model_id), None)


def missing_partition(exc: BaseException) -> bool:
    """Whether a database error is PostgreSQL's "no partition of relation ... found for row".

    Examples
    --------
    >>> class Error(Exception):
    ...     sqlstate = "23514"
    >>> missing_partition(Error('no partition of relation "dl_batches" found for row'))
    True
    >>> missing_partition(ValueError("no partition"))
    False
    """
    orig = getattr(exc, "orig", exc)
    return getattr(orig, "sqlstate", None) == "23514" and "no partition" in str(orig)

