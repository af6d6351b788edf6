"""Budget projects against the strategy: stored matches, human reviews and aggregations.

Matches are computed by the engine and stored wholesale (``recompute``); reviews are separate
rows that a recompute never touches. A project's accepted mapping is what reviewers confirmed
or added; without a review, its best row, unless it is flagged unmatched. Each project's budget
for a year goes to its accepted rows (split evenly when several) and from there up the
strategy's tree: subsection, section, and for section 4 the field.
"""

from __future__ import annotations

import json
import math
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, delete, insert, select

from ebpm.budget.engine import MappingEngine, Project, terms
from ebpm.indicators.monitor import now
from ebpm.model import Document
from ebpm.services.browse import NotFoundError
from ebpm.store import monitoring as t

DECISIONS = ("confirm", "reject", "add")
BATCH = 500
KIND_ORDER = ("measure", "subsection", "field")
SIMILAR_PAIRS = 0.45  # cosine similarity of two projects' words above which they look alike
Progress = Callable[[int, int], None]


class UnknownProjectError(NotFoundError):
    """A project id that no import holds."""


@dataclass(frozen=True, slots=True)
class ProjectYear:
    project_id: str
    fiscal_year: int
    name: str
    ministry: str
    bureau: str | None
    purpose: str | None
    summary: str | None
    budget_yen: int | None
    executed_yen: int | None


