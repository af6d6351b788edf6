"""Importing budget projects (行政事業レビューシート): CSV or Excel, UTF-8 or CP932.

Headers are recognized in English or Japanese (事業番号 or project_id …); ``--columns`` maps
any other layout. Every row is checked first, then all rows are written or none. A project
year imported again with other values supersedes the stored row, which stays as history.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, insert, text

from ebpm.audit import log as audit
from ebpm.budget.amounts import header_unit, parse_amount
from ebpm.indicators.periods import current_fiscal_year, parse_fiscal_year
from ebpm.sources.digest import sha256
from ebpm.sources.tabular import ReadError, RowErrors, header_key, read_table
from ebpm.store import budget_tables as t
from ebpm.store.monitoring import now
from ebpm.store.staging import Progress, conflicts, duplicates, stage, staging_transaction, temp

FIELDS = (
    "project_id",
    "fiscal_year",
    "name",
    "ministry",
    "bureau",
    "purpose",
    "summary",
    "background",
    "budget",
    "executed",
)
REQUIRED = ("project_id", "fiscal_year", "name", "ministry")
ALIASES: dict[str, tuple[str, ...]] = {
    "project_id": ("事業番号", "事業id", "事業ｉｄ", "レビューシート番号", "project_id"),
    "fiscal_year": ("年度", "事業年度", "予算年度", "fiscal_year"),
    "name": ("事業名", "name"),
    "ministry": ("府省庁", "府省", "所管府省庁", "府省庁名", "ministry"),
    "bureau": ("部局", "部局庁", "担当部局庁", "bureau"),
    "purpose": ("事業の目的", "目的", "purpose"),
    "summary": ("事業概要", "概要", "summary"),
    "background": ("現状・課題", "現状課題", "現状及び課題", "課題", "background"),
    "budget": ("当初予算額", "当初予算", "予算額", "budget"),
    "executed": ("執行額", "executed"),
}
DEFAULT_UNIT = 1_000_000  # review sheets state amounts in 百万円


class BudgetImportError(RowErrors):
    """Review-sheet rows that cannot be imported."""


@dataclass(slots=True)
class BudgetImportResult:
    file: str
    rows: int = 0
    added: int = 0
    revised: int = 0
    unchanged: int = 0
    duplicates: int = 0
    ignored_columns: list[str] = field(default_factory=list)
    dry_run: bool = False


@dataclass(frozen=True, slots=True)
class ProjectYear:
    """A project's current row for one fiscal year."""

    row_id: int  # budget_projects.id
    project_id: str
    fiscal_year: int
    name: str
    ministry: str
    bureau: str | None
    purpose: str | None
    summary: str | None
    budget_yen: int | None
    executed_yen: int | None
    background: str | None = None  # 現状・課題


_key = header_key


def parse_mapping(spec: str | None) -> dict[str, str]:
    """``--columns "列A=project_id,列B=name"``: file header → field."""
    mapping: dict[str, str] = {}
    for part in (spec or "").split(","):
        if not part.strip():
            continue
        header, sep, name = part.partition("=")
        if not sep or name.strip() not in FIELDS:
            raise ValueError(
                f"--columns: {part.strip()!r}: write HEADER=FIELD with FIELD one of {', '.join(FIELDS)}"
            )
        mapping[_key(header)] = name.strip()
    return mapping


def map_header(
    path: Path, header: list[str], mapping: dict[str, str]
) -> tuple[dict[str, int], dict[str, int], list[str]]:
    """Field → column, field → the column's amount unit, and the columns ignored."""
    known = {_key(alias): name for name, aliases in ALIASES.items() for alias in aliases} | mapping
    index: dict[str, int] = {}
    units: dict[str, int] = {}
    ignored: list[str] = []
    for k, raw in enumerate(header):
        name = known.get(_key(raw))
        if name is None:
            if raw.strip():
                ignored.append(raw.strip())
            continue
        if name in index:
            raise ReadError(f"{path}: line 1: columns {header[index[name]]!r} and {raw!r} are both {name}")
        index[name] = k
        units[name] = header_unit(raw) or DEFAULT_UNIT
    missing = [f for f in REQUIRED if f not in index]
    if missing:
        raise ReadError(
            f"{path}: line 1: missing column(s) for {', '.join(missing)}; headers may be English or Japanese "
            f"(e.g. 事業番号, 年度, 事業名, 府省庁), or map yours with --columns HEADER=FIELD"
        )
    return index, units, ignored


def _check(cells: list[str], index: dict[str, int], units: dict[str, int], today: date) -> dict[str, Any]:
    def get(name: str) -> str:
        k = index.get(name)
        return cells[k].strip() if k is not None and k < len(cells) else ""

    row: dict[str, Any] = {}
    for name in REQUIRED:
        if not get(name):
            raise ValueError(f"{name}: empty")
    row["project_id"] = unicodedata.normalize("NFKC", get("project_id"))
    try:
        # next year's budget request is the latest there can be
        row["fiscal_year"] = parse_fiscal_year(get("fiscal_year"), 1990, current_fiscal_year(today) + 1)
    except ValueError as exc:
        raise ValueError(f"fiscal_year: {exc}") from None
    for name in ("name", "ministry", "bureau", "purpose", "summary", "background"):
        row[name] = get(name) or None
    for name, column in (("budget", "budget_yen"), ("executed", "executed_yen")):
        try:
            row[column] = parse_amount(get(name), units.get(name, DEFAULT_UNIT))
        except ValueError as exc:
            raise ValueError(f"{name}: {exc}") from None
    return row


