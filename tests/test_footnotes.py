"""Footnotes of the bundled document: blocks, texts, citations, and page numbers."""

from __future__ import annotations

import pytest

from ebpm.model import Document, Footnote
from ebpm.parser.footnotes import find_footnote_blocks, find_references
from ebpm.parser.lines import page_number_lines

PAGE_NUMBER_LINES = (1253, 2551, 8456)
NOT_PAGE_NUMBERS = (5768, 7395)  # footnote numbers that lost their text, same look


@pytest.fixture(scope="module")
def notes(doc: Document) -> dict[int, Footnote]:
    return {f.number: f for f in doc.footnotes}


def test_all_188_footnotes_once(doc: Document) -> None:
    assert [f.number for f in doc.footnotes] == list(range(1, 189))
    assert all(f.text for f in doc.footnotes)
    assert all(f.line <= f.line_end for f in doc.footnotes)
    # every footnote line is recorded as such in the coverage
    for f in doc.footnotes:
        assert doc.coverage[f.line] == f"footnote:{f.number}"


def test_footnote_18(notes: dict[int, Footnote], lines: list[str]) -> None:
    f = notes[18]
    assert (f.line, f.line_end) == (1361, 1361)
    assert f.text == (
        "Sustainable Development Solutions Network「Sustainable Development Report 2022」（2022年６⽉公表）"
    )
    assert f.references == [1326]
    assert lines[1325].rstrip().endswith("19位（2022年）18")


def test_footnote_37_cited_inside_a_ministry_tag(notes: dict[int, Footnote], lines: list[str]) -> None:
    f = notes[37]
    assert f.line == 1508
    assert f.text == "2021 年のデジタル庁発⾜以降は、デジタル庁が業務を担当する。以下同じ。"
    assert f.references == [1437]
    assert "【ＩＴ37】" in lines[1436]


def test_footnote_32_text(notes: dict[int, Footnote]) -> None:
    f = notes[32]
    assert f.line == 1417
    assert f.text == (
        "全国を10km四⽅のメッシュに区切り、メッシュ総数約4,500に占める"
        "５G⾼度特定基地局（親局）が開設されたメッシュ数の割合。"
    )
    assert f.references == [1403]  # ５Ｇ基盤展開率32


def test_footnote_1_glued_to_version_number(notes: dict[int, Footnote]) -> None:
    assert notes[1].line == 40
    assert notes[1].text.startswith("Society 5.0 とは、")
    assert notes[1].references == [7]  # "Society 5.01の実現"


@pytest.mark.parametrize(
    ("number", "line", "line_end", "start"),
    [(7, 606, 607, "「2050 年カーボンニュートラル"), (104, 7463, 7465, "「ＡＳＥＡＮスマートシティ")],
)
def test_footnotes_without_space_after_number(
    notes: dict[int, Footnote], lines: list[str], number: int, line: int, line_end: int, start: str
) -> None:
    assert lines[line - 1].startswith(f"{number}「")  # no space after the number
    f = notes[number]
    assert (f.line, f.line_end) == (line, line_end)
    assert f.text.startswith(start)


def test_wrapped_footnote_joined_mid_word(notes: dict[int, Footnote]) -> None:
    # 7463 ends "…⽬指しているＡ" and 7465 continues "ＳＥＡＮ10 か国…"
    text = notes[104].text
    assert "ＡＳＥＡＮ10 か国の 26 都市" in text
    assert text.endswith("⽀援を実施することを⽬標とする。")


def test_glued_pair_of_citations(notes: dict[int, Footnote], lines: list[str]) -> None:
    assert lines[7386].rstrip().endswith("26 件（2025 年）104105")
    assert notes[104].references == [7387]
    assert notes[105].references == [7387]


def test_citation_followed_by_kana(notes: dict[int, Footnote], lines: list[str]) -> None:
    assert "新規公募分13から" in lines[1070]
    assert "プラットフォーム14の" in lines[1073]
    assert notes[13].references == [1071]
    assert notes[14].references == [1074]


