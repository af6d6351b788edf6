"""Seeded extraction variants of a strategy text, and how far a parse of one agrees with the original.

The bundled text is one PDF extraction among many: another tool (or another run of the same
one) strips trailing spaces, folds character widths, writes the three columns side by side,
separates text boxes by blank lines, wraps at another width, or breaks pages elsewhere. Each
variant here rewrites the text the way such an extraction would, and returns the new text with
a map from its 1-based lines to the original's, so that a parse of the variant can be compared
row by row with a parse of the original (:func:`compare`).

Variants that need to know the layout (which column a line belongs to, where the rows are) take
it from a parse of the original text.
"""

from __future__ import annotations

import random
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import pairwise

from ebpm.model import Document, Measure
from ebpm.parser.lines import display_width, is_complete

_HALF = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_FULL = "".join(chr(ord(c) + 0xFEE0) for c in _HALF)
TO_FULLWIDTH = str.maketrans(_HALF, _FULL)
TO_HALFWIDTH = str.maketrans(_FULL, _HALF)

# Characters that open a unit or a heading: a wrap must never put one first on a line.
_MARKER_START = re.compile(r"^[・○〇―\-－（(【＜<①-⑳0-9０-９ 第※]")
_SPACE = re.compile(r"\s+")


@dataclass(slots=True)
class Variant:
    name: str
    text: str
    # 1-based line of the variant -> 1-based line of the original (lines without one are absent)
    line_map: dict[int, int] = field(default_factory=dict)


def _identity(lines: list[str]) -> dict[int, int]:
    return {k: k for k in range(1, len(lines) + 1)}


def _split(text: str) -> list[str]:
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def _join(lines: list[str], newline: str = "\n") -> str:
    return newline.join(lines) + newline


def _per_line(name: str, text: str, fn: Callable[[str], str]) -> Variant:
    lines = [fn(raw) for raw in _split(text)]
    return Variant(name, _join(lines), _identity(lines))


def _kept(name: str, lines: list[str], keep: list[bool]) -> Variant:
    out: list[str] = []
    mapping: dict[int, int] = {}
    for k, (raw, ok) in enumerate(zip(lines, keep, strict=True), start=1):
        if ok:
            out.append(raw)
            mapping[len(out)] = k
    return Variant(name, _join(out), mapping)


def _columns_of(doc: Document) -> dict[int, int]:
    """1-based line -> column (1..3) of every line a measure cell holds."""
    col: dict[int, int] = {}
    for m in doc.measures:
        for c, cells in ((1, [m.commitment]), (2, m.status), (3, m.actions)):
            for cell in cells:
                for ln in cell.lines:
                    col.setdefault(ln, c)
    return col


def _row_ranges(doc: Document) -> list[Measure]:
    return sorted(doc.measures, key=lambda m: m.line_start)


def _pages_of_row(
    lines: list[str], m: Measure, col: dict[int, int]
) -> tuple[list[list[list[int]]], list[int]]:
    """A row's cell lines per page and column ([page][column-1] -> lines), and its other lines.

    Per page the extractor writes the columns in order, so a column lower than the one before
    opens the next page.
    """
    pages: list[list[list[int]]] = [[[], [], []]]
    other: list[int] = []
    last = 1
    for ln in range(m.line_start, m.line_end + 1):
        c = col.get(ln)
        if c is None:
            if lines[ln - 1].strip():
                other.append(ln)
            continue
        if c < last:
            pages.append([[], [], []])
        pages[-1][c - 1].append(ln)
        last = c
    return pages, other


def side_by_side(text: str, doc: Document) -> Variant:
    """``pdftotext -layout``: the three columns of each page of a row on shared lines.

    Pieces are padded to fixed character positions and lose their trailing spaces (a layout
    extraction cannot tell a paragraph end from the gap before the next column); footnotes and
    page numbers that sat inside a row follow it.
    """
    lines = _split(text)
    col = _columns_of(doc)
    widths = [0, 0]
    for ln, c in col.items():
        if c < 3:
            widths[c - 1] = max(widths[c - 1], len(lines[ln - 1].strip()))
    starts = (0, widths[0] + 4, widths[0] + widths[1] + 8)
    out: list[str] = []
    mapping: dict[int, int] = {}
    rows = {m.line_start: m for m in _row_ranges(doc)}
    i = 1
    while i <= len(lines):
        m = rows.get(i)
        if m is None:
            out.append(lines[i - 1])
            mapping[len(out)] = i
            i += 1
            continue
        pages, other = _pages_of_row(lines, m, col)
        for page in pages:
            for k in range(max(len(c) for c in page)):
                pieces = [(c, page[c][k]) for c in range(3) if k < len(page[c])]
                row_text = ""
                for c, ln in pieces:
                    row_text = row_text.ljust(starts[c]) + lines[ln - 1].strip()
                out.append(row_text)
                mapping[len(out)] = pieces[0][1]
        for ln in other:
            out.append(lines[ln - 1])
            mapping[len(out)] = ln
        i = m.line_end + 1
    return Variant("layout", _join(out), mapping)


