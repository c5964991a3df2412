"""The prediction log writer: one background thread that group-commits logged rows.

``durable`` (the default): a request waits until its rows are committed. Requests that arrive
while a commit is running are written together in the next transaction (group commit), so the
cost of a commit is shared. A failed or timed-out write makes the request fail with 503, and
the rows count in ``driftline_prediction_log_dropped_total``.

``best_effort``: a request does not wait. Rows collect until ``batch_size`` rows or
``flush_interval_ms`` have passed; a full queue or a failed write drops rows and counts them.

Closing the log (on SIGTERM) writes everything still queued before it returns.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from driftline.errors import ParameterError

if TYPE_CHECKING:
    from driftline.store import PendingBatch, Store

__all__ = ["LogMetrics", "PredictionLog"]

MODES = ("durable", "best_effort")
# A test hook, never set in production: exit the process right after the Nth commit, before
# any waiting request is answered (the fault-injection durability test).
_CRASH_ENV = "DRIFTLINE_TEST_CRASH_AFTER_COMMITS"


@dataclass
class LogMetrics:
    """Callbacks the writer reports to (the telemetry layer plugs in here).

    Examples
    --------
    >>> seen = []
    >>> LogMetrics(dropped=lambda m, n, why: seen.append((m, n, why))).dropped("credit", 3, "timeout")
    >>> seen
    [('credit', 3, 'timeout')]
    """

    write: Callable[[str, float], None] = lambda model, seconds: None
    dropped: Callable[[str, int, str], None] = lambda model, n, reason: None


@dataclass
class _Item:
    model: str
    batch: PendingBatch
    future: Future[None] | None
    # set by submit_async: an asyncio future, resolved on its loop once per written group
    waiter: asyncio.Future[None] | None = None
    loop: asyncio.AbstractEventLoop | None = None


class PredictionLog:
    """Queue logged rows and write them on a background thread.

    Examples
    --------
    >>> import pandas as pd
    >>> from datetime import datetime, timezone
    >>> from driftline.store import PendingBatch, Store
    >>> store = Store.open("sqlite://")
    >>> mid = store.add_model("m", "regression")
    >>> log = PredictionLog(store).start()
    >>> now = datetime.now(timezone.utc)
    >>> fut = log.submit("m", PendingBatch(mid, 1, pd.DataFrame({"x": [1.0], "prediction": [2.0]}),
    ...                                    ["a"], [now], [""], [0.3], "served"))
    >>> fut.result(timeout=5)
    >>> log.close()
    >>> store.read_window("m")["prediction"].tolist()
    [2.0]
    """

    def __init__(self, store: Store, *, mode: str = "durable", batch_size: int = 500,
                 flush_interval_ms: int = 200, max_pending_rows: int = 200_000,
                 metrics: LogMetrics | None = None, inline: bool = False) -> None:
        if mode not in MODES:
            raise ParameterError.choice("mode", mode, MODES)
        self.store = store
        self.mode = mode
        self.batch_size = batch_size
        self.flush_interval = flush_interval_ms / 1000.0
        self.max_pending_rows = max_pending_rows
        self.metrics = metrics or LogMetrics()
        self.inline = inline
        self._queue: deque[_Item] = deque()
        self._rows = 0
        self._cond = threading.Condition()
        self._closing = False
        self._thread: threading.Thread | None = None
        self._commits = 0
        self._loop_items: list[_Item] = []
        self._handover_scheduled = False
        crash = os.environ.get(_CRASH_ENV)
        self._crash_after = int(crash) if crash else None

    @property
    def durable(self) -> bool:
        """Whether requests wait for the commit."""
        return self.mode == "durable"

    @property
    def pending_rows(self) -> int:
        """Rows queued and not yet written."""
        return self._rows

    def start(self) -> PredictionLog:
        """Start the writer thread."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="driftline-log-writer",
                                            daemon=True)
            self._thread.start()
        return self

    def submit(self, model: str, batch: PendingBatch) -> Future[None] | None:
        """Queue a batch. Durable mode returns a future that completes at the commit; best
        effort returns ``None`` (rows that do not fit in the queue are dropped and counted)."""
        n = len(batch.ids)
        future: Future[None] | None = Future() if self.durable else None
        with self._cond:
            if self._closing:
                raise RuntimeError("the prediction log is closed")
            if not self.durable and self._rows + n > self.max_pending_rows:
                self.metrics.dropped(model, n, "queue_full")
                return None
            self._queue.append(_Item(model, batch, future))
            self._rows += n
            self._cond.notify()
        return future

    def submit_async(self, model: str, batch: PendingBatch) -> asyncio.Future[None] | None:
        """Like :meth:`submit`, from the event loop, with less per-request work: the loop's
        requests of one iteration go to the writer together (one hand-over, one wake-up) and
        are answered together (one call back into the loop per written group)."""
        if not self.durable:
            self.submit(model, batch)
            return None
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[None] = loop.create_future()
        self._loop_items.append(_Item(model, batch, None, waiter, loop))
        if not self._handover_scheduled:
            self._handover_scheduled = True
            loop.call_soon(self._hand_over)
        return waiter

    def _hand_over(self) -> None:
        self._handover_scheduled = False
        items, self._loop_items = self._loop_items, []
        if self.inline and not self._closing:
            # An embedded database (SQLite) commits in microseconds: doing it here, between
            # requests, saves two thread switches per group on a busy single core.
            self._write(items)
            return
        with self._cond:
            if self._closing:
                for item in items:
                    assert item.waiter is not None
                    item.waiter.set_exception(RuntimeError("the prediction log is closed"))
                return
            self._queue.extend(items)
            self._rows += sum(len(i.batch.ids) for i in items)
            self._cond.notify()

    def close(self, timeout: float = 60.0) -> None:
        """Write everything queued, then stop the writer."""
        with self._cond:
            self._closing = True
            self._cond.notify()
        if self._thread is not None:
            self._thread.join(timeout)

    # -- the writer thread ----------------------------------------------------------------
    def _take(self) -> list[_Item] | None:
        with self._cond:
            while not self._queue and not self._closing:
                self._cond.wait()
            if not self._queue:
                return None
            if not self.durable and not self._closing:
                deadline = time.monotonic() + self.flush_interval
                while self._rows < self.batch_size and not self._closing:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        break
                    self._cond.wait(left)
            taken: list[_Item] = []
            rows = 0
            while self._queue and (not taken or rows < self.batch_size):
                item = self._queue.popleft()
                taken.append(item)
                rows += len(item.batch.ids)
            self._rows -= rows
            return taken

    def _run(self) -> None:
        while True:
            taken = self._take()
            if taken is None:
                return
            self._write(taken)

    def _write(self, items: list[_Item]) -> None:
        started = time.perf_counter()
        try:
            self.store.append_batches(_merge(items))
        except Exception as exc:  # the database refused or is gone: fail these requests
            if len(items) > 1:  # isolate the culprit (a duplicate id from another replica)
                for item in items:
                    self._write([item])
                return
            for item in items:
                self.metrics.dropped(item.model, len(item.batch.ids), "write_failed")
                if item.future is not None:
                    item.future.set_exception(exc)
            _wake(items, exc)
            return
        elapsed = time.perf_counter() - started
        self._commits += 1
        if self._crash_after is not None and self._commits >= self._crash_after:
            os._exit(86)  # the fault-injection test: committed, but nobody was answered
        for model in {item.model for item in items}:
            self.metrics.write(model, elapsed)
        for item in items:
            if item.future is not None:
                item.future.set_result(None)
        _wake(items, None)


