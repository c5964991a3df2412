"""schemathesis against the app's own OpenAPI document, on a fresh server: every check
(see schemathesis.toml for the one documented exception), bounded examples, 0 failures."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.serving.server import Server

CONFIG = Path(__file__).with_name("schemathesis.toml")
ST = str(Path(sys.executable).parent / "st")


@pytest.mark.slow
def test_schemathesis_finds_no_failures(project):
    with Server([project]).start(ready=True) as server:
        run = subprocess.run(
            [ST, "--config-file", str(CONFIG), "run", f"{server.url}/openapi.json",
             "--max-examples", "40", "--workers", "2", "--seed", "20261126",
             "--phases", "examples,coverage,fuzzing", "--no-color"],
            capture_output=True, text=True, timeout=600)
        log = server.log()
    tail = run.stdout[-6000:]
    assert run.returncode == 0, f"schemathesis failed:\n{tail}\n--- server log ---\n{log}"
    summary = run.stdout.split("SUMMARY")[-1]
    assert "generated" in summary and "failure" not in summary, tail
    assert "Internal Server Error" not in log and "Traceback" not in log
