"""The ``ebpm`` command line: one module per group of commands, all on one Typer app."""

from ebpm.cli import budget, commitments, indicators, knowledge, research, search, serve  # noqa: F401  (importing registers the commands)
from ebpm.cli.common import app

__all__ = ["app"]
