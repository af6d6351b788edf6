"""Ingest: source file → parsed policy graph → knowledge base, with a summary."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ebpm.model import Document
from ebpm.parser.document import parse_document
from ebpm.parser.measures import LOW_CONFIDENCE
from ebpm.search.documents import search_documents
from ebpm.search.index import EXTRAS, index_rows
from ebpm.search.paraphrases import paraphrases
from ebpm.sources.corpus import read_source
from ebpm.store import knowledge_base, schema

Progress = Callable[[str], None]


@dataclass(slots=True)
class Summary:
    counts: dict[str, int]
    low_confidence: list[tuple[str, int, float, str]]  # id, marker line, confidence, first reason
    unassigned: list[int]
    noise_lines: int
    encoding: str
    missing: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    kept: bool = False  # incomplete, so the complete knowledge base already there was kept


def summarize(doc: Document, text: str, encoding: str) -> Summary:
    levels = Counter(h.level for h in doc.headings if h.id.startswith("2"))
    goal_kinds = Counter(g.kind for g in doc.goals)
    blocks = Counter(i.block for i in doc.indicators)
    counts = {
        "sections (chapter 2)": levels["section"],
        "subsections (chapter 2)": levels["subsection"],
        "items (chapter 2)": levels["item"],
        "group labels": levels["group"],
        "grand goals (大目標)": goal_kinds["grand_goal"],
        "visions (あるべき姿)": goal_kinds["vision"],
        "goals (目標)": goal_kinds["goal"],
        "key indicators (主要指標)": blocks["kpi"],
        "reference indicators (参考指標)": blocks["reference"],
        "measure rows": len(doc.measures),
        "rows crossing a page": sum(m.crosses_page for m in doc.measures),
        "status items": sum(len(m.status) for m in doc.measures),
        "action items": sum(len(m.actions) for m in doc.measures),
        "footnotes": len(doc.footnotes),
        "glossary entries": len(doc.glossary),
        "ministries": len(doc.ministries),
    }
    lines = text.split("\n")
    unassigned = [i + 1 for i, raw in enumerate(lines) if raw.strip() and (i + 1) not in doc.coverage]
    low = [
        (m.id, m.marker_line, m.confidence, m.reasons[0] if m.reasons else "")
        for m in doc.measures
        if m.confidence < LOW_CONFIDENCE
    ]
    noise = sum(1 for v in doc.coverage.values() if v.startswith("noise:"))
    return Summary(counts, low, unassigned, noise, encoding, list(doc.missing), list(doc.warnings))


def ingest(
    source: Path | None,
    db: Path,
    progress: Progress | None = None,
    allow_partial: bool = False,
    search_extras: bool = False,
) -> tuple[Document, Summary]:
    """Parse ``source`` (default: the bundled corpus) and replace the knowledge base at ``db``.

    ``search_extras``: also index the search data written for the 2023 text (phrasings of its
    rows, kept only where a row's text is the one they were written for, and its thesaurus).

    An incomplete document (``Summary.missing``) never replaces a complete knowledge base unless
    ``allow_partial``: a cut or damaged file must not take a working server down to 0 measures.
    It is stored where there is nothing better; ``Summary.kept`` says when it was not.
    """
    step = progress or (lambda _msg: None)
    step("read")
    src = read_source(source)
    doc = parse_document(src.text, src.path, src.sha256, step)
    if doc.missing and not allow_partial and knowledge_base.is_complete(db):
        summary = summarize(doc, src.text, src.encoding)
        summary.kept = True
        return doc, summary
    step("index")
    docs = search_documents(doc, src.text.split("\n"))
    rows = index_rows(docs, paraphrases(docs), EXTRAS) if search_extras else index_rows(docs)
    rows[schema.source_lines] = knowledge_base.source_line_rows(src.text)
    step("store")
    knowledge_base.write(doc, db, rows)
    return doc, summarize(doc, src.text, src.encoding)
