"""The policy graph as a folder of CSV tables, one per entity, ready for Excel (through the one
CSV writer, ``tables.TableWriter``, so that no text cell can run as a formula)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ebpm.export.tables import TableWriter
from ebpm.model import Document

ENCODINGS = ("utf-8-sig", "utf-8", "cp932")


def _tables(doc: Document) -> dict[str, tuple[list[str], Iterable[list[Any]]]]:
    def cells() -> Iterable[list[Any]]:
        for m in doc.measures:
            for column, k, c in m.cells():
                yield [
                    m.id,
                    m.section,
                    column,
                    k + 1,
                    "、".join(c.ministries),
                    c.reposted,
                    c.topic or "",
                    c.text,
                    c.line_start,
                    c.line_end,
                ]

    return {
        "headings": (
            ["id", "level", "number", "title", "line", "parent_id"],
            ([h.id, h.level, h.number, h.title, h.line, h.parent_id or ""] for h in doc.headings),
        ),
        "goals": (
            ["id", "kind", "section", "text", "line_start", "line_end"],
            ([g.id, g.kind, g.section, g.text, g.line_start, g.line_end] for g in doc.goals),
        ),
        "indicators": (
            [
                "id",
                "block",
                "section",
                "name",
                "values",
                "date",
                "year",
                "fiscal_year",
                "footnotes",
                "line",
                "line_end",
            ],
            (
                [
                    i.id,
                    i.block,
                    i.section,
                    i.name,
                    json.dumps([v.text for v in i.values], ensure_ascii=False),
                    i.date or "",
                    i.year or "",
                    i.fiscal_year or "",
                    " ".join(map(str, i.footnotes)),
                    i.line,
                    i.line_end,
                ]
                for i in doc.indicators
            ),
        ),
        "indicator_values": (
            ["indicator_id", "position", "text", "number", "unit"],
            (
                [i.id, k + 1, v.text, "" if v.number is None else v.number, v.unit or ""]
                for i in doc.indicators
                for k, v in enumerate(i.values)
            ),
        ),
        "measures": (
            [
                "id",
                "section",
                "marker_line",
                "line_start",
                "line_end",
                "crosses_page",
                "confidence",
                "reposted",
                "commitment_ministries",
                "status_items",
                "actions",
                "reasons",
            ],
            (
                [
                    m.id,
                    m.section,
                    m.marker_line,
                    m.line_start,
                    m.line_end,
                    m.crosses_page,
                    m.confidence,
                    m.reposted,
                    "、".join(m.commitment.ministries),
                    len(m.status),
                    len(m.actions),
                    " | ".join(m.reasons),
                ]
                for m in doc.measures
            ),
        ),
        "cells": (
            [
                "measure_id",
                "section",
                "column",
                "position",
                "ministries",
                "reposted",
                "topic",
                "text",
                "line_start",
                "line_end",
            ],
            cells(),
        ),
        "footnotes": (
            ["number", "text", "line", "line_end", "references"],
            ([f.number, f.text, f.line, f.line_end, " ".join(map(str, f.references))] for f in doc.footnotes),
        ),
        "glossary": (
            ["abbreviation", "name_ja", "name_en", "line", "line_end"],
            ([g.abbreviation, g.name_ja, g.name_en or "", g.line, g.line_end] for g in doc.glossary),
        ),
        "ministries": (
            ["abbreviation", "name", "group", "line"],
            ([m.abbreviation, m.name, m.group or "", m.line] for m in doc.ministries),
        ),
    }


def write_csv(doc: Document, folder: Path, encoding: str = "utf-8-sig") -> list[Path]:
    """Write one CSV per entity into ``folder``; return the files written.

    CP932 cannot hold every character of the text (e.g. ⽂ look-alikes); those
    are replaced rather than aborting, since the raw text is in the JSON export.
    """
    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for name, (header, rows) in _tables(doc).items():
        path = folder / f"{name}.csv"
        errors = "replace" if encoding == "cp932" else "strict"
        with path.open("w", encoding=encoding, errors=errors, newline="") as fh:
            writer = TableWriter(fh)
            writer.writerow(header)
            writer.writerows(rows)
        written.append(path)
    return written
