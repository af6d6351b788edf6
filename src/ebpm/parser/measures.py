"""Three-column measure tables → :class:`Measure` rows."""

from __future__ import annotations

from collections.abc import Set
from dataclasses import dataclass
from itertools import pairwise

from ebpm.model import Cell, Measure
from ebpm.parser.columns import Assignment
from ebpm.parser.seams import PAGE_LINES, assign_with_repair
from ebpm.parser.tags import is_reposted, parse_tags
from ebpm.parser.units import ContentLine, Unit, build_units, split_rows
from ebpm.sources.normalize import join_wrapped

TABLE_HEADER = "基本計画における具体的な取組"
LOW_CONFIDENCE = 0.9
# a unit whose second-best column costs less than this extra is flagged as ambiguous
AMBIGUOUS_MARGIN = 0.5
_SUBHEAD_TAIL = 3  # characters
# in sections 4 and 6 untagged lead-ins open both columns 2 and 3, so the evidence is weaker
AMBIGUOUS_MARGIN_PROSE = 1.0
OVERFULL_PAGE_CONFIDENCE = 0.7
# Every row of the bundled text whose decoded path breaks a page at no mark is already below
# 0.9 for other reasons; in texts whose pages break elsewhere such a break is a guess.
UNMARKED_BREAK_CONFIDENCE = 0.85
# A cut column shorter than this share of the tallest column on its page, by at least this
# many source lines, did not reach the page bottom (the bundled text: never below 0.5).
SHORT_CUT_SHARE = 0.45
SHORT_CUT_LINES = 5
SHORT_CUT_CONFIDENCE = 0.75
# An inner page of a row spanning fewer source lines than this cannot be a whole page.
THIN_PAGE_LINES = 4


@dataclass(slots=True)
class TableRegion:
    header: int  # 0-based index of the header line
    stop: int  # 0-based index one past the last line of the table
    section: str
    prose_rows: bool
    # 1-based lines that close a sentence where the restorer did not end the paragraph
    doubtful_ends: frozenset[int] = frozenset()
    # text boxes (pdfminer): a box ends at every page end, so ``doubtful_ends`` are box ends
    # left open, and the only lines a page break can hide behind inside a unit
    boxed: bool = False


def is_table_header(raw: str) -> bool:
    return raw.strip().startswith(TABLE_HEADER) and "今後の取組" in raw


def content_lines(lines: list[str], start: int, stop: int, noise: Set[int]) -> list[ContentLine]:
    """Non-blank lines of a region; a page break is recorded where noise was skipped."""
    out: list[ContentLine] = []
    pending = False
    for i in range(start, stop):
        if i in noise:
            pending = True
            continue
        if not lines[i].strip():
            continue
        out.append(ContentLine(index=i, text=lines[i], break_before="hard" if pending else None))
        pending = False
    return out


@dataclass(slots=True)
class _CellUnits:
    """The units of one cell: sub-heads above it (context) and its own text (body)."""

    context: list[Unit]
    body: list[Unit]


def _cell(parts: _CellUnits, known: Set[str]) -> Cell:
    body = parts.body or parts.context
    text = join_wrapped([t for u in body for t in u.texts])
    tags = parse_tags(text, known)
    line_numbers = sorted({ln for u in [*parts.context, *parts.body] for ln in u.lines})
    topic = " ".join(u.text for u in parts.context) if parts.body else None
    return Cell(
        text=text,
        ministries=tags.ministries,
        other_tags=tags.other,
        reposted=is_reposted(text),
        # an item starts at its own marker; a sub-head above it is context, kept in `lines` and `topic`
        line_start=body[0].lines[0],
        line_end=line_numbers[-1],
        lines=line_numbers,
        topic=topic or None,
    )


