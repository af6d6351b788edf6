"""Counts of every kind of element in the bundled document.

Each number was checked against /work/shared/docs/source-format.md and by reading
src/ebpm/data/strategy-2023.txt (grep counts of the header lines and markers are
re-checked here directly on the raw lines, independently of the parser).
"""

from __future__ import annotations

import re
from collections import Counter

import pytest

from ebpm.model import Document
from ebpm.sources.corpus import BUNDLED_SHA256

TABLE_HEADER = "基本計画における具体的な取組 実施状況・現状分析 今後の取組⽅針"


def chapter2_levels(doc: Document) -> Counter[str]:
    return Counter(h.level for h in doc.headings if h.id.startswith("2"))


def test_source_identity(doc: Document, lines: list[str]) -> None:
    assert doc.sha256 == BUNDLED_SHA256
    assert doc.line_count == len(lines) == 19515


def test_chapter2_sections(doc: Document) -> None:
    assert chapter2_levels(doc)["section"] == 6


def test_chapter2_subsections(doc: Document) -> None:
    assert chapter2_levels(doc)["subsection"] == 22


def test_chapter2_items(doc: Document) -> None:
    items = [h for h in doc.headings if h.level == "item" and h.id.startswith("2.")]
    assert len(items) == 57
    # 48 items sit under subsections (2.1.1.1 …); sections 3 and 5 have no subsections,
    # so their 9 items hang directly under the section (2.3.1 … 2.3.7, 2.5.1, 2.5.2)
    under_subsection = [h for h in items if re.fullmatch(r"2\.\d\.\d+\.\d+", h.id)]
    assert len(under_subsection) == 48
    assert sorted(h.id for h in items if h not in under_subsection) == [
        *(f"2.3.{k}" for k in range(1, 8)),
        "2.5.1",
        "2.5.2",
    ]
    assert all(h.parent_id in {"2.3", "2.5"} for h in items if h not in under_subsection)


def test_group_labels(doc: Document) -> None:
    groups = [h for h in doc.headings if h.level == "group"]
    assert [(h.line, h.parent_id) for h in groups] == [(15287, "2.4"), (16408, "2.4")]


def test_measure_rows(doc: Document, lines: list[str]) -> None:
    assert len(doc.measures) == 218
    marked = [m for m in doc.measures if lines[m.marker_line - 1].lstrip().startswith(("○", "〇"))]
    # 206 rows start at ○/〇; the rest are the unmarked prose rows of sections 4 and 6
    assert len(marked) == 206
    assert {m.section[:3] for m in doc.measures if m not in marked} <= {"2.4", "2.6"}
    assert sum(1 for raw in lines if raw.lstrip().startswith(("○", "〇"))) == 206


def test_table_headers(doc: Document, lines: list[str]) -> None:
    headers = [i + 1 for i, raw in enumerate(lines) if raw.strip() == TABLE_HEADER]
    assert len(headers) == 70
    assert {m.table_line for m in doc.measures} == set(headers)
    assert [ln for ln, el in doc.coverage.items() if el.startswith("table-header:")] != []
    assert sorted(ln for ln, el in doc.coverage.items() if el.startswith("table-header:")) == headers


def test_footnotes_numbered_once(doc: Document) -> None:
    numbers = [f.number for f in doc.footnotes]
    assert len(numbers) == 188
    assert sorted(numbers) == list(range(1, 189))
    assert Counter(numbers).most_common(1)[0][1] == 1


def test_glossary_entries(doc: Document) -> None:
    assert len(doc.glossary) == 178
    assert all(18853 < g.line <= 19417 for g in doc.glossary)


def test_ministries(doc: Document) -> None:
    assert len(doc.ministries) == 41
    assert all(19418 < m.line <= 19515 for m in doc.ministries)
    assert len({m.abbreviation for m in doc.ministries}) == 41


@pytest.mark.parametrize(
    ("kind", "count", "header"),
    [
        ("grand_goal", 2, r"【⼤⽬標】"),
        ("vision", 11, r"【あるべき姿とその実現に向けた⽅向性】"),
    ],
)
def test_goal_blocks(doc: Document, lines: list[str], kind: str, count: int, header: str) -> None:
    assert sum(1 for g in doc.goals if g.kind == kind) == count
    assert sum(1 for raw in lines if re.fullmatch(rf"[・ ]*{header}\s*", raw)) == count


def test_goals(doc: Document, lines: list[str]) -> None:
    goals = [g for g in doc.goals if g.kind == "goal"]
    assert len(goals) == 16  # 11 【⽬標】 blocks, some with several bullets
    assert sum(1 for raw in lines if re.fullmatch(r"[・ ]*【⽬標】\s*", raw)) == 11
    assert all(g.text and not g.text.startswith("・") for g in goals)


def test_grand_goals_and_visions_by_section(doc: Document) -> None:
    assert [g.section for g in doc.goals if g.kind == "grand_goal"] == ["2.1", "2.2"]
    assert [g.id for g in doc.goals if g.kind == "vision"] == [
        "2.1.1.vision",
        "2.1.2.vision",
        "2.1.3.vision",
        "2.1.4.vision",
        "2.1.5.vision",
        "2.1.6.vision",
        "2.2.1.vision",
        "2.2.2.vision",
        "2.2.3.vision",
        "2.3.vision",
        "2.5.vision",
    ]


def test_indicators(doc: Document, lines: list[str]) -> None:
    blocks = Counter(i.block for i in doc.indicators)
    assert blocks["kpi"] == 36
    assert blocks["reference"] == 85
    assert sum(1 for raw in lines if raw.strip().endswith("（主要指標）")) == 11
    assert sum(1 for raw in lines if re.fullmatch(r"[・ ]*【現状データ】（参考指標）\s*", raw)) == 13
    ids = [i.id for i in doc.indicators]
    assert len(ids) == len(set(ids))


def test_every_nonblank_line_is_covered(doc: Document, lines: list[str]) -> None:
    nonblank = {i + 1 for i, raw in enumerate(lines) if raw.strip()}
    assert len(nonblank) == 16088
    assert nonblank <= doc.coverage.keys()
    assert min(doc.coverage) >= 1
    assert max(doc.coverage) <= len(lines)


def test_coverage_is_one_based(doc: Document, lines: list[str]) -> None:
    assert doc.coverage[1] == "heading:1"  # line 1 is " 第１章 総論…"
    assert lines[0].strip().startswith("第１章")
    assert doc.coverage[1425] == "heading:2.1.1.1"
    assert doc.coverage[15820] == "heading:2.4.3"
    assert lines[1424].strip() == "① サイバー空間を構築するための戦略、組織"
    assert lines[15819].strip() == "（３）量⼦技術"


def test_nothing_missing(doc: Document) -> None:
    assert doc.missing == []
