"""A real Prometheus server for tests, and the promtool / prometheus binaries.

Usage::

    with prometheus("127.0.0.1:8000", tmp_path) as prom:
        prom.wait_for('sum(driftline_requests_total{model="credit"})', 7)
        prom.query("up")            # -> the API's data.result list

Prometheus listens on 127.0.0.1 on a free port, keeps its TSDB under ``tmp_path``, scrapes
``target`` every second and is terminated on exit. A missing binary skips the test, except
under ``CI=true``, where it fails: CI must never pass by skipping these checks.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from tests._binaries import free_port
from tests._binaries import require_binary as _require

__all__ = ["Prometheus", "free_port", "prometheus", "require_binary"]


def require_binary(name: str) -> str:
    """A Prometheus tool's path; skip, or fail under ``CI=true``."""
    return _require(name, package="prometheus",
                    purpose="check the metrics against the real Prometheus tools")


class Prometheus:
    """A running Prometheus: its ``url`` and a small client for the HTTP API."""

    def __init__(self, url: str, process: subprocess.Popen[bytes], log: Path) -> None:
        self.url = url
        self.process = process
        self.log = log

    def _get(self, path: str, **params: str) -> Any:
        query = f"?{urllib.parse.urlencode(params)}" if params else ""
        with urllib.request.urlopen(f"{self.url}{path}{query}", timeout=5) as response:
            return json.loads(response.read())

    def query(self, promql: str) -> list[dict[str, Any]]:
        """Run an instant query; return ``data.result`` (a list of ``{metric, value}``)."""
        body = self._get("/api/v1/query", query=promql)
        if body.get("status") != "success":
            raise AssertionError(f"query {promql!r} failed: {body}")
        return list(body["data"]["result"])

    def targets(self) -> list[dict[str, Any]]:
        """The active scrape targets (``/api/v1/targets``)."""
        return list(self._get("/api/v1/targets")["data"]["activeTargets"])

    def value(self, promql: str) -> float | None:
        """The value of a query that returns one sample, or ``None`` if it returns none."""
        result = self.query(promql)
        if not result:
            return None
        assert len(result) == 1, f"{promql!r} returned {len(result)} series"
        return float(result[0]["value"][1])

    def wait_for(self, promql: str, expected: float | Callable[[float | None], bool], *,
                 timeout: float = 20.0) -> float | None:
        """Poll ``promql`` until its value equals ``expected`` (or satisfies it); fail on timeout."""
        check = expected if callable(expected) else (lambda v: v == expected)
        deadline, value = time.monotonic() + timeout, None
        while time.monotonic() < deadline:
            value = self.value(promql)
            if check(value):
                return value
            time.sleep(0.25)
        raise AssertionError(f"{promql!r} was {value!r} after {timeout}s, expected {expected!r}; "
                             f"targets: {self.targets()}")

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"prometheus exited with {self.process.returncode}:\n"
                                   f"{self.log.read_text(errors='replace')[-2000:]}")
            with contextlib.suppress(OSError), \
                    urllib.request.urlopen(f"{self.url}/-/ready", timeout=1) as response:
                if response.status == 200:
                    return
            time.sleep(0.1)
        raise AssertionError(f"prometheus was not ready after {timeout}s")

    def _wait_target_up(self, timeout: float) -> None:
        deadline, targets = time.monotonic() + timeout, []
        while time.monotonic() < deadline:
            targets = self.targets()
            if targets and all(t["health"] == "up" for t in targets):
                return
            time.sleep(0.2)
        raise AssertionError(f"the target was not up after {timeout}s: {targets}")


def _config(target: str, metrics_path: str, interval: str) -> str:
    # JSON is YAML, so no YAML library is needed.
    return json.dumps({
        "global": {"scrape_interval": interval, "scrape_timeout": interval,
                   "evaluation_interval": interval},
        "scrape_configs": [{"job_name": "driftline", "metrics_path": metrics_path,
                            "static_configs": [{"targets": [target]}]}],
    })


@contextlib.contextmanager
def prometheus(target: str, tmp_path: Path, *, metrics_path: str = "/metrics",
               scrape_interval: str = "1s", timeout: float = 30.0) -> Iterator[Prometheus]:
    """Run Prometheus scraping ``target`` (``host:port``) until the block exits.

    Yields once Prometheus is ready and the target is up.
    """
    binary = require_binary("prometheus")
    root = Path(tmp_path) / f"prometheus-{free_port()}"
    root.mkdir(parents=True)
    config = root / "prometheus.yml"
    config.write_text(_config(target, metrics_path, scrape_interval), encoding="utf-8")
    log = root / "prometheus.log"
    process: subprocess.Popen[bytes] | None = None
    try:
        for attempt in range(3):  # another process may take the free port before Prometheus does
            port = free_port()
            with open(log, "wb") as out:
                process = subprocess.Popen(
                    [binary, f"--config.file={config}", f"--storage.tsdb.path={root / 'data'}",
                     f"--web.listen-address=127.0.0.1:{port}", "--log.level=warn"],
                    stdout=out, stderr=subprocess.STDOUT)
            handle = Prometheus(f"http://127.0.0.1:{port}", process, log)
            try:
                handle._wait_ready(timeout)
                break
            except RuntimeError:  # it exited
                if attempt == 2 or "address already in use" not in log.read_text(errors="replace"):
                    raise
        handle._wait_target_up(timeout)
        yield handle
    finally:
        if process is not None:
            _stop(process)


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
