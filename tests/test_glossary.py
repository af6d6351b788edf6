"""Tests for the abbreviation (略称一覧) and ministry tables parser."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ebpm.model import GlossaryEntry, Ministry
from ebpm.parser.glossary import parse_glossary, parse_ministries, split_names

DATA = Path(__file__).resolve().parents[1] / "src" / "ebpm" / "data" / "strategy-2023.txt"

GLOSSARY_START, GLOSSARY_END = 18853, 19417
MINISTRY_START, MINISTRY_END = 19418, 19515

# 178 entries, counted by reading 18857–19417 one by one: every entry starts with
# an abbreviation (ＡＩ … ６Ｇ, alphabetical, then ３Ｄ/５Ｇ/６Ｇ); 113 fit on one
# line, the other 65 continue over 2–4 non-blank lines (abbreviation alone, name,
# English name in parentheses, wrapped English). Matches "about 178" in the docs.
GLOSSARY_COUNT = 178
# 41 rows, counted by reading 19421–19507: 8 in the 内閣官房 block (ＮＩＳＣ … ＧＸ),
# 人事院, 15 in the 内閣府 block (内 … ＡＭＥＤ室), 6 Cabinet-Office-level bodies
# and agencies (公取, 警, 個人, 金融, デジ, 復) and 11 ministries (総 … 防). The
# docs say "about 42"; there are 41 abbreviations in the table.
MINISTRY_COUNT = 41


@pytest.fixture(scope="module")
def lines() -> list[str]:
    return DATA.read_text(encoding="utf-8").split("\n")


@pytest.fixture(scope="module")
def glossary(lines: list[str]) -> tuple[list[GlossaryEntry], set[int]]:
    return parse_glossary(lines, GLOSSARY_START, GLOSSARY_END)


@pytest.fixture(scope="module")
def ministries(lines: list[str]) -> tuple[list[Ministry], set[int]]:
    return parse_ministries(lines, MINISTRY_START, MINISTRY_END)


def _by_abbr(entries: list[GlossaryEntry]) -> dict[str, GlossaryEntry]:
    return {e.abbreviation: e for e in entries}


def _non_blank(lines: list[str], start: int, end: int) -> set[int]:
    return {n for n in range(start, end + 1) if lines[n - 1].strip()}


# --------------------------------------------------------------------------- glossary


def test_glossary_count(glossary: tuple[list[GlossaryEntry], set[int]]) -> None:
    entries, _ = glossary
    assert len(entries) == GLOSSARY_COUNT
    assert len({e.abbreviation for e in entries}) == GLOSSARY_COUNT
    assert entries[0].abbreviation == "ＡＩ"
    assert entries[-1].abbreviation == "６Ｇ"


@pytest.mark.parametrize(
    ("abbr", "name_ja", "name_en", "line", "line_end"),
    [
        # one line, Japanese + English
        ("ＡＩ", "人工知能", "Artificial Intelligence", 18857, 18857),
        # ASCII abbreviation with hyphen, no English
        ("AI-OCR", "人工知能技術を用いた光学文字認識機能", None, 18859, 18859),
        # English expansion only: no Japanese name
        ("ＡＬ", "", "Advanced Learning", 18861, 18861),
        # abbreviation alone, name and English on the next lines
        (
            "ＡＭＥＤ",
            "国立研究開発法人日本医療研究開発機構",
            "Japan Agency for Medical Research and Development",
            18863,
            18866,
        ),
        # half-width parenthesis, English wrapped over two lines
        (
            "A-STEP",
            "研究成果最適展開支援プログラム",
            "Adaptable and Seamless TEchnology Transfer Program through Target-driven R&D",
            18885,
            18888,
        ),
        # English in the middle of the name
        ("ＢＡ活動", "幅広いアプローチ活動", "Broader Approach：BA", 18890, 18890),
        # English starting on the first line (with a leading space) and wrapping
        (
            "ＣＯＰ15",
            "生物多様性条約第15回締約国会議",
            "The 15th meeting of the Conference of the Parties to the Convention on Biological Diversity",
            18933,
            18936,
        ),
        # leading space on the abbreviation line (page start)
        (
            "e-CSTI",
            "内閣府エビデンスシステム",
            "Evidence data platform constructed by Council for Science, Technology and Innovation",
            19020,
            19023,
        ),
        # unclosed parenthesis, no Japanese name in the source
        ("ＧＰＡＩ", "", "Global Partnership on AI", 19061, 19061),
        # mismatched brackets （…)
        ("ＧＸ", "グリーン・トランスフォーメーション", "Green transformation", 19076, 19079),
        # bracketed qualifier inside the abbreviation
        ("Ｇ空間（情報）", "地理空間情報", "Geotechnology", 19081, 19081),
        # name line starting with Latin capitals right after a lone abbreviation
        (
            "ＩＥＴＣ",
            "ＵＮＥＰ国際環境技術センター",
            "UNEP International Environmental Technology Centre",
            19114,
            19117,
        ),
        # abbreviation containing a space; indented last line
        (
            "K Program",
            "経済安全保障重要技術育成プログラム",
            "Key and Advanced Technology R&D through Cross Community Collaboration Program",
            19173,
            19179,
        ),
        # Japanese name line without the usual trailing space
        (
            "ＮＩＩ",
            "大学共同利用機関法人情報・システム研究機構国立情報学研究所",
            "National Institute of Informatics",
            19216,
            19219,
        ),
        # hyphen wrapped across lines
        (
            "ＯＥＣＭ",
            "保護地域以外で生物多様性保全に資する地域",
            "Other Effective area-based Conservation Measures",
            19243,
            19246,
        ),
        # whitespace-only line inside the entry
        (
            "ＳＳＡ",
            "高度専門産業支援人材育成プログラム",
            "Technology Startup Supporters Academy",
            19351,
            19357,
        ),
        # Japanese parenthesis kept in the Japanese name
        (
            "ＷＷＬ",
            "ワールド・ワイド・ラーニング（コンソーシアム構築支援事業）",
            None,
            19399,
            19399,
        ),
        ("３Ｄ", "３次元", "three dimensions", 19407, 19407),
        (
            "６Ｇ",
            "第６世代移動通信システム",
            "6th Generation Mobile Communication System",
            19414,
            19417,
        ),
    ],
)
def test_glossary_entries(
    glossary: tuple[list[GlossaryEntry], set[int]],
    abbr: str,
    name_ja: str,
    name_en: str | None,
    line: int,
    line_end: int,
) -> None:
    entry = _by_abbr(glossary[0])[abbr]
    assert entry == GlossaryEntry(abbr, name_ja, name_en, line, line_end)


def test_glossary_nested_parentheses(glossary: tuple[list[GlossaryEntry], set[int]]) -> None:
    entry = _by_abbr(glossary[0])["ＢＲＩＤＧＥ"]
    assert entry.name_ja == "研究開発とSociety 5.0との橋渡しプログラム"
    assert entry.name_en is not None
    assert entry.name_en.startswith("programs for Bridging the gap")
    assert "(society 5.0) and Generating Economic and social value" in entry.name_en
    assert (entry.line, entry.line_end) == (18903, 18909)


def test_glossary_raw_text_kept(glossary: tuple[list[GlossaryEntry], set[int]]) -> None:
    for entry in glossary[0]:
        assert entry.abbreviation == entry.abbreviation.strip() != ""
        assert entry.name_ja == entry.name_ja.strip()
        assert entry.name_ja or entry.name_en
        assert entry.line <= entry.line_end
    # full-width letters are not NFKC-folded
    assert "ＳＤＧｓ" in _by_abbr(glossary[0])


def test_glossary_covers_every_line(lines: list[str], glossary: tuple[list[GlossaryEntry], set[int]]) -> None:
    entries, consumed = glossary
    expected = _non_blank(lines, GLOSSARY_START, GLOSSARY_END)
    assert consumed == expected
    assert {18853, 18855} <= consumed  # headers
    # entries do not overlap and are in order
    for a, b in itertools.pairwise(entries):
        assert a.line_end < b.line


# --------------------------------------------------------------------------- ministries


def test_ministry_count(ministries: tuple[list[Ministry], set[int]]) -> None:
    rows, _ = ministries
    assert len(rows) == MINISTRY_COUNT
    assert len({m.abbreviation for m in rows}) == MINISTRY_COUNT


def test_vertical_group_rows(ministries: tuple[list[Ministry], set[int]]) -> None:
    by = {m.abbreviation: m for m in ministries[0]}
    assert by["ＮＩＳＣ"] == Ministry("ＮＩＳＣ", "内閣サイバーセキュリティセンター", "内閣官房", 19421)
    assert by["内"] == Ministry("内", "大臣官房", "内閣府", 19443)


def test_ministry_groups(ministries: tuple[list[Ministry], set[int]]) -> None:
    rows = ministries[0]
    by = {m.abbreviation: m for m in rows}
    cabinet_secretariat = [m.abbreviation for m in rows if m.group == "内閣官房"]
    assert cabinet_secretariat == [
        "ＮＩＳＣ",
        "内閣人事局",
        "ＩＴ",
        "経協インフラ",
        "地理空間",
        "デジタル市場",
        "万博",
        "ＧＸ",
    ]
    cabinet_office = [m.abbreviation for m in rows if m.group == "内閣府"]
    assert cabinet_office[0] == "内"
    assert cabinet_office[-1] == "ＡＭＥＤ室"
    assert len(cabinet_office) == 15
    assert by["内閣人事局"] == Ministry("内閣人事局", "内閣人事局", "内閣官房", 19427)
    assert by["ＧＸ"] == Ministry("ＧＸ", "内閣官房ＧＸ実行推進室", "内閣官房", 19439)
    assert by["科技"] == Ministry("科技", "科学技術・イノベーション推進事務局", "内閣府", 19465)
    assert by["人"] == Ministry("人", "人事院", None, 19441)
    assert by["公取"] == Ministry("公取", "公正取引委員会", None, 19477)
    assert by["金融"] == Ministry("金融", "金融庁", None, 19482)
    assert by["総"] == Ministry("総", "総務省 公害等調整委員会 消防庁", None, 19488)
    assert by["経"] == Ministry("経", "経済産業省 資源エネルギー庁 特許庁 中小企業庁", None, 19501)
    assert by["防"] == Ministry("防", "防衛省 防衛装備庁", None, 19507)


def test_ministries_cover_every_line(lines: list[str], ministries: tuple[list[Ministry], set[int]]) -> None:
    _, consumed = ministries
    assert consumed == _non_blank(lines, MINISTRY_START, MINISTRY_END)
    assert {19418, 19419, 19421, 19423, 19425, 19443, 19445, 19447} <= consumed


def test_regions_do_not_overlap(lines: list[str]) -> None:
    _, g = parse_glossary(lines, GLOSSARY_START, GLOSSARY_END)
    _, m = parse_ministries(lines, MINISTRY_START, MINISTRY_END)
    assert not g & m
    # a sub-range parses the entries it contains
    entries, _ = parse_glossary(lines, GLOSSARY_START, GLOSSARY_START + 10)
    assert [e.abbreviation for e in entries] == ["ＡＩ", "AI-OCR", "ＡＬ", "ＡＭＥＤ"]


# --------------------------------------------------------------------------- split_names


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", ("", None)),
        ("人工知能（Artificial Intelligence）", ("人工知能", "Artificial Intelligence")),
        ("Advanced Learning", ("", "Advanced Learning")),
        ("東北メディカル・メガバンク（計画）", ("東北メディカル・メガバンク（計画）", None)),
        ("（Global Partnership on AI", ("", "Global Partnership on AI")),
        (
            "VHF データ交換システム（VHF Data Exchange System）",
            ("VHF データ交換システム", "VHF Data Exchange System"),
        ),
    ],
)
def test_split_names(text: str, expected: tuple[str, str | None]) -> None:
    assert split_names(text) == expected


# --------------------------------------------------------------------------- robustness


JUNK = [
    "",
    " ",
    "（",
    ")))",
    "ＡＢＣ",
    "ＡＢＣ （open",
    "Transfer Program",
    "略称 正式名称",
    "略称 府省名",
    "※",
    "\t\u3000",
    "内",
    "内閣府",
    "x" * 500,
    "ＮＩＳＣ 内閣官房 （",
]


@pytest.mark.parametrize(
    ("start", "end"),
    [(1, len(JUNK)), (0, 0), (5, 2), (-10, 3), (3, 10_000), (10_000, 20_000), (1, 1)],
)
def test_junk_never_raises(start: int, end: int) -> None:
    for parse in (parse_glossary, parse_ministries):
        items, consumed = parse(JUNK, start, end)
        assert isinstance(items, list)
        assert all(1 <= n <= len(JUNK) for n in consumed)
        assert all(JUNK[n - 1].strip() for n in consumed)


def test_empty_input() -> None:
    assert parse_glossary([], 1, 10) == ([], set())
    assert parse_ministries([], 1, 10) == ([], set())


def test_orphan_lines_left_unconsumed() -> None:
    lines = ["（Dangling English）", "ひらがなだけ", "ＡＢＣ 名前", "略称 正式名称"]
    entries, consumed = parse_glossary(lines, 1, 4)
    assert entries == [GlossaryEntry("ＡＢＣ", "名前", None, 3, 3)]
    assert consumed == {3, 4}
    rows, consumed = parse_ministries(["孤立"], 1, 1)
    assert rows == []
    assert consumed == set()


def test_real_file_out_of_range(lines: list[str]) -> None:
    assert parse_glossary(lines, len(lines) + 5, len(lines) + 50) == ([], set())
    assert parse_ministries(lines, MINISTRY_END, MINISTRY_START) == ([], set())


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.text(max_size=40), max_size=30),
    st.integers(min_value=-5, max_value=40),
    st.integers(min_value=-5, max_value=40),
)
def test_fuzz_never_raises(lines: list[str], start: int, end: int) -> None:
    entries, consumed = parse_glossary(lines, start, end)
    rows, consumed2 = parse_ministries(lines, start, end)
    for n in consumed | consumed2:
        assert 1 <= n <= len(lines)
        assert lines[n - 1].strip()
        assert max(1, start) <= n <= end
    assert len(consumed) >= len(entries)
    assert len(consumed2) >= len(rows)


def test_a_repeated_abbreviation_is_reported_not_a_failed_ingest(tmp_path: Path, lines: list[str]) -> None:
    """A glossary line written twice (18857, ＡＩ) crashed the ingest with a UNIQUE constraint on the
    search index; the first entry is kept and the repeat is a warning."""
    from ebpm.services.ingest import ingest

    line = next(n for n, text in enumerate(lines, start=1) if text.startswith("ＡＩ 人工知能"))
    doubled = [*lines[:line], lines[line - 1], *lines[line:]]
    source = tmp_path / "strategy.txt"
    source.write_text("\n".join(doubled), encoding="utf-8")
    doc, _ = ingest(source, tmp_path / "kb.sqlite")
    assert [g.abbreviation for g in doc.glossary].count("ＡＩ") == 1
    assert any("lists ＡＩ again" in w and f"first on line {line}" in w for w in doc.warnings)