class BudgetService:
    def __init__(self, doc: Document, store: Engine, engine: MappingEngine | None = None) -> None:
        self.doc = doc
        self.store = store
        self._engine = engine
        self.items = {m.id: m for m in doc.measures}
        self.headings = {h.id: h for h in doc.headings}

    @property
    def engine(self) -> MappingEngine:
        if self._engine is None:  # built on first use: it analyses the whole strategy
            self._engine = MappingEngine(self.doc)
        return self._engine

    def years(self) -> list[ProjectYear]:
        with self.store.connect() as conn:
            rows = conn.execute(
                select(t.budget_projects)
                .where(t.budget_projects.c.superseded_at.is_(None))
                .order_by(t.budget_projects.c.project_id, t.budget_projects.c.fiscal_year)
            ).all()
        return [
            ProjectYear(
                r.project_id,
                r.fiscal_year,
                r.name,
                r.ministry,
                r.bureau,
                r.purpose,
                r.summary,
                r.budget_yen,
                r.executed_yen,
            )
            for r in rows
        ]

    def latest(self) -> dict[str, ProjectYear]:
        """Each project's most recent year: the text the matching reads."""
        out: dict[str, ProjectYear] = {}
        for y in self.years():
            out[y.project_id] = y  # ordered by year: the last one wins
        return out

    @staticmethod
    def project(y: ProjectYear) -> Project:
        return Project(y.project_id, y.name, y.purpose or "", y.summary or "", y.ministry)

    def recompute(self, progress: Progress | None = None) -> int:
        """Match every project and replace the stored matches (reviews stay); returns the count."""
        latest = self.latest()
        stamp = now()
        match_rows: list[dict[str, Any]] = []
        flag_rows: list[dict[str, Any]] = []
        projects = [self.project(y) for y in latest.values()]
        chars: dict[str, Any] = {}
        for n, (y, project) in enumerate(zip(latest.values(), projects, strict=True), start=1):
            if (n - 1) % BATCH == 0:  # the character signal is computed for a batch at once
                chars = self.engine.char_scores(projects[n - 1 : n - 1 + BATCH])
            row = (n - 1) % BATCH
            result = self.engine.match_explained(project, {kind: m[row] for kind, m in chars.items()})
            ranks: Counter[str] = Counter()
            for m in result.items:
                match_rows.append(
                    {
                        "project_id": y.project_id,
                        "kind": m.kind,
                        "rank": ranks[m.kind],
                        "item_id": m.item_id,
                        "score": m.score,
                        "explanation": json.dumps(m.explanation, ensure_ascii=False),
                        "computed_at": stamp,
                    }
                )
                ranks[m.kind] += 1
            flag_rows.append(
                {
                    "project_id": y.project_id,
                    "unmatched": int(result.unmatched),
                    "best_score": result.best_score,
                    "confidence": result.confidence,
                    "markers": json.dumps(result.markers, ensure_ascii=False),
                    "computed_at": stamp,
                }
            )
            if progress:
                progress(n, len(latest))
        with self.store.begin() as conn:
            conn.execute(delete(t.budget_matches))
            conn.execute(delete(t.budget_assessments))
            if match_rows:
                conn.execute(insert(t.budget_matches), match_rows)
            if flag_rows:
                conn.execute(insert(t.budget_assessments), flag_rows)
        return len(flag_rows)

    def item_info(self, item_id: str) -> dict[str, Any]:
        m = self.items.get(item_id)
        if m is not None:
            return {"item_id": item_id, "kind": "measure", "line_start": m.line_start, "line_end": m.line_end}
        h = self.headings.get(item_id)
        if h is not None:
            kind = "field" if item_id.startswith("2.4.") else "subsection"
            rows = [
                m for m in self.items.values() if m.section == item_id or m.section.startswith(item_id + ".")
            ]
            end = max((m.line_end for m in rows), default=h.line)
            return {"item_id": item_id, "kind": kind, "line_start": h.line, "line_end": end}
        raise NotFoundError(
            f"no strategy item {item_id!r}; items are measure ids (2.2.1.3.m1) or headings (2.2.1)"
        )

    def reviews(self, project_id: str | None = None) -> list[dict[str, Any]]:
        query = select(t.budget_reviews).order_by(t.budget_reviews.c.id)
        if project_id is not None:
            query = query.where(t.budget_reviews.c.project_id == project_id)
        with self.store.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(query)]

    def review(
        self, project_id: str, item_id: str, decision: str, reviewer: str, note: str | None = None
    ) -> dict[str, Any]:
        """Record a human decision on one mapping; it outlives every recompute."""
        if decision not in DECISIONS:
            raise ValueError(f"decision must be one of {', '.join(DECISIONS)}, not {decision!r}")
        if not reviewer.strip():
            raise ValueError("a review needs the reviewer's name")
        if project_id not in self.latest():
            raise UnknownProjectError(f"no project {project_id!r}; import it with `ebpm budget import`")
        self.item_info(item_id)
        row = {
            "project_id": project_id,
            "item_id": item_id,
            "decision": decision,
            "reviewer": reviewer,
            "note": note,
            "created_at": now(),
        }
        with self.store.begin() as conn:
            row["id"] = conn.execute(insert(t.budget_reviews).values(**row)).inserted_primary_key[0]  # type: ignore[index]
        return row

    def _decisions(self, project_id: str) -> dict[str, dict[str, Any]]:
        """The latest decision on each item of a project."""
        latest: dict[str, dict[str, Any]] = {}
        for r in self.reviews(project_id):
            latest[r["item_id"]] = r
        return latest

    def matches(self, project_id: str | None = None, top: int = 5) -> list[dict[str, Any]]:
        """Each project's flag and ranked items (top per kind), with reviews applied."""
        latest = self.latest()
        if project_id is not None and project_id not in latest:
            raise UnknownProjectError(f"no project {project_id!r}; import it with `ebpm budget import`")
        with self.store.connect() as conn:
            flags = {r.project_id: r for r in conn.execute(select(t.budget_assessments))}
            stored: dict[str, list[Any]] = defaultdict(list)
            query = select(t.budget_matches).order_by(t.budget_matches.c.project_id, t.budget_matches.c.rank)
            if project_id is not None:
                query = query.where(t.budget_matches.c.project_id == project_id)
            for r in conn.execute(query):
                stored[r.project_id].append(r)
        out = []
        for pid, y in latest.items():
            if project_id is not None and pid != project_id:
                continue
            flag = flags.get(pid)
            decisions = self._decisions(pid)
            items = []
            for r in stored.get(pid, []):
                if r.rank >= top:
                    continue
                items.append(
                    self.item_info(r.item_id)
                    | {
                        "kind": r.kind,
                        "rank": r.rank + 1,
                        "score": r.score,
                        "explanation": json.loads(r.explanation),
                    }
                    | self._review_state(decisions.get(r.item_id))
                )
            items.sort(key=lambda i: (KIND_ORDER.index(i["kind"]), i["rank"]))
            shown = {i["item_id"] for i in items}
            for item_id, d in decisions.items():
                if d["decision"] == "add" and item_id not in shown:
                    items.append(
                        self.item_info(item_id)
                        | {"rank": None, "score": None, "explanation": None}
                        | self._review_state(d)
                    )
            out.append(
                {
                    "project_id": pid,
                    "name": y.name,
                    "ministry": y.ministry,
                    "fiscal_year": y.fiscal_year,
                    "computed": flag is not None,
                    "unmatched": bool(flag.unmatched) if flag else None,
                    "best_score": flag.best_score if flag else None,
                    "confidence": flag.confidence if flag else None,
                    "markers": json.loads(flag.markers) if flag else [],
                    "items": items,
                }
            )
        return out

    @staticmethod
    def _review_state(decision: dict[str, Any] | None) -> dict[str, Any]:
        if decision is None:
            return {"review": None}
        return {
            "review": {
                "decision": decision["decision"],
                "reviewer": decision["reviewer"],
                "created_at": decision["created_at"],
                "note": decision["note"],
            }
        }

    def accepted(self) -> dict[str, list[str]]:
        """Project → the measure rows and headings its budget goes to."""
        out: dict[str, list[str]] = {}
        for p in self.matches(top=1_000):
            chosen = [
                i["item_id"]
                for i in p["items"]
                if i["review"] and i["review"]["decision"] in ("confirm", "add")
            ]
            if not chosen and not p["unmatched"]:
                rejected = {
                    i["item_id"] for i in p["items"] if i["review"] and i["review"]["decision"] == "reject"
                }
                best = next(
                    (i for i in p["items"] if i["kind"] == "measure" and i["item_id"] not in rejected), None
                )
                chosen = [best["item_id"]] if best else []
            out[p["project_id"]] = chosen
        return out

    def levels(self, item_id: str) -> dict[str, str]:
        """The tree levels an item belongs to: measure, subsection, section, field."""
        section = self.items[item_id].section if item_id in self.items else item_id
        parts = section.split(".")
        levels = {"subsection": ".".join(parts[:3]), "section": ".".join(parts[:2])}
        if item_id in self.items:
            levels["measure"] = item_id
        if levels["section"] == "2.4":
            levels["field"] = levels["subsection"]
        return levels

    def aggregate(self) -> dict[str, Any]:
        """Budget (yen) per item, subsection, section, field and ministry for each fiscal year,
        with the change from the year before."""
        accepted = self.accepted()
        totals: dict[str, dict[str, dict[int, float]]] = defaultdict(
            lambda: defaultdict(lambda: defaultdict(float))
        )
        unmatched: dict[int, float] = defaultdict(float)
        for y in self.years():
            amount = float(y.budget_yen or 0)
            totals["ministry"][y.ministry][y.fiscal_year] += amount
            items = accepted.get(y.project_id, [])
            if not items:
                unmatched[y.fiscal_year] += amount
                continue
            share = amount / len(items)
            for item_id in items:
                for level, key in self.levels(item_id).items():
                    totals[level][key][y.fiscal_year] += share
        years = sorted({y.fiscal_year for y in self.years()})

        def rows(level: str) -> list[dict[str, Any]]:
            out = []
            for key, by_year in sorted(totals[level].items()):
                entry: dict[str, Any] = {"id": key, "title": self._title(level, key), "years": []}
                previous: float | None = None
                for fy in years:
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
            "fiscal_years": years,
            "by_measure": rows("measure"),
            "by_subsection": rows("subsection"),
            "by_section": rows("section"),
            "by_field": rows("field"),
            "by_ministry": rows("ministry"),
            "unmatched": [{"fiscal_year": fy, "budget_yen": round(unmatched.get(fy, 0.0))} for fy in years],
        }

    def _title(self, level: str, key: str) -> str:
        if level == "ministry":
            return key
        if level == "measure":
            return self.items[key].commitment.text[:60] if key in self.items else key
        h = self.headings.get(key)
        return h.title if h else key

    def similar_pairs(self, threshold: float = SIMILAR_PAIRS, limit: int = 200) -> list[dict[str, Any]]:
        """Pairs of projects of different ministries whose descriptions are alike (possible duplication):
        cosine similarity of their word weights (tf × idf over the projects)."""
        latest = list(self.latest().values())
        vectors = [Counter(terms(self.project(y).text)) for y in latest]
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


