"""Line-level signals of the PDF extraction: blank lines, completeness, page numbers."""

from __future__ import annotations

import re

_PAGE_NUMBER = re.compile(r"\d{1,3} ?")


def is_blank(raw: str) -> bool:
    return raw.strip() == ""


def is_complete(raw: str) -> bool:
    """A trailing ASCII space ends a paragraph or cell item; a wrapped line has none."""
    return raw.endswith(" ") and raw.strip() != ""


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
        if _PAGE_NUMBER.fullmatch(raw) and lines[i + 1] != "" and lines[i + 1].strip() == "":
            found.add(i)
    return found
