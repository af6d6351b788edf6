"""What changed between two editions: the links with a word-level text diff, owners added and
removed, and deadlines moved.

A row is ``changed`` when its commitment's text, owners or deadlines changed, or one of its
actions changed, was dropped or is new; its status items (実施状況) are rewritten in every edition,
so they do not make a row changed and are reported as ``status_changed`` instead. An action is
``changed`` on its own text, owners (its own tags) or deadlines.
"""

from __future__ import annotations

import difflib
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any, Literal

from ebpm.commitments.deadlines import Deadline, DueCategory, due_summary, extract_deadlines
from ebpm.commitments.listing import owners as document_owners
from ebpm.errors import UnknownMinistryError
from ebpm.lineage.match import action_id, match_editions
from ebpm.lineage.model import Lineage, Link
from ebpm.lineage.text import display, fold, words
from ebpm.model import Cell, Document, Measure
from ebpm.sources.normalize import compact

Op = Literal["equal", "insert", "delete"]
Segment = tuple[Op, str]
Due = date | DueCategory


def fiscal_year(day: date) -> int:
    """The Japanese fiscal year (April–March) of ``day``: 2024-03-31 is in fiscal 2023."""
    return day.year if day.month >= 4 else day.year - 1


@dataclass(frozen=True, slots=True)
class DeadlineMove:
    """One dated deadline of an item, before and after (paired in order of appearance)."""

    phrase_from: str
    phrase_to: str
    due_from: date
    due_to: date

    @property
    def days(self) -> int:
        return (self.due_to - self.due_from).days

    @property
    def fiscal_years(self) -> int:
        return fiscal_year(self.due_to) - fiscal_year(self.due_from)


@dataclass(frozen=True, slots=True)
class ItemDiff:
    """One link with what changed along it. For an action, ``row_from``/``row_to`` are its rows;
    ``owners_*`` are the cell's own tags; ``due_*`` the item's due (its earliest dated deadline,
    else asap, ongoing or unspecified); ``moves`` every dated deadline that moved."""

    link: Link
    section_from: str | None
    section_to: str | None
    row_from: str | None
    row_to: str | None
    text_from: str | None
    text_to: str | None
    text_diff: list[Segment]
    owners_from: list[str]
    owners_to: list[str]
    due_from: Due | None
    due_to: Due | None
    moves: list[DeadlineMove] = field(default_factory=list)
    status_changed: bool | None = None  # rows only

    @property
    def owners_added(self) -> list[str]:
        return (
            [o for o in self.owners_to if o not in self.owners_from]
            if self.link.old and self.link.new
            else []
        )

    @property
    def owners_removed(self) -> list[str]:
        return (
            [o for o in self.owners_from if o not in self.owners_to]
            if self.link.old and self.link.new
            else []
        )

    @property
    def moved_days(self) -> int | None:
        """Days the due moved, when both are dates."""
        if isinstance(self.due_from, date) and isinstance(self.due_to, date):
            return (self.due_to - self.due_from).days
        return None

    @property
    def moved_fiscal_years(self) -> int | None:
        if isinstance(self.due_from, date) and isinstance(self.due_to, date):
            return fiscal_year(self.due_to) - fiscal_year(self.due_from)
        return None


@dataclass(slots=True)
class EditionDiff:
    old: str
    new: str
    ministry: str | None
    rows: list[ItemDiff]
    actions: list[ItemDiff]
    lineage: Lineage

    def summary(self) -> dict[str, Any]:
        """Counts per change for rows and actions, with the unsure links, the links across sections
        or rows, the items whose owners changed and those whose deadlines moved."""
        out: dict[str, Any] = {}
        for name, items in (("rows", self.rows), ("actions", self.actions)):
            changes = Counter(i.link.change for i in items)
            out[name] = {
                **{c: changes[c] for c in ("continued", "changed", "dropped", "new")},
                "unsure": sum(i.link.unsure for i in items),
                "moved_section": sum(i.link.method == "moved section" for i in items),
                "owners_changed": sum(bool(i.owners_added or i.owners_removed) for i in items),
                "deadlines_moved": sum(bool(i.moves) for i in items),
            }
        return out


