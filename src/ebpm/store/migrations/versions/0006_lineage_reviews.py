"""Lineage reviews: an admin's decision on a link between two editions' rows or actions.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "lineage_reviews",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("old_edition", sa.String, nullable=False),
        sa.Column("new_edition", sa.String, nullable=False),
        sa.Column("kind", sa.String, nullable=False),
        sa.Column("new_id", sa.String, nullable=False),
        sa.Column("old_id", sa.String),
        sa.Column("decision", sa.String, nullable=False),
        sa.Column("author", sa.String, nullable=False),
        sa.Column("created_at", sa.String, nullable=False),
        sa.Column("superseded_at", sa.String),
    )
    op.create_index(
        "lineage_reviews_item", "lineage_reviews", ["old_edition", "new_edition", "kind", "new_id"]
    )


def downgrade() -> None:
    op.drop_index("lineage_reviews_item", "lineage_reviews")
    op.drop_table("lineage_reviews")
