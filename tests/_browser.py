"""Debian's Chromium driven by Playwright (never a browser that a tool downloads)."""

from __future__ import annotations

import importlib.util
import os
import shutil
from typing import Any

import pytest

__all__ = ["CHROMIUM", "CHROMIUM_ARGS", "chromium_or_skip", "launch"]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]


def chromium_or_skip() -> str:
    """Debian's Chromium; skipped where it is missing, except on CI, where that fails."""
    missing = [what for what, absent in (
        (CHROMIUM, shutil.which(CHROMIUM) is None),
        ("the playwright package", importlib.util.find_spec("playwright") is None)) if absent]
    if missing and os.environ.get("CI") == "true":
        pytest.fail(f"{' and '.join(missing)} missing on CI: install Debian's chromium and "
                    "the [dev] extra (never `playwright install`)")
    if missing:
        pytest.skip(f"{' and '.join(missing)} not installed")
    return CHROMIUM


def launch(playwright: Any) -> Any:
    """A headless Chromium from Debian's binary, with the flags that keep it off the network."""
    return playwright.chromium.launch(executable_path=chromium_or_skip(), headless=True,
                                      args=CHROMIUM_ARGS)
