"""Sums and comparisons over the mapped projects: the budget up the strategy's tree, and
projects of different ministries that describe the same work.

Plain functions of the data they are given (project rows, accepted mappings, the strategy's
measures and headings): the service reads the store and calls them, never the other way round."""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Mapping
from typing import Any

from ebpm.budget.engine import Project, terms
from ebpm.budget.projects import ProjectYear
from ebpm.model import Heading, Measure

SIMILAR_PAIRS = 0.45  # cosine similarity of two projects' words above which they look alike


def levels(item_id: str, measures: Mapping[str, Measure]) -> dict[str, str]:
    """The tree levels an item (a measure or a heading) belongs to: measure, subsection, section,
    and for section 2.4 the field."""
    section = measures[item_id].section if item_id in measures else item_id
    parts = section.split(".")
    out = {"subsection": ".".join(parts[:3]), "section": ".".join(parts[:2])}
    if item_id in measures:
        out["measure"] = item_id
    if out["section"] == "2.4":
        out["field"] = out["subsection"]
    return out


def aggregate(
    years: list[ProjectYear],
    accepted: Mapping[str, list[str]],
    measures: Mapping[str, Measure],
    headings: Mapping[str, Heading],
) -> dict[str, Any]:
    """Budget (yen) per item, subsection, section, field and ministry for each fiscal year,
    with the change from the year before; ``accepted`` is each project's items (see
    ``BudgetService.accepted``)."""
    totals: dict[str, dict[str, dict[int, float]]] = defaultdict(
        lambda: defaultdict(lambda: defaultdict(float))
    )
    unmatched: dict[int, float] = defaultdict(float)
    for y in years:
        amount = float(y.budget_yen or 0)
        totals["ministry"][y.ministry][y.fiscal_year] += amount
        items = accepted.get(y.project_id, [])
        if not items:
            unmatched[y.fiscal_year] += amount
            continue
        share = amount / len(items)
        for item_id in items:
            for level, key in levels(item_id, measures).items():
                totals[level][key][y.fiscal_year] += share
    fiscal_years = sorted({y.fiscal_year for y in years})

    def rows(level: str) -> list[dict[str, Any]]:
        out = []
        for key, by_year in sorted(totals[level].items()):
            entry: dict[str, Any] = {"id": key, "title": _title(measures, headings, level, key), "years": []}
            previous: float | None = None
            for fy in fiscal_years:
                value = by_year.get(fy, 0.0)
                change = (value - previous) / previous if previous else None
                entry["years"].append(
                    {
                        "fiscal_year": fy,
                        "budget_yen": round(value),
                        "change": None if change is None else round(change, 4),
                    }
                )
                previous = value
            out.append(entry)
        return out

    return {
        "fiscal_years": fiscal_years,
        "by_measure": rows("measure"),
        "by_subsection": rows("subsection"),
        "by_section": rows("section"),
        "by_field": rows("field"),
        "by_ministry": rows("ministry"),
        "unmatched": [
            {"fiscal_year": fy, "budget_yen": round(unmatched.get(fy, 0.0))} for fy in fiscal_years
        ],
    }


def _title(measures: Mapping[str, Measure], headings: Mapping[str, Heading], level: str, key: str) -> str:
    if level == "ministry":
        return key
    if level == "measure":
        return measures[key].commitment.text[:60] if key in measures else key
    h = headings.get(key)
    return h.title if h else key


def similar_pairs(
    latest: list[Project], threshold: float = SIMILAR_PAIRS, limit: int = 200
) -> list[dict[str, Any]]:
    """Pairs of projects (each as its latest year reads) of different ministries whose descriptions
    are alike (possible duplication): cosine similarity of their word weights (tf × idf over the
    projects)."""
    vectors = [Counter(terms(p.text)) for p in latest]
    df: Counter[str] = Counter(term for v in vectors for term in v)
    n = len(vectors)
    idf = {term: math.log((1 + n) / (1 + d)) + 1 for term, d in df.items()}
    weighted = []
    for v in vectors:
        w = {term: (1 + math.log(c)) * idf[term] for term, c in v.items()}
        norm = math.sqrt(sum(x * x for x in w.values())) or 1.0
        weighted.append({term: x / norm for term, x in w.items()})
    # candidates share a word that few projects use; frequent words would pair everything
    postings: dict[str, list[int]] = defaultdict(list)
    cap = max(5, n // 20)
    for k, w in enumerate(weighted):
        for term in w:
            if df[term] <= cap:
                postings[term].append(k)
    seen: set[tuple[int, int]] = set()
    pairs: list[dict[str, Any]] = []
    for members in postings.values():
        for a_pos, a in enumerate(members):
            for b in members[a_pos + 1 :]:
                if (a, b) in seen or latest[a].ministry == latest[b].ministry:
                    continue
                seen.add((a, b))
                wa, wb = weighted[a], weighted[b]
                small, large = (wa, wb) if len(wa) < len(wb) else (wb, wa)
                score = sum(x * large.get(term, 0.0) for term, x in small.items())
                if score >= threshold:
                    pairs.append(
                        {
                            "a": latest[a].project_id,
                            "a_name": latest[a].name,
                            "a_ministry": latest[a].ministry,
                            "b": latest[b].project_id,
                            "b_name": latest[b].name,
                            "b_ministry": latest[b].ministry,
                            "score": round(score, 4),
                            "shared_terms": sorted(set(wa) & set(wb), key=lambda x: -idf[x])[:8],
                        }
                    )
    pairs.sort(key=lambda p: -p["score"])
    return pairs[:limit]
