"""What the budget pages and their API show, built from one BudgetService.

Amounts are shown in 億円 (10⁸ yen) on the pages, as budget documents state them; the API keeps
百万円, its unit since the first version. Every match carries its 関連度 (``budget.relevance``), never
the engine's raw score alone.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any, Literal

from ebpm.budget import aggregation
from ebpm.budget.engine import bundled_calibration
from ebpm.budget.projects import ProjectYear
from ebpm.budget.relevance import band, with_relevance
from ebpm.budget.service import BudgetService, chosen_items
from ebpm.sources.normalize import fold_in_place as fold

Json = dict[str, Any]
RankBy = Literal["row", "section"]
LABEL_CHARS = 28  # of a title in a treemap label or tooltip: the box, not the page, is the limit
TEXT_CHARS = 80
# a project's state as its badge says it; "推定": the engine's estimate, not a person's decision
STATUS_LABELS = {
    "not_mapped": "未マッピング",
    "confirmed": "対応あり（確認済み）",
    "matched": "対応あり（推定）",
    "unmatched": "対応なし（推定）",
}


def yen_to_million(value: float | int | None) -> float | None:
    return None if value is None else round(value / 1_000_000, 1)


def yen_to_oku(value: float | int | None) -> float | None:
    """Yen in 億円 (10⁸ yen), to 2 decimals: a small share of a split project stays visible."""
    return None if value is None else round(value / 100_000_000, 2)


def status(p: Json) -> str:
    """A project's badge (``STATUS_LABELS``) from its entry of ``BudgetService.matches``: a
    reviewer's confirmation outranks the engine's flag, which a pending map makes moot."""
    if not p["mapped"]:
        return "not_mapped"
    if any(i["review"] and i["review"]["decision"] in ("confirm", "add") for i in p["items"]):
        return "confirmed"
    return "unmatched" if p["unmatched"] else "matched"


@dataclass(frozen=True, slots=True)
class Budget:
    """The store read once for a page: the years, each project's accepted items, and the sums."""

    years: list[ProjectYear]
    accepted: dict[str, list[str]]
    sums: Json


