"""Ingest: source file → parsed policy graph → knowledge base, with a summary."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ebpm.model import Document
from ebpm.parser.document import parse_document
from ebpm.parser.edition import edition_of_text
from ebpm.parser.measures import LOW_CONFIDENCE
from ebpm.search.documents import search_documents
from ebpm.search.index import EXTRAS, index_rows
from ebpm.search.paraphrases import paraphrases
from ebpm.search.vectors import embed_documents
from ebpm.sources.corpus import read_source
from ebpm.store import editions, knowledge_base, schema

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
    edition: str = ""
    path: Path | None = None  # the file the edition was written to (or kept in)
    # "good" or "poor": whether the parse can be trusted, with the reasons when it cannot
    verdict: str = "good"
    verdict_reasons: list[str] = field(default_factory=list)
    # the search documents' sentence vectors: how many, and how many had to be encoded (the
    # others came from the cache); 0 and 0 with ``vectors=False``
    vectors: int = 0
    vectors_encoded: int = 0


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
    summary = Summary(counts, low, unassigned, noise, encoding, list(doc.missing), list(doc.warnings))
    summary.verdict_reasons = parse_quality(doc)
    summary.verdict = "poor" if summary.verdict_reasons else "good"
    return summary


# More than this share of rows below confidence 0.9 means the parse cannot be trusted: the
# bundled 2023 text, parsed as well as the parser can, has 13% (28 of 218).
POOR_LOW_SHARE = 0.25
# A table holds at least one row; fewer rows than table headers means tables were read as prose.
# Lines inside tables that no row took are reported above this share of the tables' lines.
POOR_TABLE_PROSE_SHARE = 0.02


def parse_quality(doc: Document) -> list[str]:
    """Why the parse of ``doc`` cannot be trusted; empty when it looks as good as a parse gets.

    Counts alone hide a failed parse: leftover lines count as prose, and a table read as text
    still yields a plausible number of items. The checks compare what the document announces
    (table headers, chapter 2) with what was read inside it.
    """
    reasons: list[str] = []
    tables = sum(1 for v in doc.coverage.values() if v.startswith("table-header:"))
    rows = len(doc.measures)
    if tables and rows < tables:
        reasons.append(
            f"{tables} measure tables announced but only {rows} rows read: tables were read as prose"
        )
    if rows:
        low = sum(1 for m in doc.measures if m.confidence < LOW_CONFIDENCE)
        if low / rows > POOR_LOW_SHARE:
            reasons.append(
                f"{low} of {rows} rows ({100 * low / rows:.0f}%) are below confidence {LOW_CONFIDENCE} "
                f"(more than {100 * POOR_LOW_SHARE:.0f}%)"
            )
    # lines between a table header and the next heading that no row took: prose where a
    # table was expected
    headers = sorted(ln for ln, v in doc.coverage.items() if v.startswith("table-header:"))
    heading_lines = sorted(h.line for h in doc.headings)
    in_tables = prose = 0
    for ln in headers:
        stop = next((h for h in heading_lines if h > ln), doc.line_count + 1)
        for k in range(ln + 1, stop):
            v = doc.coverage.get(k)
            if v is None or v.startswith(("noise:", "footnote:", "table-header:")):
                continue
            in_tables += 1
            if v.startswith("text:"):
                prose += 1
    if in_tables and prose / in_tables > POOR_TABLE_PROSE_SHARE:
        reasons.append(f"{prose} of {in_tables} lines inside measure tables were left as prose")
    return reasons


def exit_status(summary: Summary) -> int:
    """The exit status of ``ebpm ingest``: 2 incomplete (first), 3 parsed poorly (stored, or kept
    out of a complete knowledge base), else 0."""
    if summary.missing:
        return 2
    return 3 if summary.verdict == "poor" else 0


def ingest(
    source: Path | None,
    db: Path,
    progress: Progress | None = None,
    allow_partial: bool = False,
    search_extras: bool = False,
    edition: str | None = None,
    vectors: bool = True,
) -> tuple[Document, Summary]:
    """Parse ``source`` (default: the bundled corpus) and replace the knowledge base at ``db``.

    ``search_extras``: also index the search data written for the 2023 text (phrasings of its
    rows, kept only where a row's text is the one they were written for, and its thesaurus).

    An incomplete document (``Summary.missing``) or one that parsed poorly (``Summary.verdict``)
    never replaces a complete knowledge base unless ``allow_partial``: a cut, damaged or unreadable
    file must not take a working server down to 0 measures.
    It is stored where there is nothing better; ``Summary.kept`` says when it was not.

    ``edition`` (a year) names the edition; by default the document's title names it
    (統合イノベーション戦略２０２４). Only that edition's file is replaced: the knowledge base's other
    editions are left alone (:mod:`ebpm.store.editions`).

    ``vectors``: also store each search document's sentence vector, to search by meaning
    (``ebpm.search.vectors``; encoding what the cache does not hold takes minutes, with progress
    reported as ``vectors: done/total``). Without them, search goes by words only.
    """
    step = progress or (lambda _msg: None)
    step("read")
    src = read_source(source, lambda done, total: step(f"read: page {done}/{total}"))
    named = edition_of_text(src.text)
    year, note = _edition(db, edition, named)
    doc = parse_document(src.text, src.path, src.sha256, step)
    doc.edition = year
    if note:
        doc.warnings.insert(0, note)
    target = editions.Editions.of(db).target(year)
    summary = summarize(doc, src.text, src.encoding)
    summary.edition, summary.path = year, target
    # an incomplete or poorly parsed document never replaces a complete edition by default
    if (
        (doc.missing or summary.verdict == "poor")
        and not allow_partial
        and knowledge_base.is_complete(target)
    ):
        summary.kept = True
        return doc, summary
    step("index")
    docs = search_documents(doc, src.text.split("\n"))
    embedded = None
    if vectors:
        step("vectors")

        def encoded(done: int, total: int) -> None:
            summary.vectors_encoded = total
            step(f"vectors: {done}/{total}")

        embedded = embed_documents([d.text for d in docs], encoded)
        summary.vectors = sum(len(vs) for vs in embedded.values())
    phrasings, extras = (paraphrases(docs), EXTRAS) if search_extras else (None, ())
    rows = index_rows(docs, phrasings, extras, vectors=embedded)
    rows[schema.source_lines] = knowledge_base.source_line_rows(src.text)
    step("store")
    knowledge_base.write(doc, target, rows)
    return doc, summary


def _edition(db: Path, given: str | None, named: str | None) -> tuple[str, str]:
    """The edition to store a document as, and a warning when it had to be assumed."""
    if given is not None:
        year = editions.check(given)
        if named is not None and named != year:
            return year, f"the document's title names the {named} edition; stored as {year} (--edition)"
        return year, ""
    if named is not None:
        return named, ""
    year = editions.Editions.of(db).latest or knowledge_base.LEGACY_EDITION
    return year, (
        "the document names no edition on its first lines (統合イノベーション戦略YYYY); "
        f"stored as the {year} edition (give --edition to choose)"
    )
