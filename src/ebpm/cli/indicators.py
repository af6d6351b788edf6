"""``ebpm indicators``: the registry, observations, targets, progress and exports."""

from __future__ import annotations

import hashlib
import json
import os
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import Engine

from ebpm.cli.common import DbOption, app, console, err, fail, load_followup
from ebpm.indicators.estat import EStatClient, EStatError
from ebpm.indicators.importing import ObservationImportError, RawRow, records, run_import
from ebpm.indicators.monitor import Monitor, UnknownSeriesError
from ebpm.indicators.periods import PeriodError, parse_period
from ebpm.indicators.readers import ReadError, detect_format, read_rows
from ebpm.store import monitoring

indicators = typer.Typer(
    help="Indicators: registry, observations, targets and progress.", no_args_is_help=True
)
app.add_typer(indicators, name="indicators")

MonitoringOption = Annotated[
    Path | None,
    typer.Option(
        "--monitoring-db",
        help="Monitoring store (default: $EBPM_MONITORING_DB, else ./ebpm-monitoring.sqlite).",
        show_default=False,
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Write JSON to stdout.")]


def open_monitoring(store: Path | None, access: monitoring.Access) -> Engine:
    """The monitoring store: ``read`` for commands that only read (nothing is written, not even a
    migration), ``write`` for those that write (they wait for another writer's lock)."""
    return monitoring.open_store(monitoring.resolve_path(store), access)


def _monitor(db: Path | None, store: Path | None, access: monitoring.Access = "read") -> Monitor:
    doc = load_followup(db)
    return Monitor(doc, open_monitoring(store, access))


@app.command("migrate")
def migrate_command(store: MonitoringOption = None) -> None:
    """Create the monitoring store or upgrade it to this version's schema (read commands never do)."""
    where = monitoring.resolve_path(store)
    before, after = monitoring.migrate(where)
    path = monitoring.describe_location(where)
    if before == after:
        console.print(f"{path}: the monitoring store is at schema {after}; nothing to do", highlight=False)
    else:
        console.print(
            f"{path}: monitoring store migrated from {before or 'nothing'} to {after}", highlight=False
        )


def _json(payload: Any) -> None:
    sys.stdout.write(json.dumps(payload, ensure_ascii=False, indent=1) + "\n")


@indicators.command("list")
def list_command(
    as_json: JsonOption = False,
    block: Annotated[str | None, typer.Option(help="kpi (主要指標) or reference (参考指標).")] = None,
    db: DbOption = None,
    store: MonitoringOption = None,
) -> None:
    """Every indicator series: id, name, unit, source line and section."""
    monitor = _monitor(db, store)
    rows = [
        {
            "id": s.id,
            "indicator_id": s.indicator_id,
            "name": s.name,
            "unit": monitor.unit_of(s.id),
            "block": s.block,
            "line": s.line,
            "section": s.section,
            "source": s.source,
        }
        for s in monitor.series.values()
        if block is None or s.block == block
    ]
    if as_json:
        _json(rows)
        return
    table = Table(title=f"{len(rows)} indicator series")
    for name in ("id", "name", "unit", "line", "section"):
        table.add_column(name)
    for r in rows:
        table.add_row(
            str(r["id"]), escape(str(r["name"])[:60]), str(r["unit"] or ""), str(r["line"]), str(r["section"])
        )
    console.print(table)


@indicators.command("status")
def status_command(
    as_json: JsonOption = False,
    series: Annotated[str | None, typer.Option(help="Only this series.")] = None,
    with_target: Annotated[
        bool, typer.Option("--with-target", help="Only series that have a target.")
    ] = False,
    db: DbOption = None,
    store: MonitoringOption = None,
) -> None:
    """Progress of each series toward its target (UN ESCAP method), and roll-ups by goal and section."""
    monitor = _monitor(db, store)
    try:
        rows = [monitor.status(series)] if series else monitor.statuses()
    except UnknownSeriesError as exc:
        raise fail(str(exc)) from None
    roll = monitor.roll_ups(rows)
    if with_target:
        rows = [r for r in rows if r["target"]]
    if as_json:
        _json({"series": rows, "goals": roll["goals"], "sections": roll["sections"]})
        return
    table = Table(title="indicator status")
    for name in ("id", "status", "latest", "target", "projection", "name"):
        table.add_column(name)
    for r in rows:
        latest = f"{r['latest']['value']:g} ({r['latest']['period']})" if r["latest"] else ""
        target = f"{r['target']['value']:g} by {r['target']['period']}" if r["target"] else ""
        projected = f"{r['projected_value']:.4g}" if r["projected_value"] is not None else ""
        table.add_row(r["id"], r["status_label"], latest, target, projected, escape(r["name"][:40]))
    console.print(table)
    for s in roll["sections"]:
        counts = ", ".join(f"{k} {v}" for k, v in s["counts"].items())
        console.print(f"section {s['id']}: {s['status_label']} ({counts})", highlight=False)


def _run(
    monitor: Monitor, rows: Any, file: Path, fmt: str, dry_run: bool, author: str, digest: str | None = None
) -> None:
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed:,} rows"),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    ) as bar:
        task = bar.add_task(f"checking {file.name}", total=None)
        try:
            result = run_import(
                monitor,
                rows,
                file,
                fmt,
                dry_run=dry_run,
                author=author,
                progress=lambda n: bar.update(task, completed=n),
                digest=digest,
            )
        except (ObservationImportError, ReadError) as exc:
            bar.stop()
            raise fail(str(exc)) from None
    verb = "would import" if dry_run else "imported"
    console.print(
        f"{verb} {file}: {result.rows:,} rows; {result.added:,} added, {result.revised:,} revised "
        f"(the old values kept as history), {result.unchanged:,} unchanged"
        + (f", {result.duplicates:,} identical duplicate rows counted once" if result.duplicates else ""),
        highlight=False,
        soft_wrap=True,
    )
    for c in result.changes[:20]:
        old = "new" if c["old_value"] is None else f"{c['old_value']:g} →"
        console.print(
            f"  line {c['line']}: {c['series_id']} {c['period']}: {old} {c['value']:g}", highlight=False
        )
    if dry_run:
        console.print("dry run: nothing was written", highlight=False)


@indicators.command("import")
def import_command(
    file: Annotated[
        Path, typer.Argument(help="CSV (UTF-8 or CP932), Excel (.xlsx), SDMX-ML (.xml) or SDMX-CSV.")
    ],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Check everything and show what would change.")
    ] = False,
    author: Annotated[str, typer.Option(help="Who imports (kept with the import).")] = "cli",
    db: DbOption = None,
    store: MonitoringOption = None,
) -> None:
    """Import observations: every row is checked first, then all are written or none."""
    monitor = _monitor(db, store, "write")
    try:
        fmt = detect_format(file)
        rows = read_rows(file, fmt)
    except ReadError as exc:
        raise fail(str(exc)) from None
    _run(monitor, rows, file, fmt, dry_run, author)


