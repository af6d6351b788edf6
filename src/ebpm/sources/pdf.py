"""Reading the strategy straight from its PDF, layout-aware.

Plain text extraction loses what the parser needs most: which column of a
measure table a line sits in, and where a page ends. Here every character's
position (pdfplumber) is kept, and the text is written back in the form of the
bundled extraction, which the parser reads:

- **Tables.** The ruling lines give each table's rows and cells. Every row is
  written column by column (column 1's lines, then column 2's, then 3's), page
  segment by page segment; the header row that repeats on a continuation page
  is dropped, since the bundled text has it once per table.
- **Page breaks.** Each page ends with its page-number line (``N `` then a
  line holding one space) after its footnote block (a line holding one space,
  then the footnotes), the marks the parser treats as a certain page break.
- **Paragraph ends.** A line that ends a paragraph or cell item gets a trailing
  space, a wrapped line none. A line breaker only wraps when the next word does
  not fit, so a line is taken as finished when the first unbreakable piece of
  the next line would have fitted in the room left at its end, when the next
  line opens an item (・, ○, ―, - …) or changes font, and where its flow ends.
  A cell cut by the page end is finished only if its continuation on the next
  page opens a new item.
- **Footnotes.** Below a horizontal rule that belongs to no table, text in a
  smaller size than the page's is the footnote area.
"""

from __future__ import annotations

import io
import itertools
import re
import statistics
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PDF_MAGIC = b"%PDF"
HEADER_FIRST = "基本計画における具体的な取組"
ENCODING = "pdf"

PageProgress = Callable[[int, int], None]  # pages done, pages in all

# Characters that open an item: a new item finishes the line above it.
_ITEM_OPENERS = ("・", "○", "〇", "―", "－", "- ", "＜", "※")
# Characters a line may not start with (kinsoku): they travel with the character before them.
_NO_LINE_START = set("、。，．,.)）」』】〕〉》］｝!！?？:：;；・ー々")
_NO_LINE_START |= set("ぁぃぅぇぉっゃゅょゎァィゥェォッャュョヮヵヶ")  # small kana
# Characters a line may not end with: they travel with the character after them.
_NO_LINE_END = set("(（「『【〔〈《［｛")
# the title of the abbreviation list (略称一覧) that closes the body, as the parser knows it
_LISTS_TITLE = re.compile(r"^ ?略称[⼀一]覧\s*$")
_PAGE_NUMBER = re.compile(r"^[-‐–—\s]*(\d{1,3})[-‐–—\s]*$")
# A gap wider than this (in character heights) between two glyphs of a line is a space.
_SPACE_GAP = 0.25
# Room at a line's end counts only beyond this slack (in character heights): justification and
# rounding leave a little.
_FIT_SLACK = 0.15
# A step between two lines this much (in character heights) above the usual step is paragraph
# spacing.
_PARAGRAPH_GAP = 0.06
_FOOTER_ZONE = 0.15  # the page number sits this low on the page (a share of its height)


class PdfError(ValueError):
    """A PDF that cannot be read as strategy text; the message names the problem, not the file."""


def is_pdf(data: bytes) -> bool:
    """Whether ``data`` is a PDF: it opens with the magic bytes (after any whitespace)."""
    return data[:1024].lstrip().startswith(PDF_MAGIC)


@dataclass(slots=True)
class _Line:
    """One line of text in a flow (a table cell, the body, the footnote area)."""

    top: float
    bottom: float
    x0: float
    x1: float
    text: str
    size: float
    font: str
    first_piece: float  # width of the unbreakable piece the line opens with
    trailing_space: bool  # the PDF itself writes a space after the last glyph
    complete: bool = False


@dataclass(slots=True)
class _Row:
    """A table row's segment on one page; ``cells`` holds each column's lines."""

    top: float
    cells: list[list[_Line]]
    header: bool
    limits: list[float]  # the right edge text may reach in each column
    continued: bool = False  # the row began on an earlier page


@dataclass(slots=True)
class _Page:
    number: str
    items: list[_Line | _Row] = field(default_factory=list)  # body lines and table rows, top down
    footnotes: list[_Line] = field(default_factory=list)


