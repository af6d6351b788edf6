"""Line-end signals restored for extractions that dropped them.

The parser reads a trailing ASCII space as "this line ends its paragraph or cell item" (the
bundled text's extractor writes one there and nowhere else). Another extraction strips
trailing whitespace, or separates text boxes by blank lines instead. Where the text carries
almost no trailing spaces, they are put back from what the layout still shows:

* text boxes separated by single blank lines (pdfminer): a line followed by a blank one ends
  its box;
* otherwise the width of the line against the lines around it: a wrapped line fills its
  column, so a line clearly shorter than its neighbours of the same kind ends a paragraph; a
  full line ends one only when it closes a sentence or a tag and the next line opens a unit.

Measured on the bundled text with its trailing spaces stripped, the width rule recovers the
paragraph ends of chapter 2 with about 95% accuracy (see ``benchmarks/parser_variants.py``).
The bundled text itself is never touched: it has trailing spaces on a quarter of its lines.
"""

from __future__ import annotations

import re

from ebpm.parser.lines import CELL_WIDTH, display_width

# Below this share of non-blank lines ending in a space the text has lost its line-end signal.
_STRIPPED_SHARE = 0.02
# Lines at most this wide (in display columns) are table-cell lines; wider ones are prose.
_CELL_WIDTH = CELL_WIDTH
_WINDOW = 6
_CELL_SLACK = 5
_PROSE_SLACK = 6
# What may open a unit or a heading: the line before such a line may end its paragraph.
_OPENS_UNIT = re.compile(
    r"^ ?(?:・|○|〇|―|- |－|＜|<|※|第[０-９0-9]+章|[１-９1-9][．.]|[（(][１-９0-9０-９]{1,2}[）)]"
    r"|[①-⑳]|\d{1,3} ?\S|基本計画における)"
)

# A heading is always one line, however wide: the heading tree checks its numbering.
_HEADING = re.compile(
    r"^ ?(?:第[０-９0-9]+章|[１-９1-9][．.](?![0-9０-９])|[（(][１-９1-9][０-９0-9]?[）)]|[①-⑳]"
    r"|[（(]戦略的に取り組むべき|略称)"
)
# A block header, a table header or a note opens on a line of its own.
_OPENS_BLOCK = re.compile(
    r"^ ?(?:・ ?)?【(?:[⼤大][⽬目]標|あるべき姿|[⽬目]標】|科学技術・イノベーション政策|現状データ)"
    r"|^ ?基本計画における|^ ?※"
)
# Rows read from restored line ends are never certain: a wrong guess moves text between cells.
RESTORED_CONFIDENCE = 0.85


_width = display_width


def needs_restoring(lines: list[str]) -> bool:
    """Whether ``lines`` lost the trailing spaces that end paragraphs."""
    body = [raw for raw in lines if raw.strip()]
    if len(body) < 50:
        return False  # too little text to tell; a short excerpt keeps its lines as they are
    ended = sum(1 for raw in body if raw.endswith((" ", "\t")))
    return ended / len(body) < _STRIPPED_SHARE


def is_boxed(lines: list[str]) -> bool:
    """Text boxes separated by single blank lines: never two blank lines in a row."""
    run = longest = 0
    for raw in lines:
        run = run + 1 if not raw.strip() else 0
        longest = max(longest, run)
    blanks = sum(1 for raw in lines if not raw.strip())
    return longest == 1 and blanks > len(lines) // 10


