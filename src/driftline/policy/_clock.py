"""Clocks: the policy reads time only through a :class:`Clock`, so tests and the demo can
replace the wall clock with a simulated one."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Protocol, runtime_checkable

from driftline.errors import ParameterError

__all__ = ["Clock", "SimulatedClock", "SystemClock", "human", "utc"]


def utc(value: datetime, name: str = "datetime") -> datetime:
    """``value`` converted to UTC; a naive datetime is refused (its zone would be a guess).

    Examples
    --------
    >>> from datetime import timedelta
    >>> utc(datetime(2024, 1, 1, 2, tzinfo=timezone(timedelta(hours=2)))).isoformat()
    '2024-01-01T00:00:00+00:00'
    >>> utc(datetime(2024, 1, 1), "start")
    Traceback (most recent call last):
    ...
    driftline.errors.ParameterError: start must be a timezone-aware datetime; got datetime.datetime(2024, ...
    """
    if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise ParameterError.invalid(name, value, "a timezone-aware datetime",
                                     "Pass for example datetime(2024, 1, 1, tzinfo=timezone.utc).")
    return value.astimezone(timezone.utc)


@runtime_checkable
class Clock(Protocol):
    """Where a policy reads the time: ``now()`` returns a timezone-aware UTC datetime.

    Examples
    --------
    >>> isinstance(SystemClock(), Clock)
    True
    """

    def now(self) -> datetime:
        """The current time, timezone-aware, in UTC."""
        ...


class SystemClock:
    """The wall clock, in UTC.

    Examples
    --------
    >>> SystemClock().now().tzinfo
    datetime.timezone.utc
    """

    def now(self) -> datetime:
        """The current wall-clock time in UTC."""
        return datetime.now(timezone.utc)

    def __repr__(self) -> str:
        return "SystemClock()"


class SimulatedClock:
    """A clock that moves only when told to: for tests, replays and the demo.

    Parameters
    ----------
    start : the first time :meth:`now` returns; timezone-aware.
    step : if given, every call of :meth:`now` moves the clock on by ``step`` after reading it.

    Examples
    --------
    >>> clock = SimulatedClock(datetime(2024, 1, 1, tzinfo=timezone.utc))
    >>> clock.advance(timedelta(hours=6)).isoformat()
    '2024-01-01T06:00:00+00:00'
    >>> ticking = SimulatedClock(datetime(2024, 1, 1, tzinfo=timezone.utc), step=timedelta(hours=1))
    >>> [ticking.now().hour for _ in range(3)]
    [0, 1, 2]
    """

    def __init__(self, start: datetime, step: timedelta | None = None) -> None:
        if step is not None and (not isinstance(step, timedelta) or step < timedelta(0)):
            raise ParameterError.invalid("step", step, "a non-negative timedelta or None")
        self._now = utc(start, "start")
        self.step = step

    def now(self) -> datetime:
        """The simulated time (then moved on by ``step``, if one was given)."""
        current = self._now
        if self.step is not None:
            self._now = current + self.step
        return current

    def advance(self, delta: timedelta) -> datetime:
        """Move the clock forward by ``delta`` and return the new time."""
        if not isinstance(delta, timedelta) or delta < timedelta(0):
            raise ParameterError.invalid("delta", delta, "a non-negative timedelta",
                                         "A clock does not run backwards.")
        self._now += delta
        return self._now

    def set(self, when: datetime) -> datetime:
        """Move the clock to ``when`` (not earlier than now) and return it."""
        target = utc(when, "when")
        if target < self._now:
            raise ParameterError.invalid("when", when, f"at or after the clock's time {self._now}",
                                         "A clock does not run backwards.")
        self._now = target
        return self._now

    def __repr__(self) -> str:
        return f"SimulatedClock({self._now.isoformat()!r}, step={self.step!r})"


def human(delta: timedelta) -> str:
    """A duration for reasons, in its two largest units: ``"3 d 4 h"``, ``"45 min"``.

    Examples
    --------
    >>> human(timedelta(days=3, hours=4, minutes=5)), human(timedelta(minutes=45)), human(timedelta(0))
    ('3 d 4 h', '45 min', '0 s')
    """
    seconds = int(abs(delta.total_seconds()))
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60), ("s", 1)):
        if seconds >= size:
            parts.append(f"{seconds // size} {unit}")
            seconds %= size
    return " ".join(parts[:2]) or "0 s"
