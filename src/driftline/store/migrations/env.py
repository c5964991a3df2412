"""Alembic environment: the connection comes from the caller (see Store.migrate)."""

from alembic import context

from driftline.store._tables import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