@indicators.command("fetch-estat")
def fetch_estat_command(
    stats_data_id: Annotated[str, typer.Argument(help="e-Stat statsDataId of the table.")],
    series: Annotated[str, typer.Option("--indicator", help="The series the values belong to.")],
    app_id: Annotated[
        str | None, typer.Option("--app-id", help="e-Stat application id ($ESTAT_APP_ID).")
    ] = None,
    filters: Annotated[
        list[str] | None,
        typer.Option("--filter", help="A getStatsData parameter, e.g. cdCat01=100 (repeatable)."),
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Fetch and check; write nothing.")] = False,
    db: DbOption = None,
    store: MonitoringOption = None,
) -> None:
    """Fetch a table from the e-Stat API and import it as observations of one series."""
    params: dict[str, str] = {}
    for f in filters or []:
        key, sep, value = f.partition("=")
        if not sep or not key:
            raise fail(f"--filter {f!r}: write it as NAME=VALUE, e.g. cdCat01=100")
        params[key] = value
    monitor = _monitor(db, store, "write")
    try:
        monitor.get(series)
        client = EStatClient(app_id or os.environ.get("ESTAT_APP_ID", ""))
        try:
            table = client.fetch(stats_data_id, series, params)
        finally:
            client.close()
    except (EStatError, UnknownSeriesError) as exc:
        raise fail(str(exc)) from None
    if table.skipped:
        console.print(f"{table.skipped} cells marked missing or confidential were skipped", highlight=False)
    rows: list[RawRow] = list(records([dict(r) for r in table.rows]))
    digest = hashlib.sha256(json.dumps(table.rows, ensure_ascii=False).encode()).hexdigest()
    _run(monitor, rows, Path(f"e-Stat-{stats_data_id}"), "e-stat", dry_run, "e-stat", digest)


@indicators.command("target")
def target_command(
    series: Annotated[str, typer.Argument(help="Series id, e.g. 2.2.1.ref.6.")],
    value: Annotated[float, typer.Option(help="The target value, in the series' unit.")],
    period: Annotated[str, typer.Option(help="When it is to be reached: 2030, FY2025, 令和7年度 …")],
    direction: Annotated[str, typer.Option(help="up (more is better) or down.")] = "up",
    base_period: Annotated[
        str | None, typer.Option(help="Baseline period (default: the first observation).")
    ] = None,
    note: Annotated[str | None, typer.Option(help="Why, or where the target comes from.")] = None,
    author: Annotated[str, typer.Option(help="Who sets it.")] = "cli",
    db: DbOption = None,
    store: MonitoringOption = None,
) -> None:
    """Set or change a series' target; the previous one is kept as history."""
    monitor = _monitor(db, store, "write")
    try:
        when = parse_period(period)
        base = parse_period(base_period).label if base_period else None
        status = monitor.set_target(series, value, when, direction, author, base, note)
    except (UnknownSeriesError, PeriodError, ValueError) as exc:
        raise fail(str(exc)) from None
    console.print(
        f"{series}: target {value:g} by {when.label} ({direction}); status {status['status_label']}"
    )


@indicators.command("export")
def export_command(
    fmt: Annotated[str, typer.Option("--format", help="csv | sdmx-ml | sdmx-csv | datapackage | open-sdg")],
    output: Annotated[Path, typer.Option("--output", "-o", help="File (SDMX) or folder.")],
    db: DbOption = None,
    store: MonitoringOption = None,
) -> None:
    """Export the observations: CSV (the import layout), SDMX-ML, SDMX-CSV, a Frictionless Data
    Package, or Open SDG CSV (one file per indicator)."""
    from ebpm.indicators.exports import write_datapackage, write_observations_csv, write_open_sdg
    from ebpm.indicators.sdmx_io import write_sdmx_csv, write_sdmx_ml

    monitor = _monitor(db, store)
    if fmt == "csv":
        console.print(f"{write_observations_csv(monitor, output)} observations written to {output}")
    elif fmt == "sdmx-ml":
        console.print(f"{write_sdmx_ml(monitor, output)} observations written to {output}")
    elif fmt == "sdmx-csv":
        console.print(f"{write_sdmx_csv(monitor, output)} observations written to {output}")
    elif fmt == "datapackage":
        console.print(f"data package written to {write_datapackage(monitor, output)}")
    elif fmt == "open-sdg":
        console.print(f"{len(write_open_sdg(monitor, output))} indicator files written to {output}")
    else:
        raise fail(f"--format {fmt!r}: use csv, sdmx-ml, sdmx-csv, datapackage or open-sdg")


@indicators.command("observations")
def observations_command(
    series: Annotated[str, typer.Argument(help="Series id.")],
    history: Annotated[bool, typer.Option("--history", help="Include superseded values.")] = False,
    as_json: JsonOption = False,
    db: DbOption = None,
    store: MonitoringOption = None,
) -> None:
    """A series' observations with the source of each; with --history, what they replaced."""
    monitor = _monitor(db, store)
    try:
        rows = monitor.observations(series, history=history)
    except UnknownSeriesError as exc:
        raise fail(str(exc)) from None
    if as_json:
        _json([asdict(o) for o in rows])
        return
    table = Table(title=f"{series}: {monitor.get(series).name}")
    for name in ("period", "value", "unit", "origin", "source", "superseded"):
        table.add_column(name)
    for o in rows:
        table.add_row(
            o.period, f"{o.value:g}", o.unit or "", o.origin, escape(o.source[:50]), o.superseded_at or ""
        )
    console.print(table)
