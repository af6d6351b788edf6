"""The policy graph as one JSON document (schema: schemas/policy-graph.schema.json)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from ebpm.model import Document
from ebpm.services.browse import measure_json

SCHEMA_VERSION = "1.0"


def to_json(doc: Document) -> dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION,
        "source": {"path": doc.source, "sha256": doc.sha256, "line_count": doc.line_count},
        "headings": [asdict(h) for h in doc.headings],
        "goals": [asdict(g) for g in doc.goals],
        "indicators": [asdict(i) for i in doc.indicators],
        "measures": [measure_json(m) for m in doc.measures],
        "footnotes": [asdict(f) for f in doc.footnotes],
        "glossary": [asdict(g) for g in doc.glossary],
        "ministries": [asdict(m) for m in doc.ministries],
        "warnings": doc.warnings,
        "missing": doc.missing,
    }
