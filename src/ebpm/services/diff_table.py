"""The differences between two editions as a table: one line a link, filtered, sorted and paged.

The diff itself is :mod:`ebpm.lineage.diff`; this module turns it into the table the page, its
JSON twin and its CSV and Excel downloads share, over the lineage with the admins' reviews on top.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine

from ebpm.lineage.diff import EditionDiff, ItemDiff, diff_editions, to_json
from ebpm.services import tables
from ebpm.services.knowledge import Knowledge
from ebpm.services.lineage import lineage

Json = dict[str, Any]

COLUMNS = (
    tables.Column("kind", "種類", "Kind"),
    tables.Column("change", "変化", "Change"),
    tables.Column("from", "旧ID", "Old id"),
    tables.Column("to", "新ID", "New id"),
    tables.Column("section", "節", "Section"),
    tables.Column("score", "類似度", "Similarity", "number"),
    tables.Column("method", "照合方法", "Matched by"),
    tables.Column("unsure", "要確認", "To review", "flag"),
    tables.Column("owners_added", "担当の追加", "Owners added", "list"),
    tables.Column("owners_removed", "担当の削除", "Owners removed", "list"),
    tables.Column("due_from", "旧期限", "Old due"),
    tables.Column("due_to", "新期限", "New due"),
    tables.Column("moved_days", "期限の移動（日）", "Due moved (days)", "number"),
    tables.Column("text_from", "旧本文", "Old text", sortable=False),
    tables.Column("text_to", "新本文", "New text", sortable=False),
)
KINDS = ("row", "action")
CHANGES = ("changed", "new", "dropped", "continued")


@dataclass(frozen=True, slots=True)
class DiffFilters:
    kind: str | None = None  # row | action
    change: str | None = None  # one of CHANGES; None: everything but "continued"
    unsure: bool = False
    ministry: str | None = None


def edition_diff(old: Knowledge, new: Knowledge, store: Engine | None, ministry: str | None) -> EditionDiff:
    """The diff of ``old`` → ``new`` (computed once per pair of loads and ministry, with the
    reviews read on every call)."""
    return diff_editions(old.doc, new.doc, ministry, lineage(old, new, store))


def _line(item: ItemDiff) -> Json:
    link = item.link
    return {
        "kind": link.kind,
        "change": link.change,
        "from": link.old,
        "to": link.new,
        "row_from": item.row_from,
        "row_to": item.row_to,
        "section": item.section_to or item.section_from,
        "score": None if link.score is None else round(link.score, 3),
        "method": link.method,
        "unsure": link.unsure,
        "owners_added": item.owners_added,
        "owners_removed": item.owners_removed,
        "due_from": _due(item.due_from),
        "due_to": _due(item.due_to),
        "moved_days": item.moved_days,
        "text_from": item.text_from,
        "text_to": item.text_to,
        "text_diff": [[op, text] for op, text in item.text_diff],
    }


def _due(value: object) -> str | None:
    if value is None:
        return None
    iso = getattr(value, "isoformat", None)
    return str(iso()) if callable(iso) else str(value)


def diff_page(diff: EditionDiff, f: DiffFilters, state: tables.TableState) -> Json:
    """The page's data: the summary, and the table of the links the filters keep."""
    items = [*diff.rows, *diff.actions]
    lines = [
        _line(i)
        for i in items
        if (f.kind is None or i.link.kind == f.kind)
        and (i.link.change == f.change if f.change else i.link.change != "continued")
        and (not f.unsure or i.link.unsure)
    ]
    summary = to_json(diff)["summary"]
    return {
        "from": diff.old,
        "to": diff.new,
        "ministry": diff.ministry,
        "filters": {"kind": f.kind, "change": f.change, "unsure": f.unsure, "ministry": f.ministry},
        "summary": summary,
        "table": tables.view(lines, COLUMNS, state),
    }
