"""Alembic migrations of the store (run by :meth:`driftline.store.Store.open`)."""
