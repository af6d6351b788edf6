"""The budget pages' two tables: the projects, filtered by ministry, match and text; and the rows
or sections of the strategy ranked by the budget they receive. Each is one
:func:`ebpm.services.tables.view`, so that the page, its JSON twin and its CSV and Excel downloads
hold the same rows (the data come from :class:`ebpm.budget.views.BudgetViews`)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from ebpm.budget.views import BudgetViews, RankBy
from ebpm.services.tables import Column, TableState, fold, view
from ebpm.sources.normalize import compact

Json = dict[str, Any]


@dataclass(frozen=True, slots=True)
class ProjectFilters:
    ministry: str | None = None  # a ministry's name as the review sheets give it (外務省)
    match: str | None = None  # matched (by the engine or a reviewer) | unmatched (estimated)
    q: str | None = None  # in the project's id, name or ministry


def project_table(views: BudgetViews, f: ProjectFilters, state: TableState) -> Json:
    """The projects that pass ``f``, sorted and paged by ``state``, with the ministries to filter by."""
    fiscal_years, rows = views.project_rows()
    ministries = Counter(r["ministry"] for r in rows)
    if f.ministry:
        rows = [r for r in rows if r["ministry"] == f.ministry]
    if f.match == "matched":
        rows = [r for r in rows if r["status"] in ("matched", "confirmed")]
    elif f.match == "unmatched":
        rows = [r for r in rows if r["status"] == "unmatched"]
    if f.q and f.q.strip():
        needle = compact(fold(f.q))
        rows = [
            r for r in rows if needle in compact(fold(" ".join((r["project_id"], r["name"], r["ministry"]))))
        ]
    columns = (
        Column("project_id", "事業番号", "Project"),
        Column("name", "事業名", "Name"),
        Column("ministry", "府省庁", "Ministry"),
        *(
            Column(f"budget_{fy}", f"FY{fy}当初予算（億円）", f"FY{fy} budget (100M yen)", "number")
            for fy in fiscal_years
        ),
        Column("status_label", "対応", "Match"),
        Column("closest", "最も近い行", "Closest row"),
        Column("closest_title", "行の見出し", "Row heading", sortable=False),
        Column("relevance", "関連度", "Relevance", "number"),
    )
    return {
        "filters": {"ministry": f.ministry or "", "match": f.match or "", "q": f.q or ""},
        "ministries": [{"name": m, "count": n} for m, n in sorted(ministries.items())],
        "fiscal_years": fiscal_years,
        "table": view(rows, columns, state),
    }


def ranking(views: BudgetViews, by: RankBy, state: TableState) -> Json:
    """Rows or sections by budget, largest first (``BudgetViews.ranking_rows``), as a table."""
    fys, rows = views.ranking_rows(by)
    latest = f"FY{fys[-1]}" if fys else ""  # no year before anything is imported
    columns = (
        Column("rank", "順位", "Rank", "number"),
        Column("item_id", "ID", "ID"),
        Column("title", "見出し", "Heading"),
        *((Column("text", "具体的な取組", "Commitment", sortable=False),) if by == "row" else ()),
        *(Column(f"amount_{fy}", f"FY{fy}（億円）", f"FY{fy} (100M yen)", "number") for fy in fys),
        Column("change", f"{latest}前年度比", f"Change {latest}".strip(), "number"),
        Column("share", f"{latest}構成比", f"Share {latest}".strip(), "number"),
        Column("projects", "事業数", "Projects", "number"),
    )
    return {"by": by, "fiscal_years": fys, "table": view(rows, columns, state)}
