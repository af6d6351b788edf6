"""Ministry tags: normalization, resolution against the ministry list, and what is not a ministry."""

from __future__ import annotations

import pytest

from ebpm.model import Document
from ebpm.parser.tags import has_trailing_tag, is_ministry_tag, is_reposted, parse_tags
from ebpm.sources.normalize import compact

KNOWN = {"IT", "規制", "科技", "文", "経", "内閣人事局", "人", "健康医療", "デジ", "総", "宇宙"}


@pytest.mark.parametrize(
    ("text", "ministries", "other"),
    [
        ("…を行う。【ＩＴ、規制、関係府省】", ["IT", "規制", "関係府省"], []),
        ("…させる。【ＩＴ37】", ["IT"], []),  # footnote 37 glued inside the tag
        ("【科技・⽂】", ["科技", "文"], []),  # ・ separates too; Kangxi ⽂ folds to 文
        ("【健 康 医療】", ["健康医療"], []),  # letter-spaced
        ("【デジ、総、】", ["デジ", "総"], []),  # trailing separator
        ("【科技、⽂経】", ["科技", "文", "経"], []),  # 文経: two abbreviations run together
        # 全省庁 is named 全府省, its one name
        ("【内閣⼈事局、⼈、科技、全省庁】", ["内閣人事局", "人", "科技", "全府省"], []),
        ("【ＩＳＳ延⻑期間】", [], ["ＩＳＳ延⻑期間"]),  # not a ministry: kept as text
        ("【2021年度】", [], ["2021年度"]),
        ("【宇宙、未知の室】", ["宇宙"], ["未知の室"]),  # an unknown entry is kept, not dropped
    ],
)
def test_parse_tags(text: str, ministries: list[str], other: list[str]) -> None:
    tags = parse_tags(text, KNOWN)
    assert tags.ministries == ministries
    assert tags.other == other


def test_trailing_tag_and_repost() -> None:
    assert has_trailing_tag("…を推進。【⽂】")
    assert has_trailing_tag("…を推進。【⽂】（再掲）")
    assert not has_trailing_tag("【⽂】の取組を推進。")
    assert is_reposted("…を推進。（再\n掲）【⽂】".replace("\n", ""))
    assert is_reposted("（再 掲）")


def test_bracketed_headings_are_not_ministry_tags() -> None:
    assert is_ministry_tag("【経済安保、経、厚】")
    assert not is_ministry_tag("【ＩＳＳ延⻑期間】")
    assert not is_ministry_tag("【ポストＩＳＳを⾒据えた取組】")


def test_every_owner_in_the_document_resolves(doc: Document) -> None:
    """Across all 218 rows, every tag entry names a known owner; bracketed headings are topics."""
    known = {compact(m.abbreviation) for m in doc.ministries}
    topics: set[str] = set()
    for m in doc.measures:
        for cell in [m.commitment, *m.status, *m.actions]:
            for owner in cell.ministries:
                # generic owners under one name each (関係府省庁 and 関係省庁 are 関係府省)
                generic = {"関係府省", "全府省", "関係地方公共団体", "内閣官房"}
                assert owner in known or owner in generic, (m.id, owner)
            assert cell.other_tags == [], (m.id, cell.other_tags)
            topics.add(cell.topic or "")
    assert any("【ＩＳＳ延⻑期間】" in t for t in topics)
    assert any("【ポストＩＳＳを⾒据えた取組】" in t for t in topics)
