"""``ebpm progress``: report progress on actions, import the follow-up sheet, list, review."""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from ebpm.accounts import service as accounts
from ebpm.accounts.principal import Principal
from ebpm.cli.common import DbOption, app, console, fail, load_followup
from ebpm.cli.indicators import JsonOption, MonitoringOption, open_monitoring
from ebpm.cli.users import cli_actor
from ebpm.errors import (
    AccountError,
    InvalidInputError,
    NotAllowedError,
    NotFoundError,
    StaleVersionError,
    UnknownUserError,
)
from ebpm.progress.reports import STATUS_LABELS, STATUSES
from ebpm.progress.service import ProgressService
from ebpm.progress.sheet import SheetImportError, import_sheet
from ebpm.sources.tabular import ReadError

progress = typer.Typer(help="Progress reports on the strategy's actions.", no_args_is_help=True)
app.add_typer(progress, name="progress")

UserOption = Annotated[
    str | None,
    typer.Option("--user", help="Act as this user, within their ministries (default: you, as admin)."),
]


def _acting(service: ProgressService, user: str | None) -> Principal:
    """The user a command acts as: ``--user`` with that account's scope, else whoever runs the
    command, as an admin (they can write the store directly anyway)."""
    if user is None:
        return Principal(cli_actor(), "admin", frozenset())
    try:
        return accounts.principal_named(service.store, user)
    except (AccountError, UnknownUserError) as exc:
        raise fail(str(exc)) from None


def _service(db: Path | None, store: Path | None, access: str) -> ProgressService:
    return ProgressService(
        load_followup(db), open_monitoring(store, "write" if access == "write" else "read")
    )


@progress.command("set")
def set_command(
    action: Annotated[
        str, typer.Argument(help="Action id, e.g. 2.2.1.m3.a1 (`ebpm commitments` lists them).")
    ],
    status: Annotated[str, typer.Option(help=f"One of {', '.join(STATUSES)}.")],
    as_of: Annotated[str, typer.Option("--as-of", help="The day the report describes, YYYY-MM-DD.")],
    note: Annotated[str, typer.Option(help="What was done (at most 4,000 characters).")] = "",
    evidence_url: Annotated[str | None, typer.Option("--evidence-url", help="An http(s) link.")] = None,
    user: UserOption = None,
    db: DbOption = None,
    store: MonitoringOption = None,
) -> None:
    """Report progress on one action, on top of its current report (which stays in the history)."""
    service = _service(db, store, "write")
    who = _acting(service, user)
    raw: dict[str, object] = {"status": status, "note": note, "evidence_url": evidence_url, "as_of": as_of}
    try:
        version = service.state(action)["version"]
        state = service.report(who, action, version, raw)
    except (NotFoundError, InvalidInputError, NotAllowedError, StaleVersionError) as exc:
        raise fail(str(exc)) from None
    report = state["report"]
    console.print(
        f"{escape(action)}: {report['status']} ({STATUS_LABELS[report['status']]}) as of {report['as_of']}, "
        f"by {escape(report['author'])}; version {state['version']}",
        highlight=False,
    )


@progress.command("import")
def import_command(
    file: Annotated[Path, typer.Argument(help="The follow-up sheet: CSV (UTF-8 or CP932) or Excel (.xlsx).")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Check every row; write nothing.")] = False,
    user: UserOption = None,
    db: DbOption = None,
    store: MonitoringOption = None,
) -> None:
    """Import the secretariat's follow-up sheet (action_id, status, note, as_of[, evidence_url]):
    every row is checked, the user's scope included, then all are written or none."""
    service = _service(db, store, "write")
    who = _acting(service, user)
    try:
        result = import_sheet(service, who, file, dry_run=dry_run)
    except (SheetImportError, ReadError) as exc:
        raise fail(str(exc)) from None
    verb = "would write" if dry_run else "wrote"
    console.print(
        f"{escape(file.name)}: {result.rows:,} rows: {verb} {result.written:,} reports, "
        f"{result.unchanged:,} unchanged"
        f"{f', {result.skipped:,} rows without a report skipped' if result.skipped else ''}"
        f"{' (dry run: nothing written)' if dry_run else ''}",
        highlight=False,
    )


@progress.command("list")
def list_command(
    ministry: Annotated[str | None, typer.Option(help="Owner abbreviation, e.g. 文.")] = None,
    status: Annotated[str | None, typer.Option(help=f"{', '.join(STATUSES)} or none.")] = None,
    overdue_as_of: Annotated[
        str | None, typer.Option("--overdue-as-of", help="Only actions overdue on this day (YYYY-MM-DD).")
    ] = None,
    as_json: JsonOption = False,
    db: DbOption = None,
    store: MonitoringOption = None,
) -> None:
    """Actions with their current status, due and overdue first."""
    service = _service(db, store, "read")
    try:
        day = date.fromisoformat(overdue_as_of) if overdue_as_of else None
    except ValueError:
        raise fail(f"--overdue-as-of: {overdue_as_of!r}: write the date as YYYY-MM-DD") from None
    try:
        rows = service.listing(ministry, status, day)
    except InvalidInputError as exc:
        raise fail(str(exc)) from None
    if as_json:
        sys.stdout.write(json.dumps(rows, ensure_ascii=False, indent=1) + "\n")
        return
    table = Table("action", "owners", "due", "status", "as of", "author")
    for r in rows:
        report = r["report"] or {}
        status_cell = r["status"] + (" [red](overdue)[/]" if r["overdue"] else "")
        table.add_row(
            escape(r["id"]),
            escape("、".join(r["ministries"])),
            r["due"] or r["due_category"],
            status_cell,
            report.get("as_of") or "",
            escape(report.get("author") or ""),
        )
    console.print(table)


@progress.command("review")
def review_command(
    report: Annotated[int, typer.Argument(help="The report id (`ebpm progress list --json`).")],
    decision: Annotated[str, typer.Option(help="accepted or returned.")],
    comment: Annotated[str, typer.Option(help="Why (needed to return a report).")] = "",
    user: UserOption = None,
    db: DbOption = None,
    store: MonitoringOption = None,
) -> None:
    """The secretariat accepts or returns an action's current report."""
    service = _service(db, store, "write")
    who = _acting(service, user)
    try:
        state = service.review(who, report, decision, comment)
    except (NotFoundError, InvalidInputError, NotAllowedError, StaleVersionError) as exc:
        raise fail(str(exc)) from None
    console.print(
        f"report {report} {decision}; {escape(state['action']['id'])} is at version {state['version']}"
    )
