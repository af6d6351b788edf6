"""What every command shares: the Typer app, the consoles, the knowledge-base option, errors."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from ebpm.model import Document
from ebpm.store import knowledge_base
from ebpm.store.knowledge_base import KnowledgeBaseError

app = typer.Typer(
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
    err.print(f"[bold red]error:[/] {message}", highlight=False)
    return typer.Exit(code=1)


def load(db: Path | None) -> Document:
    """The policy graph from the knowledge base, or a clear error."""
    try:
        return knowledge_base.read(knowledge_base.resolve_path(db))
    except KnowledgeBaseError as exc:
        raise fail(str(exc)) from None