def _page_ends(lines: list[str], doc: Document) -> set[int]:
    """1-based lines that end the text of a column on a page: the last line of every column of
    a row's page but the last, and every line followed by a page mark (footnote block, page
    number, page-top indent)."""
    col = _columns_of(doc)
    ends: set[int] = set()
    for m in _row_ranges(doc):
        pages, _ = _pages_of_row(lines, m, col)
        for page in pages[:-1]:
            ends.update(c[-1] for c in page if c)
    nonblank = [k for k in range(1, len(lines) + 1) if lines[k - 1].strip()]
    for a, b in pairwise(nonblank):
        if doc.coverage.get(a, "").startswith(("noise:", "footnote:")):
            continue  # the lines of one footnote make one box
        if doc.coverage.get(b, "").startswith(("noise:", "footnote:")) or lines[b - 1].startswith(" "):
            ends.add(a)
    return ends


def pdfminer(text: str, doc: Document) -> Variant:
    """pdfminer-style: text boxes separated by one blank line, no leading or trailing spaces.

    The end of a box is where the original line ends its paragraph (its trailing space), or
    where a page ends: pdfminer groups the lines of one page, so a cell cut by the page bottom
    closes its box there and its continuation opens a box on the next page.
    """
    lines = _split(text)
    page_ends = _page_ends(lines, doc)
    out: list[str] = []
    mapping: dict[int, int] = {}
    for k, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        out.append(raw.strip())
        mapping[len(out)] = k
        if is_complete(raw) or k in page_ends:
            out.append("")
    return Variant("pdfminer", _join(out), mapping)


# Kinsoku shori (Japanese line breaking): these never open a line ...
_NO_LINE_START = set("、。，．,.）)」』】〕］}ー・：；？！!?ぁぃぅぇぉっゃゅょゎァィゥェォッャュョヮ々ゝゞ〜")
# ... and these never close one.
_NO_LINE_END = set("（(「『【〔［{")


def _wrap(piece: str, width: int) -> list[str]:
    """Cut ``piece`` into lines ``width`` display columns wide, as a typesetter would: never
    before a marker, inside a Latin word or number, before closing punctuation or after an
    opening bracket (kinsoku)."""
    chunks: list[str] = []
    rest = piece
    while display_width(rest) > width:
        fit = 0
        used = 0
        for ch in rest:
            used += 2 if unicodedata.east_asian_width(ch) in "WFA" else 1
            if used > width:
                break
            fit += 1
        cut = max(1, fit)
        while cut > fit // 2 and (
            _MARKER_START.match(rest[cut:])
            or (
                rest[cut - 1].isascii()
                and rest[cut - 1].isalnum()
                and rest[cut].isascii()
                and rest[cut].isalnum()
            )
            or rest[cut] == " "
            or rest[cut] in _NO_LINE_START
            or rest[cut - 1] in _NO_LINE_END
        ):
            cut -= 1
        if cut <= fit // 2:
            cut = max(1, fit)  # no allowed cut in the second half of the line: cut anyway
        chunks.append(rest[:cut])
        rest = rest[cut:]
    chunks.append(rest)
    return chunks


def _shown(chunk: str) -> str:
    """A wrapped line as the extraction writes it: the space at a cut is dropped unless it
    follows a Latin letter (the bundled text keeps a trailing space on a wrapped line only after
    an English word; 「（2022 年 12」 never ends in one)."""
    if chunk.endswith(" ") and not (len(chunk) > 1 and chunk[-2].isascii() and chunk[-2].isalpha()):
        return chunk.rstrip(" ")
    return chunk


