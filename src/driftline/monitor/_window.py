"""Windows: slices of the prediction log, by row count or by time, tumbling or sliding."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from driftline.errors import ParameterError

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["Window", "WindowSlice"]


@dataclass(frozen=True)
class WindowSlice:
    """One window of logged rows: where it starts and ends, and its rows.

    Examples
    --------
    >>> import pandas as pd
    >>> WindowSlice(0, 1, pd.DataFrame({"x": [1, 2]})).n_rows
    2
    """

    start: Any
    end: Any
    frame: pd.DataFrame

    @property
    def n_rows(self) -> int:
        """Rows in the window."""
        return len(self.frame)


@dataclass(frozen=True)
class Window:
    """How the log is cut into windows.

    ``Window.rows(1000)`` is a tumbling window of 1,000 rows; ``Window.rows(1000, step=250)``
    slides by 250. ``Window.time(timedelta(hours=1))`` is hourly; with ``step`` it slides.

    Examples
    --------
    >>> import pandas as pd
    >>> log = pd.DataFrame({"ts": pd.date_range("2026-01-01", periods=10, freq="min", tz="UTC"),
    ...                     "x": range(10)})
    >>> [w.n_rows for w in Window.rows(4).split(log)]
    [4, 4]
    >>> [w.n_rows for w in Window.rows(4, step=2).split(log)]
    [4, 4, 4, 4]
    >>> until = pd.Timestamp("2026-01-01 00:10", tz="UTC")
    >>> [w.n_rows for w in Window.time(timedelta(minutes=5)).split(log, until=until)]
    [5, 5]
    """

    kind: str
    size: int | timedelta
    step: int | timedelta

    @classmethod
    def rows(cls, size: int, *, step: int | None = None) -> Window:
        """A window of ``size`` rows, moving by ``step`` rows (``size``: tumbling)."""
        if not isinstance(size, int) or size < 1:
            raise ParameterError.invalid("size", size, "a positive number of rows")
        step = size if step is None else step
        if not isinstance(step, int) or not 1 <= step <= size:
            raise ParameterError.invalid("step", step, f"a number of rows from 1 to {size}")
        return cls("rows", size, step)

    @classmethod
    def time(cls, size: timedelta, *, step: timedelta | None = None) -> Window:
        """A window of ``size`` time, moving by ``step`` (``size``: tumbling)."""
        if not isinstance(size, timedelta) or size <= timedelta(0):
            raise ParameterError.invalid("size", size, "a positive timedelta")
        step = size if step is None else step
        if not isinstance(step, timedelta) or not timedelta(0) < step <= size:
            raise ParameterError.invalid("step", step, f"a timedelta in (0, {size}]")
        return cls("time", size, step)

    @property
    def tumbling(self) -> bool:
        """Windows do not overlap."""
        return self.step == self.size

    def split(self, log: pd.DataFrame, *, ts: str = "ts", complete_only: bool = True,
              until: Any = None) -> Iterator[WindowSlice]:
        """The windows of ``log`` (sorted by ``ts``), oldest first. With ``complete_only``,
        a trailing window that is not full yet is left for later: for time windows, one that
        ends after ``until`` (default: the last logged time)."""
        import pandas as pd

        if ts not in log.columns:
            shown = ", ".join(map(str, log.columns[:8]))
            raise ParameterError.invalid("ts", ts, f"a column of the log ({shown})")
        frame = log.sort_values(ts, kind="stable").reset_index(drop=True)
        if self.kind == "rows":
            size, step = int(self.size), int(self.step)  # type: ignore[arg-type]
            start = 0
            while start < len(frame):
                part = frame.iloc[start:start + size]
                if len(part) < size and complete_only:
                    return
                yield WindowSlice(part[ts].iloc[0], part[ts].iloc[-1], part)
                start += step
            return
        if not len(frame):
            return
        times = pd.to_datetime(frame[ts], utc=True)
        size_td, step_td = pd.Timedelta(self.size), pd.Timedelta(self.step)
        first = times.iloc[0].floor(step_td)
        last = times.iloc[-1]
        horizon = last if until is None else pd.Timestamp(until)
        begin = first
        while begin <= last:
            end = begin + size_td
            if complete_only and end > horizon:
                return
            mask = (times >= begin) & (times < end)
            yield WindowSlice(begin, end, frame[mask.to_numpy()])
            begin += step_td
