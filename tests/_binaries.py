"""Shared by the tests that start real programs: find a Debian binary (skip without it, or
fail under CI=true, where a missing real component is an error) and pick a free port."""

from __future__ import annotations

import os
import shutil
import socket

import pytest

__all__ = ["free_port", "require_binary"]


def require_binary(name: str, *, package: str, purpose: str, aliases: tuple[str, ...] = ()) -> str:
    """The path of ``/usr/bin/<name>`` (or ``name``/an alias on PATH); skip, or fail under
    ``CI=true``."""
    path = f"/usr/bin/{name}"
    if not os.access(path, os.X_OK):
        path = next((p for p in map(shutil.which, (name, *aliases)) if p), "")
    if path:
        return path
    reason = f"{name} is not installed (Debian: apt-get install {package}); it is needed to {purpose}"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI=true and {reason}", pytrace=False)
    pytest.skip(reason)
    raise AssertionError("unreachable")  # pragma: no cover (pytest.skip raises)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago (bound to port 0, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
