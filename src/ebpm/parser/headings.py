"""The heading tree: chapters, sections, subsections, items and group labels.

Structure is detected on the raw text (NFKC would turn ``①`` into ``1``).
Headings are one line ending in a trailing space, numbered in sequence; the
sequence check is what rejects the look-alikes inside table cells
(``（４）の取組を実施。`` at 3591, ``（１）スマート…`` at 18007).
"""

from __future__ import annotations

import re

from ebpm.model import Heading, HeadingLevel
from ebpm.parser.lines import CELL_WIDTH, display_width, is_complete, next_nonblank

_FULLWIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")
# Every form accepts full-width and ASCII digits and brackets: another extraction (or NFKC)
# writes （１） as (1) and １． as 1., and the numbering means the same.
_CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"

CHAPTER = re.compile(r"^ ?第([０-９0-9]+)章 ?(.*)$")
SECTION = re.compile(r"^ ?([１-９1-9])[．.](?![0-9０-９])(.*)$")
SUBSECTION = re.compile(r"^ ?[（(]([１-９1-9][０-９0-9]?)[）)](.*)$")
ITEM = re.compile(rf"^ ?([{_CIRCLED}]) ?(.*)$")
# NFKC writes ① as 1: an item numbered with a bare number and a space, read only in a text
# that has no circled numbers at all
ITEM_DIGITS = re.compile(r"^ ?([1-9]|1[0-9]|20) (\S.*)$")
GROUP = re.compile(r"^ ?[（(](戦略的に取り組むべき[^）)]+)[）)]\s*$")
GLOSSARY_HEADER = re.compile(r"^ ?略称[⼀一]覧\s*$")

# A heading is followed by prose, a table or a block header, never by a cell item.
_NOT_AFTER_HEADING = ("・", "○", "〇", "- ", "―")


_TABLE_HEADER = "基本計画における具体的な取組"
# What opens after a heading that closes a table: the next table, a block header, a group label.
_OPENS_AFTER_TABLE = re.compile(r"^ ?(?:基本計画における具体的な取組|・? ?【|[（(]戦略的に取り組むべき)")


def _number(text: str) -> int:
    return int(text.translate(_FULLWIDTH_DIGITS))


def _followed_like_heading(lines: list[str], i: int) -> bool:
    j = next_nonblank(lines, i + 1)
    if j is None:
        return False
    return not lines[j].lstrip().startswith(_NOT_AFTER_HEADING)


def _in_cell(lines: list[str], i: int, previous: re.Pattern[str] | None, table_start: int | None) -> bool:
    """Whether the heading look-alike at ``i``, inside a measure table, belongs to a cell.

    A heading that closes a table is followed by the next table's header, a block header or
    prose as wide as the page; a numbered paragraph of a cell is followed by cell text. A
    cell whose wrapped lines an extraction wrote on one line (3629: 「（３）脱炭素先行地域…」)
    is as wide as prose, so the numbering decides too: the look-alike continues an in-cell
    list when the number before it (``previous``: （２） before （３）) opened a line of the
    same table.
    """
    if table_start is None:
        return False
    j = next_nonblank(lines, i + 1)
    if j is None or _OPENS_AFTER_TABLE.match(lines[j]):
        return False
    if display_width(lines[j]) <= CELL_WIDTH:
        return True
    return previous is not None and any(previous.match(lines[k].lstrip()) for k in range(table_start, i))


def _previous_number(level: str, n: int) -> re.Pattern[str] | None:
    """What opens a line numbered just before ``n`` at ``level`` (None for the first)."""
    if n <= 1:
        return None
    if level == "subsection":
        digits = str(n - 1)
        return re.compile(rf"^[（(](?:{digits}|{digits.translate(_TO_FULLWIDTH)})[）)]")
    return re.compile(rf"^{_CIRCLED[n - 2]}")


_TO_FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def _item_number(raw: str, digit_items: bool) -> tuple[int, str, str] | None:
    """(number, numbering as written, title) of an item heading line, or None."""
    if m := ITEM.match(raw):
        return _CIRCLED.index(m.group(1)) + 1, m.group(1), m.group(2)
    if digit_items and (m := ITEM_DIGITS.match(raw)):
        return int(m.group(1)), m.group(1), m.group(2)
    return None


def parse_headings(lines: list[str], stop: int | None = None, noise: set[int] | None = None) -> list[Heading]:
    """Return the heading tree of ``lines[:stop]`` in document order.

    ``noise``: 0-based indexes of footnote and page-number lines, which are never headings
    (a footnote line also starts with a number).
    """
    stop = len(lines) if stop is None else stop
    noise = noise or set()
    digit_items = not any(line.lstrip()[:1] in set(_CIRCLED) for line in lines[:stop])
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

    table_start: int | None = None  # the measure table the lines are in, since the last heading
    for i in range(stop):
        raw = lines[i]
        if raw.lstrip().startswith(_TABLE_HEADER):
            table_start = i
        if not raw.strip() or not is_complete(raw) or i in noise:
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
            and not _in_cell(lines, i, None, table_start)
        ):
            section, subsection, item, group_count = _number(m.group(1)), 0, 0, 0
            table_start = None
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
            table_start = None
            continue
        m = SUBSECTION.match(raw)
        if (
            m
            and _number(m.group(1)) == subsection + 1
            and _followed_like_heading(lines, i)
            and not _in_cell(lines, i, _previous_number("subsection", subsection + 1), table_start)
        ):
            subsection, item = _number(m.group(1)), 0
            table_start = None
            hid = f"{chapter}.{section}.{subsection}"
            add("subsection", hid, f"（{m.group(1)}）", m.group(2), i, current["group"] or current["section"])
            current["subsection"] = hid
            continue
        found = _item_number(raw, digit_items)
        if (
            found
            and found[0] == item + 1
            and _followed_like_heading(lines, i)
            and not _in_cell(lines, i, _previous_number("item", item + 1), table_start)
        ):
            item += 1
            table_start = None
            parent = current["subsection"] or current["section"]
            hid = f"{parent}.{item}"
            add("item", hid, found[1], found[2], i, parent)
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
