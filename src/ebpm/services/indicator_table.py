"""The indicator series as one table: a reporting-status page, as Open SDG's.

Every series with its value as written, its latest value (labelled 文書の値 where it is the
document's own), its target and its status, filtered by status, block, section and goal, with a
summary of the statuses at the top. The block of a list row is kpi (主要指標), reference
(参考指標) or grand_goal: a reference item under a 【大目標】 measures that grand goal, and the list
shows it apart. The status column sorts in the order of progress (悪化 first … 目標達成, then the
statuses that rate nothing), not by the characters of its label.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from ebpm.errors import NotFoundError, UnknownColumnError
from ebpm.indicators.charts import ORIGIN_LABELS
from ebpm.indicators.monitor import Monitor
from ebpm.indicators.progress import ORDER, ROLL_UP_RULE, STATUS_LABELS, UNRATED
from ebpm.services import browse
from ebpm.services.knowledge import Knowledge
from ebpm.services.tables import MAX_PAGE_SIZE, Column, TableState, fold, view

Json = dict[str, Any]
STATUSES = (*ORDER, *UNRATED)
BLOCK_LABELS = {"kpi": "主要指標", "reference": "参考指標", "grand_goal": "大目標の指標"}

COLUMNS = (
    Column("id", "ID", "ID"),
    Column("name", "系列", "Series"),
    Column("block_label", "種類", "Kind"),
    Column("section", "節", "Section"),
    Column("document_text", "記載された値", "Value as written"),
    Column("latest_value", "最新値", "Latest value", "number"),
    Column("latest_label", "最新値の期間", "Latest period"),
    Column("latest_origin_label", "最新値の出所", "Latest value from"),
    Column("target_value", "目標値", "Target", "number"),
    Column("target_label", "目標の期間", "Target period"),
    Column("unit", "単位", "Unit"),
    Column("status_label", "状況", "Status"),
    Column("verdict", "判定", "Verdict", sortable=False),
    Column("status", "状況コード", "Status code"),
    Column("goal_ids", "目標", "Goals", "list", sortable=False),
    Column("line", "行", "Line", "number"),
)

# the numbers of a series' chart (every category of a split series): its table twin and downloads
CHART_COLUMNS = (
    Column("series_id", "系列ID", "Series ID"),
    Column("category", "区分", "Category"),
    Column("period", "期間コード", "Period code"),
    Column("period_label", "期間", "Period"),
    Column("kind", "種類", "Kind"),
    Column("value", "値", "Value", "number"),
    Column("unit", "単位", "Unit"),
    Column("source", "出典", "Source"),
)


@dataclass(frozen=True, slots=True)
class IndicatorFilters:
    status: str | None = None  # a series status (progress.Status)
    block: str | None = None  # kpi, reference or grand_goal
    section: str | None = None  # a heading id: the series at or below it
    goal: str | None = None  # a goal statement id: the series that measure it


def _row(status: Json, document_text: str, grand_goals: set[str]) -> Json:
    block = "grand_goal" if grand_goals & set(status["goal_ids"]) else status["block"]
    latest, target = status["latest"], status["target"]
    return status | {
        "block": block,
        "block_label": BLOCK_LABELS.get(block, block),
        "name": fold(status["name"]),
        "document_text": fold(document_text),
        "latest_value": latest["value"] if latest else None,
        "latest_origin_label": ORIGIN_LABELS.get(status["latest_origin"] or "", ""),
        "target_value": target["value"] if target else None,
    }


def _rank(row: Json) -> int:
    return STATUSES.index(row["status"]) if row["status"] in STATUSES else len(STATUSES)


def check(k: Knowledge, f: IndicatorFilters) -> None:
    """Unknown filter values are errors that say what is allowed, never an empty list or a 500."""
    browse.check_filters(k, f.section, None)
    if f.status is not None and f.status not in STATUSES:
        raise UnknownColumnError(f"unknown status {f.status!r}; one of: {', '.join(STATUSES)}")
    if f.block is not None and f.block not in BLOCK_LABELS:
        raise UnknownColumnError(f"unknown block {f.block!r}; one of: {', '.join(BLOCK_LABELS)}")
    if f.goal is not None and not any(g.id == f.goal for g in k.doc.goals):
        raise NotFoundError(f"no goal {f.goal!r}; goal ids look like 2.2.1.goal.1")


def indicators_page(k: Knowledge, monitor: Monitor, f: IndicatorFilters, state: TableState) -> Json:
    """The series that pass ``f``, one page of them, the status summary (of the series that pass
    every filter but the status one, so that each count is a filter to click) and the choices the
    filters offer."""
    check(k, f)
    statuses = monitor.statuses()
    grand_goals = {g.id for g in k.doc.goals if g.kind == "grand_goal"}
    written = {s.id: s.document_text for s in monitor.series.values()}
    rows = [_row(s, written[s["id"]], grand_goals) for s in statuses]
    rows = [
        r
        for r in rows
        if (f.block is None or r["block"] == f.block)
        and (f.section is None or browse.under(r["section"], f.section))
        and (f.goal is None or f.goal in r["goal_ids"])
    ]
    summary = Counter(r["status"] for r in rows)
    if f.status is not None:
        rows = [r for r in rows if r["status"] == f.status]
    if state.sort == "status_label":
        ordered = sorted(rows, key=_rank, reverse=state.desc)
        table = view(ordered, COLUMNS, TableState(None, False, state.page, state.size))
        table |= {"sort": state.sort, "desc": state.desc}
    else:
        table = view(rows, COLUMNS, state)
    sections = Counter(
        ".".join(r["section"].split(".")[:depth])
        for r in statuses
        for depth in (2, 3)
        if len(r["section"].split(".")) >= depth
    )
    goal_counts = Counter(g for r in statuses for g in r["goal_ids"])
    roll = monitor.roll_ups(statuses)
    return {
        "filters": {"status": f.status, "block": f.block, "section": f.section, "goal": f.goal},
        "summary": [
            {"status": s, "label": STATUS_LABELS[s], "count": summary[s]}
            for s in STATUSES
            if summary[s] or s == f.status
        ],
        "total": sum(summary.values()),
        "status_labels": {s: STATUS_LABELS[s] for s in STATUSES},
        "block_labels": BLOCK_LABELS,
        "sections": [
            {"id": s, "title": fold(k.headings[s].title) if s in k.headings else s, "count": n}
            for s, n in sorted(sections.items(), key=lambda kv: [int(p) for p in kv[0].split(".")])
        ],
        "goals": [
            {"id": g.id, "kind": g.kind, "text": fold(g.text[:40]), "count": goal_counts[g.id]}
            for g in k.doc.goals
        ],
        "roll_ups": roll["sections"],
        "rule": ROLL_UP_RULE,
        "table": table,
    }


def chart_table(rows: list[Json]) -> Json:
    """The chart's numbers as one table view, all of them (a chart holds a few dozen at most)."""
    return view(rows, CHART_COLUMNS, TableState(size=MAX_PAGE_SIZE))
