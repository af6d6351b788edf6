"""Writing and reading the knowledge base: one SQLite file, replaced atomically.

A re-ingest builds a complete new database next to the old one and renames it
over the old file only once every row is written, so a failed ingest never
leaves a half-written or missing knowledge base behind.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterable
from dataclasses import fields
from glob import escape as glob_escape
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, Row, Table, create_engine, event, insert, select
from sqlalchemy.exc import SQLAlchemyError

from ebpm.model import (
    Cell,
    Document,
    Footnote,
    GlossaryEntry,
    GoalStatement,
    Heading,
    Indicator,
    IndicatorValue,
    Measure,
    Ministry,
)
from ebpm.store import schema as t

ENV_VAR = "EBPM_DB"
DEFAULT_NAME = "ebpm.sqlite"
LEGACY_EDITION = "2023"

T = TypeVar("T")


class KnowledgeBaseError(RuntimeError):
    """The knowledge base is missing or unreadable."""


def resolve_path(option: Path | None) -> Path:
    """``--db`` wins, then ``$EBPM_DB``, then ``./ebpm.sqlite``."""
    if option is not None:
        return option
    env = os.environ.get(ENV_VAR)
    return Path(env) if env else Path(DEFAULT_NAME)


def _engine(path: Path) -> Engine:
    return create_engine(f"sqlite:///{path}")


def write(doc: Document, path: Path, extra: dict[Table, list[dict[str, Any]]] | None = None) -> None:
    """Store ``doc`` (and ``extra`` rows, e.g. the search index) at ``path``, replacing any
    previous knowledge base atomically; a failure raises :class:`KnowledgeBaseError` naming it."""
    path = path.resolve()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        remove_stale_temporaries(path)
        _write(doc, path, extra)
    except (OSError, SQLAlchemyError, sqlite3.Error) as exc:
        reason = getattr(exc, "orig", None) or getattr(exc, "strerror", None) or exc
        raise KnowledgeBaseError(f"{path}: cannot write the knowledge base ({reason})") from None


def _temporary(path: Path, pid: int) -> Path:
    return path.with_name(f".{path.name}.{pid}.tmp")


def remove_stale_temporaries(path: Path) -> list[Path]:
    """Delete the temporaries of ingests into ``path`` that were killed (their process is gone)."""
    removed = []
    prefix, suffix = f".{path.name}.", ".tmp"
    for tmp in path.parent.glob(f"{glob_escape(prefix)}*{suffix}"):
        pid = tmp.name[len(prefix) : -len(suffix)]
        if pid.isdigit() and not _alive(int(pid)):
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
                removed.append(tmp)
    return removed


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, under another user
    return True


def _write(doc: Document, path: Path, extra: dict[Table, list[dict[str, Any]]] | None) -> None:
    tmp = _temporary(path, os.getpid())
    tmp.unlink(missing_ok=True)
    engine = _engine(tmp)

    # The temporary file is thrown away on any failure, so it needs no journal;
    # durability comes from the fsync before the rename.
    @event.listens_for(engine, "connect")
    def _fast(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute("PRAGMA journal_mode=OFF")
        dbapi_connection.execute("PRAGMA synchronous=OFF")

    try:
        t.metadata.create_all(engine)
        with engine.begin() as conn:
            for table, rows in {**_rows(doc), **(extra or {})}.items():
                _insert(conn, table, rows)
        engine.dispose()
        with tmp.open("rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        engine.dispose()
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise


def is_complete(path: Path) -> bool:
    """True when ``path`` holds a readable knowledge base of a complete document (nothing missing)."""
    if not path.is_file():
        return False
    engine = _engine(path)
    try:
        with engine.connect() as conn:
            keys = {r.key for r in conn.execute(select(t.document.c.key))}
            missing = conn.execute(
                select(t.messages.c.position).where(t.messages.c.kind == "missing").limit(1)
            ).first()
    except SQLAlchemyError:
        return False  # damaged or foreign: nothing worth keeping
    finally:
        engine.dispose()
    return "sha256" in keys and missing is None


BULK = 5000  # rows above which the driver's executemany takes plain tuples


def _insert(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert ``rows``; large batches of plain values skip SQLAlchemy's per-row processing."""
    if not rows:
        return
    columns = list(rows[0])
    plain = all(isinstance(v, (str, int, float)) or v is None for v in rows[0].values())
    if len(rows) < BULK or not plain:
        conn.execute(insert(table), rows)
        return
    names = ", ".join(f'"{c}"' for c in columns)
    marks = ", ".join("?" for _ in columns)
    conn.exec_driver_sql(
        f'INSERT INTO "{table.name}" ({names}) VALUES ({marks})', [tuple(r[c] for c in columns) for r in rows]
    )


def _flat(obj: Any, skip: tuple[str, ...] = (), **extra: Any) -> dict[str, Any]:
    """The dataclass ``obj`` as a row: its fields, less ``skip``, plus ``extra``."""
    return {f.name: getattr(obj, f.name) for f in fields(obj) if f.name not in skip} | extra


