"""A real Prometheus Alertmanager for tests (Debian's ``prometheus-alertmanager``).

Usage::

    with alertmanager(tmp_path) as am:
        AlertmanagerSink(am.url).send(events)
        am.alerts()          # GET /api/v2/alerts

It listens on 127.0.0.1 on a free port, keeps its state under ``tmp_path``, routes everything
to a null receiver, runs without clustering and is terminated on exit. A missing binary skips
the test, except under ``CI=true``, where it fails: CI must never pass by skipping these checks.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tests._binaries import free_port
from tests._binaries import require_binary as _require

BINARY = "prometheus-alertmanager"


def require_binary(name: str = BINARY) -> str:
    """An Alertmanager tool's path; skip, or fail under ``CI=true``."""
    return _require(name, package="prometheus-alertmanager", aliases=("alertmanager",),
                    purpose="check the alerts against the real Alertmanager API")


class Alertmanager:
    """A running Alertmanager: its ``url`` and a reader for ``/api/v2/alerts``."""

    def __init__(self, url: str, process: subprocess.Popen[bytes], log: Path) -> None:
        self.url, self.process, self.log = url, process, log

    def alerts(self) -> list[dict[str, Any]]:
        with urllib.request.urlopen(f"{self.url}/api/v2/alerts", timeout=5) as response:
            return list(json.loads(response.read()))

    def wait_for_alerts(self, count: int, *, timeout: float = 10.0) -> list[dict[str, Any]]:
        deadline, alerts = time.monotonic() + timeout, []
        while time.monotonic() < deadline:
            alerts = self.alerts()
            if len(alerts) >= count:
                return alerts
            time.sleep(0.1)
        raise AssertionError(f"{len(alerts)} alerts after {timeout}s, expected {count}: {alerts}")

    def wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"alertmanager exited with {self.process.returncode}:\n"
                                   f"{self.log.read_text(errors='replace')[-2000:]}")
            with contextlib.suppress(OSError), \
                    urllib.request.urlopen(f"{self.url}/-/ready", timeout=1) as response:
                if response.status == 200:
                    return
            time.sleep(0.1)
        raise AssertionError(f"alertmanager was not ready after {timeout}s:\n"
                             f"{self.log.read_text(errors='replace')[-2000:]}")


# JSON is YAML, so no YAML library is needed. Everything goes to a receiver with no integrations.
_CONFIG = json.dumps({"route": {"receiver": "null"}, "receivers": [{"name": "null"}]})


@contextlib.contextmanager
def alertmanager(tmp_path: Path, *, timeout: float = 15.0) -> Iterator[Alertmanager]:
    """Run Alertmanager until the block exits; yields once ``/-/ready`` answers 200."""
    binary = require_binary()
    root = Path(tmp_path) / f"alertmanager-{free_port()}"
    root.mkdir(parents=True)
    config = root / "alertmanager.yml"
    config.write_text(_CONFIG, encoding="utf-8")
    log = root / "alertmanager.log"
    process: subprocess.Popen[bytes] | None = None
    try:
        for attempt in range(3):  # another process may take the free port before Alertmanager does
            port = free_port()
            with open(log, "wb") as out:
                process = subprocess.Popen(
                    [binary, f"--config.file={config}", f"--storage.path={root / 'data'}",
                     f"--web.listen-address=127.0.0.1:{port}", "--cluster.listen-address=",
                     "--log.level=warn"],
                    stdout=out, stderr=subprocess.STDOUT)
            handle = Alertmanager(f"http://127.0.0.1:{port}", process, log)
            try:
                handle.wait_ready(timeout)
                break
            except RuntimeError:  # it exited
                if attempt == 2 or "address already in use" not in log.read_text(errors="replace"):
                    raise
        yield handle
    finally:
        if process is not None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