def _confidence(assignment: Assignment, units: list[Unit], prose: bool) -> tuple[float, list[str]]:
    reasons = list(assignment.reasons)
    # every anomaly on the chosen path lowers the confidence
    confidence = 1.0 - 0.12 * len(reasons)
    for u, margin in zip(units, assignment.margins, strict=True):
        if margin < (AMBIGUOUS_MARGIN_PROSE if prose else AMBIGUOUS_MARGIN) + 1e-9:
            confidence = min(confidence, 0.5 + 0.35 * margin)
            reasons.append(f"line {u.lines[0]}: column is ambiguous (margin {margin:.2f})")
    for line, col, span in _overfull_pages(assignment, units):
        confidence = min(confidence, OVERFULL_PAGE_CONFIDENCE)
        reasons.append(
            f"line {line}: column {col} runs {span} lines on one page, more than a page holds; "
            "a page break is probably missing"
        )
    for line, span in _thin_pages(assignment, units):
        confidence = min(confidence, OVERFULL_PAGE_CONFIDENCE)
        reasons.append(
            f"line {line}: a page of {span} lines between two page breaks without a marker; "
            "a page break is probably misplaced"
        )
    for i, (u, brk) in enumerate(zip(units, assignment.breaks, strict=True)):
        # a page break with no footnote block, page number or page-top indent before it, and
        # no shared bottom line: the decoder placed it where the columns seemed to restart, but
        # a continuation glued to the cut item above it would have hidden the true one
        if brk and u.break_before is None and not units[i - 1].shared_line:
            confidence = min(confidence, UNMARKED_BREAK_CONFIDENCE)
            reasons.append(f"line {u.lines[0]}: page break placed where the text shows no mark of one")
    broken = False
    for u, brk in zip(units, assignment.breaks, strict=True):
        broken = broken or brk
        if broken and u.conjunction_line is not None and not prose:
            # after a page break a paragraph opening with 「また、」 may be the continuation of a
            # column whose item ended at the page bottom, not the next paragraph of this unit
            # (18537 under 18531 of ``shifted-pages``)
            confidence = min(confidence, UNMARKED_BREAK_CONFIDENCE)
            reasons.append(
                f"line {u.conjunction_line}: a paragraph opening with a conjunction after a page "
                "break is read into the item above it"
            )
    for line, col, span, other, tallest in _short_cut_columns(assignment, units):
        confidence = min(confidence, SHORT_CUT_CONFIDENCE)
        reasons.append(
            f"line {line}: column {col} is cut at the page end after {span} lines while column "
            f"{other} runs {tallest} lines on the same page; the page break may lie elsewhere"
        )
    return max(0.05, min(assignment.confidence_cap, confidence)), reasons


def _short_cut_columns(assignment: Assignment, units: list[Unit]) -> list[tuple[int, int, int, int, int]]:
    """(first line, column, span, tallest column, its span) of every cut column far too short.

    On one page every column of a row starts at the same height (the row top or the page
    top), and a column whose last item is cut reaches the page bottom, so it is about as tall
    as the tallest column there (in the bundled text never below half of it). A cut column
    much shorter than another column of its page means the decoder glued text across a page
    break it did not see (the cut item's continuation read into the item above: 7116 + 7124
    of ``shifted-pages``) and chose its page breaks wrong.
    """
    out: list[tuple[int, int, int, int, int]] = []
    page: dict[int, list[Unit]] = {}

    def close() -> None:
        spans = {c: us[-1].lines[-1] - us[0].lines[0] + 1 for c, us in page.items()}
        tallest = max(spans, key=lambda c: spans[c])
        for c, us in sorted(page.items()):
            short = (
                spans[c] < SHORT_CUT_SHARE * spans[tallest] and spans[tallest] - spans[c] >= SHORT_CUT_LINES
            )
            if not us[-1].complete and short:
                out.append((us[0].lines[0], c, spans[c], tallest, spans[tallest]))

    for u, col, brk in zip(units, assignment.columns, assignment.breaks, strict=True):
        if brk and page:
            close()
            page = {}
        page.setdefault(col, []).append(u)
    # the last page of a row is not cut: its columns end where the row ends
    return out


