"""`driftline ui` serves the dashboards alone; `driftline serve --no-ui` serves none."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests._binaries import free_port
from tests.serving.server import Server

DRIFTLINE = str(Path(sys.executable).parent / "driftline")


def _wait(url: str, proc: subprocess.Popen) -> None:
    for _ in range(300):
        if proc.poll() is not None:
            raise AssertionError(f"exited with {proc.returncode}")
        try:
            httpx.get(url, timeout=1.0)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise AssertionError(f"{url} did not answer")


def test_driftline_ui_serves_the_dashboards_and_no_model(seeded):
    port = free_port()
    proc = subprocess.Popen([DRIFTLINE, "ui", str(seeded[0]), "--port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait(url + "/ui/", proc)
        assert httpx.get(url + "/ui/").status_code == 200
        assert "not served here" in httpx.get(url + "/ui/").text
        assert httpx.get(url + "/ui/models/credit/drift").status_code == 200
        assert httpx.post(url + "/v1/models/credit/predict", json={"records": []}).status_code == 404
    finally:
        proc.terminate()
        out = proc.communicate(timeout=30)[0].decode()
    assert f"dashboards: http://127.0.0.1:{port}/ui/" in out


def test_driftline_ui_refuses_a_public_address_without_tokens(seeded):
    r = subprocess.run([DRIFTLINE, "ui", str(seeded[0]), "--host", "0.0.0.0", "--port", "9"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "refusing to listen on 0.0.0.0" in r.stderr


def test_serve_without_the_ui_or_the_worker(seeded, tmp_path):
    with Server([seeded[0]], log_path=tmp_path / "log", args=["--no-ui", "--no-worker"]) as srv:
        assert httpx.get(srv.url + "/ui/").status_code == 404
        assert httpx.get(srv.url + "/v2/health/live").status_code == 200
    with Server([seeded[0]], log_path=tmp_path / "log2", args=["--no-worker"]) as srv:
        assert httpx.get(srv.url + "/ui/").status_code == 200
