"""What every command shares: the Typer app, the consoles, the knowledge-base option, errors."""

from __future__ import annotations

import errno
import sqlite3
from pathlib import Path
from typing import Annotated, Any

import duckdb
import typer
from rich.console import Console
from rich.markup import escape
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from typer.core import TyperGroup

from ebpm.errors import EditionFormatError, UnknownEditionError
from ebpm.model import Document
from ebpm.store import knowledge_base
from ebpm.store.editions import Editions
from ebpm.store.knowledge_base import KnowledgeBaseError
from ebpm.store.monitoring import MonitoringStoreError

# What a store or the file system can raise under any command: a folder that may not be written,
# a full disk, a locked or damaged database. Each becomes one line and exit 1, never a traceback.
STORE_ERRORS = (
    OSError,
    sqlite3.Error,
    duckdb.Error,
    SQLAlchemyError,
    KnowledgeBaseError,
    MonitoringStoreError,
)


def describe(exc: BaseException) -> str:
    """``exc`` as one line that names the file where the error knows it."""
    if isinstance(exc, DBAPIError) and exc.orig is not None:
        exc = exc.orig
    if isinstance(exc, OSError) and exc.filename is not None:
        where = f"{exc.filename} → {exc.filename2}" if exc.filename2 is not None else str(exc.filename)
        return f"{where}: {exc.strerror or exc}"
    if isinstance(exc, sqlite3.Error | duckdb.Error | SQLAlchemyError):
        return f"database error: {' '.join(str(exc).split())}"
    return " ".join(str(exc).split()) or type(exc).__name__


class Commands(TyperGroup):
    """The top-level group: every command, in every sub-group, runs inside its ``invoke``."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except STORE_ERRORS as exc:
            if isinstance(exc, BrokenPipeError) or getattr(exc, "errno", None) == errno.EPIPE:
                raise  # stdout closed by `| head`: Typer exits quietly
            raise fail(describe(exc)) from None


app = typer.Typer(
    cls=Commands,
    help="ebpm: the Integrated Innovation Strategy 2023 (統合イノベーション戦略2023) as a policy graph.",
    no_args_is_help=True,
    add_completion=False,
)
console = Console()
err = Console(stderr=True, soft_wrap=True)  # never break a path or message mid-word

DbOption = Annotated[
    Path | None,
    typer.Option(
        "--db", help="Knowledge base file (default: $EBPM_DB, else ./ebpm.sqlite).", show_default=False
    ),
]


def fail(message: str) -> typer.Exit:
    """Print ``message`` as an error; the caller raises what this returns (exit code 1)."""
    # escaped: a file name such as `[draft].csv` is text, not Rich markup
    err.print(f"[bold red]error:[/] {escape(message)}", highlight=False)
    return typer.Exit(code=1)


EditionOption = Annotated[
    str | None,
    typer.Option(
        "--edition",
        help="The strategy's edition, a year such as 2024 (default: the latest in the knowledge base).",
        show_default=False,
    ),
]


def edition_path(db: Path | None, edition: str | None) -> Path:
    """The file of ``edition`` (the latest when None) in the knowledge base, or a clear error."""
    try:
        return Editions.of(knowledge_base.resolve_path(db)).path(edition)
    except (UnknownEditionError, EditionFormatError) as exc:
        raise fail(str(exc)) from None


def followup_edition(db: Path | None) -> str | None:
    """The edition the monitoring store's ids refer to: $EBPM_FOLLOWUP_EDITION, else the oldest
    edition in the knowledge base (ebpm.store.editions.Editions.followup)."""
    try:
        return Editions.of(knowledge_base.resolve_path(db)).followup()
    except (UnknownEditionError, EditionFormatError) as exc:
        raise fail(str(exc)) from None


def load_followup(db: Path | None) -> Document:
    """The policy graph of the follow-up edition: what indicator, budget and progress commands
    read and write against."""
    return load(db, followup_edition(db))


def load(db: Path | None, edition: str | None = None) -> Document:
    """The policy graph of one edition (the latest by default), or a clear error."""
    try:
        return knowledge_base.read(edition_path(db, edition))
    except KnowledgeBaseError as exc:
        raise fail(str(exc)) from None
