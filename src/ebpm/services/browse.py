"""The strategy in its own structure: the sections tree, sections, measure rows and their provenance.

Every function returns plain JSON-ready data, so that a web page and its JSON twin, the
REST API and the exports show the same thing.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import Any

from ebpm.commitments import listing
from ebpm.commitments.reposts import CellKey
from ebpm.errors import NotFoundError as NotFoundError  # re-exported for the commands that catch it here
from ebpm.model import Cell, GoalStatement, Heading, Indicator, Measure
from ebpm.parser.passages import Passage, passages
from ebpm.progress.actions import ActionRef, action_index, action_json
from ebpm.services.knowledge import Knowledge
from ebpm.sources.normalize import compact

Json = dict[str, Any]
EMPTY_CELL = ("―", "－")


def under(section: str, prefix: str) -> bool:
    """``section`` is ``prefix`` or lies below it (2.2.1 is under 2.2, 2.21 is not)."""
    return section == prefix or section.startswith(prefix + ".")


def heading_json(h: Heading) -> Json:
    return {"id": h.id, "level": h.level, "number": h.number, "title": h.title, "line": h.line}


def cell_json(c: Cell) -> Json:
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


def measure_json(m: Measure) -> Json:
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
        "commitment": cell_json(m.commitment),
        "status": [cell_json(c) for c in m.status],
        "actions": [cell_json(c) for c in m.actions],
    }


def measure_summary(m: Measure) -> Json:
    return {
        "id": m.id,
        "section": m.section,
        "commitment": m.commitment.text,
        "ministries": m.commitment.ministries,
        "status_count": len(m.status),
        "action_count": sum(1 for a in m.actions if a.text.strip() not in EMPTY_CELL),
        "reposted": m.reposted,
        "confidence": m.confidence,
        "reasons": m.reasons,
        "crosses_page": m.crosses_page,
        "line_start": m.line_start,
        "line_end": m.line_end,
    }


def breadcrumbs(k: Knowledge, section: str) -> list[Json]:
    """The headings from the chapter down to ``section``, each with id and title."""
    out: list[Json] = []
    h = k.headings.get(section)
    while h is not None:
        out.append({"id": h.id, "number": h.number, "title": h.title})
        h = k.headings.get(h.parent_id) if h.parent_id else None
    return out[::-1]


def _counts(k: Knowledge, section: str) -> Json:
    rows = [m for m in k.doc.measures if under(m.section, section)]
    return {
        "measures": len(rows),
        "actions": sum(1 for m in rows for a in m.actions if a.text.strip() not in EMPTY_CELL),
        "indicators": sum(1 for i in k.doc.indicators if under(i.section, section)),
    }


def section_tree(k: Knowledge) -> list[Json]:
    """Chapters, sections, subsections and items as a tree, each node with its counts."""
    nodes: dict[str, Json] = {}
    roots: list[Json] = []
    for h in k.doc.headings:
        node = heading_json(h) | {"counts": _counts(k, h.id), "children": []}
        nodes[h.id] = node
        parent = nodes.get(h.parent_id) if h.parent_id else None
        (parent["children"] if parent else roots).append(node)
    return roots


def sections_flat(k: Knowledge) -> list[Json]:
    """The tree as one row per heading (for CSV)."""
    return [heading_json(h) | {"parent_id": h.parent_id, **_counts(k, h.id)} for h in k.doc.headings]


SECTION_PAGE_ROWS = 30  # measure rows a section page shows at once: chapter 2 has 400


def body_text(k: Knowledge) -> list[Passage]:
    """The paragraphs of body text (総論 and the prose before the tables), built once."""
    return k.derived("passages", lambda k_: passages(k_.doc, k_.lines))


def section_detail(k: Knowledge, section: str, page: int = 1) -> Json:
    """One heading: where it sits, its children, its body text, goal blocks, indicators and
    measure rows (``SECTION_PAGE_ROWS`` of them a page, in document order)."""
    h = k.headings.get(section)
    if h is None:
        raise NotFoundError(f"no section {section!r}; ids look like 2.2 or 2.2.1")
    children = [heading_json(c) | {"counts": _counts(k, c.id)} for c in k.doc.headings if c.parent_id == h.id]
    rows = [m for m in k.doc.measures if under(m.section, section)]
    pages = max(1, -(-len(rows) // SECTION_PAGE_ROWS))
    page = max(1, min(page, pages))
    shown = rows[(page - 1) * SECTION_PAGE_ROWS : page * SECTION_PAGE_ROWS]
    groups: list[Json] = []
    for m in shown:
        if not groups or groups[-1]["section"] != m.section:
            owner = k.headings.get(m.section)
            groups.append(
                {
                    "section": m.section,
                    "title": owner.title if owner else "",
                    "number": owner.number if owner else "",
                    "measures": [],
                }
            )
        groups[-1]["measures"].append(measure_json(m))
    return {
        "heading": heading_json(h),
        "breadcrumbs": breadcrumbs(k, section),
        "counts": _counts(k, section),
        "children": children,
        "text": [
            {"id": p.id, "text": p.text, "line_start": p.line_start, "line_end": p.line_end}
            for p in body_text(k)
            if p.section == section
        ],
        "goals": [goal_json(g) for g in k.doc.goals if under(g.section, section)],
        "indicators": [indicator_json(i) for i in k.doc.indicators if under(i.section, section)],
        "tables": groups,
        # the pager's view of the rows (the keys of ebpm.services.tables.view)
        "rows": {
            "total": len(rows),
            "first": (page - 1) * SECTION_PAGE_ROWS + 1 if rows else 0,
            "last": min(page * SECTION_PAGE_ROWS, len(rows)),
            "page": page,
            "pages": pages,
        },
    }


def goal_json(g: GoalStatement) -> Json:
    return asdict(g)


def indicator_json(i: Indicator) -> Json:
    return {
        "id": i.id,
        "block": i.block,
        "section": i.section,
        "name": i.name,
        "values": [{"text": v.text, "number": v.number, "unit": v.unit} for v in i.values],
        "date": i.date,
        "year": i.year,
        "fiscal_year": i.fiscal_year,
        "footnotes": i.footnotes,
        "text": i.text,
        "line_start": i.line,
        "line_end": i.line_end,
    }


def list_measures(
    k: Knowledge,
    section: str | None = None,
    ministry: str | None = None,
    reposted: bool | None = None,
    min_confidence: float | None = None,
    max_confidence: float | None = None,
) -> list[Json]:
    """Measure rows, in document order, filtered by section, owning ministry, re-post and confidence."""
    check_filters(k, section, ministry)
    wanted = compact(ministry) if ministry else None
    out = []
    for m in k.doc.measures:
        if section is not None and not under(m.section, section):
            continue
        if wanted is not None and wanted not in {o for c in [m.commitment, *m.actions] for o in c.ministries}:
            continue
        if reposted is not None and m.reposted != reposted:
            continue
        if min_confidence is not None and m.confidence < min_confidence:
            continue
        if max_confidence is not None and m.confidence > max_confidence:
            continue
        out.append(measure_summary(m))
    return out


def check_filters(k: Knowledge, section: str | None, ministry: str | None) -> None:
    """Unknown filter values are errors (UnknownSectionError, UnknownMinistryError), not empty
    lists; a heading without rows is known and gives an empty list."""
    listing.check_filters(k.doc, section, ministry)


def _cell_ref(k: Knowledge, key: CellKey) -> Json:
    measure_id, column, position = key
    m = k.measures[measure_id]
    c = next(cell for col, pos, cell in m.cells() if (col, pos) == (column, position))
    return {
        "measure_id": measure_id,
        "column": column,
        "position": position,
        "section": m.section,
        "text": c.text,
        "line_start": c.line_start,
    }


def measure_detail(k: Knowledge, measure_id: str) -> Json:
    """One row with its verbatim source lines, re-post links both ways and the footnotes it cites."""
    m = k.measures.get(measure_id)
    if m is None:
        raise NotFoundError(f"no measure {measure_id!r}; ids look like 2.1.1.1.m1")
    reposts = []
    for column, position, _cell in m.cells():
        key = (m.id, column, position)
        link = k.reposts.get(key)
        copies = k.reposted_by.get(key, [])
        if link is None and not copies:
            continue
        reposts.append(
            {
                "column": column,
                "position": position,
                "original": _cell_ref(k, link.original) if link and link.original else None,
                "similarity": link.similarity if link else None,
                "copies": [_cell_ref(k, c) for c in copies],
            }
        )
    lines = k.source(m.line_start, m.line_end)
    cited = sorted({n for line, _ in lines for n in k.citations.get(line, [])})
    return {
        "measure": measure_json(m),
        "breadcrumbs": breadcrumbs(k, m.section),
        "source": [{"line": n, "text": text} for n, text in lines],
        "reposts": reposts,
        "footnotes": [{"number": n, "text": k.footnotes[n].text, "line": k.footnotes[n].line} for n in cited],
    }


def actions(k: Knowledge) -> dict[str, ActionRef]:
    """The document's actions by id, built once per loaded knowledge base."""
    return k.derived("actions", lambda k_: action_index(k_.doc))


