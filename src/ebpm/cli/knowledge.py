"""Building and exporting the knowledge base: ``ingest``, ``export``, ``about``."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from ebpm.cli.common import DbOption, EditionOption, app, console, err, fail, load
from ebpm.errors import EditionFormatError, VectorError
from ebpm.export.graph_csv import ENCODINGS, write_csv
from ebpm.export.graph_json import to_json
from ebpm.parser.document import StructureError
from ebpm.services.ingest import Summary, exit_status, ingest
from ebpm.sources.corpus import BUNDLED_LICENCE, BUNDLED_SOURCE, CorpusError
from ebpm.sources.next_edition import next_edition
from ebpm.store import knowledge_base
from ebpm.store.editions import Editions


class ExportFormat(StrEnum):
    json = "json"
    csv = "csv"


INGEST_STEPS = ["read", "footnotes", "ministries", "headings", "sections", "index", "vectors", "store"]


def _print_summary(summary: Summary) -> None:
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
    if summary.vectors:
        console.print(
            f"sentence vectors (search by meaning): {summary.vectors}, "
            f"{summary.vectors_encoded} encoded, the others from the cache"
        )
    for mid, line, conf, reason in summary.low_confidence:
        console.print(f"  {mid:14s} line {line:5d}  confidence {conf:.2f}  {reason}", highlight=False)
    if summary.encoding != "utf-8":
        console.print(f"[yellow]note:[/] the source was decoded as {summary.encoding}")
    for w in summary.warnings:
        console.print(f"[yellow]warning:[/] {w}", highlight=False)
    for m in summary.missing:
        console.print(f"[bold yellow]missing:[/] {m}", highlight=False)
    if summary.verdict == "poor":
        # counts alone look normal on a failed parse: say it plainly, with the evidence
        console.print("[bold red]parse quality: poor[/] (the document did not parse well)", highlight=False)
        for r in summary.verdict_reasons:
            console.print(f"  {r}", highlight=False)
    else:
        console.print("parse quality: good")


@app.command("ingest")
def ingest_command(
    path: Annotated[
        Path | None, typer.Argument(help="Strategy text or PDF file (default: the bundled 2023 strategy).")
    ] = None,
    db: DbOption = None,
    allow_partial: Annotated[
        bool,
        typer.Option("--allow-partial", help="Let an incomplete document replace a complete knowledge base."),
    ] = False,
    search_extras: Annotated[
        bool,
        typer.Option(
            "--search-extras",
            help="Also use the search data written for the 2023 text (row phrasings, thesaurus).",
        ),
    ] = False,
    edition: Annotated[
        str | None,
        typer.Option(
            "--edition",
            help="The edition this document is, a year (default: read from its title).",
            show_default=False,
        ),
    ] = None,
    no_vectors: Annotated[
        bool,
        typer.Option(
            "--no-vectors",
            help="Search by words only: skip the sentence vectors (their first encoding takes minutes).",
        ),
    ] = False,
) -> None:
    """Parse one edition of the strategy into the policy graph; add it to the knowledge base or
    replace that edition atomically, leaving the other editions alone."""
    target = knowledge_base.resolve_path(db)
    with Progress(
        TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(), console=err, transient=True
    ) as progress:
        task = progress.add_task("ingest", total=len(INGEST_STEPS))
        encoding: list[TaskID] = []

        def step(name: str) -> None:
            # "read: page 3/194" while a PDF is read: the bar stays on its step, the words move
            stage, _, count = name.partition(": ")
            progress.update(
                task,
                description=f"ingest: {name}",
                completed=INGEST_STEPS.index(stage) if stage in INGEST_STEPS else None,
            )
            if stage == "vectors" and count:
                # the one long step (minutes when the cache is cold): a bar of its own
                done, total = (int(n) for n in count.split("/"))
                if not encoding and total:
                    encoding.append(progress.add_task("sentence vectors", total=total))
                if encoding:
                    progress.update(encoding[0], completed=done)

        try:
            _, summary = ingest(path, target, step, allow_partial, search_extras, edition, not no_vectors)
        except (CorpusError, StructureError, EditionFormatError, VectorError) as exc:
            raise fail(str(exc)) from None
        progress.update(task, completed=len(INGEST_STEPS))
    _print_summary(summary)
    written = summary.path or target
    if summary.kept:
        why = "looks incomplete" if summary.missing else "parsed poorly"
        err.print(
            f"[bold yellow]the document {why}: the complete knowledge base {escape(str(written))} "
            f"was kept (edition {summary.edition}; give --allow-partial to replace it)[/]",
            highlight=False,
        )
        raise typer.Exit(code=exit_status(summary))
    others = [e for e in Editions.of(target).names() if e != summary.edition]
    console.print(
        f"knowledge base written to [bold]{escape(str(written))}[/] (edition {summary.edition}"
        + (f"; other editions kept: {', '.join(others)})" if others else ")"),
        highlight=False,
    )
    if summary.missing:
        err.print("[bold yellow]the document looks incomplete; parsed what was there[/]")
        raise typer.Exit(code=2)
    if exit_status(summary) == 3:
        err.print("[bold yellow]the document parsed poorly; what was read is stored[/]")
        raise typer.Exit(code=3)


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
    edition: EditionOption = None,
) -> None:
    """Write the policy graph of one edition as JSON (schemas/policy-graph.schema.json) or CSV tables."""
    if encoding not in ENCODINGS:
        raise fail(f"--encoding: {encoding!r} is not one of {', '.join(ENCODINGS)}")
    doc = load(db, edition)
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
        raise fail(f"{folder}: CSV export writes a folder of tables, but this is a file")
    files = write_csv(doc, folder, encoding)
    err.print(f"wrote {len(files)} tables to {folder}/: " + ", ".join(p.name for p in files))


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise fail(f"{path}: cannot write ({exc.strerror or exc})") from None


@app.command("editions")
def editions_command(db: DbOption = None, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """List the editions of the strategy in the knowledge base, oldest first (the latest is the default)."""
    found = Editions.of(knowledge_base.resolve_path(db))
    rows = []
    for year, path in found.files.items():
        doc = knowledge_base.read(path)
        rows.append(
            {
                "edition": year,
                "file": str(path),
                "rows": len(doc.measures),
                "lines": doc.line_count,
                "sha256": doc.sha256,
                "default": year == found.latest,
            }
        )
    if as_json:
        sys.stdout.write(json.dumps(rows, ensure_ascii=False, indent=1) + "\n")
        return
    if not rows:
        raise fail(f"{found.db}: no knowledge base here; run `ebpm ingest` first")
    table = Table(title="Editions 版", show_header=True)
    for name in ("edition", "rows", "lines", "file"):
        table.add_column(name)
    for r in rows:
        mark = " (default)" if r["default"] else ""
        table.add_row(f"{r['edition']}{mark}", str(r["rows"]), str(r["lines"]), str(r["file"]))
    console.print(table)


@app.command("sample-edition")
def sample_edition_command(
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="The file (default: strategy-YEAR-SAMPLE.txt)."),
    ] = None,
    seed: Annotated[int, typer.Option(help="The generator's seed: the same seed writes the same text.")] = 1,
) -> None:
    """Write a SAMPLE next edition of the bundled strategy (synthetic: rows reworded, dropped, moved and
    added, deadlines slipped), to try editions side by side: `ebpm ingest` it, then `ebpm diff`."""
    sample = next_edition(seed=seed)
    target = output or Path(f"strategy-{sample.edition}-SAMPLE.txt")
    _write_atomic(target, sample.text)
    err.print(
        f"wrote {escape(str(target))}: a SAMPLE {sample.edition} edition (synthetic, seed {seed}); "
        f"next: ebpm ingest {escape(str(target))} && ebpm diff {sample.previous} {sample.edition}",
        highlight=False,
    )


@app.command("about")
def about_command() -> None:
    """Show the source and licence of the bundled strategy document."""
    console.print(f"source:  {BUNDLED_SOURCE}")
    console.print(f"licence: {BUNDLED_LICENCE}")