def _full_width(stripped: list[str], nonblank: list[int], widths: list[int], k: int) -> int:
    """The width a wrapped line of line ``k``'s column fills (display columns).

    Wrapped lines are most of a column's lines, so an upper median of the neighbours of the same
    kind (cell lines or prose lines) is the column's width; headings, block headers and the
    table header are left out, being neither.
    """
    own = widths[k]
    cell = own <= _CELL_WIDTH
    around = [
        widths[j]
        for j in range(max(0, k - _WINDOW), min(len(nonblank), k + _WINDOW + 1))
        if j != k
        and (widths[j] <= _CELL_WIDTH) == cell
        and not _HEADING.match(stripped[nonblank[j]])
        and not _OPENS_BLOCK.match(stripped[nonblank[j]])
    ]
    if len(around) < 3:
        return own
    around.sort()
    return around[(len(around) * 2) // 3]


# Characters a paragraph never ends on: the sentence goes on on the next line.
_GOES_ON = ("、", "，", ",", "（", "(", "「", "【", "・", "＜", "の", "を", "に", "は", "が", "と", "や")
# What closes a sentence: a line ending so may end its paragraph even where the next line does
# not show it.
_SENTENCE_END = ("。", "】")
# A line opening with a digit opens a footnote only when it is as wide as the page.
_FOOTNOTE_LINE = re.compile(r"^\d{1,3} ?\S")


def _opens(nxt: str) -> bool:
    if not nxt:
        return True
    if _FOOTNOTE_LINE.match(nxt):
        return _width(nxt) > _CELL_WIDTH
    return _OPENS_UNIT.match(nxt) is not None or _OPENS_BLOCK.match(nxt) is not None


# Hiragana that opens a sentence (a conjunction or a demonstrative); any other hiragana or a
# closing mark at the head of a line continues a sentence cut on an earlier line.
_SENTENCE_OPENERS = (
    "また",
    "さらに",
    "なお",
    "あわせて",
    "この",
    "その",
    "これ",
    "それ",
    "こうした",
    "いずれ",
    "ただし",
)


def _mid_sentence(nxt: str) -> bool:
    """Whether ``nxt`` starts in the middle of a sentence: after a finished sentence it is the
    continuation of another column (a page break), not the next sentence of the same cell."""
    head = nxt.strip()[:1]
    if head in "、。，）)」】":
        return True
    return "\u3041" <= head <= "\u309f" and not nxt.strip().startswith(_SENTENCE_OPENERS)


def _ends_paragraph(text: str, own: int, full: int, nxt: str) -> bool:
    """Whether a line of width ``own`` in a column ``full`` wide ends its paragraph.

    A tag closes a cell item (1,048 of the 1,049 cell lines ending in 】 do); a line clearly
    shorter than its column ends a paragraph unless it stops on a particle or a comma; a full
    line ending a sentence ends its paragraph only when the next line opens a unit (else the
    cell goes on: 「…を実施。また、…」).
    """
    body = text.strip()
    # a heading is one line, followed by a table, a block or prose; a numbered paragraph of a
    # cell wraps (「（３）脱炭素先⾏地域における脱炭素に」「向かう…」)
    heading = _HEADING.match(text) and not nxt.lstrip().startswith(("・", "○", "〇"))
    if heading and not _mid_sentence(nxt) and (_opens(nxt) or own > _CELL_WIDTH or _width(nxt) > _CELL_WIDTH):
        return True
    if _OPENS_BLOCK.match(nxt):
        return True
    if body.endswith("】"):
        return True
    slack = _CELL_SLACK if own <= _CELL_WIDTH else _PROSE_SLACK
    short = own < full - slack
    if body.endswith("。"):
        return short or _opens(nxt) or _mid_sentence(nxt)
    if body.endswith(("）", ")", "」")):
        return short or _opens(nxt)
    if body.endswith(("＞", ">")) and _opens(nxt):
        return True  # a ＜topic＞ sub-head
    return short and not body.endswith(_GOES_ON)


# A row marker and two more cells' items on one line: the bottom line of a page, which the
# first lines of three cells share (2463, 4276, 6407); each of them goes on on the next page.
# (a piece may hold a ・ of its own, 「⼈⽂・社会科学」 of 4276: only a space before ・ separates cells)
_SHARED_BOTTOM = re.compile(r"^[○〇].+ ・.+ ・")
# What a paragraph ends on: a full box line stopping on anything else was cut by the page end.
_SPACED_NUMBER = re.compile(r"[^\x00-\x7f] [0-9]+$")
_PARAGRAPH_CLOSE = ("。", "】", "）", ")", "」", "＞", ">")


def _cut_at_page_end(text: str, own: int, full: int) -> bool:
    """Whether the last line of a text box, ``own`` display columns wide in a column ``full``
    wide, was cut by the page end rather than ending its paragraph.

    Measured on the bundled text (chapter 2): of the lines that end a column on a page in
    mid-item, 243 of 251 fill their column and stop on neither a sentence end nor a bracket;
    of the cell lines that end an item, 53 look so (one-line items of section 4, mostly).
    """
    body = text.strip()
    if _SHARED_BOTTOM.match(body):
        return True  # the first lines of three cells share the page's bottom line (2463)
    if not body or _HEADING.match(text) or _OPENS_BLOCK.match(text) or own > _CELL_WIDTH:
        return False
    if body[-1].isascii() and body[-1].isalnum():
        # an English word or a number ends a line of its own (footnote refs, dates), except a
        # number set apart from the Japanese before it: the rest of its word or date went on
        # (「ポスト 5」+「Ｇ」, 「2023 年 5 ⽉ 12」+「⽇」; a footnote reference is glued to its word)
        return bool(_SPACED_NUMBER.search(body)) and own >= full - _CELL_SLACK
    return own >= full - _CELL_SLACK and not body.endswith(_PARAGRAPH_CLOSE)


def opens_heading_or_block(line: str) -> bool:
    """Whether ``line`` looks like a heading, a block header, a table header or a note."""
    return bool(_HEADING.match(line) or _OPENS_BLOCK.match(line))


def ends_paragraph(text: str, own: int, full: int, nxt: str) -> bool:
    """Whether ``text`` (``own`` display columns wide, in a column ``full`` wide) ends its
    paragraph, ``nxt`` being the next line of the same column (see :func:`_ends_paragraph`)."""
    return _ends_paragraph(text, own, full, nxt)


def restore_line_ends(lines: list[str]) -> tuple[list[str], str | None, frozenset[int]]:
    """``lines`` with a trailing space on every line judged to end its paragraph.

    Returns the lines unchanged (and None) when they still carry the signal; otherwise the
    restored lines and a note saying how they were restored. The third value holds the 0-based
    lines judged to go on although they close a sentence (a full line ending in 。 before a line
    that starts with a kanji): the next sentence of the same cell, or the continuation of
    another column after a page break (14027 → 14031); the column assigner may end the
    paragraph there when the row reads better so.
    """
    if not needs_restoring(lines):
        return lines, None, frozenset()
    stripped = [raw.rstrip(" \t\u3000") for raw in lines]
    nonblank = [i for i, raw in enumerate(stripped) if raw.strip()]
    out = list(stripped)
    widths = [_width(stripped[i]) for i in nonblank]
    doubtful: set[int] = set()
    if is_boxed(lines):
        for k, i in enumerate(nonblank):
            if i + 1 < len(lines) and stripped[i + 1].strip():
                continue
            if _cut_at_page_end(stripped[i], widths[k], _full_width(stripped, nonblank, widths, k)):
                # a box also ends at the page bottom: a full line stopping mid-sentence is a
                # cell cut by the page end, whose continuation opens a box on the next page
                # (the column assigner may still end the paragraph there)
                doubtful.add(i)
            else:
                out[i] = stripped[i] + " "
        return (
            out,
            "the text had no trailing spaces; paragraph ends were read from the blank lines "
            "between text boxes",
            frozenset(doubtful),
        )
    for k, i in enumerate(nonblank):
        nxt = lines[nonblank[k + 1]] if k + 1 < len(nonblank) else ""
        if _ends_paragraph(stripped[i], widths[k], _full_width(stripped, nonblank, widths, k), nxt):
            out[i] = stripped[i] + " "
        elif stripped[i].endswith(_SENTENCE_END) and nxt.strip():
            doubtful.add(i)
    return (
        out,
        "the text had no trailing spaces; paragraph ends were inferred from line widths, "
        "so rows are less certain",
        frozenset(doubtful),
    )
