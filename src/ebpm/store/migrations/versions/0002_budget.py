"""Budget projects, their computed matches and human reviews.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "budget_imports",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("file", sa.Text, nullable=False),
        sa.Column("sha256", sa.String, nullable=False),
        sa.Column("rows", sa.Integer, nullable=False),
        sa.Column("added", sa.Integer, nullable=False),
        sa.Column("revised", sa.Integer, nullable=False),
        sa.Column("unchanged", sa.Integer, nullable=False),
        sa.Column("imported_at", sa.String, nullable=False),
        sa.Column("imported_by", sa.String, nullable=False),
    )
    op.create_table(
        "budget_projects",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("project_id", sa.String, nullable=False),
        sa.Column("fiscal_year", sa.Integer, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("ministry", sa.String, nullable=False),
        sa.Column("bureau", sa.String),
        sa.Column("purpose", sa.Text),
        sa.Column("summary", sa.Text),
        sa.Column("budget_yen", sa.BigInteger),
        sa.Column("executed_yen", sa.BigInteger),
        sa.Column("import_id", sa.Integer, sa.ForeignKey("budget_imports.id"), nullable=False),
        sa.Column("line", sa.Integer),
        sa.Column("imported_at", sa.String, nullable=False),
        sa.Column("superseded_at", sa.String),
    )
    op.create_index(
        "budget_projects_current",
        "budget_projects",
        ["project_id", "fiscal_year"],
        unique=True,
        sqlite_where=sa.text("superseded_at IS NULL"),
        postgresql_where=sa.text("superseded_at IS NULL"),
    )
    op.create_table(
        "budget_matches",
        sa.Column("project_id", sa.String, primary_key=True),
        sa.Column("kind", sa.String, primary_key=True),
        sa.Column("rank", sa.Integer, primary_key=True),
        sa.Column("item_id", sa.String, nullable=False),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("explanation", sa.Text, nullable=False),
        sa.Column("computed_at", sa.String, nullable=False),
    )
    op.create_table(
        "budget_assessments",
        sa.Column("project_id", sa.String, primary_key=True),
        sa.Column("unmatched", sa.Integer, nullable=False),
        sa.Column("best_score", sa.Float, nullable=False),
        sa.Column("confidence", sa.Float, nullable=False),
        sa.Column("markers", sa.Text, nullable=False),
        sa.Column("computed_at", sa.String, nullable=False),
    )
    op.create_table(
        "budget_reviews",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("project_id", sa.String, nullable=False),
        sa.Column("item_id", sa.String, nullable=False),
        sa.Column("decision", sa.String, nullable=False),
        sa.Column("reviewer", sa.String, nullable=False),
        sa.Column("note", sa.Text),
        sa.Column("created_at", sa.String, nullable=False),
    )
    op.create_index("ix_budget_reviews_project_id", "budget_reviews", ["project_id"])


def downgrade() -> None:
    op.drop_table("budget_reviews")
    op.drop_table("budget_assessments")
    op.drop_table("budget_matches")
    op.drop_index("budget_projects_current", "budget_projects")
    op.drop_table("budget_projects")
    op.drop_table("budget_imports")
