"""The monitoring store: imports, observations with history, user targets.

Revision ID: 0001
Revises:
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "imports",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("file", sa.Text, nullable=False),
        sa.Column("format", sa.String, nullable=False),
        sa.Column("sha256", sa.String, nullable=False),
        sa.Column("rows", sa.Integer, nullable=False),
        sa.Column("added", sa.Integer, nullable=False),
        sa.Column("revised", sa.Integer, nullable=False),
        sa.Column("unchanged", sa.Integer, nullable=False),
        sa.Column("imported_at", sa.String, nullable=False),
        sa.Column("imported_by", sa.String, nullable=False),
    )
    op.create_table(
        "observations",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("series_id", sa.String, nullable=False),
        sa.Column("period", sa.String, nullable=False),
        sa.Column("period_end", sa.String, nullable=False),
        sa.Column("value", sa.Float, nullable=False),
        sa.Column("unit", sa.String),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("note", sa.Text),
        sa.Column("import_id", sa.Integer, sa.ForeignKey("imports.id"), nullable=False),
        sa.Column("line", sa.Integer),
        sa.Column("imported_at", sa.String, nullable=False),
        sa.Column("superseded_at", sa.String),
        sa.Column("superseded_by", sa.Integer),
    )
    op.create_index(
        "observations_current",
        "observations",
        ["series_id", "period"],
        unique=True,
        sqlite_where=sa.text("superseded_at IS NULL"),
        postgresql_where=sa.text("superseded_at IS NULL"),
    )
    op.create_table(
        "targets",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("series_id", sa.String, nullable=False),
        sa.Column("value", sa.Float, nullable=False),
        sa.Column("period", sa.String, nullable=False),
        sa.Column("period_end", sa.String, nullable=False),
        sa.Column("direction", sa.String, nullable=False),
        sa.Column("base_period", sa.String),
        sa.Column("note", sa.Text),
        sa.Column("author", sa.String, nullable=False),
        sa.Column("created_at", sa.String, nullable=False),
        sa.Column("superseded_at", sa.String),
    )
    op.create_index("ix_targets_series_id", "targets", ["series_id"])


def downgrade() -> None:
    op.drop_table("targets")
    op.drop_index("observations_current", "observations")
    op.drop_table("observations")
    op.drop_table("imports")
