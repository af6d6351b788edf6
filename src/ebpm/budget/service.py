"""Budget projects against the strategy: stored matches, human reviews and aggregations.

Matches are computed by the engine and stored a batch of projects at a time (``recompute``),
each project's with the row it was computed from: a project whose latest row has none is "not
yet mapped" (imported since, or its mapping interrupted), and the next map finishes it. Reviews
are separate rows that a recompute never touches. A project's accepted mapping is what reviewers confirmed
or added; without a review, its best row, unless it is flagged unmatched. Each project's budget
for a year goes to its accepted rows (split evenly when several) and from there up the
strategy's tree: subsection, section, and for section 4 the field.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine, delete, insert, select, text

from ebpm.budget import aggregation, evaluation
from ebpm.budget.engine import MappingEngine, Project
from ebpm.budget.projects import ProjectYear
from ebpm.errors import NotFoundError
from ebpm.model import Document
from ebpm.store import budget_tables as t
from ebpm.store.monitoring import now

DECISIONS = ("confirm", "reject", "add")
BATCH = 500
KIND_ORDER = ("measure", "subsection", "field")
Progress = Callable[[int, int], None]


class UnknownProjectError(NotFoundError):
    """A project id that no import holds."""


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
            self._engine = MappingEngine(self.doc, self.confirmed_texts())
        return self._engine

    def confirmed_texts(self) -> dict[str, list[str]]:
        """Row → the texts of the projects reviewers confirmed or added for it: what a ministry has
        agreed a row funds helps the next projects worded the same way find it."""
        projects, labels = self._labelled()
        return evaluation.confirmed_texts(projects, labels)

    def _labelled(self) -> tuple[list[Project], dict[str, list[str]]]:
        """The reviewed projects (as their latest year reads) and their labels from the reviews."""
        decisions = {
            pid: {item: d["decision"] for item, d in items.items()}
            for pid, items in self._decisions(None).items()
        }
        labels = evaluation.labels_from_reviews(decisions, set(self.items))
        return [self.project(y) for pid, y in self.latest().items() if pid in labels], labels

    def years(self) -> list[ProjectYear]:
        with self.store.connect() as conn:
            rows = conn.execute(
                select(t.budget_projects)
                .where(t.budget_projects.c.superseded_at.is_(None))
                .order_by(t.budget_projects.c.project_id, t.budget_projects.c.fiscal_year)
            ).all()
        return [
            ProjectYear(
                r.id,
                r.project_id,
                r.fiscal_year,
                r.name,
                r.ministry,
                r.bureau,
                r.purpose,
                r.summary,
                r.budget_yen,
                r.executed_yen,
                r.background,
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
        return Project(y.project_id, y.name, y.purpose or "", y.summary or "", y.ministry, y.background or "")

    def recompute(self, progress: Progress | None = None, pending_only: bool = False) -> int:
        """Match projects and store their matches (reviews stay); returns how many were matched.

        Each batch of projects is written in its own transaction, so an interrupted run leaves
        the rest "not yet mapped" rather than losing the work done. ``pending_only``: only the
        projects not yet mapped (see :func:`unmapped`)."""
        latest = self.latest()
        todo = list(latest.values())
        if pending_only:
            pending = set(unmapped(self.store))
            todo = [y for y in todo if y.project_id in pending]
        for start in range(0, len(todo), BATCH):
            batch = todo[start : start + BATCH]
            projects = [self.project(y) for y in batch]
            stamp = now()
            match_rows: list[dict[str, Any]] = []
            flag_rows: list[dict[str, Any]] = []
            for row, (y, project) in enumerate(zip(batch, projects, strict=True)):
                result = self.engine.match_explained(project)
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
                        "markers": json.dumps(result.signals),
                        "computed_at": stamp,
                        "project_row_id": y.row_id,
                    }
                )
                if progress:
                    progress(start + row + 1, len(todo))
            ids = [y.project_id for y in batch]
            with self.store.begin() as conn:
                conn.execute(delete(t.budget_matches).where(t.budget_matches.c.project_id.in_(ids)))
                conn.execute(delete(t.budget_assessments).where(t.budget_assessments.c.project_id.in_(ids)))
                if match_rows:
                    conn.execute(insert(t.budget_matches), match_rows)
                conn.execute(insert(t.budget_assessments), flag_rows)
        return len(todo)

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
        self,
        project_id: str,
        item_id: str,
        decision: str,
        reviewer: str,
        note: str | None = None,
        ip: str | None = None,
    ) -> dict[str, Any]:
        """Record a human decision on one mapping; it outlives every recompute, and is in the
        audit log (``reviewer``, ``ip``) in the same transaction."""
        from ebpm.audit import log as audit

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
            audit.append(
                conn,
                actor=reviewer,
                action="budget.review",
                outcome="ok",
                target=project_id,
                ip=ip,
                after={k: v for k, v in row.items() if k != "created_at"},
            )
        return row

    def owners(self, project_id: str, ministries: dict[str, str]) -> list[str]:
        """The abbreviations (文, 経 …) of the ministry that runs ``project_id``, given the
        document's abbreviation → name list (a name lists the ministry and its agencies: 文部科学省
        スポーツ庁 文化庁): the scope an editor needs to review it."""
        year = self.latest().get(project_id)
        if year is None:
            raise UnknownProjectError(f"no project {project_id!r}; import it with `ebpm budget import`")
        name = year.ministry
        return [abbr for abbr, full in ministries.items() if name == abbr or name in full.split()]

    def evaluate(
        self, folds: int = 5, progress: Progress | None = None
    ) -> tuple[evaluation.Scores, evaluation.Scores] | None:
        """The mapping against the reviews as labels: (with the confirmed texts of the other
        folds' projects as a row field, without them); None when nothing is reviewed."""
        projects, labels = self._labelled()
        if not projects:
            return None
        steps = 2 * len(projects)
        with_confirmed = evaluation.cross_fitted(
            self.doc, projects, labels, folds, True, progress and (lambda n, _t: progress(n, steps))
        )
        plain = evaluation.cross_fitted(
            self.doc,
            projects,
            labels,
            folds,
            False,
            progress and (lambda n, _t: progress(len(projects) + n, steps)),
        )
        return evaluation.score(with_confirmed, labels), evaluation.score(plain, labels)

    def _decisions(self, project_id: str | None) -> dict[str, dict[str, dict[str, Any]]]:
        """Project → the latest decision on each of its items, in one query."""
        latest: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
        for r in self.reviews(project_id):
            latest[r["project_id"]][r["item_id"]] = r
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
        all_decisions = self._decisions(project_id)
        out = []
        for pid, y in latest.items():
            if project_id is not None and pid != project_id:
                continue
            flag = flags.get(pid)
            decisions = all_decisions.get(pid, {})
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
                    # computed from the project's current latest row: else an import since, or an
                    # interrupted map, left it to the next one
                    "mapped": flag is not None and flag.project_row_id == y.row_id,
                    "unmatched": bool(flag.unmatched) if flag else None,
                    "best_score": flag.best_score if flag else None,
                    "confidence": flag.confidence if flag else None,
                    "signals": _signals(flag.markers) if flag else {},
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
        return {p["project_id"]: chosen_items(p) for p in self.matches(top=1_000)}

    def levels(self, item_id: str) -> dict[str, str]:
        """The tree levels an item belongs to: measure, subsection, section, field."""
        return aggregation.levels(item_id, self.items)

    def aggregate(self) -> dict[str, Any]:
        """Budget per item, subsection, section, field and ministry and year (see ``aggregation``)."""
        return aggregation.aggregate(self.years(), self.accepted(), self.items, self.headings)

    def similar_pairs(
        self, threshold: float = aggregation.SIMILAR_PAIRS, limit: int = 200
    ) -> list[dict[str, Any]]:
        """Pairs of projects of different ministries that look alike (see ``aggregation``)."""
        projects = [self.project(y) for y in self.latest().values()]
        return aggregation.similar_pairs(projects, threshold, limit)


def chosen_items(p: dict[str, Any]) -> list[str]:
    """The items one project's budget goes to, from its entry of ``BudgetService.matches``: what
    reviewers confirmed or added; without those, its best row not rejected, unless it is flagged
    unmatched. (One function, so that a project's page marks the rows the sums use.)"""
    chosen = [
        i["item_id"] for i in p["items"] if i["review"] and i["review"]["decision"] in ("confirm", "add")
    ]
    if not chosen and not p["unmatched"]:
        rejected = {i["item_id"] for i in p["items"] if i["review"] and i["review"]["decision"] == "reject"}
        best = next((i for i in p["items"] if i["kind"] == "measure" and i["item_id"] not in rejected), None)
        chosen = [best["item_id"]] if best else []
    return chosen


def _signals(stored: str | None) -> dict[str, float]:
    """The best row's signals, stored in the column that once held STI marker words (a list)."""
    value = json.loads(stored or "{}")
    return value if isinstance(value, dict) else {}


def unmapped(store: Engine) -> list[str]:
    """Projects not yet mapped: no assessment computed from their latest current row (imported
    with ``--no-map``, or revised, since the last map, or left by an interrupted one)."""
    query = text(
        "SELECT p.project_id FROM budget_projects p WHERE p.superseded_at IS NULL "
        "AND NOT EXISTS (SELECT 1 FROM budget_projects q WHERE q.project_id = p.project_id "
        "AND q.superseded_at IS NULL AND q.fiscal_year > p.fiscal_year) "
        "AND NOT EXISTS (SELECT 1 FROM budget_assessments a WHERE a.project_id = p.project_id "
        "AND a.project_row_id = p.id) ORDER BY p.project_id"
    )
    with store.connect() as conn:
        return list(conn.execute(query).scalars())
