"""Line-level signals of the PDF extraction: blank lines, completeness, page numbers."""

from __future__ import annotations

import re
import unicodedata

_PAGE_NUMBER = re.compile(r"\d{1,3} ?")


def is_blank(raw: str) -> bool:
    return raw.strip() == ""


def is_complete(raw: str) -> bool:
    """A trailing ASCII space ends a paragraph or cell item; a wrapped line has none."""
    return raw.endswith(" ") and raw.strip() != ""


def display_width(text: str) -> int:
    """Width of ``text`` in display columns (a CJK character is two), outer spaces ignored."""
    return sum(2 if unicodedata.east_asian_width(c) in "WFA" else 1 for c in text.strip())


# Cell lines of the three-column tables are at most this wide (display columns); prose is wider.
CELL_WIDTH = 42


def next_nonblank(lines: list[str], index: int) -> int | None:
    """Index of the first non-blank line at or after ``index`` (0-based)."""
    for j in range(index, len(lines)):
        if lines[j].strip():
            return j
    return None


def page_number_lines(lines: list[str]) -> set[int]:
    """0-based indexes of surviving page numbers.

    A page number is a bare number line immediately followed by a line holding
    a single space; footnote numbers that lost their text (5768, 7395) are not
    followed by one.
    """
    found: set[int] = set()
    for i, raw in enumerate(lines[:-1]):
        if not _PAGE_NUMBER.fullmatch(raw.rstrip() + " "):
            continue
        if lines[i + 1] != "" and lines[i + 1].strip() == "" and _PAGE_NUMBER.fullmatch(raw):
            found.add(i)
        elif i >= 2 and all(not lines[k].strip() for k in (i - 2, i - 1, i + 1)):
            # without its single-space line (an extraction that strips whitespace) a page
            # number still stands alone between blank lines, as no footnote number does
            found.add(i)
        elif i >= 1 and lines[i - 1].strip().endswith(("】", "。")) and not lines[i + 1].strip():
            # a page number moved under the row it interrupted (another layout laid the row out
            # on one page) may lose its blank lines and its single-space line: it still stands
            # alone right after a finished item or footnote, where no footnote number does
            found.add(i)
    return found | _in_sequence(lines, found)


# A page of the strategy holds roughly 60–130 lines of an extraction; a page number read from
# the line it stands on may be this many pages off the line through the others.
_LINES_PER_PAGE = (30.0, 400.0)
_PAGE_TOLERANCE = 6
_MAX_LONE_NUMBERS = 60


def _in_sequence(lines: list[str], found: set[int]) -> set[int]:
    """Bare numbers standing alone between blank lines that the page geometry confirms.

    An extraction in text boxes (pdfminer) writes a page number as a box of its own, with one
    blank line on each side and no single-space line; so it writes a footnote number that lost
    its text (5768: 「91」, 7395: 「107」). Page numbers grow with the line at a roughly constant
    number of lines per page, so a number is a page number when it lies on the line through
    the most others (at least three); footnote numbers run far ahead of the page there.
    """
    lone = [
        (i, int(raw.strip()))
        for i, raw in enumerate(lines[:-1])
        if i >= 1
        and i not in found
        and _PAGE_NUMBER.fullmatch(raw.strip() + " ")
        and not lines[i - 1].strip()
        and not lines[i + 1].strip()
    ]
    if not lone or len(lone) + len(found) > _MAX_LONE_NUMBERS:
        return set()
    points = sorted([*lone, *((i, int(lines[i].strip())) for i in found)])
    best: set[int] = set()
    for a, (i1, n1) in enumerate(points):
        for i2, n2 in points[a + 1 :]:
            if n2 <= n1 or not _LINES_PER_PAGE[0] <= (i2 - i1) / (n2 - n1) <= _LINES_PER_PAGE[1]:
                continue
            slope = (n2 - n1) / (i2 - i1)
            fit = {i for i, n in points if abs(n1 + slope * (i - i1) - n) <= _PAGE_TOLERANCE}
            if len(fit) > len(best):
                best = fit
    if len(best) < 3:
        return set()
    return {i for i, _ in lone if i in best}
