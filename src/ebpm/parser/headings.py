"""The heading tree: chapters, sections, subsections, items and group labels.

Structure is detected on the raw text (NFKC would turn ``①`` into ``1``).
Headings are one line ending in a trailing space, numbered in sequence; the
sequence check is what rejects the look-alikes inside table cells
(``（４）の取組を実施。`` at 3591, ``（１）スマート…`` at 18007).
"""

from __future__ import annotations

import re

from ebpm.model import Heading, HeadingLevel
from ebpm.parser.lines import is_complete, next_nonblank

_FULLWIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")
_CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"

CHAPTER = re.compile(r"^ ?第([０-９0-9]+)章 ?(.*)$")
SECTION = re.compile(r"^ ?([１-９])．(.*)$")
SUBSECTION = re.compile(r"^ ?（([１-９][０-９]?)）(.*)$")
ITEM = re.compile(rf"^ ?([{_CIRCLED}]) ?(.*)$")
GROUP = re.compile(r"^ ?（(戦略的に取り組むべき[^）]+)）\s*$")
GLOSSARY_HEADER = re.compile(r"^ ?略称[⼀一]覧\s*$")

# A heading is followed by prose, a table or a block header, never by a cell item.
_NOT_AFTER_HEADING = ("・", "○", "〇", "- ", "―")


def _number(text: str) -> int:
    return int(text.translate(_FULLWIDTH_DIGITS))


def _followed_like_heading(lines: list[str], i: int) -> bool:
    j = next_nonblank(lines, i + 1)
    if j is None:
        return False
    return not lines[j].lstrip().startswith(_NOT_AFTER_HEADING)


def parse_headings(lines: list[str], stop: int | None = None) -> list[Heading]:
    """Return the heading tree of ``lines[:stop]`` in document order."""
    stop = len(lines) if stop is None else stop
    out: list[Heading] = []
    chapter = section = subsection = 0
    item = 0
    group_count = 0
    parents: dict[str, str | None] = {}
    current: dict[str, str | None] = {"chapter": None, "section": None, "group": None, "subsection": None}

    def add(level: HeadingLevel, hid: str, number: str, title: str, i: int, parent: str | None) -> None:
        out.append(
            Heading(id=hid, level=level, number=number, title=title.strip(), line=i + 1, parent_id=parent)
        )
        parents[hid] = parent

    for i in range(stop):
        raw = lines[i]
        if not raw.strip() or not is_complete(raw):
            continue
        if m := CHAPTER.match(raw):
            n = _number(m.group(1))
            if n == chapter + 1 or (chapter == 0 and _followed_like_heading(lines, i)):
                chapter, section, subsection, item, group_count = n, 0, 0, 0, 0
                hid = str(n)
                add("chapter", hid, f"第{m.group(1)}章", m.group(2), i, None)
                current = {"chapter": hid, "section": None, "group": None, "subsection": None}
            continue
        if not chapter:
            continue
        if (
            (m := SECTION.match(raw))
            and _number(m.group(1)) == section + 1
            and _followed_like_heading(lines, i)
        ):
            section, subsection, item, group_count = _number(m.group(1)), 0, 0, 0
            hid = f"{chapter}.{section}"
            add("section", hid, f"{m.group(1)}．", m.group(2), i, current["chapter"])
            current.update(section=hid, group=None, subsection=None)
            continue
        if not section:
            continue
        if (m := GROUP.match(raw)) and _followed_like_heading(lines, i):
            group_count += 1
            hid = f"{chapter}.{section}.g{group_count}"
            add("group", hid, "", m.group(1), i, current["section"])
            current["group"] = hid
            continue
        m = SUBSECTION.match(raw)
        if m and _number(m.group(1)) == subsection + 1 and _followed_like_heading(lines, i):
            subsection, item = _number(m.group(1)), 0
            hid = f"{chapter}.{section}.{subsection}"
            add("subsection", hid, f"（{m.group(1)}）", m.group(2), i, current["group"] or current["section"])
            current["subsection"] = hid
            continue
        m = ITEM.match(raw)
        if m and _CIRCLED.index(m.group(1)) + 1 == item + 1 and _followed_like_heading(lines, i):
            item += 1
            parent = current["subsection"] or current["section"]
            hid = f"{parent}.{item}"
            add("item", hid, m.group(1), m.group(2), i, parent)
            continue
    return out


def section_of(headings: list[Heading], line: int) -> str | None:
    """Id of the innermost heading at or before ``line`` (1-based); group labels excluded."""
    best: str | None = None
    for h in headings:
        if h.line > line:
            break
        if h.level != "group":
            best = h.id
    return best
