"""Budget projects keep their review sheet's 現状・課題 (current issues): the mapping reads it too.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("budget_projects") as batch:
        batch.add_column(sa.Column("background", sa.Text))


def downgrade() -> None:
    with op.batch_alter_table("budget_projects") as batch:
        batch.drop_column("background")
