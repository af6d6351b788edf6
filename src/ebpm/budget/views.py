"""What the budget pages and their API show, built from one BudgetService."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from ebpm.budget.projects import ProjectYear
from ebpm.budget.service import BudgetService


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
                    "mapped": p["mapped"],
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
