"""The actions of a document: their ids, owners and due dates (the REST API lists them, progress
is reported on them).

An action's id is its row's id and its 1-based place in the row (``2.2.1.m3.a2``), as the REST
API lists it. An action with no tag of its own belongs to its row's owners, as everywhere else.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from ebpm.commitments.deadlines import due_summary, extract_deadlines
from ebpm.model import Document

EMPTY_CELL = ("―", "－")


@dataclass(frozen=True, slots=True)
class ActionRef:
    id: str
    measure_id: str
    section: str
    text: str
    owners: tuple[str, ...]
    due: date | None
    due_category: str  # "date", or asap / ongoing / unspecified
    inherited: bool  # no tag of its own: its row's owners
    reposted: bool
    line_start: int
    line_end: int


def action_index(doc: Document) -> dict[str, ActionRef]:
    """Every non-empty action of ``doc`` by id, in document order."""
    out: dict[str, ActionRef] = {}
    for m in doc.measures:
        for n, a in enumerate(m.actions, start=1):
            if a.text.strip() in EMPTY_CELL:
                continue
            summary = due_summary(extract_deadlines(a.text))
            due = summary if isinstance(summary, date) else None
            action_id = f"{m.id}.a{n}"
            out[action_id] = ActionRef(
                id=action_id,
                measure_id=m.id,
                section=m.section,
                text=a.text,
                owners=tuple(a.ministries or m.commitment.ministries),
                due=due,
                due_category="date" if due else str(summary),
                inherited=not a.ministries,
                reposted=a.reposted,
                line_start=a.line_start,
                line_end=a.line_end,
            )
    return out


def action_json(action: ActionRef) -> dict[str, Any]:
    """An action as the API and the pages give it."""
    return {
        "id": action.id,
        "measure_id": action.measure_id,
        "section": action.section,
        "text": action.text,
        "ministries": list(action.owners),
        "inherited": action.inherited,
        "due": action.due.isoformat() if action.due else None,
        "due_category": action.due_category,
        "reposted": action.reposted,
        "line_start": action.line_start,
        "line_end": action.line_end,
    }
