"""Writing and reading the knowledge base: one SQLite file, replaced atomically.

A re-ingest builds a complete new database next to the old one and renames it
over the old file only once every row is written, so a failed ingest never
leaves a half-written or missing knowledge base behind.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, insert, select

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


class KnowledgeBaseError(RuntimeError):
    """The knowledge base is missing or unreadable."""


def resolve_path(option: Path | None) -> Path:
    """``--db`` wins, then ``$EBPM_DB``, then ``./ebpm.sqlite``."""
    if option is not None:
        return option
    env = os.environ.get(ENV_VAR)
    return Path(env) if env else Path(DEFAULT_NAME)


def _engine(path: Path) -> Engine:
    return create_engine(f"sqlite:///{path}", future=True)


def write(doc: Document, path: Path) -> None:
    """Store ``doc`` at ``path``, replacing any previous knowledge base atomically."""
    path = path.resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    engine = _engine(tmp)
    try:
        t.metadata.create_all(engine)
        with engine.begin() as conn:
            for table, rows in _rows(doc).items():
                if rows:
                    conn.execute(insert(table), rows)
        engine.dispose()
        os.replace(tmp, path)
    except BaseException:
        engine.dispose()
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise


def _cell_rows(
    m: Measure, column: str, position: int, c: Cell
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    row = {
        "measure_id": m.id,
        "column": column,
        "position": position,
        "text": c.text,
        "other_tags": c.other_tags,
        "reposted": c.reposted,
        "topic": c.topic,
        "line_start": c.line_start,
        "line_end": c.line_end,
        "lines": c.lines,
    }
    owners = [
        {"measure_id": m.id, "column": column, "position": position, "rank": k, "ministry": name}
        for k, name in enumerate(c.ministries)
    ]
    return row, owners


def _rows(doc: Document) -> dict[Any, list[dict[str, Any]]]:
    cells: list[dict[str, Any]] = []
    owners: list[dict[str, Any]] = []
    for m in doc.measures:
        parts = [("commitment", 0, m.commitment)]
        parts += [("status", k, c) for k, c in enumerate(m.status)]
        parts += [("action", k, c) for k, c in enumerate(m.actions)]
        for column, k, c in parts:
            row, own = _cell_rows(m, column, k, c)
            cells.append(row)
            owners.extend(own)
    meta = {
        "source": doc.source,
        "sha256": doc.sha256,
        "line_count": str(doc.line_count),
    }
    return {
        t.document: [{"key": k, "value": v} for k, v in meta.items()],
        t.headings: [
            {
                "id": h.id,
                "level": h.level,
                "number": h.number,
                "title": h.title,
                "line": h.line,
                "parent_id": h.parent_id,
                "position": k,
            }
            for k, h in enumerate(doc.headings)
        ],
        t.goals: [
            {
                "id": g.id,
                "kind": g.kind,
                "section": g.section,
                "text": g.text,
                "line_start": g.line_start,
                "line_end": g.line_end,
            }
            for g in doc.goals
        ],
        t.indicators: [
            {
                "id": i.id,
                "block": i.block,
                "section": i.section,
                "name": i.name,
                "date": i.date,
                "year": i.year,
                "fiscal_year": i.fiscal_year,
                "footnotes": i.footnotes,
                "text": i.text,
                "line": i.line,
                "line_end": i.line_end,
                "position": k,
            }
            for k, i in enumerate(doc.indicators)
        ],
        t.indicator_values: [
            {"indicator_id": i.id, "position": k, "text": v.text, "number": v.number, "unit": v.unit}
            for i in doc.indicators
            for k, v in enumerate(i.values)
        ],
        t.measures: [
            {
                "id": m.id,
                "section": m.section,
                "table_line": m.table_line,
                "marker_line": m.marker_line,
                "line_start": m.line_start,
                "line_end": m.line_end,
                "crosses_page": m.crosses_page,
                "confidence": m.confidence,
                "reasons": m.reasons,
                "position": k,
            }
            for k, m in enumerate(doc.measures)
        ],
        t.cells: cells,
        t.cell_ministries: owners,
        t.footnotes: [
            {
                "number": f.number,
                "text": f.text,
                "line": f.line,
                "line_end": f.line_end,
                "references": f.references,
            }
            for f in doc.footnotes
        ],
        t.glossary: [
            {
                "position": k,
                "abbreviation": g.abbreviation,
                "name_ja": g.name_ja,
                "name_en": g.name_en,
                "line": g.line,
                "line_end": g.line_end,
            }
            for k, g in enumerate(doc.glossary)
        ],
        t.ministries: [
            {"position": k, "abbreviation": m.abbreviation, "name": m.name, "group": m.group, "line": m.line}
            for k, m in enumerate(doc.ministries)
        ],
        t.coverage: [{"line": ln, "element": el} for ln, el in sorted(doc.coverage.items())],
        t.messages: [
            {"position": k, "kind": kind, "text": text}
            for k, (kind, text) in enumerate(
                [("warning", w) for w in doc.warnings] + [("missing", m) for m in doc.missing]
            )
        ],
    }


def read(path: Path) -> Document:
    """Load the whole policy graph back from ``path``."""
    if not path.exists():
        raise KnowledgeBaseError(f"{path}: no knowledge base here; run `ebpm ingest` first")
    engine = _engine(path)
    try:
        with engine.connect() as conn:
            meta = {r.key: r.value for r in conn.execute(select(t.document))}
            if "sha256" not in meta:
                raise KnowledgeBaseError(f"{path}: not an ebpm knowledge base")
            doc = Document(source=meta["source"], sha256=meta["sha256"], line_count=int(meta["line_count"]))
            doc.headings = [
                Heading(
                    id=r.id, level=r.level, number=r.number, title=r.title, line=r.line, parent_id=r.parent_id
                )
                for r in conn.execute(select(t.headings).order_by(t.headings.c.position))
            ]
            doc.goals = [
                GoalStatement(
                    id=r.id,
                    kind=r.kind,
                    section=r.section,
                    text=r.text,
                    line_start=r.line_start,
                    line_end=r.line_end,
                )
                for r in conn.execute(select(t.goals))
            ]
            values: dict[str, list[IndicatorValue]] = {}
            for r in conn.execute(select(t.indicator_values).order_by(t.indicator_values.c.position)):
                values.setdefault(r.indicator_id, []).append(
                    IndicatorValue(text=r.text, number=r.number, unit=r.unit)
                )
            doc.indicators = [
                Indicator(
                    id=r.id,
                    block=r.block,
                    section=r.section,
                    name=r.name,
                    values=values.get(r.id, []),
                    date=r.date,
                    year=r.year,
                    fiscal_year=r.fiscal_year,
                    footnotes=list(r.footnotes),
                    text=r.text,
                    line=r.line,
                    line_end=r.line_end,
                )
                for r in conn.execute(select(t.indicators).order_by(t.indicators.c.position))
            ]
            owners: dict[tuple[str, str, int], list[str]] = {}
            for r in conn.execute(select(t.cell_ministries).order_by(t.cell_ministries.c.rank)):
                owners.setdefault((r.measure_id, r.column, r.position), []).append(r.ministry)
            cells: dict[str, dict[str, list[Cell]]] = {}
            for r in conn.execute(select(t.cells).order_by(t.cells.c.position)):
                cell = Cell(
                    text=r.text,
                    ministries=owners.get((r.measure_id, r.column, r.position), []),
                    other_tags=list(r.other_tags),
                    reposted=r.reposted,
                    line_start=r.line_start,
                    line_end=r.line_end,
                    lines=list(r.lines),
                    topic=r.topic,
                )
                cells.setdefault(r.measure_id, {}).setdefault(r.column, []).append(cell)
            for r in conn.execute(select(t.measures).order_by(t.measures.c.position)):
                own = cells.get(r.id, {})
                doc.measures.append(
                    Measure(
                        id=r.id,
                        section=r.section,
                        table_line=r.table_line,
                        marker_line=r.marker_line,
                        line_start=r.line_start,
                        line_end=r.line_end,
                        crosses_page=r.crosses_page,
                        confidence=r.confidence,
                        reasons=list(r.reasons),
                        commitment=own["commitment"][0],
                        status=own.get("status", []),
                        actions=own.get("action", []),
                    )
                )
            doc.footnotes = [
                Footnote(
                    number=r.number,
                    text=r.text,
                    line=r.line,
                    line_end=r.line_end,
                    references=list(r.references),
                )
                for r in conn.execute(select(t.footnotes).order_by(t.footnotes.c.number))
            ]
            doc.glossary = [
                GlossaryEntry(
                    abbreviation=r.abbreviation,
                    name_ja=r.name_ja,
                    name_en=r.name_en,
                    line=r.line,
                    line_end=r.line_end,
                )
                for r in conn.execute(select(t.glossary).order_by(t.glossary.c.position))
            ]
            doc.ministries = [
                Ministry(abbreviation=r.abbreviation, name=r.name, group=r.group, line=r.line)
                for r in conn.execute(select(t.ministries).order_by(t.ministries.c.position))
            ]
            doc.coverage = {r.line: r.element for r in conn.execute(select(t.coverage))}
            for r in conn.execute(select(t.messages).order_by(t.messages.c.position)):
                (doc.warnings if r.kind == "warning" else doc.missing).append(r.text)
            return doc
    except KnowledgeBaseError:
        raise
    except Exception as exc:  # a corrupt or foreign file
        raise KnowledgeBaseError(f"{path}: cannot read the knowledge base ({exc})") from exc
    finally:
        engine.dispose()
