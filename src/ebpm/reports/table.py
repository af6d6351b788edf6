"""Chapter 2's three-column tables, regenerated: each heading, then its rows 具体的な取組 |
実施状況・現状分析 | 今後の取組方針, every item with its ministry tags (【文、経】) as written.

With progress, the middle column leads with each action's latest progress report, marked
【進捗報告】 with its status and day: the draft of next year's 実施状況・現状分析 column. The
edition's own status items follow, marked as that edition's text, so the drafter sees both.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ebpm.commitments.reposts import CellKey
from ebpm.model import Cell, Heading, Measure
from ebpm.progress.reports import STATUS_LABELS
from ebpm.reports import render
from ebpm.reports.context import Provenance
from ebpm.services import browse
from ebpm.services.knowledge import Knowledge
from ebpm.services.tables import fold
from ebpm.sources.normalize import compact

Json = dict[str, Any]
CHAPTER = "2"
COLUMNS = ("具体的な取組", "実施状況・現状分析", "今後の取組方針")
DRAFT_COLUMN = "実施状況・現状分析（進捗報告による案）"


@dataclass(frozen=True, slots=True)
class Item:
    text: str
    mark: str = ""  # 【進捗報告 実施中 2025-03-31】, 【2023年版の記載】: what kind of text this is
    progress: bool = False
    reposted: bool = False


@dataclass(slots=True)
class Row:
    id: str
    commitment: Item
    status: list[Item] = field(default_factory=list)
    actions: list[Item] = field(default_factory=list)


@dataclass(slots=True)
class Block:
    id: str
    depth: int  # 1 for the chapter, 2 for 2.1, 3 for 2.1.1, 4 for 2.1.1.1
    title: str  # the number as written and the title: （１）サイバー空間と…
    rows: list[Row] = field(default_factory=list)


@dataclass(slots=True)
class Tables:
    edition: str
    with_progress: bool
    ministry: str | None
    section: str | None
    blocks: list[Block]

    @property
    def columns(self) -> tuple[str, str, str]:
        return (COLUMNS[0], DRAFT_COLUMN, COLUMNS[2]) if self.with_progress else COLUMNS

    @property
    def row_count(self) -> int:
        return sum(len(b.rows) for b in self.blocks)

    @property
    def progress_count(self) -> int:
        return sum(1 for b in self.blocks for r in b.rows for i in r.status if i.progress)

    def scope(self) -> str:
        parts = [f"節 {self.section}" if self.section else "第2章の全ての表"]
        if self.ministry:
            parts.append(f"担当 {self.ministry} の行")
        return "、".join(parts)


def _item(cell: Cell) -> Item:
    text = fold(cell.text)
    # every item of the document carries its tags in its text; one that lost them in the parse
    # gets them back, so that no item stands in the table without its owners
    if cell.ministries and "【" not in text:
        text += "【" + "、".join(cell.ministries) + "】"
    return Item(text, reposted=cell.reposted)


def _progress(k: Knowledge, m: Measure, reports: dict[str, Json]) -> list[Item]:
    """The latest report of each of the row's actions (a re-posted copy's is its original's)."""
    out = []
    for n, _cell in enumerate(m.actions):
        action_id = f"{m.id}.a{n + 1}"
        key: CellKey = (m.id, "action", n)
        link = k.reposts.get(key)
        report = reports.get(action_id)
        if report is None and link is not None and link.original is not None:
            original = link.original
            report = reports.get(f"{original[0]}.a{original[2] + 1}")
        if report is None:
            continue
        label = STATUS_LABELS.get(report["status"], report["status"])
        mark = f"【進捗報告 取組{n + 1}・{label}・{report['as_of']}時点】"
        out.append(Item(fold(report["note"] or "（記載なし）"), mark, progress=True))
    return out


def _owns(m: Measure, owner: str) -> bool:
    owners = {*m.commitment.ministries}
    for a in m.actions:
        owners.update(a.ministries or m.commitment.ministries)
    return owner in owners


def _depth(h: Heading) -> int:
    return h.id.count(".") + 1


def gather(
    k: Knowledge,
    reports: dict[str, Json] | None = None,
    ministry: str | None = None,
    section: str | None = None,
) -> Tables:
    """Chapter 2's headings with their rows, in document order; ``reports`` (each action's
    current report, ProgressService.current) puts the progress into the middle column.
    Unknown filters raise UnknownMinistryError or UnknownSectionError."""
    browse.check_filters(k, section, ministry)
    owner = compact(ministry) if ministry else None
    scope = section or CHAPTER
    by_section: dict[str, list[Measure]] = {}
    for m in k.doc.measures:
        if browse.under(m.section, scope) and (owner is None or _owns(m, owner)):
            by_section.setdefault(m.section, []).append(m)
    edition_mark = f"【{k.doc.edition}年版の記載】" if k.doc.edition else "【原文の記載】"
    blocks = []
    for h in k.doc.headings:
        if not browse.under(h.id, scope) and not browse.under(scope, h.id):
            continue
        if not browse.under(h.id, CHAPTER):
            continue
        # a heading is kept when rows lie at or below it: a filter leaves no empty headings
        if not any(browse.under(s, h.id) for s in by_section):
            continue
        block = Block(h.id, _depth(h), fold(f"{h.number}{h.title}"))
        for m in by_section.get(h.id, []):
            status = [_item(c) for c in m.status if c.text.strip()]
            if reports is not None:
                drafts = _progress(k, m, reports)
                if drafts:
                    status = drafts + [Item(i.text, edition_mark, reposted=i.reposted) for i in status]
            block.rows.append(
                Row(m.id, _item(m.commitment), status, [_item(c) for c in m.actions if c.text.strip()])
            )
        blocks.append(block)
    return Tables(k.doc.edition, reports is not None, owner, section, blocks)


def title(tables: Tables) -> str:
    return f"統合イノベーション戦略{tables.edition} 第2章 施策の表" + (
        "（進捗報告の反映案）" if tables.with_progress else ""
    )


def table_html(tables: Tables, provenance: Provenance) -> str:
    """The tables as one HTML document, for WeasyPrint (the PDF) or a browser."""
    return render.html(
        "table.html",
        title=title(tables),
        kind="施策の表 Measures tables",
        provenance=provenance,
        created=render.w3c(provenance.data_time),
        css=render.css(),
        tables=tables,
    )
