"""The policy graph as one JSON document (schema: schemas/policy-graph.schema.json)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from ebpm.model import Cell, Document, Measure

SCHEMA_VERSION = "1.0"


def _cell(c: Cell) -> dict[str, Any]:
    return {
        "text": c.text,
        "ministries": c.ministries,
        "other_tags": c.other_tags,
        "reposted": c.reposted,
        "topic": c.topic,
        "line_start": c.line_start,
        "line_end": c.line_end,
        "lines": c.lines,
    }


def _measure(m: Measure) -> dict[str, Any]:
    return {
        "id": m.id,
        "section": m.section,
        "table_line": m.table_line,
        "marker_line": m.marker_line,
        "line_start": m.line_start,
        "line_end": m.line_end,
        "crosses_page": m.crosses_page,
        "confidence": m.confidence,
        "reasons": m.reasons,
        "reposted": m.reposted,
        "commitment": _cell(m.commitment),
        "status": [_cell(c) for c in m.status],
        "actions": [_cell(c) for c in m.actions],
    }


def to_json(doc: Document) -> dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION,
        "source": {"path": doc.source, "sha256": doc.sha256, "line_count": doc.line_count},
        "headings": [asdict(h) for h in doc.headings],
        "goals": [asdict(g) for g in doc.goals],
        "indicators": [asdict(i) for i in doc.indicators],
        "measures": [_measure(m) for m in doc.measures],
        "footnotes": [asdict(f) for f in doc.footnotes],
        "glossary": [asdict(g) for g in doc.glossary],
        "ministries": [asdict(m) for m in doc.ministries],
        "warnings": doc.warnings,
        "missing": doc.missing,
    }
