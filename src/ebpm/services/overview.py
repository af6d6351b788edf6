"""The strategy at a glance, each ministry's commitments, and search, as JSON-ready data."""

from __future__ import annotations

from collections import Counter
from datetime import date
from html import escape
from pathlib import PurePath
from typing import Any

from ebpm.commitments.listing import Commitment, counts_by_ministry, counts_by_year, list_commitments
from ebpm.indicators.periods import current_fiscal_year
from ebpm.parser.measures import LOW_CONFIDENCE
from ebpm.search.index import Results
from ebpm.services import action_table
from ebpm.services.action_table import CATEGORY_LABELS, year_order
from ebpm.services.browse import NotFoundError, check_filters, measure_summary, section_tree
from ebpm.services.knowledge import Knowledge
from ebpm.services.tables import Column
from ebpm.sources.normalize import compact, fold_in_place

Json = dict[str, Any]


ACTION_UNIT = "今後の取組（再掲は1件と数える）"
# the home page's charts as tables, for their downloads
PER_MINISTRY_COLUMNS = (
    Column("ministry", "府省庁", "Ministry"),
    Column("name", "名称", "Name"),
    Column("actions", "今後の取組（件）", "Actions", "number"),
)
PER_YEAR_COLUMNS = (
    Column("year", "年度", "Fiscal year"),
    Column("label", "期限", "Due"),
    Column("actions", "今後の取組（件）", "Actions", "number"),
)


def overview(k: Knowledge) -> Json:
    """Home: what ebpm is for, the sections of chapter 2 with counts, actions per ministry and
    deadlines per fiscal year. Every action count has one unit (``ACTION_UNIT``): an action once,
    its re-posted copies folded into it, counted in the section where it first appears."""
    chapter2 = next((n for n in section_tree(k) if n["id"] == "2"), None)
    actions = action_table.all_rows(k, {}, date.today())
    per_section = Counter(".".join(r["section"].split(".")[:2]) for r in actions)
    sections = [
        {
            "id": node["id"],
            "number": node["number"],
            "title": node["title"],
            "counts": node["counts"] | {"actions": per_section.get(node["id"], 0)},
        }
        for node in (chapter2["children"] if chapter2 else [])
    ]
    names = k.ministry_names()
    owners = Counter(o for r in actions for o in r["ministries"])
    per_ministry = [{"ministry": m, "name": names.get(m), "actions": n} for m, n in owners.most_common()]
    per_year = sorted(
        Counter(action_table.year_key(r) for r in actions).items(), key=lambda kv: year_order(kv[0])
    )
    doc = k.doc
    return {
        "title": f"統合イノベーション戦略{doc.edition}",
        # the file name only: the server's directories are nobody's business
        "source": {"path": PurePath(doc.source).name, "sha256": doc.sha256, "line_count": doc.line_count},
        "action_unit": ACTION_UNIT,
        "totals": {
            "measures": len(doc.measures),
            "actions": len(actions),
            "indicators": len(doc.indicators),
            "footnotes": len(doc.footnotes),
            "glossary": len(doc.glossary),
        },
        "sections": sections,
        "actions_per_ministry": per_ministry,
        "deadlines_per_year": [
            {"year": y, "label": f"{y[2:]}年度" if y.startswith("FY") else CATEGORY_LABELS[y], "actions": n}
            for y, n in per_year
        ],
        "low_confidence_count": sum(1 for m in doc.measures if m.confidence < LOW_CONFIDENCE),
    }


def diagnostics(k: Knowledge) -> Json:
    """How well the document parsed: the rows whose parse is least certain, with their reasons, and
    the parser's warnings and the parts it expected but did not find."""
    low = sorted((m for m in k.doc.measures if m.confidence < LOW_CONFIDENCE), key=lambda m: m.confidence)
    return {
        "source": {
            "path": PurePath(k.doc.source).name,
            "sha256": k.doc.sha256,
            "line_count": k.doc.line_count,
        },
        "measures": len(k.doc.measures),
        "threshold": LOW_CONFIDENCE,
        "low_confidence": [measure_summary(m) for m in low],
        "warnings": list(k.doc.warnings),
        "missing": list(k.doc.missing),
    }


