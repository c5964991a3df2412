"""Shared fixtures. `store_url`: every store test runs on SQLite (a file, WAL) and on the real
PostgreSQL on 127.0.0.1 (a fresh database per test; under CI=true an unreachable server fails)."""

from __future__ import annotations

import os
import uuid

import pytest

PG_ADMIN = "postgresql+psycopg://127.0.0.1:5432/test"


def _pg_database():
    sa = pytest.importorskip("sqlalchemy")
    name = f"dl_test_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL on 127.0.0.1:5432 is required under CI=true: {exc}")
        pytest.skip(f"PostgreSQL not reachable: {exc}")
    return admin, name


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.db'}"
        return
    sa = pytest.importorskip("sqlalchemy")
    admin, name = _pg_database()
    yield f"postgresql+psycopg://127.0.0.1:5432/{name}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()
