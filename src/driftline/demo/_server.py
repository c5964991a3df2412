"""The demo's service: ``create_app`` under uvicorn in a background thread, on a local port,
and optionally a local Prometheus that scrapes it with the exported alert rules."""

from __future__ import annotations

import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

__all__ = ["DemoServer", "free_port", "start_prometheus"]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class DemoServer:
    """Serve these project files (predict, feedback, metrics, UI) on ``127.0.0.1:port``.

    The loop is not embedded: the demo runs it itself, turn by turn, on its own clock.
    """

    def __init__(self, projects: list[Path], port: int) -> None:
        import uvicorn

        from driftline.app import ServeSettings, create_app

        app = create_app(projects, ServeSettings(worker=False, sample_seconds=2.0,
                                                 poll_seconds=0.5))
        self.url = f"http://127.0.0.1:{port}"
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                                    log_level="warning", access_log=False))
        self.thread = threading.Thread(target=self.server.run, name="driftline-demo-server",
                                       daemon=True)

    def start(self, timeout: float = 60.0) -> DemoServer:
        self.thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the demo's server did not start")
            time.sleep(0.05)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(30)


def start_prometheus(folder: Path, target: str) -> tuple[Any, str] | None:
    """Export the scrape config and alert rules into ``folder`` and start Prometheus on a
    free port (``None`` when the binary is not installed)."""
    binary = shutil.which("prometheus") or ("/usr/bin/prometheus"
                                            if Path("/usr/bin/prometheus").exists() else None)
    if binary is None:
        return None
    from driftline.integrations import write_prometheus

    write_prometheus(folder, targets=[target], scrape_interval="5s")
    port = free_port()
    log = open(folder / "prometheus.log", "wb")  # noqa: SIM115 (the process keeps it)
    proc = subprocess.Popen(
        [binary, f"--config.file={folder / 'prometheus.yml'}",
         f"--storage.tsdb.path={folder / 'data'}", f"--web.listen-address=127.0.0.1:{port}"],
        stdout=log, stderr=subprocess.STDOUT)
    return proc, f"http://127.0.0.1:{port}"
