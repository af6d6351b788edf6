"""Indicator monitoring: the registry with its observations, targets, statuses and roll-ups.

Document values come from the knowledge base; imported observations and user targets from
the monitoring store. For one period the newest value wins (an import over a document value,
a later import over an earlier one); the older ones remain as history.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import Engine, insert, select, update

from ebpm.errors import InvalidInputError, NotFoundError
from ebpm.indicators import charts
from ebpm.indicators.periods import Period, label_ja, parse_period
from ebpm.indicators.progress import (
    STATUS_LABELS,
    Assessment,
    Point,
    Target,
    assess,
    number_ja,
    projection,
    summarize,
)
from ebpm.indicators.registry import DocumentFact, Series, build_registry
from ebpm.model import Document
from ebpm.sources.normalize import fold_in_place
from ebpm.store import monitoring as t
from ebpm.store.monitoring import now


class UnknownSeriesError(NotFoundError):
    """A series id that the registry does not hold."""


class InvalidTargetError(ValueError):
    """A target that is refused before anything is written; the message names the field."""


@dataclass(frozen=True, slots=True)
class Observation:
    series_id: str
    period: str
    period_end: str
    value: float
    unit: str | None
    source: str
    note: str | None
    origin: str  # document | import
    line: int | None  # document line, or the line/row of the imported file
    imported_at: str | None
    superseded_at: str | None

    def point(self) -> Point:
        return Point(parse_period(self.period), self.value)


class Monitor:
    def __init__(self, doc: Document, store: Engine, carried: dict[str, str] | None = None) -> None:
        """``carried``: for an edition other than the one the store was filled against, each of
        this edition's series that continues one of that edition (same name and unit), with the
        id the store knows it by. Its observations and targets carry over; a series without one
        has only the document's own figures, and nothing can be written from this edition."""
        series, observations, targets = build_registry(doc)
        self.doc = doc
        self.store = store
        self.carried = carried
        self.series = {s.id: s for s in series}
        self.doc_observations: dict[str, list[DocumentFact]] = {}
        for fact in observations:
            self.doc_observations.setdefault(fact.series_id, []).append(fact)
        self.doc_targets = {fact.series_id: fact for fact in targets}

    def stored_id(self, series_id: str) -> str:
        """The id the monitoring store keeps ``series_id``'s records under ("" for none)."""
        if self.carried is None:
            return series_id
        return self.carried.get(series_id, "")

    def get(self, series_id: str) -> Series:
        s = self.series.get(series_id)
        if s is None:
            raise UnknownSeriesError(
                f"unknown indicator series {series_id!r}; `ebpm indicators list` shows the ids"
            )
        return s

    def unit_of(self, series_id: str) -> str | None:
        """The series' unit: the document's, else that of its first imported observation."""
        s = self.get(series_id)
        if s.unit is not None:
            return s.unit
        stored = self.stored_id(series_id)
        with self.store.connect() as conn:
            row = conn.execute(
                select(t.observations.c.unit)
                .where(t.observations.c.series_id == stored, t.observations.c.unit.is_not(None))
                .order_by(t.observations.c.id)
                .limit(1)
            ).first()
        return row.unit if row else None

    def observations(self, series_id: str, history: bool = False) -> list[Observation]:
        """Observations by period; with ``history``, superseded values too (newest last)."""
        s = self.get(series_id)
        out = [
            Observation(
                series_id,
                f.period.label,
                f.period.end.isoformat(),
                f.value,
                f.unit,
                f"統合イノベーション戦略{self.doc.edition} {f.line}行"
                + (f" / {s.source}" if s.footnotes else ""),
                None,
                "document",
                f.line,
                None,
                None,
            )
            for f in self.doc_observations.get(series_id, [])
        ]
        with self.store.connect() as conn:
            rows = conn.execute(
                select(t.observations)
                .where(t.observations.c.series_id == self.stored_id(series_id))
                .order_by(t.observations.c.id)
            ).all()
        imported = [
            Observation(
                series_id,
                r.period,
                r.period_end,
                r.value,
                r.unit,
                r.source,
                r.note,
                "import",
                r.line,
                r.imported_at,
                r.superseded_at,
            )
            for r in rows
        ]
        current_periods = {o.period for o in imported if o.superseded_at is None}
        # a document value for a period that an import has since given is history
        out = [
            o if o.period not in current_periods else Observation(**{**asdict(o), "superseded_at": "import"})
            for o in out
        ]
        everything = sorted(out + imported, key=lambda o: (o.period_end, o.superseded_at is None))
        return everything if history else [o for o in everything if o.superseded_at is None]

    def target(self, series_id: str) -> tuple[Target, dict[str, Any]] | None:
        """The current target: the newest user target, else the document's."""
        self.get(series_id)
        with self.store.connect() as conn:
            row = conn.execute(
                select(t.targets)
                .where(
                    t.targets.c.series_id == self.stored_id(series_id), t.targets.c.superseded_at.is_(None)
                )
                .order_by(t.targets.c.id.desc())
                .limit(1)
            ).first()
        if row is not None:
            target = Target(row.value, parse_period(row.period), row.direction, row.base_period)
            return target, {
                "origin": "user",
                "author": row.author,
                "created_at": row.created_at,
                "note": row.note,
            }
        fact = self.doc_targets.get(series_id)
        if fact is None:
            return None
        target = Target(fact.value, fact.period, fact.direction)
        return target, {"origin": "document", "line": fact.line}

    def set_target(
        self,
        series_id: str,
        value: float,
        period: Period,
        direction: str,
        author: str,
        base_period: str | None = None,
        note: str | None = None,
        ip: str | None = None,
    ) -> dict[str, Any]:
        """Record a user target; the previous user target is superseded, never overwritten, and
        the change is in the audit log (``author``, ``ip``) in the same transaction.

        The target is checked first, so a refused one (InvalidTargetError) writes nothing: its value
        must be a finite number no larger than an imported observation may be, and progress toward
        it must be computable from the series' observations."""
        from ebpm.indicators.importing import MAX_ABS  # importing imports this module

        self.get(series_id)
        if self.carried is not None:
            raise InvalidInputError(
                "series",
                f"{series_id}: targets are set on the edition the monitoring store follows, "
                "not on this one (add /e/<that edition>/ or edition=)",
            )
        if direction not in ("up", "down"):
            raise InvalidTargetError(f"direction must be up or down, not {direction!r}")
        # bool is an int: True would be a target of 1.0
        if isinstance(value, bool) or not math.isfinite(value):
            raise InvalidTargetError(f"value {value!r} is not a finite number")
        if abs(value) > MAX_ABS:
            raise InvalidTargetError(f"value {value:g} is implausibly large (more than 10^15)")
        points = [o.point() for o in self.observations(series_id)]
        check = assess(points, Target(value, period, direction, base_period))
        if check.target_fault:
            raise InvalidTargetError(f"value {value:g} by {period.label}: {check.reason}")
        from ebpm.audit import log as audit

        stamp = now()
        before = self.target(series_id)
        row = {
            "series_id": series_id,
            "value": value,
            "period": period.label,
            "period_end": period.end.isoformat(),
            "direction": direction,
            "base_period": base_period,
            "note": note,
        }
        with self.store.begin() as conn:
            conn.execute(
                update(t.targets)
                .where(t.targets.c.series_id == series_id, t.targets.c.superseded_at.is_(None))
                .values(superseded_at=stamp)
            )
            conn.execute(insert(t.targets).values(**row, author=author, created_at=stamp))
            old = (
                None
                if before is None
                else {
                    "value": before[0].value,
                    "period": before[0].period.label,
                    "direction": before[0].direction,
                    **before[1],
                }
            )
            audit.append(
                conn,
                actor=author,
                action="target.set",
                outcome="ok",
                target=series_id,
                ip=ip,
                before=old,
                after=row,
            )
        return self.status(series_id)

    def assessment(self, series_id: str) -> Assessment:
        current = self.target(series_id)
        points = [o.point() for o in self.observations(series_id)]
        return assess(points, current[0] if current else None, self.unit_of(series_id))

    def status(self, series_id: str) -> dict[str, Any]:
        """One series: registry facts, its target, its status with the method's figures and the
        verdict in words; the latest value says where it comes from (文書の値 or an import)."""
        s = self.get(series_id)
        current = self.target(series_id)
        observations = self.observations(series_id)
        unit = self.unit_of(s.id)
        a = assess([o.point() for o in observations], current[0] if current else None, unit)
        newest = observations[-1] if observations else None  # by period end, as assess's latest

        def point(p: Point | None) -> dict[str, Any] | None:
            return None if p is None else {"period": p.period.label, "value": p.value}

        return {
            "id": s.id,
            "name": s.name,
            "unit": unit,
            "block": s.block,
            "section": s.section,
            "goal_ids": list(s.goal_ids),
            "line": s.line,
            "status": a.status,
            "status_label": STATUS_LABELS[a.status],
            "reason": a.reason,
            "verdict": a.verdict,
            "method": a.method,
            "ratio": a.ratio,
            "actual_rate": a.actual_rate,
            "required_rate": a.required_rate,
            "base": point(a.base),
            "latest": point(a.latest),
            "base_label": label_ja(a.base.period.label) if a.base else None,
            "latest_label": label_ja(a.latest.period.label) if a.latest else None,
            "latest_text": number_ja(a.latest.value, unit) if a.latest else None,
            "latest_origin": newest.origin if newest else None,
            "latest_line": newest.line if newest else None,
            "observation_count": len(observations),
            "target": (
                {
                    "value": current[0].value,
                    "period": current[0].period.label,
                    "direction": current[0].direction,
                    **current[1],
                }
                if current
                else None
            ),
            "target_label": label_ja(current[0].period.label) if current else None,
            "target_text": number_ja(current[0].value, unit) if current else None,
            "projected_value": a.projected_value,
            "projected_met": a.projected_met,
        }

    def _chart_parts(self, series_id: str) -> tuple[list[Observation], Target | None, list[Period]]:
        current = self.observations(series_id)
        target = self.target(series_id)
        t_ = target[0] if target else None
        periods = [o.point().period for o in current] + ([t_.period] if t_ else [])
        return current, t_, periods

    def _chart(
        self, observations: list[Observation], target: Target | None, axis: charts.Axis
    ) -> dict[str, Any]:
        points = [o.point() for o in observations]
        ends: list[tuple[Period, float | None]] = []
        if target is not None and len({p.period.year_fraction for p in points}) >= 2:
            start = min(points, key=lambda p: p.period.end)
            ends = [(period, projection(points, period)) for period in (start.period, target.period)]
        return charts.chart(observations, target, ends, axis)

    def categories(self, series_id: str) -> list[Series]:
        """The series that split this one's indicator item by category (理学系, 工学系 …): its
        siblings with a label and the same unit, when there are at least two; else none. A sibling
        without a unit is a piece of the item's wording (2025 年度までに), not a category."""
        s = self.get(series_id)
        if s.label is None or s.unit is None:
            return []
        siblings = [
            x
            for x in self.series.values()
            if x.indicator_id == s.indicator_id and x.label and x.unit == s.unit
        ]
        return siblings if len(siblings) >= 2 else []

    def detail(self, series_id: str) -> dict[str, Any]:
        """One series for its page: the status, every observation (history too), the chart's data,
        and, for a series split by category, every category's chart on one shared axis, and the
        numbers of the charts as table rows."""
        status = self.status(series_id)
        history = self.observations(series_id, history=True)
        s = self.get(series_id)
        members = self.categories(series_id) or [s]
        parts = {m.id: self._chart_parts(m.id) for m in members}
        axis = charts.axis_for([p for _, _, periods in parts.values() for p in periods])
        drawn = {m.id: self._chart(parts[m.id][0], parts[m.id][1], axis) for m in members}
        categories = (
            [
                {
                    "id": m.id,
                    "label": fold_in_place(m.label or ""),
                    "chart": drawn[m.id],
                    "status": (st := self.status(m.id))["status"],
                    "status_label": st["status_label"],
                }
                for m in members
            ]
            if len(members) > 1
            else []
        )
        rows = [
            row
            for m in members
            for row in charts.rows(
                m.id, fold_in_place(m.label or "") if len(members) > 1 else None, status["unit"], drawn[m.id]
            )
        ]
        return status | {
            "series": {
                "indicator_id": s.indicator_id,
                "label": s.label,
                "source": s.source,
                "document_text": s.document_text,
                "line_end": s.line_end,
            },
            "observations": [
                asdict(o) | {"period_label": label_ja(o.period), "value_text": charts.exact_ja(o.value)}
                for o in history
            ],
            "chart": drawn[series_id],
            "categories": categories,
            "chart_rows": rows,
        }

    def statuses(self) -> list[dict[str, Any]]:
        return [self.status(sid) for sid in self.series]

    def roll_ups(self, statuses: list[dict[str, Any]] | None = None) -> dict[str, list[dict[str, Any]]]:
        """Statuses summarized per goal and per section (2.1 …), each with how many of its series
        have data, a target and a rating; a status only where enough are rated (progress.summarize)."""
        rows = statuses if statuses is not None else self.statuses()
        by_goal: dict[str, list[dict[str, Any]]] = {}
        by_section: dict[str, list[dict[str, Any]]] = {}
        for r in rows:
            for g in r["goal_ids"] or []:
                by_goal.setdefault(g, []).append(r)
            by_section.setdefault(".".join(r["section"].split(".")[:2]), []).append(r)
        goals = {g.id: g for g in self.doc.goals}
        return {
            "goals": [
                {"id": g}
                | summarize(members)
                | {"kind": goals[g].kind, "section": goals[g].section, "text": goals[g].text[:200]}
                for g, members in by_goal.items()
                if g in goals
            ],
            "sections": [{"id": sec} | summarize(members) for sec, members in sorted(by_section.items())],
        }
