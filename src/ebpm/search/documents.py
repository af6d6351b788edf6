"""The searchable documents: one per measure row, action, indicator, goal, paragraph of body text,
footnote and glossary entry."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

from ebpm.commitments.deadlines import due_summary, extract_deadlines
from ebpm.model import Document
from ebpm.parser.passages import passages

Kind = Literal["measure", "action", "indicator", "goal", "text", "footnote", "glossary"]
KINDS: tuple[Kind, ...] = ("measure", "action", "indicator", "goal", "text", "footnote", "glossary")


@dataclass(frozen=True, slots=True)
class SearchDoc:
    id: str
    kind: Kind
    section: str  # heading id; "" for footnotes and glossary entries
    ministries: tuple[str, ...]
    line_start: int
    line_end: int
    text: str  # raw text, for display and snippets
    measure_id: str | None  # the row an action belongs to
    due: date | None  # earliest dated deadline, for actions and rows


def _due(text: str) -> date | None:
    summary = due_summary(extract_deadlines(text))
    return summary if isinstance(summary, date) else None


def search_documents(doc: Document, lines: list[str] | None = None) -> list[SearchDoc]:
    """The searchable documents of ``doc``; with the source ``lines``, its body text too (総論 and
    the prose before the tables), a paragraph a document."""
    out: list[SearchDoc] = []
    for m in doc.measures:
        row_text = "\n".join([m.commitment.text, *(s.text for s in m.status)])
        out.append(
            SearchDoc(
                m.id,
                "measure",
                m.section,
                tuple(m.commitment.ministries),
                m.line_start,
                m.line_end,
                row_text,
                None,
                _due(m.commitment.text),
            )
        )
        for k, a in enumerate(m.actions, start=1):
            if a.text.strip() in ("―", "－"):
                continue
            owners = tuple(a.ministries or m.commitment.ministries)
            out.append(
                SearchDoc(
                    f"{m.id}.a{k}",
                    "action",
                    m.section,
                    owners,
                    a.line_start,
                    a.line_end,
                    a.text,
                    m.id,
                    _due(a.text),
                )
            )
    for i in doc.indicators:
        out.append(SearchDoc(i.id, "indicator", i.section, (), i.line, i.line_end, i.text, None, None))
    for g in doc.goals:
        out.append(SearchDoc(g.id, "goal", g.section, (), g.line_start, g.line_end, g.text, None, None))
    for p in passages(doc, lines or []):
        # no due date: body text tells what happened and why (2022年4月に …), it promises nothing
        out.append(SearchDoc(p.id, "text", p.section, (), p.line_start, p.line_end, p.text, None, None))
    for f in doc.footnotes:
        out.append(SearchDoc(f"fn{f.number}", "footnote", "", (), f.line, f.line_end, f.text, None, None))
    for e in doc.glossary:
        text = " ".join(t for t in (e.abbreviation, e.name_ja, e.name_en or "") if t)
        out.append(
            SearchDoc(f"gl:{e.abbreviation}", "glossary", "", (), e.line, e.line_end, text, None, None)
        )
    return out
