"""One worker, several projects: each turn takes a model's lease, then monitors, decides and
retrains under it."""

from __future__ import annotations

import os
import socket
import threading
import uuid
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from driftline.config import Project
    from driftline.policy import Clock

__all__ = ["Worker", "WorkerTurn"]


@dataclass(frozen=True)
class WorkerTurn:
    """What one turn did for one model: skipped (another worker holds it) or its loop result.

    Examples
    --------
    >>> WorkerTurn("credit", False, None, {}).to_dict()["acted"]
    False
    """

    model: str
    acted: bool
    epoch: int | None
    result: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {"model": self.model, "acted": self.acted, "epoch": self.epoch,
                "result": dict(self.result)}


class Worker:
    """Run the loop for projects, holding each model's lease while acting.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "driftline.yaml").write_text(
    ...     "version: 1\\nmodel: {name: m, task: binary, target: y}\\n"
    ...     "training: {function: mymodel:train}\\nreference: {path: ref.csv}\\n")
    >>> a, b = Worker([d / "driftline.yaml"]), Worker([d / "driftline.yaml"])
    >>> a.run_once()[0].acted, b.run_once()[0].acted
    (True, False)
    """

    def __init__(self, projects: Sequence[Project | str | Path], *, holder: str | None = None,
                 ttl: timedelta = timedelta(minutes=10), clock: Clock | None = None) -> None:
        from driftline.config import Project as _Project
        from driftline.config import load_project
        from driftline.retrain import open_registry

        self.projects = [p if isinstance(p, _Project) else load_project(p, check_files=False)
                         for p in projects]
        self.holder = holder or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.ttl = ttl
        self.clock = clock
        self.registries = {p.config.model.name: open_registry(p) for p in self.projects}
        self._advisory: dict[str, Any] = {}
        from driftline.worker._alerts import router_from_config

        self.routers = {p.config.model.name: router_from_config(p.config) for p in self.projects}
        self.stop_event = threading.Event()

    def _advisory_lock(self, name: str) -> bool:
        """On PostgreSQL, a session advisory lock on a dedicated connection, kept while this
        worker lives; elsewhere always true (the lease table alone)."""
        registry = self.registries[name]
        engine = registry.store.engine
        if engine.dialect.name != "postgresql":
            return True
        if name in self._advisory:
            return True
        import sqlalchemy as sa

        conn = engine.connect()
        key = zlib.crc32(f"driftline:{name}".encode()) & 0x7FFFFFFF
        got = conn.execute(sa.text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar()
        conn.commit()
        if not got:
            conn.close()
            return False
        self._advisory[name] = conn
        return True

    def run_once(self, *, demand: str | None = None) -> list[WorkerTurn]:
        """One turn for every project: act where this worker gets the lease."""
        from driftline.retrain import run_loop_once

        turns = []
        for project in self.projects:
            name = project.config.model.name
            registry = self.registries[name]
            registry.store.add_model(name, project.config.model.task)
            if not self._advisory_lock(name):
                turns.append(WorkerTurn(name, False, None))
                continue
            epoch = registry.store.acquire_lease(name, self.holder, self.ttl)
            if epoch is None:
                turns.append(WorkerTurn(name, False, None))
                continue
            result = run_loop_once(project, registry=registry, clock=self.clock, demand=demand,
                                   epoch=epoch)
            from driftline.worker._alerts import deliver, events_of_turn

            # delivery problems are counted and stored with each event, never raised here
            routed = deliver(registry.store, name, self.routers.get(name),
                             events_of_turn(name, result))
            if routed is not None:
                result["alerts"] = routed
            turns.append(WorkerTurn(name, True, epoch, result))
        return turns

    def run_forever(self, every: float = 60.0) -> None:
        """Turns every ``every`` seconds until :attr:`stop_event` is set."""
        while not self.stop_event.is_set():
            self.run_once()
            self.stop_event.wait(every)
        self.close()

    def close(self) -> None:
        """Release the leases and advisory locks."""
        for name, registry in self.registries.items():
            registry.store.release_lease(name, self.holder)
        import sqlalchemy as sa

        for conn in self._advisory.values():  # pooled connections outlive close(): unlock
            conn.execute(sa.text("SELECT pg_advisory_unlock_all()"))
            conn.commit()
            conn.close()
        self._advisory.clear()
