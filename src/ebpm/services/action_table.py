"""The actions (今後の取組方針) as one filterable table: a ministry's page, the all-ministries list,
and their downloads.

An action is counted once, however many ministries own it, and a re-posted copy (再掲) is folded
into its original: the original's row lists the rows it is re-posted under, and a filter that
matches a copy's section finds the original. Overdue means past its due date as of ``as_of`` and
not reported done or cancelled.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date
from typing import Any

from ebpm.errors import UnknownColumnError
from ebpm.indicators.periods import current_fiscal_year
from ebpm.progress.actions import ActionRef
from ebpm.progress.reports import CLOSED
from ebpm.progress.reports import STATUS_LABELS as PROGRESS_LABELS
from ebpm.services import browse
from ebpm.services.knowledge import Knowledge
from ebpm.services.tables import Column, TableState, fold, view
from ebpm.sources.normalize import compact

Json = dict[str, Any]
# undated dues, after the fiscal years in this order (the same words as the home page)
CATEGORY_LABELS = {"asap": "早期・速やかに", "ongoing": "引き続き", "unspecified": "期限の記載なし"}
PROGRESS_FILTERS = (*PROGRESS_LABELS, "unreported")
TITLE_CHARS = 60

COLUMNS = (
    Column("id", "ID", "ID"),
    Column("section", "節", "Section"),
    Column("section_title", "見出し", "Heading"),
    Column("commitment", "具体的な取組", "Commitment"),
    Column("text", "今後の取組方針", "Action"),
    Column("ministries", "担当", "Owners", "list"),
    Column("due", "期限", "Due", "date"),
    Column("fiscal_year", "年度", "Fiscal year", "number"),
    Column("due_label", "期限の区分", "Due category"),
    Column("progress_label", "進捗", "Progress"),
    Column("overdue", "期限切れ", "Overdue", "flag"),
    Column("also_in", "再掲先", "Also under", "list"),
    Column("line_start", "行", "Line", "number"),
)
SORTS = ("due", "section", "fiscal_year", "id", "progress_label", "line_start")


def year_key(row: Json) -> str:
    """The jump-list key of a row: FY2024, or the category of an undated due."""
    return f"FY{row['fiscal_year']}" if row["fiscal_year"] else str(row["due_category"])


def year_order(key: str) -> tuple[int, str]:
    return (0, key) if key.startswith("FY") else (1 + list(CATEGORY_LABELS).index(key), key)


@dataclass(frozen=True, slots=True)
class ActionFilters:
    ministry: str | None = None
    section: str | None = None
    q: str | None = None
    year: str | None = None  # FY2024, asap, ongoing or unspecified
    progress: str | None = None  # a progress status, or "unreported"
    overdue: bool = False
    as_of: date | None = None


def _document_row(k: Knowledge, a: ActionRef) -> Json:
    """What the document says of an action (its progress and overdue mark are added per request)."""
    m = k.measures[a.measure_id]
    heading = k.headings.get(a.section)
    commitment = fold(m.commitment.text)
    fy = current_fiscal_year(a.due) if a.due else None
    return {
        "id": a.id,
        "measure_id": a.measure_id,
        "section": a.section,
        "section_title": fold(heading.title) if heading else "",
        "commitment": commitment,
        "title": commitment[:TITLE_CHARS] + ("…" if len(commitment) > TITLE_CHARS else ""),
        "text": fold(a.text),
        "ministries": list(a.owners),
        "inherited": a.inherited,
        "due": a.due.isoformat() if a.due else None,
        "due_category": a.due_category,
        "fiscal_year": fy,
        "due_label": f"{fy}年度" if fy else CATEGORY_LABELS.get(a.due_category, ""),
        "also_in": [],
        "also_in_sections": [],
        "line_start": a.line_start,
        "line_end": a.line_end,
    }


def _document_rows(k: Knowledge) -> list[tuple[Json, str]]:
    """Every distinct action once, its re-posted copies folded into it, in document order, with the
    text a topic filter searches. Built once per loaded knowledge base: folding the text of 869
    actions is most of the cost of a list, and the document does not change while it is loaded."""

    def build(k_: Knowledge) -> list[tuple[Json, str]]:
        rows: dict[str, Json] = {}
        for a in browse.actions(k_).values():
            position = int(a.id.rsplit(".a", 1)[1]) - 1
            link = k_.reposts.get((a.measure_id, "action", position))
            original = link.original if link else None
            if original is not None and original[1] == "action":
                original_id = f"{original[0]}.a{original[2] + 1}"
                if original_id in rows:
                    target = rows[original_id]
                    target["also_in"].append(a.measure_id)
                    target["also_in_sections"].append(a.section)
                    target["ministries"] += [o for o in a.owners if o not in target["ministries"]]
                    continue
            rows[a.id] = _document_row(k_, a)
        return [(r, compact(r["text"] + r["commitment"] + r["section_title"])) for r in rows.values()]

    return k.derived("action_rows", build)


def _rows(k: Knowledge, reports: dict[str, Json], as_of: date) -> list[tuple[Json, str]]:
    """The document's rows with each action's progress and its overdue mark as of ``as_of``."""
    day = as_of.isoformat()
    out = []
    for row, haystack in _document_rows(k):
        report = reports.get(row["id"])
        status = report["status"] if report else None
        live = {
            "progress": status,
            "progress_label": PROGRESS_LABELS.get(status, "未報告") if status else "未報告",
            "overdue": bool(row["due"] and row["due"] < day and status not in CLOSED),
        }
        out.append((row | live, haystack))
    return out


def all_rows(k: Knowledge, reports: dict[str, Json], as_of: date) -> list[Json]:
    """Every distinct action once, its re-posted copies folded into it, in document order."""
    return [row for row, _ in _rows(k, reports, as_of)]


def _matches(row: Json, haystack: str, f: ActionFilters, owner: str | None, needle: str | None) -> bool:
    if owner is not None and owner not in row["ministries"]:
        return False
    if f.section is not None and not any(
        browse.under(s, f.section) for s in [row["section"], *row["also_in_sections"]]
    ):
        return False
    if needle is not None and needle not in haystack:
        return False
    if f.progress is not None and (row["progress"] or "unreported") != f.progress:
        return False
    return not (f.overdue and not row["overdue"])


def actions_page(k: Knowledge, reports: dict[str, Json], f: ActionFilters, state: TableState) -> Json:
    """The actions that pass ``f``, one page of them, and the counts that the filters offer."""
    browse.check_filters(k, f.section, f.ministry)
    if f.progress is not None and f.progress not in PROGRESS_FILTERS:
        raise UnknownColumnError(f"unknown progress {f.progress!r}; one of: {', '.join(PROGRESS_FILTERS)}")
    if state.sort is not None and state.sort not in SORTS:
        raise UnknownColumnError(f"cannot sort by {state.sort!r}; sortable: {', '.join(SORTS)}")
    as_of = f.as_of or date.today()
    owner = compact(f.ministry) if f.ministry else None
    needle = compact(fold(f.q)) if f.q and f.q.strip() else None
    rows = [r for r, haystack in _rows(k, reports, as_of) if _matches(r, haystack, f, owner, needle)]
    years = Counter(year_key(r) for r in rows)  # before the year filter: the jump list shows them all
    sections = Counter(".".join(r["section"].split(".")[:3]) for r in rows)
    if f.year is not None:
        rows = [r for r in rows if year_key(r) == f.year]
    if state.sort is None:  # the list's own order: by due date, undated last, then document order
        rows.sort(key=lambda r: (year_order(year_key(r)), r["due"] or "", r["line_start"]))
    return {
        "filters": {
            "ministry": owner,
            "section": f.section,
            "q": f.q or "",
            "year": f.year,
            "progress": f.progress,
            "overdue": f.overdue,
            "as_of": as_of.isoformat(),
        },
        "counts": {
            "actions": len(rows),
            "overdue": sum(1 for r in rows if r["overdue"]),
            "unit": "distinct actions (re-posted copies counted once)",
        },
        "years": [
            {"key": y, "label": f"{y[2:]}年度" if y.startswith("FY") else CATEGORY_LABELS[y], "count": n}
            for y, n in sorted(years.items(), key=lambda kv: year_order(kv[0]))
        ],
        "sections": [
            {"id": s, "title": fold(k.headings[s].title) if s in k.headings else s, "count": n}
            for s, n in sorted(
                sections.items(), key=lambda kv: [int(p) for p in kv[0].split(".") if p.isdigit()]
            )
        ],
        "progress_labels": PROGRESS_LABELS | {"unreported": "未報告"},
        "table": view(rows, COLUMNS, state),
    }


def overdue_by_ministry(k: Knowledge, reports: dict[str, Json], as_of: date) -> list[Json]:
    """Per owner: its distinct actions, how many are overdue as of ``as_of``, and how many are done."""
    names = k.ministry_names()
    total: Counter[str] = Counter()
    overdue: Counter[str] = Counter()
    done: Counter[str] = Counter()
    for r in all_rows(k, reports, as_of):
        for o in r["ministries"]:
            total[o] += 1
            overdue[o] += r["overdue"]
            done[o] += r["progress"] == "done"
    return [
        {"ministry": o, "name": names.get(o), "actions": total[o], "overdue": overdue[o], "done": done[o]}
        for o in sorted(total, key=lambda o: (-overdue[o], -total[o], o))
    ]