def _numbered(items: Iterable[Any], skip: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    return [_flat(item, skip, position=k) for k, item in enumerate(items)]


def _runs(coverage: dict[int, str]) -> list[dict[str, Any]]:
    """Coverage as runs of consecutive lines that belong to the same element."""
    runs: list[dict[str, Any]] = []
    for line, element in sorted(coverage.items()):
        last = runs[-1] if runs else None
        if last is not None and last["element"] == element and last["line_end"] == line - 1:
            last["line_end"] = line
        else:
            runs.append({"line_start": line, "line_end": line, "element": element})
    return runs


def _rows(doc: Document) -> dict[Table, list[dict[str, Any]]]:
    meta = {
        "source": doc.source,
        "sha256": doc.sha256,
        "line_count": str(doc.line_count),
        "edition": doc.edition,
    }
    cells = [(m, column, k, c) for m in doc.measures for column, k, c in m.cells()]
    return {
        t.document: [{"key": k, "value": v} for k, v in meta.items()],
        t.headings: _numbered(doc.headings),
        t.goals: _numbered(doc.goals),
        t.indicators: _numbered(doc.indicators, skip=("values",)),
        t.indicator_values: [
            _flat(v, indicator_id=i.id, position=k) for i in doc.indicators for k, v in enumerate(i.values)
        ],
        t.measures: _numbered(doc.measures, skip=("commitment", "status", "actions")),
        t.cells: [
            _flat(c, ("ministries",), measure_id=m.id, column=column, position=k) for m, column, k, c in cells
        ],
        t.cell_ministries: [
            {"measure_id": m.id, "column": column, "position": k, "rank": rank, "ministry": name}
            for m, column, k, c in cells
            for rank, name in enumerate(c.ministries)
        ],
        t.footnotes: [_flat(f) for f in doc.footnotes],
        t.glossary: _numbered(doc.glossary),
        t.ministries: _numbered(doc.ministries),
        t.coverage: _runs(doc.coverage),
        t.messages: [
            {"position": k, "kind": kind, "text": text}
            for k, (kind, text) in enumerate(
                [("warning", w) for w in doc.warnings] + [("missing", m) for m in doc.missing]
            )
        ],
    }


def _load(cls: type[T], row: Row[Any], **extra: Any) -> T:
    """Build the dataclass ``cls`` from the columns of ``row`` named like its fields."""
    mapping = row._mapping
    values = {f.name: mapping[f.name] for f in fields(cls) if f.name in mapping and f.name not in extra}  # type: ignore[arg-type]
    return cls(**values, **extra)


def _ordered(conn: Connection, table: Table, order: str = "position") -> list[Row[Any]]:
    return list(conn.execute(select(table).order_by(table.c[order])))


def read(path: Path) -> Document:
    """Load the whole policy graph back from ``path``."""
    if not path.exists():
        raise KnowledgeBaseError(f"{path}: no knowledge base here; run `ebpm ingest` first")
    engine = _engine(path)
    try:
        with engine.connect() as conn:
            return _read(conn, path)
    except KnowledgeBaseError:
        raise
    except Exception as exc:  # a corrupt or foreign file
        raise KnowledgeBaseError(f"{path}: cannot read the knowledge base ({exc})") from exc
    finally:
        engine.dispose()


def _read(conn: Connection, path: Path) -> Document:
    meta = {r.key: r.value for r in conn.execute(select(t.document))}
    if "sha256" not in meta:
        raise KnowledgeBaseError(f"{path}: not an ebpm knowledge base")
    doc = Document(
        source=meta["source"],
        sha256=meta["sha256"],
        line_count=int(meta["line_count"]),
        # built before editions were recorded: the one edition there was then
        edition=meta.get("edition") or LEGACY_EDITION,
    )
    doc.headings = [_load(Heading, r) for r in _ordered(conn, t.headings)]
    doc.goals = [_load(GoalStatement, r) for r in _ordered(conn, t.goals)]
    values: dict[str, list[IndicatorValue]] = {}
    for r in _ordered(conn, t.indicator_values):
        values.setdefault(r.indicator_id, []).append(_load(IndicatorValue, r))
    doc.indicators = [_load(Indicator, r, values=values.get(r.id, [])) for r in _ordered(conn, t.indicators)]
    owners: dict[tuple[str, str, int], list[str]] = {}
    for r in _ordered(conn, t.cell_ministries, "rank"):
        owners.setdefault((r.measure_id, r.column, r.position), []).append(r.ministry)
    cells: dict[str, dict[str, list[Cell]]] = {}
    for r in _ordered(conn, t.cells):
        cell = _load(Cell, r, ministries=owners.get((r.measure_id, r.column, r.position), []))
        cells.setdefault(r.measure_id, {}).setdefault(r.column, []).append(cell)
    for r in _ordered(conn, t.measures):
        own = cells.get(r.id, {})
        doc.measures.append(
            _load(
                Measure,
                r,
                commitment=own["commitment"][0],
                status=own.get("status", []),
                actions=own.get("action", []),
            )
        )
    doc.footnotes = [_load(Footnote, r) for r in _ordered(conn, t.footnotes, "number")]
    doc.glossary = [_load(GlossaryEntry, r) for r in _ordered(conn, t.glossary)]
    doc.ministries = [_load(Ministry, r) for r in _ordered(conn, t.ministries)]
    doc.coverage = {
        ln: r.element for r in conn.execute(select(t.coverage)) for ln in range(r.line_start, r.line_end + 1)
    }
    for r in _ordered(conn, t.messages):
        (doc.warnings if r.kind == "warning" else doc.missing).append(r.text)
    return doc


def read_lines(path: Path) -> list[str]:
    """The source lines stored with the knowledge base; ``lines[n - 1]`` is line ``n``."""
    engine = _engine(path)
    try:
        with engine.connect() as conn:
            rows = conn.execute(select(t.source_lines.c.text).order_by(t.source_lines.c.line)).all()
    except Exception as exc:
        raise KnowledgeBaseError(
            f"{path}: no source lines in this knowledge base; run `ebpm ingest` to rebuild it ({exc})"
        ) from exc
    finally:
        engine.dispose()
    return [r.text for r in rows]


def source_line_rows(text: str) -> list[dict[str, Any]]:
    """Rows of the ``source_lines`` table for the source ``text``."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [{"line": n, "text": raw} for n, raw in enumerate(lines, start=1)]
