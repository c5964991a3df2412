"""`make screenshots` works: the script seeds a history, serves it and saves every page."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests._browser import chromium_or_skip

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "screenshots.py"


@pytest.mark.browser
def test_the_screenshot_script_saves_every_page(tmp_path):
    chromium_or_skip()
    r = subprocess.run([sys.executable, str(SCRIPT), "--out", str(tmp_path), "--hours", "6"],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    names = sorted(p.name for p in tmp_path.glob("*.png"))
    assert names == sorted(f"ui-{n}.png" for n in (
        "overview", "serving", "drift", "performance", "training", "timeline", "alerts",
        "training-runs", "training-run", "training-study"))  # the last three: docs/tracking.md
    assert all((tmp_path / n).stat().st_size > 20_000 for n in names)
