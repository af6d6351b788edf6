"""The ``ebpm`` command line: one module per group of commands, all on one Typer app."""

from ebpm.cli import (  # noqa: F401  (importing registers the commands)
    audit,
    budget,
    commitments,
    diff,
    indicators,
    knowledge,
    progress,
    report,
    research,
    search,
    serve,
    users,
)
from ebpm.cli.common import app

__all__ = ["app"]
