"""The ``ebpm`` command line."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from ebpm.export.graph_csv import ENCODINGS, write_csv
from ebpm.export.graph_json import to_json
from ebpm.parser.document import StructureError
from ebpm.services.ingest import Summary, ingest
from ebpm.sources.corpus import BUNDLED_LICENCE, BUNDLED_SOURCE, CorpusError
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

INGEST_STEPS = ["read", "footnotes", "ministries", "headings", "sections", "store"]


class ExportFormat(StrEnum):
    json = "json"
    csv = "csv"


def _fail(message: str) -> typer.Exit:
    err.print(f"[bold red]error:[/] {message}", highlight=False)
    return typer.Exit(code=1)


def _print_summary(summary: Summary, db: Path) -> None:
    table = Table(title="Knowledge base 知識ベース", show_header=True)
    table.add_column("element")
    table.add_column("count", justify="right")
    for name, n in summary.counts.items():
        table.add_row(name, str(n))
    console.print(table)
    console.print(f"lines recorded as noise (page numbers, blank-like): {summary.noise_lines}")
    console.print(
        f"unassigned non-blank lines: {len(summary.unassigned)}"
        + (f" (first: {summary.unassigned[:10]})" if summary.unassigned else "")
    )
    console.print(f"rows below confidence 0.9: {len(summary.low_confidence)}")
    for mid, line, conf, reason in summary.low_confidence:
        console.print(f"  {mid:14s} line {line:5d}  confidence {conf:.2f}  {reason}", highlight=False)
    if summary.encoding != "utf-8":
        console.print(f"[yellow]note:[/] the source was decoded as {summary.encoding}")
    for w in summary.warnings:
        console.print(f"[yellow]warning:[/] {w}", highlight=False)
    for m in summary.missing:
        console.print(f"[bold yellow]missing:[/] {m}", highlight=False)
    console.print(f"knowledge base written to [bold]{db}[/]")


@app.command("ingest")
def ingest_command(
    path: Annotated[
        Path | None, typer.Argument(help="Strategy text file (default: the bundled 2023 strategy).")
    ] = None,
    db: DbOption = None,
) -> None:
    """Parse the strategy into the policy graph and replace the knowledge base atomically."""
    target = knowledge_base.resolve_path(db)
    with Progress(
        TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(), console=err, transient=True
    ) as progress:
        task = progress.add_task("ingest", total=len(INGEST_STEPS))

        def step(name: str) -> None:
            progress.update(
                task,
                description=f"ingest: {name}",
                completed=INGEST_STEPS.index(name) if name in INGEST_STEPS else None,
            )

        try:
            _, summary = ingest(path, target, step)
        except (CorpusError, StructureError) as exc:
            raise _fail(str(exc)) from None
        except OSError as exc:
            raise _fail(f"{target}: cannot write the knowledge base ({exc.strerror or exc})") from None
        progress.update(task, completed=len(INGEST_STEPS))
    _print_summary(summary, target)
    if summary.missing:
        err.print("[bold yellow]the document looks incomplete; parsed what was there[/]")
        raise typer.Exit(code=2)


@app.command("export")
def export_command(
    format: Annotated[
        ExportFormat, typer.Option("--format", "-f", help="json: one file; csv: a folder of tables.")
    ] = ExportFormat.json,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="File (json) or folder (csv). JSON defaults to stdout, CSV to ./ebpm-export/.",
        ),
    ] = None,
    encoding: Annotated[str, typer.Option(help=f"CSV encoding: {', '.join(ENCODINGS)}.")] = "utf-8-sig",
    db: DbOption = None,
) -> None:
    """Write the policy graph as JSON (schemas/policy-graph.schema.json) or CSV tables."""
    if encoding not in ENCODINGS:
        raise _fail(f"--encoding: {encoding!r} is not one of {', '.join(ENCODINGS)}")
    try:
        doc = knowledge_base.read(knowledge_base.resolve_path(db))
    except KnowledgeBaseError as exc:
        raise _fail(str(exc)) from None
    if format is ExportFormat.json:
        payload = json.dumps(to_json(doc), ensure_ascii=False, indent=1)
        if output is None:
            sys.stdout.write(payload + "\n")
        else:
            _write_atomic(output, payload + "\n")
            err.print(f"wrote {output}")
        return
    folder = output or Path("ebpm-export")
    if folder.exists() and not folder.is_dir():
        raise _fail(f"{folder}: CSV export writes a folder of tables, but this is a file")
    files = write_csv(doc, folder, encoding)
    err.print(f"wrote {len(files)} tables to {folder}/: " + ", ".join(p.name for p in files))


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise _fail(f"{path}: cannot write ({exc.strerror or exc})") from None


@app.command("about")
def about_command() -> None:
    """Show the source and licence of the bundled strategy document."""
    console.print(f"source:  {BUNDLED_SOURCE}")
    console.print(f"licence: {BUNDLED_LICENCE}")


if __name__ == "__main__":
    app()
