"""The differences between two editions as a table: one line a link, filtered, sorted and paged.

The diff itself is :mod:`ebpm.lineage.diff`; this module turns it into the table the page, its
JSON twin and its CSV and Excel downloads share, over the lineage with the admins' reviews on top.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine

from ebpm.lineage.diff import EditionDiff, ItemDiff, diff_editions, flat, to_json
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
    line = flat(item)
    # one section to show and sort by; the similarity as the page shows it
    line["section"] = item.section_to or item.section_from
    line["score"] = None if line["score"] is None else round(line["score"], 3)
    return line


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