def list_actions(
    k: Knowledge, section: str | None = None, ministry: str | None = None, due_by: date | None = None
) -> list[Json]:
    """Every action (今後の取組方針 item), once, with its owners and its due date."""
    check_filters(k, section, ministry)
    wanted = compact(ministry) if ministry else None
    out = []
    for a in actions(k).values():
        if section is not None and not under(a.section, section):
            continue
        if wanted is not None and wanted not in a.owners:
            continue
        if due_by is not None and (a.due is None or a.due > due_by):
            continue
        out.append(action_json(a))
    return out


def list_footnotes(k: Knowledge) -> list[Json]:
    return [
        {"number": f.number, "text": f.text, "line": f.line, "line_end": f.line_end, "cited_on": f.references}
        for f in k.doc.footnotes
    ]


def footnote_detail(k: Knowledge, number: int) -> Json:
    f = k.footnotes.get(number)
    if f is None:
        raise NotFoundError(f"no footnote {number}; the strategy has footnotes 1–{len(k.footnotes)}")
    return {
        "number": f.number,
        "text": f.text,
        "line": f.line,
        "line_end": f.line_end,
        "cited_on": f.references,
    }


def list_glossary(k: Knowledge) -> list[Json]:
    return [
        {"abbreviation": e.abbreviation, "name_ja": e.name_ja, "name_en": e.name_en, "line": e.line}
        for e in k.doc.glossary
    ]


def source_excerpt(k: Knowledge, start: int, end: int) -> Json:
    """Source lines ``start``..``end`` verbatim, with the element each line belongs to."""
    if start < 1 or end < start or start > len(k.lines):
        raise NotFoundError(f"no source lines {start}–{end}; the document has lines 1–{len(k.lines)}")
    end = min(end, start + 499, len(k.lines))
    return {
        "start": start,
        "end": end,
        "line_count": len(k.lines),
        "lines": [
            {
                "line": n,
                "text": text,
                "element": k.doc.coverage.get(n),
                "measure_id": k.doc.coverage.get(n) if k.doc.coverage.get(n) in k.measures else None,
            }
            for n, text in k.source(start, end)
        ],
    }