def test_citations_precede_their_footnote(doc: Document) -> None:
    for f in doc.footnotes:
        for ref in f.references:
            assert ref < f.line, f.number


@pytest.mark.parametrize("line", PAGE_NUMBER_LINES)
def test_page_numbers_are_noise(doc: Document, lines: list[str], line: int) -> None:
    assert lines[line - 1].strip().isdigit()
    assert lines[line].strip() == "" and lines[line] != ""  # followed by a single-space line
    assert doc.coverage[line] == "noise:page-number"


def test_page_numbers_not_in_any_text(doc: Document, lines: list[str]) -> None:
    for line in PAGE_NUMBER_LINES:
        for m in doc.measures:
            for cell in [m.commitment, *m.status, *m.actions]:
                assert line not in cell.lines, (m.id, line)
        for f in doc.footnotes:
            assert not f.line <= line <= f.line_end
    # 8456 ("92 ") falls inside row 2.1.6.2.m2 without joining its cells
    row = next(m for m in doc.measures if m.id == "2.1.6.2.m2")
    assert row.line_start < 8456 < row.line_end
    assert row.crosses_page
    for cell in [row.commitment, *row.status, *row.actions]:
        assert "92" not in cell.text
    # 2551 ("44 ") sits in the middle of a split 参考指標 block
    for ind in doc.indicators:
        assert not ind.line <= 2551 <= ind.line_end or "44 " not in ind.text


@pytest.mark.parametrize("line", NOT_PAGE_NUMBERS)
def test_lookalike_numbers_are_not_page_numbers(doc: Document, lines: list[str], line: int) -> None:
    assert lines[line - 1].strip().isdigit()
    assert doc.coverage[line] != "noise:page-number"


def test_page_number_lines_unit() -> None:
    lines = ["本文。 ", "", "", "", "12 ", " ", "次の頁 ", "13 ", "続き ", "7", " "]
    assert page_number_lines(lines) == {4, 9}


def test_find_footnote_blocks_synthetic() -> None:
    lines = [
        "本文の一行目1で、 ",  # 0
        "二行目2で終わる。 ",  # 1
        " ",  # 2
        "1 最初の脚注。 ",  # 3
        "2二つ目の脚注は",  # 4  no space after the number, wraps
        "",  # 5
        "次の行に続く。 ",  # 6
        "次の頁の本文3。 ",  # 7
        " ",  # 8
        "3 三つ目。 ",  # 9
    ]
    blocks = find_footnote_blocks(lines)
    assert [(b.start, b.end) for b in blocks] == [(3, 6), (9, 9)]
    notes = [f for b in blocks for f in b.footnotes]
    assert [(f.number, f.line, f.line_end) for f in notes] == [(1, 4, 4), (2, 5, 7), (3, 10, 10)]
    assert notes[1].text == "二つ目の脚注は次の行に続く。"
    refs = find_references(lines, blocks, set())
    assert refs == {1: [1], 2: [2], 3: [8]}


def test_quantities_are_not_citations() -> None:
    lines = ["予算は 2 億円で、3 件を採択した1。 ", " ", "1 脚注。 ", "2 もう一つ。 ", "3 三つ目。 "]
    blocks = find_footnote_blocks(lines)
    refs = find_references(lines, blocks, set())
    assert refs == {1: [1]}


def test_footnote_blocks_never_leak_into_items(doc: Document) -> None:
    footnote_lines = {ln for f in doc.footnotes for ln in range(f.line, f.line_end + 1)}
    for m in doc.measures:
        for cell in [m.commitment, *m.status, *m.actions]:
            assert not footnote_lines & set(cell.lines), (m.id, sorted(footnote_lines & set(cell.lines)))
    # an indicator split by a footnote block (1403 … 1418) spans the block but holds none of its text
    for ind in doc.indicators:
        for f in doc.footnotes:
            if ind.line < f.line < ind.line_end and len(f.text) > 8:
                assert f.text not in ind.text, (ind.id, f.number)