class BudgetViews:
    """What the budget pages and their API show, from one BudgetService."""

    def __init__(self, service: BudgetService) -> None:
        self.service = service

    # ---- titles -------------------------------------------------------------------------------

    def title(self, item_id: str) -> str:
        """A heading's title, or for a row the title of the heading it sits under; folded as the
        tables fold text (⾼ → 高), so that a browser's find meets what a user types."""
        heading = self.service.headings.get(item_id)
        if heading is not None:
            return fold(heading.title)
        measure = self.service.items.get(item_id)
        if measure is not None:
            above = self.service.headings.get(measure.section)
            return fold(above.title) if above else measure.section
        return item_id

    def label(self, item_id: str) -> str:
        """``2.2 知のフロンティアを開拓し…`` (the title cut to LABEL_CHARS): an id with what it is."""
        title = self.title(item_id)
        short = title[:LABEL_CHARS] + ("…" if len(title) > LABEL_CHARS else "")
        return f"{item_id} {short}".strip()

    # ---- projects -----------------------------------------------------------------------------

    def projects(self, ministry: str | None = None, unmatched: bool | None = None) -> list[Json]:
        years: dict[str, list[ProjectYear]] = defaultdict(list)
        for y in self.service.years():
            years[y.project_id].append(y)
        out = []
        for p in self.service.matches(top=3):
            if ministry is not None and p["ministry"] != ministry:
                continue
            if unmatched is not None and p["unmatched"] != unmatched:
                continue
            items = with_relevance(p["confidence"], p["items"])
            out.append(
                {
                    "project_id": p["project_id"],
                    "name": p["name"],
                    "ministry": p["ministry"],
                    "unmatched": p["unmatched"],
                    "mapped": p["mapped"],
                    "status": status(p),
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
                            "relevance": i["relevance"],
                            "review": i["review"],
                        }
                        for i in items
                        if i["kind"] == "measure"
                    ],
                }
            )
        return out

    def project_rows(self) -> tuple[list[int], list[Json]]:
        """(the fiscal years, every project as one flat row: its amounts by year in 億円, its badge,
        its closest row with the row's heading and 関連度): what the project table lists."""
        listed = self.projects()
        threshold = bundled_calibration().threshold
        fiscal_years = sorted({b["fiscal_year"] for p in listed for b in p["budgets"]})
        rows = []
        for p in listed:
            best = next((i for i in p["top_items"] if i["score"] is not None), None)
            amounts = {b["fiscal_year"]: b["budget_million_yen"] for b in p["budgets"]}
            rows.append(
                {
                    "project_id": p["project_id"],
                    "name": p["name"],
                    "ministry": p["ministry"],
                    **{
                        f"budget_{fy}": None if amounts.get(fy) is None else round(amounts[fy] / 100, 2)
                        for fy in fiscal_years
                    },
                    "status": p["status"],
                    "status_label": STATUS_LABELS[p["status"]],
                    "closest": best["item_id"] if best else None,
                    "closest_title": self.title(best["item_id"]) if best else None,
                    "relevance": best["relevance"] if best else None,
                    "band": band(best["relevance"], threshold) if best else None,
                    "reviewed": [i["item_id"] for i in p["top_items"] if i["review"]],
                }
            )
        return fiscal_years, rows

    def project(self, project_id: str) -> Json:
        """One project: its years, its ranked items with their 関連度 and why, and the reviews."""
        match = self.service.matches(project_id, top=5)[0]
        years = [y for y in self.service.years() if y.project_id == project_id]
        items = with_relevance(match["confidence"], match["items"])
        accepted = set(chosen_items(match))
        best_row = next((i["item_id"] for i in items if i["kind"] == "measure" and i["rank"] == 1), None)
        threshold = bundled_calibration().threshold
        for i in items:
            i["band"] = band(i["relevance"], threshold)
            i["title"] = self.title(i["item_id"])
            i["accepted"] = i["item_id"] in accepted
            i["best_row"] = i["item_id"] == best_row  # the row whose signals are stored
        return match | {
            "items": items,
            "status": status(match),
            "status_label": STATUS_LABELS[status(match)],
            "threshold": threshold,
            "years": [
                {
                    "fiscal_year": y.fiscal_year,
                    "bureau": y.bureau,
                    "purpose": y.purpose,
                    "summary": y.summary,
                    "budget_million_yen": yen_to_million(y.budget_yen),
                    "executed_million_yen": yen_to_million(y.executed_yen),
                    "budget_oku": yen_to_oku(y.budget_yen),
                    "executed_oku": yen_to_oku(y.executed_yen),
                }
                for y in years
            ],
            "reviews": self.service.reviews(project_id),
        }

    # ---- strategy items -----------------------------------------------------------------------

    def item(self, item_id: str) -> Json:
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
                        {
                            "fiscal_year": y.fiscal_year,
                            "budget_million_yen": yen_to_million(y.budget_yen),
                            "budget_oku": yen_to_oku(y.budget_yen),
                        }
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
                {
                    "fiscal_year": fy,
                    "budget_million_yen": yen_to_million(totals[fy]),
                    "budget_oku": yen_to_oku(totals[fy]),
                }
                for fy in fiscal_years
            ],
        }

    def _budget(self) -> Budget:
        years = self.service.years()
        accepted = self.service.accepted()
        sums = aggregation.aggregate(years, accepted, self.service.items, self.service.headings)
        return Budget(years, accepted, sums)

    def treemap(self, fiscal_year: int | None = None, budget: Budget | None = None) -> Json:
        """Leaves for a treemap of the budget over the strategy tree (section → subsection → row),
        in 億円, each level labelled with its id and title; the total for the shares."""
        b = budget or self._budget()
        fys = sorted({y.fiscal_year for y in b.years})
        fy = fiscal_year if fiscal_year is not None else (fys[-1] if fys else None)
        leaves: dict[str, float] = defaultdict(float)
        for y in b.years:
            if y.fiscal_year != fy or not b.accepted.get(y.project_id):
                continue
            items = b.accepted[y.project_id]
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
                    # the treemap groups by these: each box and tooltip names its level
                    "section_label": self.label(levels["section"]),
                    "subsection_label": self.label(levels["subsection"]),
                    "item_label": self.label(item_id),
                    "value": yen_to_oku(value),
                }
            )
        unmatched = next((u["budget_yen"] for u in b.sums["unmatched"] if u["fiscal_year"] == fy), 0)
        return {
            "fiscal_year": fy,
            "fiscal_years": fys,
            "unit": "億円",
            "total": yen_to_oku(sum(leaves.values())),
            "unmatched": yen_to_oku(unmatched),
            "leaves": rows,
        }

    # ---- rankings -----------------------------------------------------------------------------

    def ranking_rows(self, by: RankBy, budget: Budget | None = None) -> tuple[list[int], list[Json]]:
        """Rows (``by="row"``) or sections of the strategy with the budget they receive, largest
        first in the latest fiscal year (``rank``), with the other years, the change, the share of
        the year's mapped total and the number of projects; amounts in 億円."""
        b = budget or self._budget()
        fys: list[int] = b.sums["fiscal_years"]
        latest = fys[-1] if fys else None
        level = "measure" if by == "row" else "section"
        counts: Counter[str] = Counter()
        for items in b.accepted.values():
            keys = {self.service.levels(i).get(level) for i in items}
            counts.update(k for k in keys if k)
        total = sum(
            y["budget_yen"] for r in b.sums["by_section"] for y in r["years"] if y["fiscal_year"] == latest
        )
        rows = []
        received: dict[str, float] = {}  # yen in the latest year, unrounded: the order
        for r in b.sums["by_measure" if by == "row" else "by_section"]:
            amounts = {y["fiscal_year"]: y for y in r["years"]}
            now_yen = amounts[latest]["budget_yen"] if latest in amounts else 0
            measure = self.service.items.get(r["id"])
            text = fold(measure.commitment.text) if measure else ""
            rows.append(
                {
                    "item_id": r["id"],
                    "label": self.label(r["id"]),
                    "title": self.title(r["id"]),
                    "text": text[:TEXT_CHARS] + ("…" if len(text) > TEXT_CHARS else ""),
                    "section": aggregation.levels(r["id"], self.service.items)["section"],
                    **{f"amount_{fy}": yen_to_oku(amounts[fy]["budget_yen"]) for fy in fys if fy in amounts},
                    "change": amounts[latest]["change"] if latest in amounts else None,
                    "share": round(now_yen / total, 4) if total else None,
                    "projects": counts[r["id"]],
                }
            )
            received[r["id"]] = now_yen
        rows.sort(key=lambda r: (-received[r["item_id"]], _id_order(r["item_id"])))
        for n, r in enumerate(rows, 1):
            r["rank"] = n
        return fys, rows

    def overview(self) -> Json:
        """What /budget shows above its project table: the treemap, the sections with their amounts
        (its table twin) and the five rows that receive most."""
        b = self._budget()
        _, sections = self.ranking_rows("section", b)
        _, top_rows = self.ranking_rows("row", b)
        return {
            "treemap": self.treemap(budget=b),
            "sections": sorted(sections, key=lambda r: _id_order(r["item_id"])),
            "top_rows": top_rows[:5],
            "fiscal_years": b.sums["fiscal_years"],
        }


def _id_order(item_id: str) -> tuple[tuple[int, int, str], ...]:
    """2.2.10 after 2.2.9, m10 after m9: each part by its number, then its text."""
    return tuple(
        (0, int(digits), p) if (digits := p.lstrip("m")).isdigit() else (1, 0, p) for p in item_id.split(".")
    )