def yen_to_million(value: float | int | None) -> float | None:
    return None if value is None else round(value / 1_000_000, 1)


class BudgetViews:
    """What the budget pages and their API show, from one BudgetService."""

    def __init__(self, service: BudgetService) -> None:
        self.service = service

    def projects(self, ministry: str | None = None, unmatched: bool | None = None) -> list[dict[str, Any]]:
        years: dict[str, list[ProjectYear]] = defaultdict(list)
        for y in self.service.years():
            years[y.project_id].append(y)
        out = []
        for p in self.service.matches(top=3):
            if ministry is not None and p["ministry"] != ministry:
                continue
            if unmatched is not None and p["unmatched"] != unmatched:
                continue
            out.append(
                {
                    "project_id": p["project_id"],
                    "name": p["name"],
                    "ministry": p["ministry"],
                    "unmatched": p["unmatched"],
                    "confidence": p["confidence"],
                    "budgets": [
                        {"fiscal_year": y.fiscal_year, "budget_million_yen": yen_to_million(y.budget_yen)}
                        for y in years[p["project_id"]]
                    ],
                    "top_items": [
                        {
                            "item_id": i["item_id"],
                            "kind": i["kind"],
                            "score": i["score"],
                            "review": i["review"],
                        }
                        for i in p["items"]
                        if i["kind"] == "measure"
                    ],
                }
            )
        return out

    def project(self, project_id: str) -> dict[str, Any]:
        match = self.service.matches(project_id, top=5)[0]
        years = [y for y in self.service.years() if y.project_id == project_id]
        return match | {
            "years": [
                {
                    "fiscal_year": y.fiscal_year,
                    "bureau": y.bureau,
                    "purpose": y.purpose,
                    "summary": y.summary,
                    "budget_million_yen": yen_to_million(y.budget_yen),
                    "executed_million_yen": yen_to_million(y.executed_yen),
                }
                for y in years
            ],
            "reviews": self.service.reviews(project_id),
        }

    def item(self, item_id: str) -> dict[str, Any]:
        """A strategy item (row or heading) with the projects whose budget it receives, by year."""
        info = self.service.item_info(item_id)
        accepted = self.service.accepted()
        years = self.service.years()
        fiscal_years = sorted({y.fiscal_year for y in years})
        under = [
            pid
            for pid, items in accepted.items()
            if any(item_id == i or item_id in self.service.levels(i).values() for i in items)
        ]
        projects = []
        totals = dict.fromkeys(fiscal_years, 0.0)
        for pid in under:
            own = [y for y in years if y.project_id == pid]
            share = 1 / max(1, len(accepted[pid]))
            for y in own:
                totals[y.fiscal_year] += (y.budget_yen or 0) * share
            projects.append(
                {
                    "project_id": pid,
                    "name": own[-1].name if own else pid,
                    "ministry": own[-1].ministry if own else "",
                    "share": round(share, 3),
                    "budgets": [
                        {"fiscal_year": y.fiscal_year, "budget_million_yen": yen_to_million(y.budget_yen)}
                        for y in own
                    ],
                }
            )
        heading = self.service.headings.get(item_id)
        measure = self.service.items.get(item_id)
        return info | {
            "title": heading.title if heading else (measure.commitment.text[:120] if measure else item_id),
            "section": measure.section if measure else item_id,
            "projects": projects,
            "trend": [
                {"fiscal_year": fy, "budget_million_yen": yen_to_million(totals[fy])} for fy in fiscal_years
            ],
        }

    def treemap(self, fiscal_year: int | None = None) -> dict[str, Any]:
        """Leaves for a treemap of the budget over the strategy tree: section → subsection → row."""
        accepted = self.service.accepted()
        years = self.service.years()
        fys = sorted({y.fiscal_year for y in years})
        fy = fiscal_year if fiscal_year is not None else (fys[-1] if fys else None)
        leaves: dict[str, float] = defaultdict(float)
        for y in years:
            if y.fiscal_year != fy or not accepted.get(y.project_id):
                continue
            items = accepted[y.project_id]
            for item_id in items:
                leaves[item_id] += (y.budget_yen or 0) / len(items)
        rows = []
        for item_id, value in sorted(leaves.items()):
            levels = self.service.levels(item_id)
            rows.append(
                {
                    "item_id": item_id,
                    "section": levels["section"],
                    "subsection": levels["subsection"],
                    "value": yen_to_million(value),
                }
            )
        return {"fiscal_year": fy, "fiscal_years": fys, "leaves": rows}
