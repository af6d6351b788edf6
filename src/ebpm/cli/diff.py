"""What changed between two editions: ``ebpm diff 2023 2024``."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from ebpm.cli.common import DbOption, app, console, fail, load
from ebpm.cli.indicators import MonitoringOption, open_monitoring
from ebpm.errors import UnknownMinistryError
from ebpm.export.tables import TableWriter
from ebpm.lineage.diff import CSV_COLUMNS, EditionDiff, ItemDiff, diff_editions, diff_rows, to_json
from ebpm.lineage.match import match_editions
from ebpm.services.lineage import reviewed
from ebpm.store.editions import check

_STYLE = {"equal": "{}", "delete": "[red strike]{}[/]", "insert": "[green underline]{}[/]"}


def _line(item: ItemDiff) -> str:
    """One link as one line: ids, change, score and method."""
    link = item.link
    ids = f"{link.old or '—'} → {link.new or '—'}"
    how = f" ({link.score:.2f}, {link.method})" if link.score is not None else ""
    unsure = " [bold yellow]unsure[/]" if link.unsure else ""
    return f"[bold]{link.change}[/] {escape(ids)}{escape(how)}{unsure}"


def _details(item: ItemDiff) -> list[str]:
    out: list[str] = []
    if item.link.change == "changed" and any(op != "equal" for op, _ in item.text_diff):
        out.append("".join(_STYLE[op].format(escape(text)) for op, text in item.text_diff))
    elif item.link.change in ("new", "dropped"):
        out.append(escape((item.text_to or item.text_from or "")[:120]))
    if item.owners_added or item.owners_removed:
        added = "、".join(item.owners_added) or "—"
        removed = "、".join(item.owners_removed) or "—"
        out.append(escape(f"owners: +{added} −{removed}"))
    for move in item.moves:
        out.append(
            escape(
                f"deadline: {move.phrase_from} → {move.phrase_to} ({move.due_from} → {move.due_to}, "
                f"{move.days:+d} days, {move.fiscal_years:+d} FY)"
            )
        )
    return out


def _print(diff: EditionDiff) -> None:
    summary = diff.summary()
    scope = f", {diff.ministry}" if diff.ministry else ""
    table = Table(title=f"{diff.old} → {diff.new}{escape(scope)}: changes 変更")
    table.add_column("")
    columns = (
        "continued",
        "changed",
        "dropped",
        "new",
        "unsure",
        "moved_section",
        "owners_changed",
        "deadlines_moved",
    )
    for name in columns:
        table.add_column(name.replace("_", " "), justify="right")
    for kind in ("rows", "actions"):
        table.add_row(kind, *(str(summary[kind][c]) for c in columns))
    console.print(table)
    for title, items in (("Rows 取組", diff.rows), ("Actions 今後の取組方針", diff.actions)):
        shown = [i for i in items if i.link.change != "continued" or i.link.unsure]
        console.print(f"\n[bold]{title}[/]: {len(shown)} changed, dropped, new or unsure")
        for item in shown:
            console.print(_line(item), highlight=False)
            for detail in _details(item):
                console.print("    " + detail, highlight=False)


@app.command("diff")
def diff_command(
    old: Annotated[str, typer.Argument(help="The earlier edition, a year such as 2023.")],
    new: Annotated[str, typer.Argument(help="The later edition, a year such as 2024.")],
    ministry: Annotated[
        str | None, typer.Option(help="Only rows and actions this owner has in either edition, e.g. 文.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Write JSON to stdout.")] = False,
    as_csv: Annotated[
        bool, typer.Option("--csv", help="Write CSV (UTF-8 with BOM) to stdout, one line per link.")
    ] = False,
    db: DbOption = None,
    store: MonitoringOption = None,
) -> None:
    """What changed from one edition to another: rows and actions continued, changed, dropped or
    new, with text diffs, owners added and removed, and deadlines moved."""
    if as_json and as_csv:
        raise fail("--json and --csv: choose one output format")
    before, after = load(db, old), load(db, new)
    editions = (check(old), check(new))
    # the links an admin reviewed (ebpm serve's review page) win over the matcher's
    engine = open_monitoring(store, "read")
    try:
        found = reviewed(match_editions(before, after, *editions), engine)
    finally:
        engine.dispose()
    try:
        diff = diff_editions(before, after, ministry, found, editions=editions)
    except UnknownMinistryError as exc:
        raise fail(str(exc)) from None
    if as_json:
        sys.stdout.write(json.dumps(to_json(diff), ensure_ascii=False, indent=1) + "\n")
        return
    if as_csv:
        sys.stdout.write("\ufeff")
        writer = TableWriter(sys.stdout, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
        writer.writerows([record[c] for c in CSV_COLUMNS] for record in diff_rows(diff))
        return
    _print(diff)
