"""Ministry tags ``【…】`` and re-post markers inside measure cells."""

from __future__ import annotations

import re
from collections.abc import Set
from dataclasses import dataclass

from ebpm.sources.normalize import compact

GENERIC_OWNERS = frozenset({"関係府省", "関係府省庁", "関係省庁", "全府省", "関係地方公共団体", "内閣官房"})

_TAG = re.compile(r"【([^【】]*)】")
_REPOST = re.compile(r"[（(]\s*再\s*掲\s*[）)]")
_GLUED_FOOTNOTE = re.compile(r"^(.*?\D)(\d{1,3})$")
# a trailing tag, optionally followed by a re-post marker or a glued footnote number
_TRAILING_TAG = re.compile(r"【[^【】]*】\s*(?:[（(]\s*再\s*掲\s*[）)])?\s*\d{0,3}\s*$")


@dataclass(slots=True)
class Tags:
    ministries: list[str]
    other: list[str]


def _resolve(part: str, known: Set[str]) -> str | None:
    if part in known or part in GENERIC_OWNERS:
        return part
    m = _GLUED_FOOTNOTE.match(part)  # 【ＩＴ37】: a footnote number glued inside the tag
    if m and (m.group(1) in known or m.group(1) in GENERIC_OWNERS):
        return m.group(1)
    return None


def parse_tags(text: str, known: Set[str]) -> Tags:
    """Split every ``【…】`` in ``text`` into ministries and other bracketed text.

    ``known`` holds the NFKC, space-free abbreviations of the ministry list. A
    tag counts as a ministry tag only if every non-empty part resolves; anything
    else (``【ＩＳＳ延⻑期間】``, ``【2021年度】``) is kept as text.
    """
    ministries: list[str] = []
    other: list[str] = []
    for m in _TAG.finditer(text):
        body = compact(m.group(1))
        parts = [p for p in re.split(r"[、,・]", body) if p]
        resolved = [_resolve(p, known) for p in parts]
        if parts and all(r is not None for r in resolved):
            for r in resolved:
                if r is not None and r not in ministries:
                    ministries.append(r)
        elif body:
            other.append(m.group(1).strip())
    return Tags(ministries=ministries, other=other)


def has_trailing_tag(text: str) -> bool:
    return bool(_TRAILING_TAG.search(text.rstrip()))


def is_reposted(text: str) -> bool:
    return bool(_REPOST.search(text))


def is_ministry_tag(text: str) -> bool:
    """Whether ``text`` holds a tag whose every part looks like an owner.

    Used where the ministry list is not at hand: an owner abbreviation has at
    most six characters (ＲＥＶＩＣ室) and no particle, whereas bracketed
    headings such as 【ＩＳＳ延⻑期間】 or 【ポストＩＳＳを⾒据えた取組】 are longer
    or contain one.
    """
    for m in _TAG.finditer(text):
        parts = [p for p in re.split(r"[、,・]", compact(m.group(1))) if p]
        if parts and all(p in GENERIC_OWNERS or _OWNER_LIKE.fullmatch(p) for p in parts):
            return True
    return False


_OWNER_LIKE = re.compile(r"[^のを]{1,6}")
