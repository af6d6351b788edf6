"""``ebpm search``: Japanese-aware search over everything the parser extracted."""

from __future__ import annotations

import json
import re
import sys
from dataclasses import asdict
from datetime import date
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from ebpm.cli.common import DbOption, EditionOption, app, console, edition_path, fail
from ebpm.search.documents import KINDS
from ebpm.search.index import IndexMissingError, QueryError, SearchIndex


@app.command("search")
def search_command(
    query: Annotated[str, typer.Argument(help="Words or a question, in Japanese or English.")],
    section: Annotated[
        str | None, typer.Option(help="Only under this heading id, e.g. 2.2 or 2.1.3.")
    ] = None,
    ministry: Annotated[str | None, typer.Option(help="Only items owned by this ministry, e.g. 文.")] = None,
    kind: Annotated[str | None, typer.Option(help=f"Only one kind: {'|'.join(KINDS)}.")] = None,
    due_by: Annotated[
        str | None, typer.Option(help="Only items due on or before this date (YYYY-MM-DD).")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=200, help="How many hits to show.")] = 10,
    as_json: Annotated[bool, typer.Option("--json", help="Write JSON to stdout.")] = False,
    db: DbOption = None,
    edition: EditionOption = None,
) -> None:
    """Search the strategy; hits are ranked (BM25) and come with facet counts."""
    due = None
    if due_by is not None:
        try:
            due = date.fromisoformat(due_by)
        except ValueError:
            raise fail(f"--due-by: {due_by!r} is not a date; write it as YYYY-MM-DD") from None
    path = edition_path(db, edition)
    if not path.exists():
        raise fail(f"{path}: no knowledge base here; run `ebpm ingest` first")
    try:
        index = SearchIndex(path)
    except IndexMissingError as exc:
        raise fail(str(exc)) from None
    try:
        results = index.search(query, section=section, ministry=ministry, kind=kind, due_by=due, limit=limit)
    except QueryError as exc:
        raise fail(str(exc)) from None
    finally:
        index.close()
    if as_json:
        hits = []
        for h in results.hits:
            hit = asdict(h)
            hit["ministries"] = list(h.ministries)
            del hit["segments"]
            if h.measure_id is None:
                del hit["measure_id"]
            if h.via:
                hit["via"] = list(h.via)
            else:
                del hit["via"]
            hits.append(hit)
        payload = {"query": results.query, "total": results.total, "hits": hits, "facets": results.facets}
        sys.stdout.write(json.dumps(payload, ensure_ascii=False, indent=1) + "\n")
        return
    table = Table(title=f"「{escape(results.query)}」 {results.total} 件", show_lines=True)
    for name in ("score", "id", "kind", "lines", "snippet"):
        table.add_column(name)
    for h in results.hits:
        snippet = re.sub(r"<mark>(.*?)</mark>", r"[bold yellow]\1[/]", escape(h.snippet))
        if h.via:  # found through a phrasing written for it, not through its own words
            snippet += "\n[dim]言い換えで一致: " + escape(" / ".join(h.via)) + "[/]"
        table.add_row(f"{h.score:.2f}", h.id, h.kind, f"{h.line_start}-{h.line_end}", snippet)
    console.print(table)
    for facet, counts in results.facets.items():
        shown = ", ".join(f"{k} {v}" for k, v in list(counts.items())[:12])
        console.print(f"{facet}: {shown}", highlight=False)
