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
    return found
