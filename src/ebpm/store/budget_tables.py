"""The budget tables of the monitoring store, on its one ``metadata`` (and so in its migrations).

Budget projects (行政事業レビューシート): one row per project and fiscal year; a re-import with
other values supersedes the row, which stays as history. Matches and assessments are computed
(``ebpm budget map``) and replaced project by project; reviews by people never are.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Float, ForeignKey, Index, Integer, String, Table, Text, text

from ebpm.store.monitoring import metadata

budget_imports = Table(
    "budget_imports",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("file", Text, nullable=False),
    Column("sha256", String, nullable=False),
    Column("rows", Integer, nullable=False),
    Column("added", Integer, nullable=False),
    Column("revised", Integer, nullable=False),
    Column("unchanged", Integer, nullable=False),
    Column("imported_at", String, nullable=False),
    Column("imported_by", String, nullable=False),
)

budget_projects = Table(
    "budget_projects",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("project_id", String, nullable=False),
    Column("fiscal_year", Integer, nullable=False),
    Column("name", Text, nullable=False),
    Column("ministry", String, nullable=False),
    Column("bureau", String),
    Column("purpose", Text),
    Column("summary", Text),
    Column("background", Text),  # 現状・課題
    Column("budget_yen", BigInteger),
    Column("executed_yen", BigInteger),
    Column("import_id", Integer, ForeignKey("budget_imports.id"), nullable=False),
    Column("line", Integer),
    Column("imported_at", String, nullable=False),
    Column("superseded_at", String),
    Index(
        "budget_projects_current",
        "project_id",
        "fiscal_year",
        unique=True,
        sqlite_where=text("superseded_at IS NULL"),
        postgresql_where=text("superseded_at IS NULL"),
    ),
)

budget_matches = Table(
    "budget_matches",
    metadata,
    Column("project_id", String, primary_key=True),
    Column("kind", String, primary_key=True),  # measure | subsection | field
    Column("rank", Integer, primary_key=True),
    Column("item_id", String, nullable=False),
    Column("score", Float, nullable=False),
    Column("explanation", Text, nullable=False),  # JSON
    Column("computed_at", String, nullable=False),
)

budget_assessments = Table(
    "budget_assessments",
    metadata,
    Column("project_id", String, primary_key=True),
    Column("unmatched", Integer, nullable=False),
    Column("best_score", Float, nullable=False),
    Column("confidence", Float, nullable=False),
    # JSON: the best row's signals (words, meanings, chars, best, margin, coverage), as the calibration
    # reads them; the column once held the STI marker words (a list, read as no signals)
    Column("markers", Text, nullable=False),
    Column("computed_at", String, nullable=False),
    # the budget_projects row (the project's latest year) the matches were computed from: a
    # project whose latest row is another one is "not yet mapped" (an import since, or a map
    # that was interrupted), and the next map finishes it
    Column("project_row_id", Integer),
)

budget_reviews = Table(
    "budget_reviews",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("project_id", String, nullable=False, index=True),
    Column("item_id", String, nullable=False),
    Column("decision", String, nullable=False),  # confirm | reject | add
    Column("reviewer", String, nullable=False),
    Column("note", Text),
    Column("created_at", String, nullable=False),
)
