"""Importing budget projects (行政事業レビューシート): CSV or Excel, UTF-8 or CP932.

Headers are recognized in English or Japanese (事業番号 or project_id …); ``--columns`` maps
any other layout. Every row is checked first, then all rows are written or none. A project
year imported again with other values supersedes the stored row, which stays as history.
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, insert, select, update

from ebpm.budget.amounts import header_unit, parse_amount
from ebpm.indicators.periods import current_fiscal_year, parse_fiscal_year
from ebpm.sources.tabular import ReadError, RowErrors, header_key, read_table
from ebpm.store import monitoring as t
from ebpm.store.monitoring import now

FIELDS = (
    "project_id",
    "fiscal_year",
    "name",
    "ministry",
    "bureau",
    "purpose",
    "summary",
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
    "budget": ("当初予算額", "当初予算", "予算額", "budget"),
    "executed": ("執行額", "executed"),
}
DEFAULT_UNIT = 1_000_000  # review sheets state amounts in 百万円
MAX_ERRORS = 20
Progress = Callable[[int], None]


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
    for name in ("name", "ministry", "bureau", "purpose", "summary"):
        row[name] = get(name) or None
    for name, column in (("budget", "budget_yen"), ("executed", "executed_yen")):
        try:
            row[column] = parse_amount(get(name), units.get(name, DEFAULT_UNIT))
        except ValueError as exc:
            raise ValueError(f"{name}: {exc}") from None
    return row


CONTENT = ("name", "ministry", "bureau", "purpose", "summary", "budget_yen", "executed_yen")


def import_projects(
    store: Engine,
    path: Path,
    columns: str | None = None,
    dry_run: bool = False,
    author: str = "cli",
    today: date | None = None,
    progress: Progress | None = None,
) -> BudgetImportResult:
    """Check every row of ``path``, then write all of them (or, with ``dry_run``, none)."""
    mapping = parse_mapping(columns)
    header, rows = read_table(path)
    index, units, ignored = map_header(path, header, mapping)
    result = BudgetImportResult(str(path), ignored_columns=ignored, dry_run=dry_run)
    errors: list[str] = []
    staged: dict[tuple[str, int], tuple[int, dict[str, Any]]] = {}
    for line, cells in rows:
        result.rows += 1
        try:
            row = _check(cells, index, units, today or date.today())
        except ValueError as exc:
            errors.append(f"{path.name}: line {line}: {exc}")
        else:
            key = (row["project_id"], row["fiscal_year"])
            if key in staged:
                first, other = staged[key]
                if {c: other[c] for c in CONTENT} != {c: row[c] for c in CONTENT}:
                    errors.append(
                        f"{path.name}: lines {first} and {line}: project {key[0]} FY{key[1]} is given twice "
                        "with different values; keep one"
                    )
                result.duplicates += 1
            else:
                staged[key] = (line, row)
        if len(errors) >= MAX_ERRORS:
            errors.append(f"{path.name}: stopped after {MAX_ERRORS} errors")
            break
        if progress and result.rows % 1000 == 0:
            progress(result.rows)
    if not errors and not staged:
        errors.append(f"{path.name}: no data rows")
    if errors:
        raise BudgetImportError(errors)
    stamp = now()
    with store.connect() as conn, conn.begin() as trans:
        current = {
            (r.project_id, r.fiscal_year): r
            for r in conn.execute(
                select(t.budget_projects).where(t.budget_projects.c.superseded_at.is_(None))
            )
        }
        new_rows, superseded = [], []
        for key, (line, row) in staged.items():
            old = current.get(key)
            if old is not None and all(getattr(old, c) == row[c] for c in CONTENT):
                result.unchanged += 1
                continue
            if old is not None:
                superseded.append(old.id)
                result.revised += 1
            else:
                result.added += 1
            new_rows.append(row | {"line": line, "imported_at": stamp})
        import_id = conn.execute(
            insert(t.budget_imports).values(
                file=str(path),
                sha256=hashlib.sha256(path.read_bytes()).hexdigest(),
                rows=result.rows,
                added=result.added,
                revised=result.revised,
                unchanged=result.unchanged,
                imported_at=stamp,
                imported_by=author,
            )
        ).inserted_primary_key[0]  # type: ignore[index]
        if superseded:
            conn.execute(
                update(t.budget_projects)
                .where(t.budget_projects.c.id.in_(superseded))
                .values(superseded_at=stamp)
            )
        if new_rows:
            conn.execute(insert(t.budget_projects), [r | {"import_id": import_id} for r in new_rows])
        if dry_run:
            trans.rollback()
    return result
