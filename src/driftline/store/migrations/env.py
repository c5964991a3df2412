"""Alembic environment: the connection comes from the caller (see Store.migrate)."""

from __future__ import annotations

from alembic import context

from driftline.store._partitions import Partition
from driftline.store._tables import metadata


def _include_name(name: str | None, type_: str, parent_names: object) -> bool:
    """Autogenerate ignores the prediction log's partitions (PostgreSQL): they are made at run
    time, not by migrations."""
    return not (type_ == "table" and name and Partition.from_name(name) is not None)


connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True,
                  include_name=_include_name)
with context.begin_transaction():
    context.run_migrations()
