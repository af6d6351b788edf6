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
from pathlib import Path

from alembic import command
from alembic.config import Config
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


def open_store(path: Path) -> Engine:
    """The store at ``path``, created or migrated to the current schema first."""
    path.parent.mkdir(parents=True, exist_ok=True)
    engine = engine_for(path)
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
    return engine


def version(engine: Engine) -> tuple[int, int]:
    """Changes whenever observations are imported or a target is set: a key for caches."""
    with engine.connect() as conn:
        row = conn.exec_driver_sql(
            "SELECT (SELECT COALESCE(MAX(id), 0) FROM imports), (SELECT COALESCE(MAX(id), 0) FROM targets)"
        ).one()
    return (int(row[0]), int(row[1]))