def _group_lines(chars: Sequence[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Glyphs → lines: a glyph joins the line its vertical middle falls in."""
    out: list[list[dict[str, Any]]] = []
    bands: list[tuple[float, float]] = []
    for ch in sorted(chars, key=lambda c: (float(c["top"]), float(c["x0"]))):
        top, bottom = float(ch["top"]), float(ch["bottom"])
        middle = (top + bottom) / 2
        for k in range(len(bands) - 1, max(-1, len(bands) - 4), -1):
            btop, bbottom = bands[k]
            if btop - 0.5 <= middle <= bbottom + 0.5:
                out[k].append(ch)
                bands[k] = (min(btop, top), max(bbottom, bottom))
                break
        else:
            out.append([ch])
            bands.append((top, bottom))
    return [sorted(line, key=lambda c: float(c["x0"])) for line in out]


def _is_word(ch: str) -> bool:
    if ch.isascii():
        return bool(ch.strip())
    return ch.isalnum() and "\uff10" <= ch <= "\uff5a"


def _first_piece(glyphs: Sequence[dict[str, Any]]) -> float:
    """Width of the piece a line breaker could not have split: opening brackets, one
    character (or one Latin word), and the punctuation that may not start a line."""
    k = 0
    while k < len(glyphs) - 1 and glyphs[k]["text"] in _NO_LINE_END:
        k += 1
    if _is_word(glyphs[k]["text"]):
        # a Latin word, a number or a run of full-width letters is not broken
        while k + 1 < len(glyphs) and _is_word(glyphs[k + 1]["text"]):
            k += 1
    while k + 1 < len(glyphs) and glyphs[k + 1]["text"] in _NO_LINE_START:
        k += 1
    return float(glyphs[k]["x1"]) - float(glyphs[0]["x0"])


def _make_line(glyphs: Sequence[dict[str, Any]]) -> _Line | None:
    visible = [g for g in glyphs if str(g["text"]).strip()]
    if not visible:
        return None
    sizes = Counter(round(float(g["size"]), 1) for g in visible)
    size = sizes.most_common(1)[0][0]
    fonts = Counter(str(g["fontname"]) for g in visible)
    text = ""
    prev: dict[str, Any] | None = None
    for g in glyphs:
        ch = str(g["text"])
        if prev is not None and ch.strip() and not text.endswith((" ", "\u3000")):
            gap = float(g["x0"]) - float(prev["x1"])
            if gap > _SPACE_GAP * size:
                text += " "  # a space drawn as a gap, not as a glyph
        if ch.strip() or (text and not text.endswith(" ")):
            text += ch if ch.strip() or ch == "\u3000" else " "
        prev = g
    return _Line(
        top=min(float(g["top"]) for g in visible),
        bottom=max(float(g["bottom"]) for g in visible),
        x0=float(visible[0]["x0"]),
        x1=float(visible[-1]["x1"]),
        text=text.rstrip(" "),
        size=size,
        font=fonts.most_common(1)[0][0],
        first_piece=_first_piece(visible),
        trailing_space=not str(glyphs[-1]["text"]).strip(),
    )


def _lines(chars: Sequence[dict[str, Any]]) -> list[_Line]:
    return [ln for g in _group_lines(chars) if (ln := _make_line(g)) is not None]


def _inside(ch: dict[str, Any], box: tuple[float, float, float, float]) -> bool:
    x = (float(ch["x0"]) + float(ch["x1"])) / 2
    y = (float(ch["top"]) + float(ch["bottom"])) / 2
    return box[0] <= x <= box[2] and box[1] <= y <= box[3]


def _is_header(cells: Sequence[list[_Line]]) -> bool:
    first = "".join(ln.text for ln in cells[0]).replace(" ", "") if cells else ""
    return first.startswith(HEADER_FIRST)


def _read_page(page: Any, index: int) -> _Page:
    """One page: its body lines and table rows in reading order, its footnotes, its number."""
    chars = [c for c in page.chars if c.get("upright", True)]
    tables = [t for t in _find_tables(page) if t.rows and all(len(r.cells) == 3 for r in t.rows)]
    boxes = [tuple(float(v) for v in t.bbox) for t in tables]
    height = float(page.height)
    free = [c for c in chars if not any(_inside(c, b) for b in boxes)]  # type: ignore[arg-type]
    body_size = _mode_size(chars)

    lines = _lines(free)
    number = str(index + 1)
    # the page number: the lowest line, in the footer zone
    if lines and lines[-1].top > height * (1 - _FOOTER_ZONE) and (m := _PAGE_NUMBER.match(lines[-1].text)):
        number = m.group(1)
        lines.pop()
    # the footnote rule: a horizontal rule outside every table with only smaller text below it
    body_lines, foot_lines = lines, []
    for edge in sorted(page.edges, key=lambda e: float(e["top"])):
        y = float(edge["top"])
        if edge["orientation"] != "h" or y < height / 3 or any(b[1] - 2 <= y <= b[3] + 2 for b in boxes):
            continue
        below = [ln for ln in lines if ln.top > y]
        if below and all(ln.size < body_size - 0.5 for ln in below):
            body_lines, foot_lines = [ln for ln in lines if ln.top < y], below
            break

    out = _Page(number=number, footnotes=foot_lines)
    items: list[_Line | _Row] = list(body_lines)
    for t, box in zip(tables, boxes, strict=True):
        inside = [c for c in chars if _inside(c, box)]  # type: ignore[arg-type]
        for row in t.rows:
            cells: list[list[_Line]] = []
            limits: list[float] = []
            for cell in row.cells:
                if cell is None:
                    cells.append([])
                    limits.append(0.0)
                    continue
                cbox = tuple(float(v) for v in cell)
                lines = _lines([c for c in inside if _inside(c, cbox)])  # type: ignore[arg-type]
                cells.append(lines)
                # text is padded alike on both sides of a cell
                pad = min((ln.x0 - cbox[0] for ln in lines), default=0.0)
                limits.append(max([cbox[2] - max(pad, 0.0), *(ln.x1 for ln in lines)]))
            if any(cells):
                out_row = _Row(top=float(row.bbox[1]), cells=cells, header=_is_header(cells), limits=limits)
                items.append(out_row)
    items.sort(key=lambda it: it.top)
    out.items = items
    return out


def _find_tables(page: Any) -> list[Any]:
    """The ruled tables of a page, a row cut by the page end included.

    A cell cut by the page end has no bottom rule (nor, continued, a top rule), so the ends of
    the vertical rules close it.
    """
    ends = sorted(
        {round(float(e[k]), 1) for e in page.edges if e["orientation"] == "v" for k in ("top", "bottom")}
    )
    return list(page.find_tables({"explicit_horizontal_lines": ends}))


def _mode_size(chars: Sequence[dict[str, Any]]) -> float:
    sizes = Counter(round(float(c["size"]), 1) for c in chars if str(c["text"]).strip())
    return sizes.most_common(1)[0][0] if sizes else 0.0


def _opens_item(line: _Line) -> bool:
    return line.text.lstrip().startswith(_ITEM_OPENERS)


def _finished(line: _Line, nxt: _Line | None, limit: float, pitch: float | None) -> bool:
    """Whether ``line`` ends its paragraph, given the line that follows it in its flow.

    ``pitch``: the distance from ``line`` to ``nxt`` when both are on one page.
    """
    if nxt is None or line.trailing_space:
        return True
    if _opens_item(nxt) or abs(nxt.size - line.size) > 0.3 or nxt.font != line.font:
        return True
    if pitch is not None and pitch > 0:
        return True  # more space than between the lines of a paragraph
    room = limit - line.x1
    return room >= nxt.first_piece + _FIT_SLACK * line.size


def _mark_flow(lines: Sequence[_Line], limit: float, after: _Line | None = None) -> None:
    """Mark the finished lines of one flow; ``after`` is the line that continues it on the next
    page, if any."""
    steps = [b.top - a.top for a, b in itertools.pairwise(lines)]
    usual = statistics.median(steps) if steps else 0.0
    for k, line in enumerate(lines):
        nxt = lines[k + 1] if k + 1 < len(lines) else after
        extra = None
        if k + 1 < len(lines):
            # paragraph spacing: a step clearly above the usual one (not rounding noise)
            extra = 1.0 if steps[k] - usual > max(0.6, _PARAGRAPH_GAP * line.size) else -1.0
        line.complete = _finished(line, nxt, limit, extra)


def _body_limit(pages: Sequence[_Page]) -> float:
    """The right edge of the text column: most body lines are wrapped, so reach it."""
    ends = Counter(round(it.x1) for p in pages for it in p.items if isinstance(it, _Line))
    return float(ends.most_common(1)[0][0]) if ends else 0.0


def _mark(pages: Sequence[_Page]) -> None:
    limit = _body_limit(pages)
    for k, page in enumerate(pages):
        nxt_page = pages[k + 1] if k + 1 < len(pages) else None
        first_next = nxt_page.items[0] if nxt_page and nxt_page.items else None
        # the body flow runs between tables; a table ends the paragraph above it
        run: list[_Line] = []
        for it in page.items:
            if isinstance(it, _Line):
                run.append(it)
                continue
            _mark_flow(run, limit)
            run = []
        last_is_body = bool(page.items) and isinstance(page.items[-1], _Line)
        carry = first_next if last_is_body and isinstance(first_next, _Line) else None
        _mark_flow(run, limit, carry)
        foot_limit = max((ln.x1 for ln in page.footnotes), default=0.0)
        _mark_flow(page.footnotes, max(foot_limit, limit))
        rows = [it for it in page.items if isinstance(it, _Row)]
        for r, row in enumerate(rows):
            cont = _continuation(page, row, nxt_page) if r == len(rows) - 1 else None
            if cont is not None:
                cont.continued = True
            for c, cell in enumerate(row.cells):
                after = cont.cells[c][0] if cont is not None and cont.cells[c] else None
                _mark_flow(cell, row.limits[c], after)


def _continuation(page: _Page, row: _Row, nxt: _Page | None) -> _Row | None:
    """The segment of ``row`` on the next page, when the row is the page's last item and the
    next page opens with the same table (its repeated header, then the rest of the row)."""
    if nxt is None or page.items[-1] is not row:
        return None
    rows = [it for it in nxt.items[:2] if isinstance(it, _Row)]
    if not rows or nxt.items[0] is not rows[0]:
        return None
    body = rows[1] if rows[0].header and len(rows) > 1 else None if rows[0].header else rows[0]
    if body is None or body.header:
        return None
    first = body.cells[0][0] if body.cells[0] else None
    # a row that really continues has no ○ (or prose paragraph start) of its own in column 1
    if first is not None and first.text.lstrip().startswith(("○", "〇")):
        return None
    return body


def _text(line: _Line) -> str:
    return line.text + (" " if line.complete else "")


def _write(pages: Sequence[_Page]) -> str:
    out: list[str] = []
    in_table = False
    lists = False  # past the abbreviation list's title
    for page in pages:
        for k, it in enumerate(page.items):
            if isinstance(it, _Line):
                out.append(_text(it))
                in_table = False
                lists = lists or bool(_LISTS_TITLE.match(it.text))
                continue
            if it.header:
                # the header repeated at the top of a continuation page is no new table
                if not (k == 0 and in_table):
                    out.append(" ".join("".join(ln.text for ln in cell) for cell in it.cells) + " ")
                in_table = True
                continue
            for cell in it.cells:
                for n, ln in enumerate(cell):
                    # a column that goes on from the page before starts at the page top: the
                    # leading space is the extraction's mark of a page's first line
                    lead = " " if n == 0 and it.continued and not _opens_item(ln) else ""
                    out.append(lead + _text(ln))
            in_table = True
        if page.footnotes:
            out.append(" ")
            out.extend(_text(ln) for ln in page.footnotes)
        # the parser drops page numbers in the body only; in the two lists at the end, where a
        # page break means nothing, a number line would read as an entry
        out.extend(["", " ", ""] if lists else ["", f"{page.number} ", " ", ""])
    return "\n".join(out) + "\n"


def pdf_text(data: bytes, progress: PageProgress | None = None) -> str:
    """The text of the PDF ``data`` in the layout of the bundled extraction.

    Raises :class:`PdfError` for a damaged or password-protected PDF, or one with no text layer.
    """
    import pdfplumber
    from pdfminer.pdfdocument import PDFPasswordIncorrect

    if b"%%EOF" not in data[-2048:]:
        raise PdfError("the PDF is truncated or damaged (no end-of-file marker)")
    pages: list[_Page] = []
    try:
        with pdfplumber.open(io.BytesIO(data)) as pdf:
            total = len(pdf.pages)
            for index, page in enumerate(pdf.pages):
                pages.append(_read_page(page, index))
                page.close()  # frees the page's cached objects: memory stays flat on long PDFs
                if progress is not None:
                    progress(index + 1, total)
    except PDFPasswordIncorrect:
        raise PdfError("the PDF is encrypted (password-protected); save an unprotected copy") from None
    except PdfError:
        raise
    except Exception as exc:  # pdfminer raises a zoo of exception types on damaged input
        reason = str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__
        raise PdfError(f"the PDF is damaged and cannot be read ({reason})") from None
    if not pages:
        raise PdfError("the PDF has no pages")
    if not any(p.items or p.footnotes for p in pages):
        raise PdfError(
            f"the PDF has no text layer ({len(pages)} page(s) of images only, e.g. a scan); "
            "run it through OCR first"
        )
    _mark(pages)
    return _write(pages)


def page_count(path: Path) -> int:
    """Pages of the PDF at ``path`` (for reports and benchmarks)."""
    import pdfplumber

    with pdfplumber.open(path) as pdf:
        return len(pdf.pages)
