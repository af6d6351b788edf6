"""The annual progress report: the indicators' status by section and goal (with each series'
chart drawn as SVG), the commitments by ministry (done, on time, overdue), the budget by section,
and the research figures where a research store is loaded.

Overdue is counted as of the report's day, which is the data's date unless asked otherwise, so
that the same data gives the same report whatever day it is run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from ebpm.budget.views import BudgetViews
from ebpm.indicators.monitor import Monitor
from ebpm.indicators.progress import STATUS_LABELS, WITHHELD
from ebpm.reports import render, svg
from ebpm.reports.context import Provenance, Step, no_step
from ebpm.research.methods import Query
from ebpm.research.service import ResearchService
from ebpm.services import action_table
from ebpm.services.indicator_table import BLOCK_LABELS, STATUSES
from ebpm.services.knowledge import Knowledge
from ebpm.services.tables import fold

Json = dict[str, Any]
TOP_COUNTRIES = 15
MIN_CHART_POINTS = 2  # observations and target together: one point alone is no line


@dataclass(slots=True)
class Annual:
    edition: str
    as_of: date
    indicators: Json = field(default_factory=dict)
    commitments: Json = field(default_factory=dict)
    budget: Json = field(default_factory=dict)
    research: Json = field(default_factory=dict)


def _title(k: Knowledge, section: str) -> str:
    h = k.headings.get(section)
    return fold(h.title) if h else section  # shown after its id: 2.1 国民の安全と…


def _status_segments(counts: dict[str, int]) -> list[svg.Segment]:
    return [svg.Segment(counts.get(s, 0), s, STATUS_LABELS[s]) for s in STATUSES if counts.get(s)]


def indicators(k: Knowledge, monitor: Monitor) -> Json:
    statuses = monitor.statuses()
    roll = monitor.roll_ups(statuses)
    total: dict[str, int] = {}
    for s in statuses:
        total[s["status"]] = total.get(s["status"], 0) + 1
    goals = {g.id: g for g in k.doc.goals}
    goal_order = {g.id: n for n, g in enumerate(k.doc.goals)}
    sections = []
    for sec in roll["sections"]:
        members = [
            s for s in statuses if s["section"] == sec["id"] or s["section"].startswith(sec["id"] + ".")
        ]
        charts = []
        for s in members:
            if s["observation_count"] + (1 if s["target"] else 0) < MIN_CHART_POINTS:
                continue
            detail = monitor.detail(s["id"])
            name = fold(s["name"])
            charts.append(
                {
                    "id": s["id"],
                    "name": name,
                    "status": s["status"],
                    "status_label": s["status_label"],
                    "verdict": s["verdict"] or "",
                    "svg": render.svg(svg.line_chart(detail["chart"], f"{s['id']} {name}", s["unit"])),
                }
            )
        sec_goals = sorted(
            (g for g in roll["goals"] if g["section"].split(".")[:2] == sec["id"].split(".")[:2]),
            key=lambda g: goal_order.get(g["id"], 0),
        )
        sections.append(
            sec
            | {
                "title": _title(k, sec["id"]),
                "goals": [
                    g
                    | {
                        "text": fold(goals[g["id"]].text[:120])
                        + ("…" if len(goals[g["id"]].text) > 120 else "")
                    }
                    for g in sec_goals
                ],
                "series": [
                    s
                    | {
                        "name": fold(s["name"]),
                        "block_label": BLOCK_LABELS.get(s["block"], s["block"]),
                        "latest_text": s["latest_text"] or "",
                        "target_text": s["target_text"] or "",
                    }
                    for s in members
                ],
                "charts": charts,
            }
        )
    chart = svg.hbars(
        [svg.Bar(f"{s['id']} {s['title'][:14]}", _status_segments(s["counts"])) for s in sections],
        "節ごとの指標の状況（系列数）",
        "系列",
    )
    return {
        "count": len(statuses),
        "summary": [
            {"status": s, "label": STATUS_LABELS[s], "count": total[s]} for s in STATUSES if total.get(s)
        ],
        "sections": sections,
        "chart": render.svg(chart),
        "withheld_label": STATUS_LABELS[WITHHELD],
    }


def commitments(k: Knowledge, reports: dict[str, Json], as_of: date) -> Json:
    rows = action_table.all_rows(k, reports, as_of)
    per = action_table.overdue_by_ministry(k, reports, as_of)
    for r in per:
        r["on_time"] = r["actions"] - r["overdue"] - r["done"]
    per.sort(key=lambda r: (-r["actions"], r["ministry"]))
    bars = [
        svg.Bar(
            r["ministry"],
            [
                svg.Segment(r["done"], "done", "完了"),
                svg.Segment(r["on_time"], "on_time", "期限内・期限前"),
                svg.Segment(r["overdue"], "overdue", "期限切れ"),
            ],
        )
        for r in per
    ]
    done = sum(1 for r in rows if r["progress"] == "done")
    overdue = sum(1 for r in rows if r["overdue"])
    return {
        "total": len(rows),
        "done": done,
        "overdue": overdue,
        "on_time": len(rows) - done - overdue,
        "reported": sum(1 for r in rows if r["progress"]),
        "ministries": per,
        "chart": render.svg(svg.hbars(bars, "府省庁ごとの取組の状況（取組数）", "件")),
    }


def budget(views: BudgetViews) -> Json:
    fys, rows = views.ranking_rows("section")
    if not fys:
        return {"available": False, "fiscal_years": [], "rows": []}
    rows = sorted(rows, key=lambda r: [int(p) for p in r["item_id"].split(".") if p.isdigit()])
    latest = fys[-1]
    bars = [
        svg.Bar(
            f"{r['item_id']} {r['title'][:14]}",
            [svg.Segment(r.get(f"amount_{latest}") or 0.0, "budget", f"FY{latest}当初予算")],
        )
        for r in rows
    ]
    sample = any(pid.startswith("SAMPLE-") for pid in views.service.latest())
    return {
        "available": True,
        "sample": sample,
        "fiscal_years": fys,
        "latest": latest,
        "rows": [r | {"amounts": [r.get(f"amount_{fy}") for fy in fys]} for r in rows],
        "chart": render.svg(svg.hbars(bars, f"節ごとの予算 FY{latest}（億円）", "億円")),
    }


def research(path: Path | None) -> Json:
    if path is None or not path.exists():
        return {"available": False, "path": path.name if path else ""}
    service = ResearchService(path)
    status = service.status()
    years = service.default_years(3)
    if years is None:
        return {"available": False, "path": path.name}
    q = Query(first_year=years[0], last_year=years[1])
    # DuckDB sums floats in parallel, in no fixed order: the last bits of a share differ from run
    # to run (2.1499999 or 2.1500001), enough to flip a rounded digit; nine digits are stable
    items = [
        {k: round(v, 9) if isinstance(v, float) else v for k, v in r.items()}
        for r in service.indicators("country", q)["items"]
    ]
    countries = sorted(items, key=lambda r: (-r["p"], r["id"]))
    top = countries[:TOP_COUNTRIES]
    if not any(r["id"] == "JP" for r in top):
        top += [r for r in countries if r["id"] == "JP"]
    bars = [
        svg.Bar(
            f"{r['id']} {r['name']}"[:24], [svg.Segment(round(r["p_top10"], 1), "on_track", "Top10%論文数")]
        )
        for r in top
    ]
    return {
        "available": True,
        "path": path.name,
        "sample": status["sample"],
        "years": years,
        "datasets": status["datasets"],
        "countries": top,
        "chart": render.svg(
            svg.hbars(bars, f"国・地域別 Top10%論文数 {years[0]}–{years[1]}（整数カウント）", "")
        ),
    }


def gather(
    k: Knowledge,
    monitor: Monitor,
    reports: dict[str, Json],
    views: BudgetViews,
    research_path: Path | None,
    as_of: date,
    step: Step = no_step,
) -> Annual:
    """The report's data, each part after the ``step`` that names it."""
    out = Annual(k.doc.edition, as_of)
    step("指標の状況")
    out.indicators = indicators(k, monitor)
    step("取組の状況")
    out.commitments = commitments(k, reports, as_of)
    step("予算")
    out.budget = budget(views)
    step("研究")
    out.research = research(research_path)
    return out


def annual_html(data: Annual, provenance: Provenance) -> str:
    title = f"統合イノベーション戦略{data.edition} 年次進捗報告"
    return render.html(
        "annual.html",
        title=title,
        kind="年次進捗報告 Annual progress report",
        provenance=provenance,
        created=render.w3c(provenance.data_time),
        css=render.css(),
        data=data,
    )
