"""``ebpm audit``: the audit log of the monitoring store, listed and verified."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from datetime import date
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from ebpm.audit import log
from ebpm.cli.common import app, console, fail
from ebpm.cli.indicators import JsonOption, MonitoringOption, open_monitoring

audit = typer.Typer(help="The audit log: who did what, when; tamper-evident.", no_args_is_help=True)
app.add_typer(audit, name="audit")


@audit.command("list")
def list_command(
    user: Annotated[str | None, typer.Option(help="Only what this user did (the actor).")] = None,
    since: Annotated[
        str | None, typer.Option(help="Only entries on or after this day, YYYY-MM-DD (UTC).")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, help="At most this many entries.")] = 100,
    as_json: JsonOption = False,
    store: MonitoringOption = None,
) -> None:
    """Audit entries, newest first."""
    if since is not None:
        try:
            since = date.fromisoformat(since).isoformat()
        except ValueError:
            raise fail(f"--since {since!r}: write a day as YYYY-MM-DD, e.g. 2027-01-31") from None
    engine = open_monitoring(store, "read")
    try:
        rows = log.entries(engine, user=user, since=since, limit=limit)
    finally:
        engine.dispose()
    if as_json:
        sys.stdout.write(json.dumps([asdict(e) for e in rows], ensure_ascii=False, indent=1) + "\n")
        return
    table = Table(title=f"{len(rows)} audit entries")
    for column in ("seq", "at", "actor", "ip", "action", "target", "outcome"):
        table.add_column(column)
    for e in rows:
        table.add_row(
            str(e.seq), e.at, escape(e.actor), e.ip or "", e.action, escape(e.target or ""), e.outcome
        )
    console.print(table)


@audit.command("verify")
def verify_command(store: MonitoringOption = None) -> None:
    """Check the hash chain of the whole log: exit 1 naming the first entry changed or missing."""
    engine = open_monitoring(store, "read")
    try:
        verdict = log.verify(engine)
    finally:
        engine.dispose()
    if not verdict.ok:
        before = (
            "the 1 entry before it is"
            if verdict.checked == 1
            else f"the {verdict.checked} entries before it are"
        )
        intact = f"; {before} intact" if verdict.checked else ""
        raise fail(f"audit chain broken: {verdict.reason}{intact}")
    console.print(f"audit chain intact: {verdict.checked} entries", highlight=False)