def _thin_pages(assignment: Assignment, units: list[Unit]) -> list[tuple[int, int]]:
    """(first line, span) of every inner page of the decoded row that holds almost nothing.

    A row that goes on over a whole page fills it; a page of one or two lines between two
    breaks is a break the decoder placed to explain text it could not fit (a wrapped shared
    page-bottom line: 4354–4355), unless the second break is marked (a footnote block may
    fill the rest of that page).
    """
    out: list[tuple[int, int]] = []
    starts = [i for i, brk in enumerate(assignment.breaks) if brk]
    for a, b in pairwise(starts):
        span = units[b - 1].lines[-1] - units[a].lines[0] + 1
        if span < THIN_PAGE_LINES:
            out.append((units[a].lines[0], span))
    return out


def _overfull_pages(assignment: Assignment, units: list[Unit]) -> list[tuple[int, int, int]]:
    """(first line, column, span) of every column that overfills one page of the decoded row.

    A cell never runs past the page bottom, so a column spanning more source
    lines than a page holds betrays a page break the decoder did not see.
    """
    spans: dict[int, list[int]] = {}  # column -> [first line, last line] on the current page
    out: list[tuple[int, int, int]] = []

    def close() -> None:
        for col, (first, last) in sorted(spans.items()):
            if last - first + 1 > PAGE_LINES:
                out.append((first, col, last - first + 1))
        spans.clear()

    for u, col, brk in zip(units, assignment.columns, assignment.breaks, strict=True):
        if brk:
            close()
        spans[col] = [spans.get(col, u.lines)[0], u.lines[-1]]
    close()
    return out


def _row_to_measure(row: list[Unit], region: TableRegion, index: int, known: Set[str]) -> Measure:
    row, assignment = assign_with_repair(row, region.prose_rows, region.doubtful_ends, region.boxed)
    per_column: dict[int, list[_CellUnits]] = {1: [], 2: [], 3: []}
    pending: dict[int, list[Unit]] = {1: [], 2: [], 3: []}  # sub-heads waiting for their item
    for u, col in zip(row, assignment.columns, strict=True):
        cells = per_column[col]
        heads = pending[col]
        if col == 1:
            if not cells:
                cells.append(_CellUnits([], []))
            cells[0].body.append(u)
        elif u.kind == "subhead" or (u.kind == "frag" and heads and len(u.text) <= _SUBHEAD_TAIL):
            # (a sub-head wrapped after a stray trailing space ends in a scrap of a line: 17264–17265)
            heads.append(u)
        elif u.kind == "frag" and cells and not (heads and cells[-1].body[-1].complete):
            cells[-1].body.append(u)  # a continuation joins the item it continues
        else:
            # (a paragraph right under a sub-head is an item whose bullet was lost: 17089)
            cells.append(_CellUnits(list(heads), [u]))
            heads.clear()
    # sub-heads with no item after them stay with the last item of their column
    for col in (2, 3):
        if pending[col]:
            if per_column[col]:
                per_column[col][-1].context.extend(pending[col])
            else:
                per_column[col].append(_CellUnits(pending[col], []))
    confidence, reasons = _confidence(assignment, row, region.prose_rows)
    commitment = _cell(per_column[1][0] if per_column[1] else _CellUnits([], [row[0]]), known)
    status = [_cell(parts, known) for parts in per_column[2]]
    actions = [_cell(parts, known) for parts in per_column[3]]
    all_lines = [ln for u in row for ln in u.lines]
    if not region.prose_rows and not commitment.ministries:
        confidence = min(confidence, 0.7)
        reasons.append(f"line {commitment.line_start}: commitment has no ministry tag")
    return Measure(
        id=f"{region.section}.m{index}",
        section=region.section,
        table_line=region.header + 1,
        marker_line=row[0].lines[0],
        line_start=min(all_lines),
        line_end=max(all_lines),
        crosses_page=any(assignment.breaks),
        confidence=round(confidence, 3),
        reasons=reasons,
        commitment=commitment,
        status=status,
        actions=actions,
    )


def parse_table(
    lines: list[str], region: TableRegion, noise: Set[int], known: Set[str], first_index: int
) -> list[Measure]:
    """Parse one table region into measures numbered from ``first_index``."""
    content = content_lines(lines, region.header + 1, region.stop, noise)
    if not content:
        return []
    units = build_units(content, region.prose_rows)
    rows = split_rows(units, region.prose_rows)
    return [_row_to_measure(r, region, first_index + k, known) for k, r in enumerate(rows)]