CONTENT = ("name", "ministry", "bureau", "purpose", "summary", "background", "budget_yen", "executed_yen")
KEY = ("project_id", "fiscal_year")
# the staging table's columns, in the order _check gives them; yen amounts pass 2**31
STAGED = ("project_id TEXT", "fiscal_year INTEGER", "name TEXT", "ministry TEXT", "bureau TEXT",
          "purpose TEXT", "summary TEXT", "background TEXT", "budget_yen BIGINT", "executed_yen BIGINT",
          "line INTEGER")  # fmt: skip


def import_projects(
    store: Engine,
    path: Path,
    columns: str | None = None,
    dry_run: bool = False,
    author: str = "cli",
    today: date | None = None,
    progress: Progress | None = None,
) -> BudgetImportResult:
    """Check every row of ``path``, then write all of them (or, with ``dry_run``, none).

    Rows stream through the shared staging table (``store.staging``): memory stays bounded
    whatever the file's size; duplicates and changes are found in SQL."""
    mapping = parse_mapping(columns)
    header, rows = read_table(path)
    index, units, ignored = map_header(path, header, mapping)
    result = BudgetImportResult(str(path), ignored_columns=ignored, dry_run=dry_run)
    day = today or date.today()

    def check(line_cells: tuple[int, list[str]]) -> tuple[Any, ...]:
        line, cells = line_cells
        row = _check(cells, index, units, day)
        return (*(row[c] for c in KEY), *(row[c] for c in CONTENT), line)

    with staging_transaction(store, dry_run) as conn:
        staged = stage(
            conn,
            "staging",
            STAGED,
            ((n, (n, c)) for n, c in rows),
            check,
            path.name,
            progress,
            key=KEY,
            values=CONTENT,
        )
        result.rows = staged.rows
        errors = staged.errors
        if not errors:
            errors = [
                f"{path.name}: lines {c.first} and {c.second}: project {c.key[0]} FY{c.key[1]} "
                "is given twice with different values; keep one"
                for c in conflicts(conn, "staging", KEY)
            ]
        if errors:
            raise BudgetImportError(errors)
        _apply(conn, result, path, author)
    return result


def _apply(conn: Connection, result: BudgetImportResult, path: Path, author: str) -> None:
    """Compare the staged rows with the current ones and write the differences."""
    content = ", ".join(CONTENT)
    # the staging table holds one row per project and year (the first given): see stage()
    staging, compared = temp(conn, "staging"), temp(conn, "budget_compared")
    conn.exec_driver_sql(f"DROP TABLE IF EXISTS {compared}")
    conn.exec_driver_sql(
        "CREATE TEMP TABLE budget_compared AS SELECT d.*, p.id AS old_id, "
        f"p.id IS NOT NULL AND {' AND '.join(f'd.{c} IS NOT DISTINCT FROM p.{c}' for c in CONTENT)} AS same "
        f"FROM {staging} d "
        "LEFT JOIN budget_projects p ON p.project_id = d.project_id AND p.fiscal_year = d.fiscal_year "
        "AND p.superseded_at IS NULL"
    )
    counts = conn.exec_driver_sql(
        "SELECT COUNT(*), COALESCE(SUM(CASE WHEN same THEN 1 ELSE 0 END), 0), "
        "COALESCE(SUM(CASE WHEN old_id IS NOT NULL AND NOT same THEN 1 ELSE 0 END), 0) "
        f"FROM {compared}"
    ).one()
    result.duplicates = duplicates(conn, "staging")
    result.unchanged, result.revised = counts[1], counts[2]
    result.added = counts[0] - result.unchanged - result.revised
    stamp = now()
    import_id = conn.execute(
        insert(t.budget_imports).values(
            file=str(path),
            sha256=sha256(path),
            rows=result.rows,
            added=result.added,
            revised=result.revised,
            unchanged=result.unchanged,
            imported_at=stamp,
            imported_by=author,
        )
    ).inserted_primary_key[0]  # type: ignore[index]
    # supersede first: the partial unique index allows one current row per project and year
    conn.execute(
        text(
            "UPDATE budget_projects SET superseded_at = :stamp WHERE id IN "
            f"(SELECT old_id FROM {compared} WHERE old_id IS NOT NULL AND NOT same)"
        ),
        {"stamp": stamp},
    )
    conn.execute(
        text(
            f"INSERT INTO budget_projects (project_id, fiscal_year, {content}, import_id, line, imported_at) "
            f"SELECT project_id, fiscal_year, {content}, :import_id, line, :stamp FROM {compared} "
            "WHERE NOT same ORDER BY line"
        ),
        {"import_id": import_id, "stamp": stamp},
    )
    audit.append(
        conn,
        actor=author,
        action="budget.import",
        outcome="ok",
        target=path.name,
        after={
            "import_id": import_id,
            "added": result.added,
            "revised": result.revised,
            "unchanged": result.unchanged,
        },
    )
    conn.exec_driver_sql(f"DROP TABLE {compared}")
    conn.exec_driver_sql(f"DROP TABLE {staging}")
