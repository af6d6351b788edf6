"""Who promised what, and by when: ``commitments`` and ``reposts``."""

from __future__ import annotations

import json
import sys
from datetime import date
from typing import Annotated, Any

import typer
from rich.table import Table

from ebpm.cli.common import DbOption, EditionOption, app, console, fail, load
from ebpm.commitments.listing import (
    Commitment,
    UnknownMinistryError,
    UnknownSectionError,
    counts_by_ministry,
    counts_by_year,
    list_commitments,
)
from ebpm.commitments.reposts import cells, link_reposts, reposts_of
from ebpm.export.tables import TableWriter


def _date(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise fail(f"{option}: {value!r} is not a date; write it as YYYY-MM-DD, e.g. 2024-03-31") from None


def _record(c: Commitment) -> dict[str, Any]:
    return {
        "ministry": c.ministry,
        "measure_id": c.measure_id,
        "section": c.section,
        "action": c.position + 1,
        "due": c.due.isoformat() if c.due else None,
        "due_category": c.category,
        "due_phrase": c.phrase,
        "deadlines": [
            {
                "phrase": d.phrase,
                "kind": d.kind,
                "start": d.start.isoformat() if d.start else None,
                "due": d.due.isoformat() if d.due else None,
            }
            for d in c.deadlines
        ],
        "owner_inherited_from_row": c.inherited,
        "text": c.text,
        "line_start": c.line_start,
        "line_end": c.line_end,
    }


@app.command("commitments")
def commitments_command(
    ministry: Annotated[
        str | None, typer.Option(help="Owner abbreviation as in the tags, e.g. 文 or 科技.")
    ] = None,
    section: Annotated[str | None, typer.Option(help="Only rows under this heading id, e.g. 2.2.1.")] = None,
    due_by: Annotated[
        str | None, typer.Option(help="Only actions due on or before this date (YYYY-MM-DD).")
    ] = None,
    overdue_as_of: Annotated[
        str | None, typer.Option(help="Only actions whose due date has passed by this date (YYYY-MM-DD).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Write JSON to stdout.")] = False,
    as_csv: Annotated[bool, typer.Option("--csv", help="Write CSV (UTF-8 with BOM) to stdout.")] = False,
    db: DbOption = None,
    edition: EditionOption = None,
) -> None:
    """Each ministry's actions with their due dates, sorted by due date, with counts per ministry and year."""
    if as_json and as_csv:
        raise fail("--json and --csv: choose one output format")
    doc = load(db, edition)
    try:
        rows = list_commitments(
            doc, ministry, _date(due_by, "--due-by"), _date(overdue_as_of, "--overdue-as-of"), section
        )
    except (UnknownMinistryError, UnknownSectionError) as exc:
        raise fail(str(exc)) from None
    records = [_record(r) for r in rows]
    if as_json:
        payload = {
            "commitments": records,
            "counts": {"by_ministry": counts_by_ministry(rows), "by_year": counts_by_year(rows)},
        }
        sys.stdout.write(json.dumps(payload, ensure_ascii=False, indent=1) + "\n")
        return
    if as_csv:
        fields = [
            "ministry",
            "measure_id",
            "section",
            "action",
            "due",
            "due_category",
            "due_phrase",
            "owner_inherited_from_row",
            "text",
            "line_start",
            "line_end",
        ]
        sys.stdout.write("\ufeff")
        writer = TableWriter(sys.stdout, lineterminator="\n")
        writer.writerow(fields)
        writer.writerows([r[f] for f in fields] for r in records)
        return
    table = Table(title="Commitments 取組と期限", show_lines=False)
    for name in ("due", "ministry", "row", "deadline as written", "action", "lines"):
        table.add_column(name)
    for r in rows:
        due = r.due.isoformat() if r.due else r.category
        owner = r.ministry + ("*" if r.inherited else "")
        table.add_row(due, owner, r.measure_id, r.phrase or "", r.text[:40], f"{r.line_start}-{r.line_end}")
    console.print(table)
    console.print("* no tag of its own: listed under its row's owners")
    console.print("per ministry: " + ", ".join(f"{k} {v}" for k, v in counts_by_ministry(rows).most_common()))
    console.print("per year: " + ", ".join(f"{k} {v}" for k, v in sorted(counts_by_year(rows).items())))


@app.command("reposts")
def reposts_command(
    as_json: Annotated[bool, typer.Option("--json", help="Write JSON to stdout.")] = False,
    db: DbOption = None,
    edition: EditionOption = None,
) -> None:
    """Every re-posted (再掲) item with its original, and every original with its re-posts."""
    doc = load(db, edition)
    links = link_reposts(doc)
    by_key = dict(cells(doc))
    back = reposts_of(links)

    def ref(key: tuple[str, str, int] | None) -> dict[str, Any] | None:
        if key is None:
            return None
        cell = by_key[key]
        return {
            "measure_id": key[0],
            "column": key[1],
            "position": key[2] + 1,
            "line_start": cell.line_start,
            "line_end": cell.line_end,
            "text": cell.text,
        }

    if as_json:
        payload = {
            "reposts": [
                {"copy": ref(k.copy), "original": ref(k.original), "similarity": k.similarity} for k in links
            ],
            "originals": [{"original": ref(o), "copies": [ref(c) for c in cs]} for o, cs in back.items()],
        }
        sys.stdout.write(json.dumps(payload, ensure_ascii=False, indent=1) + "\n")
        return
    table = Table(title="Re-posted items 再掲")
    for name in ("re-post", "lines", "original", "lines", "match"):
        table.add_column(name)
    for link in links:
        copy = by_key[link.copy]
        if link.original is None:
            table.add_row(
                f"{link.copy[0]} {link.copy[1]} {link.copy[2] + 1}",
                f"{copy.line_start}",
                "(no earlier occurrence found)",
                "",
                f"{link.similarity:.2f}",
            )
            continue
        orig = by_key[link.original]
        table.add_row(
            f"{link.copy[0]} {link.copy[1]} {link.copy[2] + 1}",
            f"{copy.line_start}",
            f"{link.original[0]} {link.original[1]} {link.original[2] + 1}",
            f"{orig.line_start}",
            "same text" if link.similarity == 1.0 else f"{link.similarity:.2f}",
        )
    console.print(table)
    found = sum(1 for link in links if link.original is not None)
    console.print(
        f"{len(links)} re-posted items, {found} linked to an original; {len(back)} originals re-posted"
    )
