"""Unit tests for the indicator-block parser (主要指標 / 参考指標).

Every expected value below was read off the bundled source by hand; the block
slices are cut from the file here (header, blank lines and footnote blocks
left out, as the caller does).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ebpm.model import Indicator
from ebpm.parser.indicators import parse_indicator_block, parse_period, parse_value

DATA = Path(__file__).resolve().parents[1] / "src" / "ebpm" / "data" / "strategy-2023.txt"
FOOTNOTES = frozenset(range(1, 189))


@pytest.fixture(scope="module")
def source() -> list[str]:
    return DATA.read_text(encoding="utf-8").split("\n")


def cut(source: list[str], *ranges: tuple[int, int]) -> list[tuple[int, str]]:
    """Non-blank lines of the given inclusive 1-based ranges, as the caller passes them."""
    return [(i, source[i - 1]) for a, b in ranges for i in range(a, b + 1) if source[i - 1].strip()]


def values(ind: Indicator) -> list[tuple[str, float | None, str | None]]:
    return [(v.text, v.number, v.unit) for v in ind.values]


# ---------------------------------------------------------------------------
# parse_value
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "number", "unit"),
    [
        ("22,222件", 22222.0, "件"),  # 1396
        ("事業会社 56.9%", 56.9, "%"),  # 1397
        ("名⽬国内総⽣産額 51.0兆円", 51.0, "兆円"),  # 1398 (ref 25 removed)
        ("29位／63か国中", 29.0, "位"),  # 1399
        ("学術データ 748サイト", 748.0, "サイト"),  # 1401
        ("５Ｇ基盤展開率 43.7%", 43.7, "%"),  # 1403: ５ belongs to ５Ｇ
        ("光ファイバ未整備世帯数 16万世帯", 16.0, "万世帯"),  # 1403
        ("リテラシーレベル 217件", 217.0, "件"),  # 1420
        ("応⽤基礎レベル 68 件", 68.0, "件"),  # 1422
        ("27,655 億円", 27655.0, "億円"),  # 1423
        ("ＳＤＧｓ達成度・スコア 79.6", 79.6, None),  # 1325
        ("SDG Global rank 19位", 19.0, "位"),  # 1326
        ("家計所得 29,300.22ＵＳＤ／⼈", 29300.22, "USD/人"),  # 1328
        ("家計資産 185,655.56 ＵＳＤ／⼈", 185655.56, "USD/人"),  # 1329
        ("Ｓ80／Ｓ20所得⽐率 6.22", 6.22, None),  # 1329: 80, 20 are in the label
        ("男性 72.68歳", 72.68, "歳"),  # 1331
        ("実質ＧＤＰ 525.79兆円", 525.79, "兆円"),  # 1332
        ("実質ＧＤＰ成⻑率 −4.5%（前年度⽐）", -4.5, "%"),  # 1332
        ("ＩＭＤ世界競争⼒ランキング 34位／64か国", 34.0, "位"),  # 1333
        ("実質ゼロ", None, None),  # 2535
        ("約49万円/トン", 49.0, "万円/トン"),  # 2536
        ("2000年度の約2倍", 2.0, "倍"),  # 2537: 2000 is a year
        ("948地⽅公共団体", 948.0, "地方公共団体"),  # 2557
        ("78社", 78.0, "社"),  # 2560
        ("11億7,000万トン", 117000.0, "万トン"),  # 2561
        ("⽇本の投資残⾼ 約1兆3,204億円", 13204.0, "億円"),  # 18325
        ("⽇本の投資残⾼ 約494兆円", 494.0, "兆円"),  # 18324
        ("100年当たり1. 30℃", 1.3, "°C"),  # 2562: "1. 30" as extracted
        ("約46.0万円／トン", 46.0, "万円/トン"),  # 2563
        ("全都道府県", None, None),  # 4389
        ("100以上", 100.0, None),  # 4390
        ("186⼈", 186.0, "人"),  # 4413
        ("約0.6兆円", 0.6, "兆円"),  # 4414
        ("約328回／年", 328.0, "回/年"),  # 4415
        ("約75％", 75.0, "%"),  # 4416
        ("570 億円", 570.0, "億円"),  # 5742
        ("３％", 3.0, "%"),  # 5743: full-width digit
        ("1,200 名", 1200.0, "名"),  # 5744
        ("対 2018 年度⽐で約７割増加", 7.0, "割"),  # 5747
        ("⼤学等発 244社", 244.0, "社"),  # 5766
        ("年間ＶＣ等投資額 3,418億円／1,915件", 3418.0, "億円"),  # 5769
        ("100 程度", 100.0, None),  # 7379
        ("1,000 団体以上", 1000.0, "団体"),  # 7384
        ("52", 52.0, None),  # 7391
        ("78地域", 78.0, "地域"),  # 7396
        ("上位100社に⽶国は64社", 64.0, "社"),  # 7895
        ("⽇本は1３社", 13.0, "社"),  # 7895: mixed-width digits
        ("転換事業数 66事業", 66.0, "事業"),  # 7897
        ("⾷料⾃給率：38%（カロリーベース）", 38.0, "%"),  # 7901
        ("科学技術関⼼度（男性 69.2%、⼥性 52.8%）", 69.2, "%"),  # 7909
        ("283領域", 283.0, "領域"),  # 9548
        ("パテントファミリーに引⽤されている論⽂数 74,794 本", 74794.0, "本"),  # 9551
        ("⼈⼝100万⼈当たり120⼈", 120.0, "人"),  # 9670
        ("22.1％", 22.1, "%"),  # 9671
        ("844個", 844.0, "個"),  # 11904
        ("年間32.3ペタflops", 32.3, "ペタflops"),  # 11907
        ("東京⼤学（1.5%）", 1.5, "%"),  # 13216
        ("算数（⼩学校）77％", 77.0, "%"),  # 13899
        ("普通教室の⼤型掲⽰装置整備率86.3％", 86.3, "%"),  # 13907
        ("65,879⼈", 65879.0, "人"),  # 13909
        ("約 30 兆円", 30.0, "兆円"),  # 18296
        ("対ＧＤＰ⽐４％の⽬標に対して3.59％", 3.59, "%"),  # 18302
        ("約6,000億円", 6000.0, "億円"),  # 18306
        ("2025 年度までに", None, None),  # 9656: a date only
    ],
)
def test_parse_value_real_forms(text: str, number: float | None, unit: str | None) -> None:
    value = parse_value(text)
    assert value.text == text
    assert value.number == pytest.approx(number) if number is not None else value.number is None
    assert value.unit == unit


def test_parse_value_strips_ends_only() -> None:
    assert parse_value("  事業会社 56.9% ").text == "事業会社 56.9%"


@pytest.mark.parametrize(
    ("text", "number", "unit"),
    [
        ("▲3.5%", -3.5, "%"),
        ("－2件", -2.0, "件"),
        ("2-3件", 2.0, None),  # a range, not a negative number
        ("1,2,3", 1.0, None),  # malformed grouping keeps the first group
        ("5,000,000円", 5_000_000.0, "円"),
    ],
)
def test_parse_value_edge_forms(text: str, number: float, unit: str | None) -> None:
    value = parse_value(text)
    assert value.number == pytest.approx(number)
    assert value.unit == unit


# ---------------------------------------------------------------------------
# parse_period
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2022年", (2022, None)),  # 1325
        ("2022 年", (2022, None)),  # 1419
        ("2021 年度", (None, 2021)),  # 1423
        ("2023年３⽉時点", (2023, None)),  # 1402
        ("2022年３⽉末時点", (2022, None)),  # 1403
        ("2023年5⽉末", (2023, None)),  # 2557
        ("2023年３⽉31⽇", (2023, None)),  # 2560
        ("2021年度（確報値）", (None, 2021)),  # 2561
        ("1898年から2022年の間", (None, None)),  # 2562
        ("2013年〜2022年平均", (None, None)),  # 4415
        ("2021年度設⽴", (None, 2021)),  # 5766
        ("2022年１⽉末時点、暫定値", (2022, None)),  # 7392
        ("2022年12⽉時点", (2022, None)),  # 7895
        ("2015年〜2020年", (None, None)),  # 9548
        ("整数カウント、2018年〜2020年の３年移動平均", (None, None)),  # 9553
        ("2018年〜2020年（３年平均）", (None, None)),  # 9666
        ("2020 年度時点、17.7％", (None, 2020)),  # 9660
        ("いずれも2019年", (2019, None)),  # 13899
        ("いずれも2022年６⽉", (2022, None)),  # 13904
        ("2025 年度", (None, 2025)),  # 5742
        ("令和４年", (2022, None)),
        ("平成元年度", (None, 1989)),
        ("前年度⽐", (None, None)),
        ("カロリーベース", (None, None)),
        ("", (None, None)),
    ],
)
def test_parse_period(text: str, expected: tuple[int | None, int | None]) -> None:
    assert parse_period(text) == expected


# ---------------------------------------------------------------------------
# Real blocks
# ---------------------------------------------------------------------------


def test_block_1395_with_footnote_block_removed(source: list[str]) -> None:
    lines = cut(source, (1396, 1403), (1419, 1423))  # footnotes 1406–1418 left out
    inds, used = parse_indicator_block("reference", "1", lines, FOOTNOTES, "ref.1")
    assert used == {i for i, _ in lines}
    assert [i.id for i in inds] == [f"ref.1.{n}" for n in range(1, 12)]
    assert all(i.block == "reference" and i.section == "1" for i in inds)
    assert [i.footnotes for i in inds] == [
        [23], [24], [25, 26], [27], [28], [29], [30], [31, 32], [33], [34], [35]
    ]  # fmt: skip
    assert [(i.line, i.line_end) for i in inds][-2:] == [(1420, 1422), (1423, 1423)]

    ict = inds[2]
    assert ict.name == "ＩＣＴ市場規模"
    assert values(ict) == [("名⽬国内総⽣産額 51.0兆円", 51.0, "兆円")]
    assert (ict.date, ict.year, ict.fiscal_year) == ("2020年", 2020, None)
    assert ict.text == "ＩＣＴ市場規模：名⽬国内総⽣産額25 51.0兆円（2020年）26"

    dx = inds[1]
    assert values(dx) == [("事業会社 56.9%", 56.9, "%"), ("ＩＴ企業 51.9%", 51.9, "%")]

    meta = inds[6]
    assert meta.name == "研究データ基盤システム上で検索可能な研究データの公開メタデータ"
    assert (meta.date, meta.year) == ("2023年３⽉時点", 2023)

    net = inds[7]
    assert net.name == "通信網の整備状況"
    assert values(net) == [
        ("５Ｇ基盤展開率 43.7%", 43.7, "%"),
        ("光ファイバ未整備世帯数 16万世帯", 16.0, "万世帯"),
    ]
    assert net.date == "2022年３⽉末時点"

    assert inds[0].date is None and inds[0].year is None
    assert inds[8].name == "Society 5.0 の認知度、サービスへの期待・不安"
    assert (inds[8].date, inds[8].year) == ("2022 年", 2022)
    assert values(inds[9]) == [
        ("リテラシーレベル 217件", 217.0, "件"),
        ("応⽤基礎レベル 68 件", 68.0, "件"),
    ]
    assert (inds[10].date, inds[10].year, inds[10].fiscal_year) == ("2021 年度", None, 2021)


def test_block_1323_grand_goal_data(source: list[str]) -> None:
    inds, _ = parse_indicator_block("reference", "1", cut(source, (1325, 1333)), FOOTNOTES, "g")
    assert [i.footnotes for i in inds] == [[18], [19], [20], [21], [22]]
    sdg, life, _, gdp, imd = inds
    assert sdg.name == "The Sustainable Development Goals Report"
    assert values(sdg) == [
        ("ＳＤＧｓ達成度・スコア 79.6", 79.6, None),
        ("SDG Global rank 19位", 19.0, "位"),
    ]
    assert sdg.text.endswith("（2022年）、SDG Global rank 19位（2022年）18")
    assert life.name == "より良い暮らし指標（Better Life Index）"
    assert [v.unit for v in life.values] == ["USD/人", "USD/人", None]
    assert life.date == "2017年"  # the first date of the item
    assert values(gdp)[1] == ("実質ＧＤＰ成⻑率 −4.5%（前年度⽐）", -4.5, "%")
    assert values(imd) == [("ＩＭＤ世界競争⼒ランキング 34位／64か国", 34.0, "位")]


def test_block_2541_refs_inside_names_and_glued(source: list[str]) -> None:
    # 2541 header; footnotes 2544–2548 and page number 2551 come before the items
    inds, _ = parse_indicator_block("reference", "2", cut(source, (2554, 2564)), FOOTNOTES, "r")
    assert [i.footnotes for i in inds] == [
        [49], [], [50], [51], [52, 53], [54], [55], [56, 57, 58], [59]
    ]  # fmt: skip
    assert inds[0].name.endswith("ゼロエミッション・イニシアティブズ）の進捗状況")
    assert inds[0].values == []
    re100 = inds[4]
    assert re100.name == "ＲＥ100加盟企業数（⽇本）"  # 100 is part of the name, 52 a ref
    assert values(re100) == [("78社", 78.0, "社")]
    assert (re100.date, re100.year) == ("2023年３⽉31⽇", 2023)
    ghg = inds[5]
    assert (ghg.date, ghg.fiscal_year) == ("2021年度（確報値）", 2021)  # nested brackets
    temp = inds[6]
    assert (temp.date, temp.year, temp.fiscal_year) == ("1898年から2022年の間", None, None)


def test_block_5741_item_split_by_footnote_block(source: list[str]) -> None:
    lines = cut(source, (5742, 5751), (5763, 5763))  # footnotes 5753–5762 left out
    inds, used = parse_indicator_block("kpi", "2", lines, FOOTNOTES, "k")
    assert len(inds) == 6 and used == {i for i, _ in lines}
    assert inds[0].name == "ＳＢＩＲ制度に基づくスタートアップ等への⽀出⽬標"
    assert inds[0].footnotes == [84, 85]
    assert (inds[0].date, inds[0].fiscal_year) == ("2025 年度", 2025)
    assert values(inds[3]) == [
        ("2025 年度までに", None, None),
        ("対 2018 年度⽐で約７割増加", 7.0, "割"),
    ]
    assert (inds[4].date, inds[4].year, inds[4].footnotes) == ("2025 年", 2025, [])
    last = inds[5]
    assert (last.line, last.line_end) == (5751, 5763)
    assert last.name.endswith("上場ベンチャー企業創出数")  # ャー企業89創出数: 89 is a ref
    assert last.footnotes == [89, 90]
    assert values(last) == [("50 社", 50.0, "社")]


def test_block_9664_several_values_nested_brackets(source: list[str]) -> None:
    inds, _ = parse_indicator_block("reference", "2", cut(source, (9665, 9672)), FOOTNOTES, "r")
    assert [i.footnotes for i in inds] == [[130], [131], [132], [133], [134], [135]]
    share = inds[1]
    assert share.name == "総論⽂数及びその国際シェア"
    assert values(share) == [("86,317本", 86317.0, "本"), ("5.0%", 5.0, "%")]
    assert share.date == "2018年〜2020年（３年平均）"
    assert (share.year, share.fiscal_year) == (None, None)
    wrapped = inds[2]
    assert (wrapped.line, wrapped.line_end) == (9667, 9669)
    assert wrapped.date == "2015年〜2020年"
    assert values(wrapped) == [("283領域", 283.0, "領域"), ("31%", 31.0, "%")]
    assert values(inds[3]) == [("⼈⼝100万⼈当たり120⼈", 120.0, "人")]
    assert inds[3].fiscal_year == 2019


def test_block_1388_sub_lines(source: list[str]) -> None:
    inds, used = parse_indicator_block("kpi", "1", cut(source, (1389, 1392)), FOOTNOTES, "k")
    assert len(inds) == 1 and used == {1389, 1391, 1392}
    (item,) = inds
    assert item.name == "スタートアップや研究者を含めた誰もが、分野間でデータを連携・接続できる環境を整備"
    assert [v.text for v in item.values] == [
        "防災：全都道府県",
        "スマートシティ：100程度の地⽅公共団体・地域（スタートアップ・エコシステム拠点都市を含む）",
    ]
    assert item.values[1].number == 100.0
    assert item.text.startswith("スタートアップや研究者")
    assert "環境を整備 防災：全都道府県 スマートシティ" in item.text


def test_block_7891_sub_lines_with_square_bracket_dates(source: list[str]) -> None:
    inds, _ = parse_indicator_block("reference", "1", cut(source, (7892, 7909)), FOOTNOTES, "r")
    assert len(inds) == 9
    assert inds[0].values[0].text == "（2021年度実績からの計測に努める）"  # bracket is the value
    assert inds[0].date is None
    assert [v.number for v in inds[1].values] == [64.0, 13.0, 13.0]
    food = inds[5]
    assert (food.line, food.line_end) == (7899, 7903)
    assert (food.date, food.fiscal_year) == ("2021年度", 2021)
    assert values(food)[:2] == [
        ("⾷料⾃給率：38%（カロリーベース）", 38.0, "%"),
        ("63％（⽣産額ベース）", 63.0, "%"),
    ]
    assert values(food)[-1] == ("交通事故死者数：2,636⼈", 2636.0, "人")
    assert inds[6].values == [] and inds[6].name == "課題・分野別の論⽂、知財、標準化"
    assert inds[8].footnotes == [115]
    assert values(inds[8]) == [("科学技術関⼼度（男性 69.2%、⼥性 52.8%）", 69.2, "%")]


def test_block_7376_glued_references(source: list[str]) -> None:
    lines = cut(source, (7377, 7379), (7383, 7387))  # footnote 7382 left out
    inds, _ = parse_indicator_block("kpi", "2", lines, FOOTNOTES, "k")
    assert [i.footnotes for i in inds] == [[102], [103], [104, 105]]  # "104105" at 7387
    assert values(inds[2]) == [("26 件", 26.0, "件")]
    assert inds[1].line == 7383  # " ・ " bullet after a page break


def test_refs_in_prose_kpis_follow_sequence(source: list[str]) -> None:
    # 111–113 are glued to words followed by を; no reference ends an item.
    lines = cut(source, (7871, 7880), (7885, 7887))
    inds, _ = parse_indicator_block("kpi", "2", lines, FOOTNOTES, "k")
    assert [i.footnotes for i in inds] == [[], [111], [112, 113]]
    # 122 and 124 are mid-sentence, between the unambiguous 123 and 125.
    lines = cut(source, (9630, 9635), (9646, 9662))
    inds, _ = parse_indicator_block("kpi", "2", lines, FOOTNOTES, "k")
    assert [i.footnotes for i in inds] == [[122], [123], [124], [125, 126], [], [127, 128], [129]]
    # 70 and 57 count 機関 (institutions) and are not references.
    inds, _ = parse_indicator_block("reference", "2", cut(source, (11908, 11910)), FOOTNOTES, "r")
    assert inds[0].footnotes == [151]


def test_footnote_numbers_restrict_references() -> None:
    lines = [(10, "・ 指標：5件（2022年）23 "), (11, "・ 指標２：7件（2022年）24 ")]
    inds, _ = parse_indicator_block("reference", "x", lines, {23}, "p")
    assert [i.footnotes for i in inds] == [[23], []]


def test_bullet_without_space_and_orphan_lines() -> None:
    lines = [(1, "先頭の行"), (2, "・指標：12件（2021年度）"), (3, "続き")]
    inds, used = parse_indicator_block("kpi", "x", lines, FOOTNOTES, "p")
    assert [i.name for i in inds] == ["先頭の行", "指標"]
    assert inds[1].line_end == 3 and used == {1, 2, 3}


# ---------------------------------------------------------------------------
# Robustness
# ---------------------------------------------------------------------------


def test_empty_input() -> None:
    assert parse_indicator_block("kpi", "", [], FOOTNOTES, "p") == ([], set())
    assert parse_value("").number is None
    assert parse_period("") == (None, None)


@pytest.mark.parametrize(
    "raw",
    [
        "・",
        "・ ：",
        "（（（",
        "））【",
        "・ a：（2020年",
        "・ 123456789012345678901234567890",
        "9" * 5000,
    ],
)
def test_odd_lines_do_not_raise(raw: str) -> None:
    inds, used = parse_indicator_block("reference", "s", [(1, raw), (2, raw)], FOOTNOTES, "p")
    assert used <= {1, 2}
    assert all(i.id.startswith("p.") for i in inds)


_TEXT = st.text(alphabet=st.sampled_from(list("・ ：、（）【】()年度月0123456789１２.,%件億円−〜abＡ")))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 20000), _TEXT), max_size=8), st.sets(st.integers(0, 200)))
def test_random_blocks_never_raise(lines: list[tuple[int, str]], footnotes: set[int]) -> None:
    inds, used = parse_indicator_block("kpi", "s", lines, footnotes, "p")
    assert used <= {i for i, _ in lines}
    for ind in inds:
        assert all(n in footnotes for n in ind.footnotes)


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_random_text_never_raises(text: str) -> None:
    parse_value(text)
    parse_period(text)
    parse_indicator_block("reference", "s", [(1, text)], FOOTNOTES, "p")
