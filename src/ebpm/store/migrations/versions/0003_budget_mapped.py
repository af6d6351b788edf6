"""Budget assessments name the project row they were computed from (mapped or not yet mapped).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-14
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # left empty for stored assessments: nothing says which row they were computed from, so
    # those projects show as not yet mapped until the next map (or `ebpm serve` start) redoes them
    with op.batch_alter_table("budget_assessments") as batch:
        batch.add_column(sa.Column("project_row_id", sa.Integer))


def downgrade() -> None:
    with op.batch_alter_table("budget_assessments") as batch:
        batch.drop_column("project_row_id")
