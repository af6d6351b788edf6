"""The heading tree of the bundled document, and the look-alikes that are not headings."""

from __future__ import annotations

import pytest

from ebpm.model import Document, Heading
from ebpm.parser.headings import parse_headings, section_of

# lines that look like headings but sit inside table cells
LOOKALIKES = {
    3591: "（４）の取組を実施。",
    18007: "（１）スマート農林⽔産業の早期実装",
    18190: "（３）持続可能で豊かな⾷の実現",
    5457: "① 経済安全保障重要技術育成プロ",
    6075: "①成⻑性のある⼤学等発スタートアッ",
}


@pytest.fixture(scope="module")
def by_id(doc: Document) -> dict[str, Heading]:
    return {h.id: h for h in doc.headings}


@pytest.fixture(scope="module")
def by_line(doc: Document) -> dict[int, Heading]:
    return {h.line: h for h in doc.headings}


@pytest.mark.parametrize(("line", "text"), sorted(LOOKALIKES.items()))
def test_lookalikes_are_not_headings(
    doc: Document, by_line: dict[int, Heading], lines: list[str], line: int, text: str
) -> None:
    assert lines[line - 1].strip() == text
    assert line not in by_line
    # they belong to a measure row instead
    owner = doc.coverage[line]
    assert any(m.id == owner for m in doc.measures), owner
    row = next(m for m in doc.measures if m.id == owner)
    assert any(line in c.lines for c in [row.commitment, *row.status, *row.actions])


@pytest.mark.parametrize(
    ("hid", "level", "number", "title", "line", "parent"),
    [
        (
            "1",
            "chapter",
            "第１章",
            "総論（国家的重要基盤を⽀え、社会課題を成⻑のエンジンに転換する科学技術・イノベーション）",
            1,
            None,
        ),
        ("2", "chapter", "第２章", "Society 5.0の実現に向けた科学技術・イノベーション政策", 1315, None),
        ("2.1", "section", "１．", "国⺠の安全と安⼼を確保する持続可能で強靱な社会への変⾰", 1317, "2"),
        (
            "2.1.1",
            "subsection",
            "（１）",
            "サイバー空間とフィジカル空間の融合による新たな価値の創出",
            1336,
            "2.1",
        ),
        ("2.1.1.1", "item", "①", "サイバー空間を構築するための戦略、組織", 1425, "2.1.1"),
        ("2.2", "section", "２．", "知のフロンティアを開拓し価値創造の源泉となる研究⼒の強化", 9542, "2"),
        ("2.4.g1", "group", "", "戦略的に取り組むべき基盤技術", 15287, "2.4"),
        ("2.4.1", "subsection", "（１）", "ＡＩ技術", 15288, "2.4.g1"),
        ("2.4.3", "subsection", "（３）", "量⼦技術", 15820, "2.4.g1"),
        ("2.4.g2", "group", "", "戦略的に取り組むべき応⽤分野", 16408, "2.4"),
        ("2.4.6", "subsection", "（６）", "健康・医療", 16409, "2.4.g2"),
        ("2.6", "section", "６．", "総合科学技術・イノベーション会議の司令塔機能の強化", 18562, "2"),
    ],
)
def test_heading(
    by_id: dict[str, Heading], hid: str, level: str, number: str, title: str, line: int, parent: str | None
) -> None:
    h = by_id[hid]
    assert (h.level, h.number, h.title, h.line, h.parent_id) == (level, number, title, line, parent)


def test_section_lines(by_id: dict[str, Heading]) -> None:
    assert [by_id[f"2.{k}"].line for k in range(1, 7)] == [1317, 9542, 13848, 15275, 18269, 18562]


def test_tree_is_consistent(doc: Document, by_id: dict[str, Heading]) -> None:
    assert [h.line for h in doc.headings] == sorted(h.line for h in doc.headings)
    assert len(by_id) == len(doc.headings)  # ids are unique
    for h in doc.headings:
        assert doc.coverage[h.line] == f"heading:{h.id}"
        if h.level == "chapter":
            assert h.parent_id is None
            continue
        parent = by_id[h.parent_id]  # type: ignore[index]
        assert parent.line < h.line
        expected_parent_levels = {
            "section": {"chapter"},
            "group": {"section"},
            "subsection": {"section", "group"},
            "item": {"subsection", "section"},
        }[h.level]
        assert parent.level in expected_parent_levels, h.id
        if h.level != "group":
            assert h.id.startswith(h.parent_id.split(".g")[0] + "."), h.id  # type: ignore[union-attr]


def test_items_are_numbered_in_sequence(doc: Document) -> None:
    circled = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"
    children: dict[str, list[Heading]] = {}
    for h in doc.headings:
        if h.level == "item":
            children.setdefault(h.parent_id or "", []).append(h)
    assert sum(len(v) for k, v in children.items() if k.startswith("2")) == 57
    for items in children.values():
        assert [h.number for h in items] == list(circled[: len(items)])


def test_headings_stop_at_glossary(doc: Document) -> None:
    assert max(h.line for h in doc.headings) < 18853


def test_section_of(doc: Document) -> None:
    assert section_of(doc.headings, 1425) == "2.1.1.1"
    assert section_of(doc.headings, 1430) == "2.1.1.1"
    assert section_of(doc.headings, 15287) == "2.4"  # group labels are skipped
    assert section_of(doc.headings, 15300) == "2.4.1"
    assert section_of(doc.headings, 1) == "1"


def test_parse_headings_synthetic() -> None:
    lines = [
        "第１章 総論 ",
        "本文。 ",
        "第２章 各論 ",
        "１．安全 ",
        "本文の段落。 ",
        "（１）サイバー ",
        "① 戦略 ",
        "本文。 ",
        "③ 飛び番号 ",  # out of sequence: not a heading
        "本文。 ",
        "② 組織",  # no trailing space: a wrapped line, not a heading
        "続き。 ",
        "② 組織 ",
        "・セル内の項目 ",
        "（２）防災 ",
        "・セル内の項目が続くので見出しではない ",
    ]
    got = [(h.id, h.level, h.line, h.parent_id) for h in parse_headings(lines)]
    assert got == [
        ("1", "chapter", 1, None),
        ("2", "chapter", 3, None),
        ("2.1", "section", 4, "2"),
        ("2.1.1", "subsection", 6, "2.1"),
        ("2.1.1.1", "item", 7, "2.1.1"),
    ]


def test_parse_headings_item_followed_by_prose_is_heading() -> None:
    lines = [
        "第１章 総論 ",
        "１．安全 ",
        "本文。 ",
        "（１）サイバー ",
        "本文。 ",
        "② 組織 ",
        "① 戦略 ",
        "本文。 ",
    ]
    got = [(h.id, h.number) for h in parse_headings(lines)]
    assert got == [("1", "第１章"), ("1.1", "１．"), ("1.1.1", "（１）"), ("1.1.1.1", "①")]
