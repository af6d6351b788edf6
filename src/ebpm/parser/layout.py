"""Side-by-side table columns (``pdftotext -layout``) laid out again column by column.

The parser reads a measure table the way the bundled extraction writes it: per page, the lines
of column 1, then those of column 2, then those of column 3, each line that ends a paragraph
or cell item ending in a space. A layout-preserving extraction writes the three columns of a
table side by side instead, each piece padded to the x position of its column, and cannot
tell a paragraph end from the gap before the next column.

Such a text is recognized by many lines whose pieces, separated by runs of spaces, start at
two stable positions (columns 2 and 3). Each run of such lines (a row, or the part of a row on
one page) is split into its columns and written out column by column; a paragraph end is
inferred for each piece from the lines of its own column (``restore.ends_paragraph``).
Footnotes and page numbers that follow a run get the marks the parser expects (a lone-space
line above a footnote block, below a page number).

Line numbers are kept: the lines given to the parser map back to the lines of the user's file
(:func:`remap_document`), so coverage and provenance point into the file as given.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from ebpm.model import Document
from ebpm.parser.lines import display_width
from ebpm.parser.restore import ends_paragraph, opens_heading_or_block

# A piece is words separated by at most two spaces; a wider gap separates columns.
_PIECE = re.compile(r"\S+(?: {1,2}\S+)*")
# Column starts may drift this many characters (a real layout extraction rounds x positions).
_TOLERANCE = 2
# Columns 2 and 3 start at least this far right; fewer lines than this at a position is noise.
_MIN_OFFSET = 10
_MIN_LINES = 30
_ROW_MARKERS = ("○", "〇")
# A bare number (page number) or a footnote line: 1–3 digits not part of a quantity or year.
_PAGE_NUMBER = re.compile(r"^\s*\d{1,3}\s*$")
_FOOTNOTE = re.compile(r"^\d{1,3}(?![\d０-９])(?! ?[年月日度%％])")
# What opens an item in a cell: the line before it ends its paragraph.
_OPENS_ITEM = ("・", "○", "〇", "―", "-", "－")
_FORM_FEED = "\f"


@dataclass(slots=True)
class _Line:
    index: int  # 0-based line of the user's text
    pieces: dict[int, str]  # column (1..3) -> text


def _pieces(raw: str) -> list[tuple[int, str]]:
    return [(m.start(), m.group()) for m in _PIECE.finditer(raw)]


def column_starts(lines: list[str]) -> tuple[int, int] | None:
    """Character positions where columns 2 and 3 start, if the text writes them side by side."""
    counts: Counter[int] = Counter()
    for raw in lines:
        for offset, _ in _pieces(raw.replace(_FORM_FEED, "")):
            if offset >= _MIN_OFFSET:
                counts[offset] += 1
    if not counts:
        return None

    def near(pos: int) -> int:
        return sum(c for o, c in counts.items() if abs(o - pos) <= _TOLERANCE)

    first = max(counts, key=near)
    rest = [o for o in counts if abs(o - first) > 2 * _TOLERANCE]
    if not rest:
        return None
    second = max(rest, key=near)
    if near(first) < _MIN_LINES or near(second) < _MIN_LINES:
        return None
    low, high = sorted((first, second))
    return low, high


def _column(offset: int, starts: tuple[int, int]) -> int:
    s2, s3 = starts
    if offset < s2 - _TOLERANCE:
        return 1
    return 2 if offset < s3 - _TOLERANCE else 3


def _split(raw: str, starts: tuple[int, int]) -> dict[int, str]:
    out: dict[int, str] = {}
    for offset, text in _pieces(raw):
        col = _column(offset, starts)
        # two pieces in one column (a gap inside a cell line) are one piece
        out[col] = f"{out[col]} {text}" if col in out else text
    return out


def _col1_only(raw: str, starts: tuple[int, int]) -> bool:
    """A line holding column 1 alone: at the left margin, narrower than column 1."""
    pieces = _pieces(raw)
    if len(pieces) != 1 or pieces[0][0] > _TOLERANCE:
        return False
    text = pieces[0][1]
    return (
        len(raw.rstrip()) < starts[0] - 1
        and not _FOOTNOTE.match(text)
        and not _PAGE_NUMBER.match(raw)
        # a heading right under the last line of a table (5091) is no cell line
        and not opens_heading_or_block(raw)
    )


def _runs(lines: list[str], starts: tuple[int, int]) -> list[list[_Line]]:
    """Runs of side-by-side table lines, each split where a new row opens in column 1."""
    runs: list[list[_Line]] = []
    i = 0
    while i < len(lines):
        split = _split(lines[i], starts)
        if not any(c > 1 for c in split):
            i += 1
            continue
        run: list[_Line] = []
        while i < len(lines):
            raw = lines[i]
            split = _split(raw, starts)
            if any(c > 1 for c in split) or _col1_only(raw, starts):
                if run and split.get(1, "").startswith(_ROW_MARKERS):
                    runs.append(run)
                    run = []
                run.append(_Line(i, split))
                i += 1
                continue
            break
        runs.append(run)
    return runs


def _full_widths(runs: list[list[_Line]]) -> dict[int, int]:
    """The width a wrapped line of each column fills: an upper quantile of its line widths."""
    out: dict[int, int] = {}
    for col in (1, 2, 3):
        widths = sorted(display_width(ln.pieces[col]) for run in runs for ln in run if col in ln.pieces)
        out[col] = widths[(len(widths) * 3) // 4] if widths else 0
    return out


def _ends(text: str, nxt: str, full: int) -> bool:
    if nxt.startswith(_OPENS_ITEM):
        return True
    return ends_paragraph(text, display_width(text), full, nxt)


def relay_columns(lines: list[str]) -> tuple[list[str], list[int] | None, str | None]:
    """``lines`` with side-by-side table columns written one after another.

    Returns the new lines, the 0-based line of ``lines`` each new line comes from (None when
    nothing was changed) and a note for the document's warnings.
    """
    starts = column_starts(lines)
    if starts is None:
        return lines, None, None
    clean = [raw.replace(_FORM_FEED, "") for raw in lines]
    runs = _runs(clean, starts)
    if not runs:
        return lines, None, None
    full = _full_widths(runs)
    first_of_run = {run[0].index: run for run in runs}
    out: list[str] = []
    origin: list[int] = []
    i = 0
    while i < len(clean):
        run = first_of_run.get(i)
        if run is None:
            out.append(clean[i])
            origin.append(i)
            i += 1
            continue
        # a run that does not open a row goes on from the page before: the page-top indent
        prev = next((out[k] for k in range(len(out) - 1, -1, -1) if out[k].strip()), "")
        opens_row = run[0].pieces.get(1, "").startswith(_ROW_MARKERS)
        indent = not opens_row and not prev.strip().startswith("基本計画における")
        for col in (1, 2, 3):
            column = [(ln.index, ln.pieces[col]) for ln in run if col in ln.pieces]
            for k, (index, text) in enumerate(column):
                nxt = column[k + 1][1] if k + 1 < len(column) else ""
                lead = " " if indent else ""
                indent = False
                out.append(lead + text + (" " if _ends(text, nxt, full[col]) else ""))
                origin.append(index)
        i = run[-1].index + 1
        i = _marks_after_run(clean, i, out, origin)
    note = (
        f"the tables were written with their columns side by side ({len(runs)} runs of lines); "
        "they were read column by column, and paragraph ends inside cells were inferred"
    )
    return out, origin, note


def _marks_after_run(lines: list[str], i: int, out: list[str], origin: list[int]) -> int:
    """Copy the footnotes and page number right under a run, with the marks the parser expects.

    A footnote block opens after a lone-space line and a page number is followed by one; a
    layout extraction that moved them under the row keeps neither.
    """
    anchored = False
    while i < len(lines) and lines[i].strip():
        raw = lines[i]
        if _PAGE_NUMBER.match(raw):
            out.extend([raw.strip() + " ", " "])
            origin.extend([i, i])
            anchored = True
        elif _FOOTNOTE.match(raw.lstrip()):
            if not anchored:
                out.append(" ")
                origin.append(i)
                anchored = True
            out.append(raw)
            origin.append(i)
        else:
            break
        i += 1
    return i


_LINE_REF = re.compile(r"(?<=\bline )(\d+)|(?<=\blines )(\d+)|(?<=\bfrom )(\d+)(?= to )|(?<= to )(\d+)")


def remap_document(doc: Document, origin: list[int]) -> None:
    """Point every line number of ``doc`` (lines of the re-laid text) into the user's file."""

    def m(ln: int) -> int:
        return origin[ln - 1] + 1 if 1 <= ln <= len(origin) else ln

    def text(s: str) -> str:
        return _LINE_REF.sub(lambda g: str(m(int(g.group(0)))), s)

    for h in doc.headings:
        h.line = m(h.line)
    for f in doc.footnotes:
        f.line, f.line_end = m(f.line), m(f.line_end)
        f.references = sorted({m(ln) for ln in f.references})
    for g in doc.goals:
        g.line_start, g.line_end = m(g.line_start), m(g.line_end)
    for ind in doc.indicators:
        ind.line, ind.line_end = m(ind.line), m(ind.line_end)
    for e in doc.glossary:
        e.line, e.line_end = m(e.line), m(e.line_end)
    for mi in doc.ministries:
        mi.line = m(mi.line)
    for row in doc.measures:
        row.table_line, row.marker_line = m(row.table_line), m(row.marker_line)
        every: set[int] = {row.marker_line}
        for _, _, cell in row.cells():
            cell.lines = sorted({m(ln) for ln in cell.lines})
            cell.line_start = m(cell.line_start)
            cell.line_end = max(cell.lines) if cell.lines else m(cell.line_end)
            every.update(cell.lines)
        row.line_start, row.line_end = min(every), max(every)
        row.reasons = [text(r) for r in row.reasons]
    coverage: dict[int, str] = {}
    for ln in sorted(doc.coverage):
        # the pieces of one line belong to one row; the first reading of a line is kept, over
        # the marks added around a footnote block or page number
        user = m(ln)
        if user not in coverage or coverage[user].startswith("noise:blank"):
            coverage[user] = doc.coverage[ln]
    doc.coverage = coverage
    doc.warnings = [text(w) for w in doc.warnings]
