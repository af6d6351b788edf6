"""Each ministry's actions with their due dates (``ebpm commitments``)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date

from ebpm.commitments.deadlines import Deadline, due_summary, extract_deadlines
from ebpm.errors import UnknownMinistryError as UnknownMinistryError  # re-exported for the command
from ebpm.errors import UnknownSectionError as UnknownSectionError
from ebpm.indicators.periods import current_fiscal_year
from ebpm.model import Document
from ebpm.sources.normalize import compact

# undated dues sort after every date, in this order
_CATEGORY_ORDER = {"asap": 1, "ongoing": 2, "unspecified": 3}


def _under(section: str, prefix: str) -> bool:
    return section == prefix or section.startswith(prefix + ".")


@dataclass(frozen=True, slots=True)
class Commitment:
    ministry: str
    measure_id: str
    section: str
    position: int  # the action's position in its row
    text: str
    due: date | None
    category: str  # "date", or asap / ongoing / unspecified
    phrase: str | None  # the deadline as written, for the due shown
    deadlines: tuple[Deadline, ...]
    inherited: bool  # the action has no tag of its own: its row's owners are used
    line_start: int
    line_end: int

    def sort_key(self) -> tuple[int, date, str, str, int]:
        rank = 0 if self.due is not None else _CATEGORY_ORDER[self.category]
        return (rank, self.due or date.max, self.ministry, self.measure_id, self.position)


def owners(doc: Document) -> set[str]:
    """Every owner that some action or commitment names."""
    return {o for m in doc.measures for c in [m.commitment, *m.actions] for o in c.ministries}


def check_filters(doc: Document, section: str | None, ministry: str | None) -> None:
    """Unknown filter values are errors, not empty lists: a typo should not look like 'nothing'.

    A section is known when it is a heading id, with or without rows under it (chapter 1 has
    none): the one check every listing, the API and the pages make, so that a value one of
    them accepts is never refused by another.
    """
    if section is not None and not any(h.id == section for h in doc.headings):
        raise UnknownSectionError(f"unknown section {section!r}; ids look like 2.2 or 2.2.1")
    if ministry is not None and compact(ministry) not in owners(doc):
        known = "、".join(sorted(owners(doc)))
        raise UnknownMinistryError(f"unknown ministry {ministry!r}; the strategy's owners are: {known}")


def _deciding_phrase(deadlines: tuple[Deadline, ...], summary: date | str) -> str | None:
    """The phrase, as written, of the deadline that sets the action's due."""
    for d in deadlines:
        if (isinstance(summary, date) and d.due == summary) or d.kind == summary:
            return d.phrase
    return None


def list_commitments(
    doc: Document,
    ministry: str | None = None,
    due_by: date | None = None,
    overdue_as_of: date | None = None,
    section: str | None = None,
) -> list[Commitment]:
    """Actions per owning ministry, sorted by due date (then asap, ongoing, unspecified).

    An action without a tag of its own is listed under its row's owners. With
    ``due_by`` only actions due on or before that date are kept; with
    ``overdue_as_of`` only those whose due date has passed by then; with ``section``
    only rows under that heading (``2.2.1`` takes 2.2.1.1, 2.2.1.2, …).
    """
    check_filters(doc, section, ministry)
    wanted = compact(ministry) if ministry else None
    rows: list[Commitment] = []
    for m in doc.measures:
        if section is not None and not _under(m.section, section):
            continue
        for k, action in enumerate(m.actions):
            if action.text.strip() in ("―", "－"):
                continue  # an empty cell
            names = action.ministries or m.commitment.ministries
            deadlines = tuple(extract_deadlines(action.text))
            summary = due_summary(list(deadlines))
            due = summary if isinstance(summary, date) else None
            phrase = _deciding_phrase(deadlines, summary)
            for name in names:
                if wanted is not None and name != wanted:
                    continue
                rows.append(
                    Commitment(
                        ministry=name,
                        measure_id=m.id,
                        section=m.section,
                        position=k,
                        text=action.text,
                        due=due,
                        category="date" if due else str(summary),
                        phrase=phrase,
                        deadlines=deadlines,
                        inherited=not action.ministries,
                        line_start=action.line_start,
                        line_end=action.line_end,
                    )
                )
    if due_by is not None:
        rows = [r for r in rows if r.due is not None and r.due <= due_by]
    if overdue_as_of is not None:
        rows = [r for r in rows if r.due is not None and r.due < overdue_as_of]
    return sorted(rows, key=Commitment.sort_key)


def counts_by_ministry(rows: list[Commitment]) -> Counter[str]:
    return Counter(r.ministry for r in rows)


def counts_by_year(rows: list[Commitment]) -> Counter[str]:
    """Per fiscal year of the due date (FY2023 = April 2023 to March 2024), or per category."""
    out: Counter[str] = Counter()
    for r in rows:
        if r.due is None:
            out[r.category] += 1
        else:
            out[f"FY{current_fiscal_year(r.due)}"] += 1
    return out
