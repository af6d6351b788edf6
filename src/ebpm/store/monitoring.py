"""The monitoring store: what users add (observations, targets, imports), kept apart from the
knowledge base.

The knowledge base is derived: every ingest rebuilds it from the document. Observations and
targets are primary data that exist nowhere else, so they live in their own SQLite file, which
an ingest never touches and whose schema evolves through Alembic migrations.
Nothing here is ever updated in place: a revised value or target supersedes the old row,
which keeps its values and gets ``superseded_at``.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import (
    Column,
    Engine,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    event,
    text,
)
from sqlalchemy.exc import SQLAlchemyError

ENV_VAR = "EBPM_MONITORING_DB"
DEFAULT_NAME = "ebpm-monitoring.sqlite"
MIGRATIONS = Path(__file__).parent / "migrations"

metadata = MetaData()

imports = Table(
    "imports",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("file", Text, nullable=False),
    Column("format", String, nullable=False),
    Column("sha256", String, nullable=False),
    Column("rows", Integer, nullable=False),
    Column("added", Integer, nullable=False),
    Column("revised", Integer, nullable=False),
    Column("unchanged", Integer, nullable=False),
    Column("imported_at", String, nullable=False),  # ISO 8601, UTC
    Column("imported_by", String, nullable=False),
)

observations = Table(
    "observations",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("series_id", String, nullable=False),
    Column("period", String, nullable=False),  # canonical label: 2022, FY2022, 2022-03
    Column("period_end", String, nullable=False),  # ISO date the period ends on
    Column("value", Float, nullable=False),
    Column("unit", String),
    Column("source", Text, nullable=False),
    Column("note", Text),
    Column("import_id", Integer, ForeignKey("imports.id"), nullable=False),
    Column("line", Integer),  # the line or row of the imported file
    Column("imported_at", String, nullable=False),
    Column("superseded_at", String),
    Column("superseded_by", Integer),
    # one current value per series and period; superseded rows are history
    Index(
        "observations_current",
        "series_id",
        "period",
        unique=True,
        sqlite_where=text("superseded_at IS NULL"),
        postgresql_where=text("superseded_at IS NULL"),
    ),
)

targets = Table(
    "targets",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("series_id", String, nullable=False, index=True),
    Column("value", Float, nullable=False),
    Column("period", String, nullable=False),
    Column("period_end", String, nullable=False),
    Column("direction", String, nullable=False),  # up | down
    Column("base_period", String),  # the baseline observation's period, if chosen
    Column("note", Text),
    Column("author", String, nullable=False),
    Column("created_at", String, nullable=False),
    Column("superseded_at", String),
)


# Budget projects (行政事業レビューシート), one row per project and fiscal year; a re-import
# with other values supersedes the row. Matches are recomputed wholesale; reviews never are.
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
    Column("budget_yen", Integer),
    Column("executed_yen", Integer),
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
    Column("markers", Text, nullable=False),  # JSON list
    Column("computed_at", String, nullable=False),
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


def now() -> str:
    """The time rows are stamped with: UTC, ISO 8601, to the second."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def resolve_path(option: Path | None) -> Path:
    """``--monitoring-db`` wins, then ``$EBPM_MONITORING_DB``, then ``./ebpm-monitoring.sqlite``."""
    if option is not None:
        return option
    env = os.environ.get(ENV_VAR)
    return Path(env) if env else Path(DEFAULT_NAME)


def engine_for(path: Path) -> Engine:
    engine = create_engine(f"sqlite:///{path}")

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: object, _record: object) -> None:
        cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")  # readers (the web server) never block an import
        cursor.close()

    return engine


class MonitoringStoreError(RuntimeError):
    """The monitoring store cannot be opened or migrated; the message names the file."""


def open_store(path: Path) -> Engine:
    """The store at ``path``, created or migrated to the current schema first."""
    # imported here: Alembic is slow to import and only opening the store needs it
    from alembic import command
    from alembic.config import Config

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        engine = engine_for(path)
        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
    except (OSError, SQLAlchemyError) as exc:
        reason = getattr(exc, "orig", None) or getattr(exc, "strerror", None) or exc
        raise MonitoringStoreError(
            f"{path}: cannot open the monitoring store ({reason}); give another file with --monitoring-db"
        ) from None
    return engine


def version(engine: Engine) -> tuple[int, int]:
    """Changes whenever observations are imported or a target is set: a key for caches."""
    with engine.connect() as conn:
        row = conn.exec_driver_sql(
            "SELECT (SELECT COALESCE(MAX(id), 0) FROM imports), (SELECT COALESCE(MAX(id), 0) FROM targets)"
        ).one()
    return (int(row[0]), int(row[1]))
