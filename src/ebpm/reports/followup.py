"""The secretariat's follow-up sheet: one line per distinct action (as the action table counts
them: a re-posted copy folded into its original), with its owners, its deadline, the action,
the latest progress report, the secretariat's review, and empty cells to fill in.

The sheet comes back in through ``ebpm progress import``: its columns 取組ID, 状況, 実施状況,
時点 and 根拠URL are the importer's own headers, the status column offers exactly the labels the
importer reads, and a line whose report cells are left empty is skipped. A line that repeats
the action's current report writes nothing, so the sheet as exported imports as nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from ebpm.export.workbook import workbook
from ebpm.progress.reports import STATUS_LABELS
from ebpm.reports.context import Provenance
from ebpm.services import action_table, browse
from ebpm.services.knowledge import Knowledge
from ebpm.sources.normalize import compact

Json = dict[str, Any]
HEADER = (
    "取組ID",
    "節",
    "見出し",
    "担当",
    "期限",
    "期限日",
    "今後の取組方針",
    "状況",
    "実施状況",
    "時点",
    "根拠URL",
    "審査結果",
    "審査コメント",
    "行",
)
STATUS_COLUMN = HEADER.index("状況")
DECISION_LABELS = {"accepted": "受理", "returned": "差戻し"}


def rows(
    k: Knowledge,
    reports: dict[str, Json],
    as_of: date,
    ministry: str | None = None,
    section: str | None = None,
) -> list[list[Any]]:
    """The sheet's lines, in document order; unknown filters raise UnknownMinistryError or
    UnknownSectionError (one line in the CLI)."""
    browse.check_filters(k, section, ministry)
    owner = compact(ministry) if ministry else None
    out: list[list[Any]] = []
    for r in action_table.all_rows(k, reports, as_of):
        if owner is not None and owner not in r["ministries"]:
            continue
        if section is not None and not any(
            browse.under(s, section) for s in [r["section"], *r["also_in_sections"]]
        ):
            continue
        report = reports.get(r["id"]) or {}
        review = report.get("review") or {}
        out.append(
            [
                r["id"],
                r["section"],
                r["section_title"],
                "、".join(r["ministries"]) + ("（行の担当）" if r["inherited"] else ""),
                r["due_label"],
                r["due"] or "",
                r["text"],
                STATUS_LABELS.get(report.get("status", ""), ""),
                report.get("note") or "",
                report.get("as_of") or "",
                report.get("evidence_url") or "",
                DECISION_LABELS.get(review.get("decision", ""), ""),
                review.get("comment") or "",
                r["line_start"],
            ]
        )
    return out


def note(provenance: Provenance, ministry: str | None, section: str | None, count: int) -> str:
    """The workbook's second sheet: where the sheet comes from and how to fill it in."""
    scope = "、".join(
        x for x in (f"担当 {ministry}" if ministry else "", f"節 {section}" if section else "") if x
    )
    lines = [
        "フォローアップシート（統合イノベーション戦略 今後の取組方針の進捗）",
        *(f"{label}: {value}" for label, value in provenance.lines()),
        f"対象: {scope or '全ての取組'}（{count:,}件、再掲は原掲に統合）",
        "",
        "記入のしかた:",
        f"・状況は一覧から選ぶ（{'、'.join(STATUS_LABELS.values())}）。",
        "・実施状況に取組の進捗を書き、時点は YYYY-MM-DD（未来の日付は不可）。根拠URL は http(s) のみ。",
        "・記入しない行は状況・実施状況・時点・根拠URL を空のままにする（取込では読み飛ばす）。",
        "・取込: ebpm progress import このファイル.xlsx --user 利用者名（担当府省庁の取組のみ）。",
        "・現在の報告と同じ行は何も書き込まない（もう一度取り込んでも変化なし）。",
    ]
    return "\n".join(lines)


def followup_xlsx(
    k: Knowledge,
    reports: dict[str, Json],
    provenance: Provenance,
    ministry: str | None = None,
    section: str | None = None,
) -> bytes:
    """The sheet as .xlsx bytes: header frozen, filters on, the status column a drop-down list of
    the importer's Japanese labels, formula-like text neutralised (the shared writer)."""
    lines = rows(k, reports, provenance.data_day, ministry, section)
    choices: dict[int, Sequence[str]] = {STATUS_COLUMN: list(STATUS_LABELS.values())}
    return workbook(
        HEADER, lines, "フォローアップ", note=note(provenance, ministry, section, len(lines)), choices=choices
    )
