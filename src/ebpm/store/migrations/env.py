"""Alembic environment for the monitoring store; the connection comes from ebpm.store.monitoring."""

from __future__ import annotations

from alembic import context

from ebpm.store import (
    budget_tables,  # noqa: F401  # puts the budget tables on ``metadata``
    follow_tables,  # noqa: F401
    lineage_tables,  # noqa: F401
)
from ebpm.store.monitoring import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
