"""Importing observations: validate every row first, then write all of them or none.

Rows stream from the file into a temporary staging table of the monitoring store (the staging
path shared with the budget import, ``store.staging``), so a file of any size is read with
bounded memory. Duplicates and changes are then found in SQL, and the whole import is one
transaction: an error anywhere leaves the store as it was.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path

from sqlalchemy import Connection, text

from ebpm.audit import log as audit
from ebpm.indicators.monitor import Monitor
from ebpm.indicators.periods import Period, PeriodError, parse_period
from ebpm.indicators.registry import normalize_unit
from ebpm.sources.digest import sha256
from ebpm.sources.tabular import RowErrors
from ebpm.store import monitoring as t
from ebpm.store.monitoring import now
from ebpm.store.staging import Progress, conflicts, duplicates, stage, staging_transaction, temp

COLUMNS = ("indicator_id", "period", "value", "unit", "source", "note")
REQUIRED = ("indicator_id", "period", "value")
MAX_ABS = 1e15  # larger magnitudes are typing errors, not statistics
MAX_TEXT = 2000  # characters of a source or note


class ObservationImportError(RowErrors):
    """Observations that cannot be imported."""


@dataclass(slots=True)
class RawRow:
    line: int  # line of a CSV file, row of a sheet
    values: dict[str, str]


@dataclass(slots=True)
class ImportResult:
    file: str
    rows: int = 0
    added: int = 0
    revised: int = 0
    unchanged: int = 0
    duplicates: int = 0  # identical rows given twice, counted once
    dry_run: bool = False
    changes: list[dict[str, object]] = field(default_factory=list)  # a sample of what changes
    import_id: int | None = None


@lru_cache(maxsize=4096)
def _period(text: str) -> tuple[Period, str]:
    """The period a cell names, and the ISO date it ends on (an import repeats a few periods)."""
    period = parse_period(text)
    return period, period.end.isoformat()


def parse_value(raw: str) -> float:
    """A number as written in a cell: 1,234.5 or １２３４; anything else is an error."""
    try:
        # what float() reads as it is, the normalised text reads the same: the common case
        value = float(raw)
    except ValueError:
        s = unicodedata.normalize("NFKC", raw).replace(",", "").replace(" ", "").strip()
        if s.startswith("−"):
            s = "-" + s[1:]
        try:
            value = float(s)
        except ValueError:
            raise ValueError(f"{raw!r} is not a number") from None
    if not math.isfinite(value):
        raise ValueError(f"{raw!r} is not a finite number")
    if abs(value) > MAX_ABS:
        raise ValueError(f"{raw!r} is implausibly large (more than 10^15)")
    return value


class Validator:
    """Checks one row against the registry; returns a staging row or raises ValueError naming the field."""

    def __init__(self, monitor: Monitor, file: str, today: date) -> None:
        self.monitor = monitor
        self.file = file
        self.today = today
        self.units: dict[str, str | None] = {}

    def unit(self, series_id: str) -> str | None:
        if series_id not in self.units:
            self.units[series_id] = self.monitor.unit_of(series_id)
        return self.units[series_id]

    def check(self, row: RawRow) -> tuple[object, ...]:
        v = row.values
        sid = (v.get("indicator_id") or "").strip()
        if not sid:
            raise ValueError("indicator_id: empty")
        if sid not in self.monitor.series:
            raise ValueError(
                f"indicator_id: unknown indicator {sid!r} (`ebpm indicators list` shows the ids)"
            )
        try:
            period, period_end = _period((v.get("period") or "").strip())
        except PeriodError as exc:
            raise ValueError(f"period: {exc}") from None
        if period.end > self.today:
            raise ValueError(
                f"period: {period.label} ends on {period.end}, after today; no future observations"
            )
        try:
            value = parse_value(v.get("value") or "")
        except ValueError as exc:
            raise ValueError(f"value: {exc}") from None
        unit = normalize_unit(v.get("unit"))
        expected = self.unit(sid)
        if unit is not None and expected is not None and unit != expected:
            raise ValueError(f"unit: {unit!r} does not match the unit of {sid}, {expected!r}")
        if expected is None and unit is not None:
            self.units[sid] = unit  # the first unit given sets the series' unit
        source = (v.get("source") or "").strip() or f"imported from {self.file}"
        note = (v.get("note") or "").strip() or None
        for name, textual in (("source", source), ("note", note or "")):
            if len(textual) > MAX_TEXT:
                raise ValueError(f"{name}: {len(textual)} characters; at most {MAX_TEXT}")
        # the columns of the staging table, in order
        return (sid, period.label, period_end, value, unit or expected, source, note, row.line)


KEY = ("series_id", "period")
STAGED = ("series_id TEXT", "period TEXT", "period_end TEXT", "value DOUBLE PRECISION", "unit TEXT",
          "source TEXT", "note TEXT", "line INTEGER")  # fmt: skip


def run_import(
    monitor: Monitor,
    rows: Iterable[RawRow],
    file: Path,
    fmt: str,
    dry_run: bool = False,
    author: str = "cli",
    today: date | None = None,
    progress: Progress | None = None,
    digest: str | None = None,
) -> ImportResult:
    """Validate every row of ``rows``, then write them all (or, with ``dry_run``, nothing).

    ``digest`` identifies data that is not a file (an API answer); a file's is its sha256.
    """
    name = file.name
    check = Validator(monitor, name, today or date.today())
    result = ImportResult(str(file), dry_run=dry_run)
    with staging_transaction(monitor.store, dry_run) as conn:
        staged = stage(
            conn,
            "staging",
            STAGED,
            ((r.line, r) for r in rows),
            check.check,
            name,
            progress,
            key=KEY,
            values=("value",),
        )
        result.rows = staged.rows
        errors = staged.errors or _duplicates(conn, name)
        if errors:
            raise ObservationImportError(errors)
        _apply(conn, monitor, result, file, fmt, author, digest or sha256(file))
    if dry_run:
        result.import_id = None
    return result


def _duplicates(conn: Connection, name: str) -> list[str]:
    """The same series and period given twice with different values is an error."""
    return [
        f"{name}: lines {c.first} and {c.second}: {c.key[0]} {c.key[1]} is given different values; keep one"
        for c in conflicts(conn, "staging", KEY)
    ]


def _apply(
    conn: Connection, monitor: Monitor, result: ImportResult, file: Path, fmt: str, author: str, digest: str
) -> None:
    """Compare the staged rows with what is stored and write the differences."""
    # the staging table holds one row per series and period (the first given): see stage()
    staging, docobs, compared = (temp(conn, name) for name in ("staging", "docobs", "compared"))
    conn.exec_driver_sql(f"DROP TABLE IF EXISTS {docobs}")
    conn.exec_driver_sql("CREATE TEMP TABLE docobs (series_id TEXT, period TEXT, value DOUBLE PRECISION)")
    facts = [
        {"s": f.series_id, "p": f.period.label, "v": f.value}
        for fs in monitor.doc_observations.values()
        for f in fs
    ]
    if facts:
        conn.execute(text(f"INSERT INTO {docobs} VALUES (:s, :p, :v)"), facts)
    # the current value of each staged period: the newest import, else the document's
    conn.exec_driver_sql(
        "CREATE TEMP TABLE compared AS SELECT d.*, o.id AS old_id, COALESCE(o.value, c.value) AS old_value "
        f"FROM {staging} d "
        "LEFT JOIN observations o "
        "ON o.series_id = d.series_id AND o.period = d.period AND o.superseded_at IS NULL "
        f"LEFT JOIN {docobs} c ON c.series_id = d.series_id AND c.period = d.period"
    )
    same = (
        "old_value IS NOT NULL AND ABS(value - old_value) <= "
        "1e-9 * CASE WHEN ABS(old_value) > 1 THEN ABS(old_value) ELSE 1 END"
    )
    result.duplicates = duplicates(conn, "staging")
    result.unchanged = conn.exec_driver_sql(f"SELECT COUNT(*) FROM {compared} WHERE {same}").scalar_one()
    result.revised = conn.exec_driver_sql(
        f"SELECT COUNT(*) FROM {compared} WHERE old_value IS NOT NULL AND NOT ({same})"
    ).scalar_one()
    result.added = conn.exec_driver_sql(
        f"SELECT COUNT(*) FROM {compared} WHERE old_value IS NULL"
    ).scalar_one()
    result.changes = [
        dict(r._mapping)
        for r in conn.exec_driver_sql(
            f"SELECT series_id, period, old_value, value, line FROM {compared} WHERE NOT ({same}) "
            "ORDER BY line LIMIT 20"
        )
    ]
    stamp = now()
    import_id = conn.execute(
        t.imports.insert().values(
            file=str(file),
            format=fmt,
            sha256=digest,
            rows=result.rows,
            added=result.added,
            revised=result.revised,
            unchanged=result.unchanged,
            imported_at=stamp,
            imported_by=author,
        )
    ).inserted_primary_key[0]  # type: ignore[index]
    result.import_id = import_id
    # supersede first: the partial unique index allows one current value per period
    conn.execute(
        text(
            f"UPDATE observations SET superseded_at = :stamp WHERE id IN "
            f"(SELECT old_id FROM {compared} WHERE old_id IS NOT NULL AND NOT ({same}))"
        ),
        {"stamp": stamp},
    )
    conn.execute(
        text(
            "INSERT INTO observations "
            "(series_id, period, period_end, value, unit, source, note, import_id, line, imported_at) "
            "SELECT series_id, period, period_end, value, unit, source, note, :import_id, line, :stamp "
            f"FROM {compared} WHERE NOT ({same})"
        ),
        {"import_id": import_id, "stamp": stamp},
    )
    conn.execute(
        text(
            "UPDATE observations SET superseded_by = (SELECT n.id FROM observations n WHERE n.series_id = "
            "observations.series_id AND n.period = observations.period AND n.superseded_at IS NULL) "
            "WHERE superseded_at = :stamp AND superseded_by IS NULL"
        ),
        {"stamp": stamp},
    )
    audit.append(
        conn,
        actor=author,
        action="observations.import",
        outcome="ok",
        target=file.name,
        after={
            "import_id": import_id,
            "sha256": digest,
            "added": result.added,
            "revised": result.revised,
            "unchanged": result.unchanged,
        },
    )
    for name in ("staging", "docobs", "compared"):
        conn.exec_driver_sql(f"DROP TABLE {temp(conn, name)}")


def records(rows: Iterable[Mapping[str, object]], start_line: int = 1) -> Iterator[RawRow]:
    """Rows from a reader that yields mappings (SDMX, e-Stat) as numbered raw rows."""
    for n, row in enumerate(rows, start=start_line):
        yield RawRow(n, {k: "" if v is None else str(v) for k, v in row.items()})
