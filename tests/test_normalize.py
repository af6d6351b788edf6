"""Normalization of the extractor's text: look-alike ideographs, spacing, wrapped lines."""

from __future__ import annotations

import unicodedata

import pytest

from ebpm.sources.normalize import RADICALS_SUPPLEMENT, compact, join_wrapped, normalize


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("⽂部科学省", "文部科学省"),  # U+2F42 KANGXI RADICAL SCRIPT
        ("⼤⽬標", "大目標"),
        ("⽅向性", "方向性"),
        ("⼈材育成", "人材育成"),
        ("⽇本", "日本"),
        ("⾼等専⾨学校", "高等専門学校"),
    ],
)
def test_kangxi_lookalikes_fold_by_nfkc(raw: str, expected: str) -> None:
    assert any(0x2F00 <= ord(c) <= 0x2FDF for c in raw)
    assert normalize(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("⺠", "民"), ("⻑", "長"), ("⻄", "西"), ("⻘", "青"), ("⻭", "歯"), ("⻲", "亀"), ("⻨", "麦")],
)
def test_radicals_supplement_mapped_explicitly(raw: str, expected: str) -> None:
    assert unicodedata.normalize("NFKC", raw) == raw  # NFKC alone leaves them
    assert normalize(raw) == expected
    assert RADICALS_SUPPLEMENT[ord(raw)] == expected


def test_radicals_supplement_in_words() -> None:
    assert normalize("⺠間企業") == "民間企業"
    assert normalize("中⻑期的") == "中長期的"
    assert normalize("⻄⽇本") == "西日本"
    assert normalize("⼩⻨") == "小麦"


def test_black_maps_to_japanese_form() -> None:
    assert unicodedata.normalize("NFKC", "⿊") == "黑"
    assert normalize("⿊") == "黒"
    assert normalize("⽬⿊区") == "目黒区"  # as in footnote 17 (line 1204)


def test_fullwidth_and_structure_markers() -> None:
    assert normalize("ＡＩ１２３") == "AI123"
    assert normalize("（１）") == "(1)"
    assert normalize("①") == "1"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2021 年", "2021年"),
        ("2021 年 3 ⽉ 26 ⽇", "2021年3月26日"),
        ("78 地域", "78 地域"),  # 地 is not a unit
        ("1,000 団体", "1,000 団体"),
        ("4,500 件", "4,500件"),
        ("50 ％", "50%"),
        ("第 6 期", "第 6 期"),
    ],
)
def test_number_unit_spacing(raw: str, expected: str) -> None:
    assert normalize(raw) == expected


def test_whitespace_collapsed_and_stripped() -> None:
    assert normalize("  健康\u3000\u3000医療\t 分野  ") == "健康 医療 分野"


def test_compact_removes_letter_spacing() -> None:
    assert compact("健 康 医療") == "健康医療"
    assert compact(" 科 技 ") == "科技"
    assert compact("⽂ 科") == "文科"


def test_join_wrapped_japanese_concatenates() -> None:
    assert join_wrapped(["スマートシテ", "ィ関係事業における、"]) == "スマートシティ関係事業における、"


def test_join_wrapped_keeps_space_between_english_words() -> None:
    assert join_wrapped(["Sustainable Development", "Report 2022"]) == "Sustainable Development Report 2022"
    assert join_wrapped(["Society", "5.0"]) == "Society 5.0"


def test_join_wrapped_mixed_and_blank_parts() -> None:
    assert join_wrapped(["ＡＩ", "", "  ", "の活用 "]) == "ＡＩの活用"
    assert join_wrapped(["Japan", "日本"]) == "Japan日本"
    assert join_wrapped(["日本", "Japan"]) == "日本Japan"
    assert join_wrapped([]) == ""


def test_raw_text_is_not_normalized_by_join() -> None:
    # join_wrapped keeps the raw characters for display; only normalize folds them
    assert join_wrapped(["⽂部", "科学省"]) == "⽂部科学省"
