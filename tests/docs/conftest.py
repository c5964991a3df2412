"""Delete the working directories the docs harness made, once the session ends."""

from __future__ import annotations

import pytest

from tests.docs.runner import cleanup


@pytest.fixture(scope="session", autouse=True)
def _docs_working_directories():
    yield
    cleanup()