def text_diff(old: str | None, new: str | None) -> list[Segment]:
    """Word-level diff of two texts as (op, text) segments: joining the ``equal`` and ``delete``
    segments gives the old text, the ``equal`` and ``insert`` ones the new."""
    if old is None and new is None:
        return []
    if old is None or new is None:
        return [("insert", new)] if new is not None else [("delete", old or "")]
    if old == new:
        return [("equal", old)] if old else []
    a, b = words(old), words(new)
    out: list[Segment] = []

    def put(op: Op, text: str) -> None:
        if not text:
            return
        if out and out[-1][0] == op:
            out[-1] = (op, out[-1][1] + text)
        else:
            out.append((op, text))

    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            put("equal", "".join(a[i1:i2]))
        else:
            put("delete", "".join(a[i1:i2]))
            put("insert", "".join(b[j1:j2]))
    return out


def _moves(old: list[Deadline], new: list[Deadline]) -> list[DeadlineMove]:
    """Dated deadlines paired in order of appearance; those whose due changed."""
    a = [d for d in old if d.due is not None]
    b = [d for d in new if d.due is not None]
    return [
        DeadlineMove(x.phrase, y.phrase, x.due, y.due)
        for x, y in zip(a, b, strict=False)
        if x.due is not None and y.due is not None and x.due != y.due
    ]


@lru_cache(maxsize=1 << 14)
def _deadlines(text: str) -> list[Deadline]:
    return extract_deadlines(text)


def _item(
    link: Link,
    old: Cell | None,
    new: Cell | None,
    rows: tuple[Measure | None, Measure | None],
    status_changed: bool | None = None,
) -> ItemDiff:
    text_from = display(old.text) if old else None
    text_to = display(new.text) if new else None
    deadlines_from = _deadlines(old.text) if old else []
    deadlines_to = _deadlines(new.text) if new else []
    row_from, row_to = rows
    return ItemDiff(
        link=link,
        section_from=row_from.section if row_from else None,
        section_to=row_to.section if row_to else None,
        row_from=row_from.id if row_from and link.kind == "action" else None,
        row_to=row_to.id if row_to and link.kind == "action" else None,
        text_from=text_from,
        text_to=text_to,
        text_diff=text_diff(text_from, text_to),
        owners_from=list(old.ministries) if old else [],
        owners_to=list(new.ministries) if new else [],
        due_from=due_summary(deadlines_from) if old else None,
        due_to=due_summary(deadlines_to) if new else None,
        moves=_moves(deadlines_from, deadlines_to) if old and new else [],
        status_changed=status_changed,
    )


def _owners_of(row: Measure | None, cell: Cell | None) -> set[str]:
    """Who owns an item: its own tags, else (an untagged action) its row's."""
    if cell is None:
        return set()
    if cell.ministries or row is None:
        return set(cell.ministries)
    return set(row.commitment.ministries)


def diff_editions(
    old: Document,
    new: Document,
    ministry: str | None = None,
    lineage: Lineage | None = None,
    editions: tuple[str, str] | None = None,
) -> EditionDiff:
    """The changes from ``old`` to ``new`` (matched by :func:`match_editions` unless ``lineage``
    is given). With ``ministry`` (an abbreviation, 文), only the rows and actions it owns in either
    edition: a row by its commitment's or any of its actions' tags, an action by its own tags or,
    untagged, its row's. An owner neither edition names raises :class:`UnknownMinistryError`.
    ``editions`` names the two editions (default: the documents' own names)."""
    wanted: str | None = None
    if ministry is not None:
        wanted = compact(ministry)
        known = document_owners(old) | document_owners(new)
        if wanted not in known:
            raise UnknownMinistryError(
                f"unknown ministry {ministry!r}; the editions' owners are: {'、'.join(sorted(known))}"
            )
    names = editions or (old.edition, new.edition)
    lineage = lineage or match_editions(old, new, *names)
    old_rows = {m.id: m for m in old.measures}
    new_rows = {m.id: m for m in new.measures}
    old_actions = {action_id(m.id, k): (m, a) for m in old.measures for k, a in enumerate(m.actions)}
    new_actions = {action_id(m.id, k): (m, a) for m in new.measures for k, a in enumerate(m.actions)}

    def row_owners(m: Measure | None) -> set[str]:
        if m is None:
            return set()
        return {o for c in [m.commitment, *m.actions] for o in c.ministries}

    rows: list[ItemDiff] = []
    for link in lineage.rows:
        a = old_rows.get(link.old) if link.old else None
        b = new_rows.get(link.new) if link.new else None
        if wanted is not None and wanted not in row_owners(a) | row_owners(b):
            continue
        status = None
        if a is not None and b is not None:
            status = [fold(s.text) for s in a.status] != [fold(s.text) for s in b.status]
        rows.append(_item(link, a.commitment if a else None, b.commitment if b else None, (a, b), status))
    actions: list[ItemDiff] = []
    for link in lineage.actions:
        ra, ca = old_actions[link.old] if link.old else (None, None)
        rb, cb = new_actions[link.new] if link.new else (None, None)
        if wanted is not None and wanted not in _owners_of(ra, ca) | _owners_of(rb, cb):
            continue
        actions.append(_item(link, ca, cb, (ra, rb)))
    return EditionDiff(lineage.old, lineage.new, ministry, rows, actions, lineage)