def _wake(items: list[_Item], exc: BaseException | None) -> None:
    """Resolve the asyncio waiters: one thread-safe call per event loop, not per request
    (directly when called on that loop, as inline commits are)."""
    by_loop: dict[Any, list[asyncio.Future[None]]] = {}
    for item in items:
        if item.waiter is not None and item.loop is not None:
            by_loop.setdefault(item.loop, []).append(item.waiter)
    try:
        running = asyncio.get_running_loop()
    except RuntimeError:
        running = None
    for loop, waiters in by_loop.items():
        if loop is running:
            _resolve(waiters, exc)
            continue
        with contextlib.suppress(RuntimeError):  # a closed loop: nobody is waiting any more
            loop.call_soon_threadsafe(_resolve, waiters, exc)


def _resolve(waiters: list[asyncio.Future[None]], exc: BaseException | None) -> None:
    for w in waiters:
        if not w.done():
            if exc is None:
                w.set_result(None)
            else:
                w.set_exception(exc)


def _merge(items: list[_Item]) -> list[PendingBatch]:
    """One batch per model, version, source and column set: fewer, larger blobs."""
    import pandas as pd

    from driftline.store import PendingBatch

    groups: dict[tuple[Any, ...], list[PendingBatch]] = {}
    for item in items:
        b = item.batch
        cols = tuple(b.payload) if isinstance(b.payload, dict) else tuple(b.payload.columns)
        key = (b.model_id, b.version, b.source, cols, isinstance(b.payload, dict))
        groups.setdefault(key, []).append(b)
    out = []
    for (mid, version, source, _, _), batches in groups.items():
        if len(batches) == 1:
            out.append(batches[0])
            continue
        lat = None if any(b.latency_ms is None for b in batches) else [
            x for b in batches for x in (b.latency_ms or [])]
        if isinstance(batches[0].payload, dict):
            payload: Any = {k: np.concatenate([b.payload[k] for b in batches])
                            for k in batches[0].payload}
        else:
            payload = pd.concat([b.payload for b in batches], ignore_index=True)
        out.append(PendingBatch(
            mid, version, payload,
            [i for b in batches for i in b.ids], [t for b in batches for t in b.times],
            [h for b in batches for h in b.hashes], lat, source))
    return out
