"""Ministry tags ``【…】`` and re-post markers inside measure cells."""

from __future__ import annotations

import re
from collections.abc import Set
from dataclasses import dataclass

from ebpm.sources.normalize import compact

# owners that are not one ministry; 全省庁 (9977) is written once for 全府省
GENERIC_OWNERS = frozenset(
    {"関係府省", "関係府省庁", "関係省庁", "全府省", "全省庁", "関係地方公共団体", "内閣官房"}
)

# one name for each kind of generic owner, so that a filter or a count does not split them: the
# strategy writes 関係府省 175 times and 関係府省庁 or 関係省庁 7 times for the same thing (likewise
# 全府省 and 全省庁). The source view keeps the tag as written.
CANONICAL_OWNERS = {"関係府省庁": "関係府省", "関係省庁": "関係府省", "全省庁": "全府省"}

_TAG = re.compile(r"【([^【】]*)】")
_REPOST = re.compile(r"[（(]\s*再\s*掲\s*[）)]")
_GLUED_FOOTNOTE = re.compile(r"^(.*?\D)(\d{1,3})$")
# a trailing tag, optionally followed by a re-post marker or a glued footnote number
_TRAILING_TAG = re.compile(r"【[^【】]*】\s*(?:[（(]\s*再\s*掲\s*[）)])?\s*\d{0,3}\s*$")


@dataclass(slots=True)
class Tags:
    ministries: list[str]
    other: list[str]


def _resolve(part: str, known: Set[str]) -> list[str]:
    """The owners one tag entry names: itself, or the abbreviations run together in it."""
    if part in known or part in GENERIC_OWNERS:
        return [CANONICAL_OWNERS.get(part, part)]
    m = _GLUED_FOOTNOTE.match(part)  # 【ＩＴ37】: a footnote number glued inside the tag
    if m and (m.group(1) in known or m.group(1) in GENERIC_OWNERS):
        return [CANONICAL_OWNERS.get(m.group(1), m.group(1))]
    return _segment(part, known)


def _segment(part: str, known: Set[str]) -> list[str]:
    """``文経`` → [文, 経]: an entry that is two or more abbreviations missing their 、 (16261)."""
    best: dict[int, list[str]] = {0: []}
    for end in range(1, len(part) + 1):
        for start in range(end):
            piece = part[start:end]
            if start in best and piece in known and end not in best:
                best[end] = [*best[start], piece]
    found = best.get(len(part), [])
    return found if len(found) >= 2 else []


def parse_tags(text: str, known: Set[str]) -> Tags:
    """Split every ``【…】`` in ``text`` into ministries and other bracketed text.

    ``known`` holds the NFKC, space-free abbreviations of the ministry list. A
    tag whose entries all fail to resolve (``【ＩＳＳ延⻑期間】``, ``【2021年度】``)
    is kept as text; in a ministry tag, an entry that does not resolve is kept
    as text too, so that no owner is silently dropped.
    """
    ministries: list[str] = []
    other: list[str] = []
    for m in _TAG.finditer(text):
        body = compact(m.group(1))
        parts = [p for p in re.split(r"[、,・]", body) if p]
        resolved = [_resolve(p, known) for p in parts]
        if not any(resolved):
            if body:
                other.append(m.group(1).strip())
            continue
        for part, owners in zip(parts, resolved, strict=True):
            if not owners:
                other.append(part)
            for owner in owners:
                if owner not in ministries:
                    ministries.append(owner)
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
