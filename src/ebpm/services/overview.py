"""The strategy at a glance, each ministry's commitments, and search, as JSON-ready data."""

from __future__ import annotations

from datetime import date
from html import escape
from pathlib import PurePath
from typing import Any

from ebpm.commitments.listing import Commitment, counts_by_ministry, counts_by_year, list_commitments
from ebpm.parser.measures import LOW_CONFIDENCE
from ebpm.search.index import Results
from ebpm.services.browse import NotFoundError, check_filters, measure_summary, section_tree
from ebpm.services.knowledge import Knowledge
from ebpm.sources.normalize import compact

Json = dict[str, Any]
# undated dues, shown after the fiscal years in this order
CATEGORY_LABELS = {"asap": "早期・速やかに", "ongoing": "引き続き", "unspecified": "期限の記載なし"}


def fiscal_year(d: date) -> int:
    """Japanese fiscal year: FY2023 runs from April 2023 to March 2024."""
    return d.year if d.month >= 4 else d.year - 1


def _year_order(key: str) -> tuple[int, str]:
    return (0, key) if key.startswith("FY") else (1 + list(CATEGORY_LABELS).index(key), key)


def overview(k: Knowledge) -> Json:
    """Home: sections of chapter 2 with counts, actions per ministry, deadlines per fiscal year,
    and the rows whose parse is least certain."""
    chapter2 = next((n for n in section_tree(k) if n["id"] == "2"), None)
    sections = [
        {key: node[key] for key in ("id", "number", "title", "counts")}
        for node in (chapter2["children"] if chapter2 else [])
    ]
    rows = list_commitments(k.doc)
    names = k.ministry_names()
    per_ministry = [
        {"ministry": m, "name": names.get(m), "actions": n} for m, n in counts_by_ministry(rows).most_common()
    ]
    per_year = sorted(counts_by_year(rows).items(), key=lambda kv: _year_order(kv[0]))
    low = sorted((m for m in k.doc.measures if m.confidence < LOW_CONFIDENCE), key=lambda m: m.confidence)
    doc = k.doc
    return {
        "title": "統合イノベーション戦略2023",
        # the file name only: the server's directories are nobody's business
        "source": {"path": PurePath(doc.source).name, "sha256": doc.sha256, "line_count": doc.line_count},
        "totals": {
            "measures": len(doc.measures),
            "actions": sum(s["counts"]["actions"] for s in sections),
            "indicators": len(doc.indicators),
            "footnotes": len(doc.footnotes),
            "glossary": len(doc.glossary),
        },
        "sections": sections,
        "actions_per_ministry": per_ministry,
        "deadlines_per_year": [
            {"year": y, "label": CATEGORY_LABELS.get(y, y), "actions": n} for y, n in per_year
        ],
        "low_confidence": [measure_summary(m) for m in low],
    }


def list_ministries(k: Knowledge) -> list[Json]:
    """Every owner named in the tables, with the strategy's name for it and what it owns."""
    names = {compact(m.abbreviation): m for m in k.doc.ministries}
    commitments: dict[str, int] = {}
    for m in k.doc.measures:
        for o in m.commitment.ministries:
            commitments[o] = commitments.get(o, 0) + 1
    actions = counts_by_ministry(list_commitments(k.doc))
    out = []
    for owner in sorted(k.owners(), key=lambda o: (-actions.get(o, 0), o)):
        row = names.get(owner)
        out.append(
            {
                "abbreviation": owner,
                "name": row.name if row else None,
                "group": row.group if row else None,
                "line": row.line if row else None,
                "commitments": commitments.get(owner, 0),
                "actions": actions.get(owner, 0),
            }
        )
    return out


def commitment_json(c: Commitment, as_of: date | None = None) -> Json:
    return {
        "ministry": c.ministry,
        "measure_id": c.measure_id,
        "action_id": f"{c.measure_id}.a{c.position + 1}",
        "section": c.section,
        "text": c.text,
        "due": c.due.isoformat() if c.due else None,
        "due_category": c.category,
        "phrase": c.phrase,
        "fiscal_year": fiscal_year(c.due) if c.due else None,
        "inherited": c.inherited,
        "overdue": bool(as_of and c.due and c.due < as_of),
        "line_start": c.line_start,
        "line_end": c.line_end,
    }


def commitments(
    k: Knowledge,
    ministry: str | None = None,
    section: str | None = None,
    due_by: date | None = None,
    overdue_as_of: date | None = None,
) -> Json:
    """Actions per owning ministry sorted by due date, with counts per ministry and fiscal year."""
    check_filters(k, section, ministry)
    rows = list_commitments(k.doc, ministry, due_by, overdue_as_of, section)
    return {
        "items": [commitment_json(c, overdue_as_of) for c in rows],
        "counts_by_ministry": dict(counts_by_ministry(rows).most_common()),
        "counts_by_year": dict(sorted(counts_by_year(rows).items(), key=lambda kv: _year_order(kv[0]))),
    }


def ministry_detail(k: Knowledge, abbreviation: str, as_of: date) -> Json:
    """One ministry: the rows it owns, and its actions grouped by due fiscal year, overdue marked."""
    owner = compact(abbreviation)
    if owner not in k.owners():
        raise NotFoundError(f"unknown ministry {abbreviation!r}; owners are: {'、'.join(sorted(k.owners()))}")
    row = next((m for m in k.doc.ministries if compact(m.abbreviation) == owner), None)
    items = [commitment_json(c, as_of) for c in list_commitments(k.doc, owner)]
    groups: dict[str, list[Json]] = {}
    for item in items:
        key = f"FY{item['fiscal_year']}" if item["fiscal_year"] else item["due_category"]
        groups.setdefault(key, []).append(item)
    return {
        "ministry": {
            "abbreviation": owner,
            "name": row.name if row else None,
            "group": row.group if row else None,
            "line": row.line if row else None,
        },
        "as_of": as_of.isoformat(),
        "commitments": [measure_summary(m) for m in k.doc.measures if owner in m.commitment.ministries],
        "action_count": len(items),
        "overdue_count": sum(1 for i in items if i["overdue"]),
        "by_year": [
            {"year": key, "label": CATEGORY_LABELS.get(key, key), "items": groups[key]}
            for key in sorted(groups, key=_year_order)
        ],
    }


def search_json(results: Results, offset: int = 0) -> Json:
    """Search results with each snippet as (text, matched) pieces, for safe rendering."""
    return {
        "query": results.query,
        "total": results.total,
        "offset": offset,
        "hits": [
            {
                "id": h.id,
                "kind": h.kind,
                "section": h.section,
                "measure_id": h.measure_id,
                "ministries": list(h.ministries),
                "due": h.due,
                "line_start": h.line_start,
                "line_end": h.line_end,
                "score": h.score,
                # HTML-safe: the text escaped, the matches in <mark>
                "snippet": "".join(
                    f"<mark>{escape(text)}</mark>" if marked else escape(text) for text, marked in h.segments
                ),
                "segments": [{"text": text, "mark": marked} for text, marked in h.segments],
                "via": list(h.via),
            }
            for h in results.hits[offset:]
        ],
        "facets": results.facets,
    }