def _due(value: Due | None) -> str | None:
    return value.isoformat() if isinstance(value, date) else value


def item_json(item: ItemDiff) -> dict[str, Any]:
    link = item.link
    out: dict[str, Any] = {
        "from": link.old,
        "to": link.new,
        "change": link.change,
        "score": link.score,
        "method": link.method,
        "unsure": link.unsure,
        "section": {"from": item.section_from, "to": item.section_to},
    }
    if link.kind == "action":
        out["row"] = {"from": item.row_from, "to": item.row_to}
    else:
        out["status_changed"] = item.status_changed
    out["text_diff"] = [[op, text] for op, text in item.text_diff]
    out["owners"] = {
        "from": item.owners_from,
        "to": item.owners_to,
        "added": item.owners_added,
        "removed": item.owners_removed,
    }
    out["deadline"] = {
        "from": _due(item.due_from),
        "to": _due(item.due_to),
        "moved_days": item.moved_days,
        "moved_fiscal_years": item.moved_fiscal_years,
        "moves": [
            {
                "from": m.due_from.isoformat(),
                "to": m.due_to.isoformat(),
                "phrase_from": m.phrase_from,
                "phrase_to": m.phrase_to,
                "days": m.days,
                "fiscal_years": m.fiscal_years,
            }
            for m in item.moves
        ],
    }
    return out


def to_json(diff: EditionDiff) -> dict[str, Any]:
    """The diff as ``{"from", "to", "ministry", "rows": [...], "actions": [...], "summary"}``."""
    return {
        "from": diff.old,
        "to": diff.new,
        "ministry": diff.ministry,
        "rows": [item_json(i) for i in diff.rows],
        "actions": [item_json(i) for i in diff.actions],
        "summary": diff.summary(),
    }


CSV_COLUMNS = (
    "kind",
    "from",
    "to",
    "change",
    "score",
    "method",
    "unsure",
    "section_from",
    "section_to",
    "owners_added",
    "owners_removed",
    "due_from",
    "due_to",
    "moved_days",
    "text_from",
    "text_to",
)


def flat(item: ItemDiff) -> dict[str, Any]:
    """One link as a flat record: the CSV download's line (``CSV_COLUMNS``), with the rows of an
    action and the word-level diff for a page to link and highlight."""
    link = item.link
    return {
        "kind": link.kind,
        "from": link.old,
        "to": link.new,
        "change": link.change,
        "score": link.score,
        "method": link.method,
        "unsure": link.unsure,
        "section_from": item.section_from,
        "section_to": item.section_to,
        "row_from": item.row_from,
        "row_to": item.row_to,
        "owners_added": item.owners_added,
        "owners_removed": item.owners_removed,
        "due_from": _due(item.due_from),
        "due_to": _due(item.due_to),
        "moved_days": item.moved_days,
        "text_from": item.text_from,
        "text_to": item.text_to,
        "text_diff": [[op, text] for op, text in item.text_diff],
    }


def diff_rows(diff: EditionDiff) -> list[dict[str, Any]]:
    """One flat record per link, rows then actions (the CSV download's lines)."""
    return [flat(item) for item in (*diff.rows, *diff.actions)]