MINISTRY_COLUMNS = (
    Column("abbreviation", "略称", "Abbreviation"),
    Column("name", "名称", "Name"),
    Column("commitments", "具体的な取組（行）", "Rows owned", "number"),
    Column("actions", "今後の取組", "Actions", "number"),
    Column("overdue", "期限切れ", "Overdue", "number"),
)


def list_ministries(k: Knowledge, as_of: date | None = None) -> list[Json]:
    """Every owner named in the tables, with the strategy's name for it and what it owns: its rows,
    and its actions counted as its own page counts them (once each, re-posts folded), overdue as
    of ``as_of`` (today)."""
    names = {compact(m.abbreviation): m for m in k.doc.ministries}
    commitments: dict[str, int] = {}
    for m in k.doc.measures:
        for o in m.commitment.ministries:
            commitments[o] = commitments.get(o, 0) + 1
    actions: Counter[str] = Counter()
    overdue: Counter[str] = Counter()
    for r in action_table.all_rows(k, {}, as_of or date.today()):
        for o in r["ministries"]:
            actions[o] += 1
            overdue[o] += r["overdue"]
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
                "overdue": overdue.get(owner, 0),
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
        "fiscal_year": current_fiscal_year(c.due) if c.due else None,
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
        "counts_by_year": dict(sorted(counts_by_year(rows).items(), key=lambda kv: year_order(kv[0]))),
    }


def ministry_head(k: Knowledge, abbreviation: str) -> Json:
    """A ministry as the strategy's list names it; an owner the tables never name is a 404."""
    owner = compact(abbreviation)
    if owner not in k.owners():
        raise NotFoundError(f"unknown ministry {abbreviation!r}; owners are: {'、'.join(sorted(k.owners()))}")
    row = next((m for m in k.doc.ministries if compact(m.abbreviation) == owner), None)
    return {
        "abbreviation": owner,
        "name": row.name if row else None,
        "group": row.group if row else None,
        "line": row.line if row else None,
    }


def ministry_detail(k: Knowledge, abbreviation: str, as_of: date) -> Json:
    """One ministry (the API's view): the rows it owns, and its actions per owner pair grouped by
    due fiscal year, overdue marked."""
    head = ministry_head(k, abbreviation)
    owner = head["abbreviation"]
    items = [commitment_json(c, as_of) for c in list_commitments(k.doc, owner)]
    groups: dict[str, list[Json]] = {}
    for item in items:
        key = f"FY{item['fiscal_year']}" if item["fiscal_year"] else item["due_category"]
        groups.setdefault(key, []).append(item)
    return {
        "ministry": head,
        "as_of": as_of.isoformat(),
        "commitments": [measure_summary(m) for m in k.doc.measures if owner in m.commitment.ministries],
        "action_count": len(items),
        "overdue_count": sum(1 for i in items if i["overdue"]),
        "by_year": [
            {"year": key, "label": CATEGORY_LABELS.get(key, key), "items": groups[key]}
            for key in sorted(groups, key=year_order)
        ],
    }


RELEVANCE_LABELS = ((0.75, "高"), (0.4, "中"), (0.0, "低"))


def search_json(results: Results, offset: int = 0) -> Json:
    """Search results from ``offset`` on, each snippet as (text, matched) pieces for safe rendering.

    ``relevance`` is a hit's score over the best hit's (1.0 for the first): BM25 scores mean
    nothing to a reader, a share of the best match does; ``relevance_label`` puts it in words."""
    top = results.hits[0].score if results.hits and results.hits[0].score > 0 else 1.0
    hits = []
    for h in results.hits[offset:]:
        relevance = round(max(0.0, min(1.0, h.score / top)), 3)
        segments = [(fold_in_place(text), marked) for text, marked in h.segments]
        hits.append(
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
                "relevance": relevance,
                "relevance_label": next(label for floor, label in RELEVANCE_LABELS if relevance >= floor),
                # HTML-safe: the text escaped, the matches in <mark>
                "snippet": "".join(
                    f"<mark>{escape(t)}</mark>" if marked else escape(t) for t, marked in segments
                ),
                "segments": [{"text": t, "mark": marked} for t, marked in segments],
                "via": list(h.via),
                "by_meaning": h.by_meaning,
            }
        )
    return {
        "query": results.query,
        "total": results.total,
        "offset": offset,
        "hits": hits,
        "facets": results.facets,
    }