def _column_widths(lines: list[str], col: dict[int, int], body_end: int) -> dict[int, int]:
    """Display width a wrapped line of each column fills (0: prose), from the lines that wrap."""
    found: dict[int, list[int]] = {}
    for k in range(1, body_end + 1):
        raw = lines[k - 1]
        if raw.strip() and not is_complete(raw):
            found.setdefault(col.get(k, 0), []).append(display_width(raw))
    return {c: sorted(ws)[(len(ws) * 9) // 10] for c, ws in found.items() if ws}


def rewrap(text: str, doc: Document, seed: int) -> Variant:
    """The text laid out at other column widths (60–140% of each column's, one factor for the
    table cells and one for prose, seeded), wrapped as a typesetter wraps Japanese.

    A paragraph is a run of wrapped lines up to the line that ends it; runs stop at blank
    lines that are not plain empty lines (page marks), at footnote and page-number lines and
    at the end of the body, so page breaks stay where they were. A page break falls between
    two lines: the short last line of a paragraph cut by a page end goes over to the top of its
    column on the next page. The bottom line shared by three cells (2463) is kept as it is: each
    piece is the first line of its own cell.
    """
    rng = random.Random(seed)
    lines = _split(text)
    body_end = min((g.line for g in doc.glossary), default=len(lines) + 1) - 1
    col = _columns_of(doc)
    seen: dict[int, set[int]] = {}
    for m in doc.measures:
        for c, cells in ((1, [m.commitment]), (2, m.status), (3, m.actions)):
            for cell in cells:
                for ln in cell.lines:
                    seen.setdefault(ln, set()).add(c)
    shared = {ln for ln, cs in seen.items() if len(cs) > 1}
    hold = shared | {
        ln
        for ln, v in doc.coverage.items()
        if v.startswith(("noise:", "footnote:", "heading:", "table-header:", "block-header:"))
    }
    natural = _column_widths(lines, col, body_end)
    cell_factor, prose_factor = rng.uniform(0.6, 1.4), rng.uniform(0.6, 1.4)
    widths = {c: max(8, round(w * (prose_factor if c == 0 else cell_factor))) for c, w in natural.items()}
    out: list[str] = []
    mapping: dict[int, int] = {}
    para: list[int] = []
    # per column: text (and the original line of each character) carried over a page break
    carry: dict[int, tuple[str, list[int]]] = {}

    def flush() -> None:
        if not para:
            return
        key = col.get(para[0], 0)
        first = lines[para[0] - 1]
        lead = " " if first.startswith(" ") else ""
        joined = "".join(lines[ln - 1].strip() for ln in para)
        # the original line that holds each character, for the map
        owner = [ln for ln in para for _ in lines[ln - 1].strip()]
        carried, carried_owner = carry.pop(key, ("", []))
        joined, owner = carried + joined, carried_owner + owner
        width = widths.get(key, 40)
        ends = is_complete(lines[para[-1] - 1])
        chunks = _wrap(joined, width)
        if key == 0 or ends:
            pass  # prose keeps its lines on their page (its geometry is not read)
        elif len(chunks) > 1 and display_width(chunks[-1]) < width - 2:
            # a page ends after a full line: the rest of the line opens the next page
            rest = chunks.pop()
            carry[key] = (rest, owner[len(joined) - len(rest) :])
        elif display_width(chunks[-1]) < width // 2:
            # less than half a line before the page end: the paragraph starts on the next page
            carry[key] = (joined, owner)
            chunks = []
        pos = 0
        for k, chunk in enumerate(chunks):
            last = k == len(chunks) - 1
            shown = _shown(chunk) if not last else chunk
            out.append((lead if k == 0 else "") + shown + (" " if last and ends else ""))
            mapping[len(out)] = owner[min(pos, len(owner) - 1)]
            pos += len(chunk)
        para.clear()

    for k, raw in enumerate(lines, start=1):
        if k > body_end or k in hold or not raw.strip():
            flush()
            out.append(raw)
            mapping[len(out)] = k
            continue
        if para and raw.startswith(" "):
            flush()  # a page-top indent: the paragraph went on on another page
        para.append(k)
        if is_complete(raw):
            flush()
    flush()
    return Variant("rewrap", _join(out), mapping)


# Lines of one table column a page holds (the bundled text: at most 61 between its marks, 2.4.6.m1).
PAGE_CELL_LINES = 60


def shifted_pages(text: str, doc: Document, seed: int, share: float = 0.3) -> Variant:
    """Page breaks moved: rows that crossed a page are laid out on one where they fit on one
    (their tallest column at most :data:`PAGE_CELL_LINES` lines), and some rows that sat on one
    page are cut by a break (no page number, a page-top indent on half of them).

    A break cuts the row at one height, as a page bottom does: every column taller than that
    is cut after the same number of lines (a shorter one ends on the page), and the columns
    that go on continue in order on the next page.
    """
    rng = random.Random(seed)
    lines = _split(text)
    col = _columns_of(doc)
    rows = {m.line_start: m for m in _row_ranges(doc)}
    out: list[str] = []
    mapping: dict[int, int] = {}

    def emit(ln: int, raw: str | None = None) -> None:
        out.append(lines[ln - 1] if raw is None else raw)
        mapping[len(out)] = ln

    i = 1
    while i <= len(lines):
        m = rows.get(i)
        if m is None:
            emit(i)
            i += 1
            continue
        pages, other = _pages_of_row(lines, m, col)
        columns = [[ln for page in pages for ln in page[c]] for c in range(3)]
        tallest = max(len(c) for c in columns)
        shared = any(m.line_start in c.lines for c in [*m.status, *m.actions])
        if (len(pages) > 1 and tallest > PAGE_CELL_LINES) or shared:
            # a row taller than a page cannot be laid out on one, and three cells share a line
            # (2463) only at a page bottom: their breaks stay
            for ln in range(m.line_start, m.line_end + 1):
                emit(ln)
            i = m.line_end + 1
            continue
        if len(pages) == 1 and rng.random() < share and all(len(c) >= 4 for c in columns):
            height = max(1, round(tallest * rng.uniform(0.3, 0.7)))
            heads = [c[:height] for c in columns]
            tails = [c[len(h) :] for c, h in zip(columns, heads, strict=True)]
            for c in heads:
                for ln in c:
                    emit(ln, lines[ln - 1].lstrip() if ln != m.line_start else None)
            first = True
            for c in tails:
                for ln in c:
                    raw = lines[ln - 1].lstrip()
                    if first and rng.random() < 0.5:
                        raw = " " + raw
                    first = False
                    emit(ln, raw)
        else:
            for c in columns:
                for ln in c:
                    # a page-top indent means nothing once the page break is gone
                    emit(ln, lines[ln - 1].lstrip() if ln != m.line_start else None)
        for ln in other:
            emit(ln)
        i = m.line_end + 1
    return Variant("shifted-pages", _join(out), mapping)


def one_line_cells(text: str, doc: Document) -> Variant:
    """Each paragraph of a table cell on one line (an extraction that does not wrap cells).

    A cell cut by a page end gives two lines, one per page (the extraction joins the lines of a
    text block, and a block never spans two pages or two columns); the page's last line stays
    above its page marks (the lone space over a footnote block, a page number).

    A numbered paragraph of a cell then looks like a heading: 「（３）脱炭素先行地域…」 (3629) is
    one line ending in a space, numbered next in the sequence of subsections.
    """
    lines = _split(text)
    col = _columns_of(doc)
    out: list[str] = []
    mapping: dict[int, int] = {}
    para: list[int] = []

    def flush() -> None:
        if para:
            joined = "".join(lines[ln - 1].strip() for ln in para)
            ends = is_complete(lines[para[-1] - 1])
            out.append(joined + (" " if ends else ""))
            mapping[len(out)] = para[0]
            para.clear()

    for k, raw in enumerate(lines, start=1):
        if k not in col:
            if raw:
                # a footnote, a page number or the lone space over a footnote block cuts the
                # paragraph, as the page did (a plain empty line is only a gap the extractor
                # left inside a block)
                flush()
            out.append(raw)
            mapping[len(out)] = k
            continue
        if para and (col[k] != col[para[0]] or raw.startswith(" ")):
            # a cell cut by the page end: the extraction joins the lines of one cell on one
            # page, never a cell's with the next column's or the next page's
            flush()
        para.append(k)
        if is_complete(raw):
            flush()
    flush()
    return Variant("one-line-cells", _join(out), mapping)


def without_page_numbers(text: str, doc: Document) -> Variant:
    lines = _split(text)
    keep = [doc.coverage.get(k) != "noise:page-number" for k in range(1, len(lines) + 1)]
    return _kept("no-page-numbers", lines, keep)


def without_page_marks(text: str, doc: Document) -> Variant:
    """No page marks at all: page numbers and the single-space line after each dropped, and the
    page-top indent of the line that follows removed, so a page break leaves no trace."""
    lines = _split(text)
    keep = [True] * len(lines)
    out_lines = list(lines)
    for k in range(1, len(lines) + 1):
        if doc.coverage.get(k) != "noise:page-number":
            continue
        keep[k - 1] = False
        j = k
        while j < len(lines) and not lines[j].strip():
            keep[j] = lines[j] == ""  # the single-space line goes, plain blank lines stay
            j += 1
        if j < len(lines):
            out_lines[j] = lines[j].lstrip(" ")
    return _kept("no-page-marks", out_lines, keep)


VARIANTS = (
    "stripped",
    "nfkc",
    "halfwidth",
    "fullwidth",
    "crlf",
    "bom",
    "no-page-numbers",
    "no-page-marks",
    "layout",
    "pdfminer",
    "rewrap",
    "shifted-pages",
    "one-line-cells",
)


def make_variant(name: str, text: str, doc: Document, seed: int = 1) -> Variant:
    """The variant ``name`` of ``text``; ``doc`` is the parse of ``text``."""
    if name == "stripped":
        return _per_line(name, text, lambda s: s.rstrip(" \t"))
    if name == "nfkc":
        return _per_line(name, text, lambda s: unicodedata.normalize("NFKC", s))
    if name == "halfwidth":
        return _per_line(name, text, lambda s: s.translate(TO_HALFWIDTH))
    if name == "fullwidth":
        return _per_line(name, text, lambda s: s.translate(TO_FULLWIDTH))
    if name == "crlf":
        lines = _split(text)
        return Variant(name, _join(lines, "\r\n"), _identity(lines))
    if name == "bom":
        lines = _split(text)
        return Variant(name, "\ufeff" + _join(lines), _identity(lines))
    if name == "no-page-numbers":
        return without_page_numbers(text, doc)
    if name == "no-page-marks":
        return without_page_marks(text, doc)
    if name == "layout":
        return side_by_side(text, doc)
    if name == "pdfminer":
        return pdfminer(text, doc)
    if name == "rewrap":
        return rewrap(text, doc, seed)
    if name == "shifted-pages":
        return shifted_pages(text, doc, seed)
    if name == "one-line-cells":
        return one_line_cells(text, doc)
    raise ValueError(f"unknown variant {name!r}; known: {', '.join(VARIANTS)}")


def as_parsed(text: str) -> str:
    """The text as the ingest reads it: BOM dropped, CRLF folded (what :mod:`corpus` does)."""
    return text.removeprefix("\ufeff").replace("\r\n", "\n")


# --- comparison ---------------------------------------------------------------------------


def _norm(text: str) -> str:
    return _SPACE.sub("", unicodedata.normalize("NFKC", text))


RowKey = tuple[object, ...]


def row_signature(doc: Document, m: Measure) -> RowKey:
    """What must agree between two parses of a row: structure and texts, not line numbers."""
    path: list[str] = []
    by_id = {h.id: h for h in doc.headings}
    h = by_id.get(m.section)
    while h is not None:
        path.append(_norm(h.title))
        h = by_id.get(h.parent_id) if h.parent_id else None
    cells = [m.commitment, *m.status, *m.actions]
    return (
        m.id,
        tuple(reversed(path)),
        _norm(m.commitment.text),
        tuple(_norm(c.text) for c in m.status),
        tuple(_norm(c.text) for c in m.actions),
        tuple(tuple(c.ministries) for c in cells),
        tuple(c.reposted for c in cells),
    )


@dataclass(slots=True)
class Comparison:
    reference_rows: int
    rows: int
    identical: int
    low: int  # rows below confidence 0.9
    wrong_confident: list[str]  # rows that differ from the reference yet claim confidence >= 0.9
    missing: list[str]  # reference rows with no identical row

    @property
    def share(self) -> float:
        return self.identical / self.reference_rows if self.reference_rows else 1.0


def compare(reference: Document, parsed: Document, threshold: float = 0.9) -> Comparison:
    ref = {m.id: row_signature(reference, m) for m in reference.measures}
    got = {m.id: (row_signature(parsed, m), m.confidence) for m in parsed.measures}
    identical = [mid for mid, sig in ref.items() if mid in got and got[mid][0] == sig]
    same = set(identical)
    wrong = [mid for mid, (sig, conf) in got.items() if mid not in same and conf >= threshold]
    return Comparison(
        reference_rows=len(ref),
        rows=len(parsed.measures),
        identical=len(identical),
        low=sum(1 for m in parsed.measures if m.confidence < threshold),
        wrong_confident=wrong,
        missing=[mid for mid in ref if mid not in same],
    )
