"""Footnote blocks: detection, footnote texts and where each one is cited.

Footnotes sit at the bottom of a page as lines starting with their number
(1–188). Their numbers are not strictly ascending and some have no space after
the number, so a line is accepted as a footnote only when the previous line
closed a paragraph and its number is close to the next expected one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ebpm.model import Footnote
from ebpm.parser.lines import CELL_WIDTH, display_width, is_blank, is_complete
from ebpm.sources.normalize import join_wrapped

# (the Kangxi radicals ⽉ ⽇ ⼈ stand for 月 日 人 in the bundled text: 「９⽉に」 opens no footnote)
_FOOTNOTE_START = re.compile(r"^(\d{1,3})(?: (?=\S)|(?![\d,.．年月日度件社名人%％か機拠箇⽉⽇⼈])(?=\S))")
# How far a footnote number may run ahead of or lag behind the expected one.
_AHEAD = 12
_BEHIND = 4


@dataclass(slots=True)
class FootnoteBlock:
    start: int  # 0-based index of the first footnote line
    end: int  # 0-based index of the last line of the block (inclusive)
    footnotes: list[Footnote]


def _starts_footnote(raw: str, expected: int, seen: set[int], anchored: bool = False) -> int | None:
    """The footnote number ``raw`` opens, if it opens one.

    ``anchored``: the line follows a lone-space line, the extractor's mark of a
    footnote block. A text that starts mid-document has not seen footnote 1, so
    its first anchored footnote may carry any number.
    """
    m = _FOOTNOTE_START.match(raw)
    if not m:
        return None
    n = int(m.group(1))
    if n in seen or n < 1:
        return None
    if not (expected - _BEHIND <= n <= expected + _AHEAD) and not (anchored and not seen):
        return None
    return n


_LOOKAHEAD = 6
_ASCII_END = re.compile(r"[A-Za-z]$")
# No line of a footnote opens with a row or item marker; a body line after a footnote block
# (a block moved into a row) does, and a number glued to the text a few lines below it
# (「40を中核とした」) must not draw that row into the block.
_BODY_OPENERS = ("○", "〇", "・")


def _lines_before_next_footnote(
    lines: list[str], start: int, stop: int, expected: int, seen: set[int]
) -> list[int]:
    """Indexes of the few lines between ``start`` and the next footnote line of the same block."""
    found: list[int] = []
    j = start
    while j < stop and len(found) <= _LOOKAHEAD:
        if lines[j] == "":
            j += 1
            continue
        if is_blank(lines[j]) or lines[j].startswith(" "):
            return []  # a page boundary: the block has ended
        if lines[j].startswith(_BODY_OPENERS):
            return []  # a table row or cell item: the body goes on below the block
        if _starts_footnote(lines[j], expected, seen) is not None:
            return found
        found.append(j)
        j += 1
    return []


def _cited(text: str, number: int) -> bool:
    """Whether ``text`` holds ``number`` glued to it as a citation (not inside a longer number)."""
    digits = str(number)
    return any(
        _is_citation(text, m.start(), m.end(), number, {number}, glued=False)
        for m in re.finditer(rf"(?<![0-9]){digits}(?![0-9])", text)
    )


# Source lines one page can hold (three columns of a table page, blank lines included).
_PAGE_SPAN = 250


def _unanchored_footnote(
    lines: list[str], body_start: int, i: int, expected: int, seen: set[int]
) -> int | None:
    """The footnote number line ``i`` opens in a text without lone-space lines, if it opens one.

    Without the mark a footnote is read from its content: it follows a blank line, it is as wide
    as the page (or the line above it is), its number is the next in the sequence, and the body
    text above it on the page cites that number.
    """
    raw = lines[i]
    m = _FOOTNOTE_START.match(raw)
    if not m:
        return None
    n = int(m.group(1))
    if n in seen or not (expected <= n <= expected + _AHEAD):
        return None
    body = "".join(lines[k].strip() for k in range(max(body_start, i - _PAGE_SPAN), i))
    return n if _cited(body, n) else None


def _body_resumes(lines: list[str], first: int, j: int) -> bool:
    """Whether line ``j`` (after footnote lines from ``first``) is body text again.

    A page-top indent opens the next page; a cell line is narrower than a footnote, which runs
    the width of the page.
    """
    if lines[j].startswith(" "):
        return True
    # the last line of a wrapped footnote is short too, but it ends the sentence
    return display_width(lines[first]) > CELL_WIDTH >= display_width(lines[j]) and not lines[
        j
    ].rstrip().endswith(("。", "）", ")", "」"))


def find_footnote_blocks(lines: list[str], start: int = 0, stop: int | None = None) -> list[FootnoteBlock]:
    """Scan ``lines[start:stop]`` (0-based) for footnote blocks."""
    stop = len(lines) if stop is None else stop
    blocks: list[FootnoteBlock] = []
    seen: set[int] = set()
    expected = 1
    prev_complete = True  # state of the previous non-blank body line
    anchored = False  # the previous non-empty line held a single space
    # An extraction that strips whitespace loses the lone-space line above each block and
    # often the trailing space of the cut line above it: blocks are then found by content.
    unanchored = not any(raw != "" and is_blank(raw) for raw in lines[start:stop])
    # text boxes separated by single blank lines (pdfminer): a footnote is one box, so it ends
    # at the blank line under it, and a footnote opens a box (a line inside a box that opens
    # with a number, 「76 の⾃治体で導⼊。」, is body text)
    boxed = unanchored and not any(
        not lines[k].strip() and not lines[k + 1].strip() for k in range(start, max(start, stop - 1))
    )
    after_blank = False
    body_start = start  # first line of the body text since the last block
    i = start
    while i < stop:
        raw = lines[i]
        if is_blank(raw):
            if raw != "":
                prev_complete = anchored = True  # a lone space line closes what came before
            after_blank = True
            i += 1
            continue
        n = _starts_footnote(raw, expected, seen, anchored) if prev_complete else None
        if n is None and unanchored and after_blank:
            n = _unanchored_footnote(lines, body_start, i, expected, seen)
        anchored = after_blank = False
        if n is None:
            prev_complete = is_complete(raw)
            i += 1
            continue
        block_start = i
        notes: list[Footnote] = []
        while n is not None:
            seen.add(n)
            expected = max(expected, n + 1)
            text_lines = [raw[len(str(n)) :]]
            first = last = i
            # a footnote wraps until a line ends with the trailing space
            while not is_complete(lines[last]):
                j = last + 1
                while j < stop and lines[j] == "":
                    j += 1
                if j >= stop or is_blank(lines[j]) or _starts_footnote(lines[j], expected, seen):
                    break
                if boxed and j > last + 1 and not _ASCII_END.search(lines[last]):
                    # a text box holds the whole footnote: the box after the blank line is
                    # body text (a cut column's continuation), unless the footnote's line
                    # ended on an English word, the one wrap that keeps a trailing space and
                    # so closes a box in mid-sentence
                    break
                if unanchored and _body_resumes(lines, first, j):
                    break
                last = j
                text_lines.append(lines[j])
            # a block is contiguous: lines that sit between this footnote and the next one
            # continue this footnote even after a trailing space (English words, long notes)
            tail = _lines_before_next_footnote(lines, last + 1, stop, expected, seen)
            for j in tail:
                text_lines.append(lines[j])
                last = j
            notes.append(Footnote(number=n, text=join_wrapped(text_lines), line=first + 1, line_end=last + 1))
            i = last + 1
            while i < stop and lines[i] == "":
                i += 1
            n = _starts_footnote(lines[i], expected, seen) if i < stop else None
            if n is not None:
                raw = lines[i]
        blocks.append(FootnoteBlock(start=block_start, end=notes[-1].line_end - 1, footnotes=notes))
        prev_complete = True
        body_start = i
    return blocks


# a number followed by one of these is a quantity or date, not a citation
_QUANTITY_AFTER = re.compile(
    r"[,.．年月日度件社名人%％機拠箇歳倍億兆万円位回次期校団者台種基点号分時秒]|か[所国月年]"
)
_QUANTITY_BEFORE = ",.．−-〜～/／第約"
_ASCII_DIGITS = frozenset("0123456789")  # str.isdigit() also accepts ①


def _is_citation(text: str, s: int, e: int, number: int, numbers: set[int], glued: bool) -> bool:
    """Whether ``text[s:e]`` (the digits of ``number``) cites a footnote rather than counts something.

    ``glued``: the digits follow the previous citation directly (``104105``).
    """
    before = text[s - 1] if s > 0 else ""
    rest = text[e:]
    if rest[:1] in _ASCII_DIGITS:
        # only the next footnote glued on ("104105") may follow a citation directly
        if not (number + 1 in numbers and rest.startswith(str(number + 1))):
            return False
    elif _QUANTITY_AFTER.match(rest):
        return False
    if before and (before in _ASCII_DIGITS or before in _QUANTITY_BEFORE) and not glued:
        # except a citation glued to a version number: "Society 5.01"
        return before in _ASCII_DIGITS and text[max(0, s - 2) : s - 1] == "."
    return True


def find_references(
    lines: list[str], blocks: list[FootnoteBlock], excluded: set[int]
) -> dict[int, list[int]]:
    """Map footnote number → 1-based lines that cite it.

    A citation is glued to the text on the same page, above the block that
    defines it: ``19位（2022年）18``, ``システム36の``, ``104105``. Within a page
    citations appear in ascending order, which disambiguates a number that
    also occurs as a quantity.
    """
    refs: dict[int, list[int]] = {}
    page_start = 0
    region_start = 0
    for block in blocks:
        # text of the page region: body lines between the previous block and this one;
        # a block right after another (nothing but noise between) shares its page region
        body = [i for i in range(page_start, block.start) if i not in excluded and not is_blank(lines[i])]
        if body:
            region_start = page_start
        offsets: list[tuple[int, int]] = []  # (char offset, 0-based line)
        text = ""
        for i in range(region_start, block.start):
            if i in excluded or is_blank(lines[i]):
                continue
            offsets.append((len(text), i))
            text += lines[i].strip()
        numbers = {f.number for f in block.footnotes}
        pos = 0
        prev_end = -1
        for note in sorted(block.footnotes, key=lambda f: f.number):
            for m in re.finditer(re.escape(str(note.number)), text):
                s, e = m.start(), m.end()
                if s < pos and s != prev_end:
                    continue
                if _is_citation(text, s, e, note.number, numbers, glued=s == prev_end):
                    line = max(li for off, li in offsets if off <= s)
                    refs.setdefault(note.number, []).append(line + 1)
                    pos, prev_end = e, e
                    break
        page_start = block.end + 1
    return refs
