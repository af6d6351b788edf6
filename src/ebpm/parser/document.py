"""Parse the whole strategy text into a :class:`Document`.

The order matters: noise (footnote blocks, page numbers) is found first so
that every later stage works on body text only; headings split the body into
regions; each region holds goal blocks, prose and measure tables.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from ebpm.model import Document, GoalKind, GoalStatement, Heading
from ebpm.parser.edition import edition_of_text
from ebpm.parser.footnotes import find_footnote_blocks, find_references
from ebpm.parser.glossary import parse_glossary, parse_ministries
from ebpm.parser.goals import BlockKind, block_header
from ebpm.parser.headings import GLOSSARY_HEADER, parse_headings
from ebpm.parser.indicators import parse_indicator_block
from ebpm.parser.layout import relay_columns, remap_document
from ebpm.parser.lines import is_blank, page_number_lines
from ebpm.parser.measures import TableRegion, is_table_header, parse_table
from ebpm.parser.restore import RESTORED_CONFIDENCE, is_boxed, restore_line_ends
from ebpm.parser.tags import GENERIC_OWNERS
from ebpm.sources.normalize import compact, join_wrapped

MINISTRY_HEADER = re.compile(r"^\s*※【\s*】中において")
EXPECTED_SECTIONS = 6
# The first footnote found this close to 1 means the text starts at the top: 1 is expected.
FIRST_FOOTNOTE_SLACK = 12

Progress = Callable[[str], None]


class StructureError(ValueError):
    """The text does not look like the strategy document at all."""


def _find(lines: list[str], pattern: re.Pattern[str], start: int = 0) -> int | None:
    for i in range(start, len(lines)):
        if pattern.match(lines[i]):
            return i
    return None


def parse_document(text: str, source: str, sha256: str, progress: Progress | None = None) -> Document:
    step = progress or (lambda _msg: None)
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()  # the newline that ends the file opens no line
    doc = Document(source=source, sha256=sha256, line_count=len(lines), edition=edition_of_text(text) or "")
    coverage = doc.coverage
    # a layout extraction writes the table columns side by side: lay them out one after another
    lines, origin, relaid = relay_columns(lines)
    if relaid:
        doc.warnings.append(relaid)
    # an extraction without trailing spaces lost the mark of paragraph ends: put it back
    # text boxes (pdfminer) end at every page end: a page break hidden in a unit lies at a box end
    boxed = is_boxed(lines)
    lines, restored, doubtful = restore_line_ends(lines)
    boxed = boxed and restored is not None
    if restored:
        doc.warnings.append(restored)

    glossary_start = _find(lines, GLOSSARY_HEADER)
    ministry_start = _find(lines, MINISTRY_HEADER, glossary_start or 0)
    body_stop = glossary_start if glossary_start is not None else (ministry_start or len(lines))

    step("footnotes")
    blocks = find_footnote_blocks(lines, 0, body_stop)
    noise: set[int] = set()
    for b in blocks:
        for i in range(b.start, b.end + 1):
            noise.add(i)
        for f in b.footnotes:
            doc.footnotes.append(f)
            for ln in range(f.line, f.line_end + 1):
                if not is_blank(lines[ln - 1]):
                    coverage[ln] = f"footnote:{f.number}"
    numbers = sorted(f.number for b in blocks for f in b.footnotes)
    if numbers:
        # footnotes are numbered in one sequence: a gap is a footnote read into the body text
        # (a text that starts mid-document starts its sequence far above 1)
        first = 1 if numbers[0] <= FIRST_FOOTNOTE_SLACK else numbers[0]
        gaps = sorted(set(range(first, numbers[-1] + 1)) - set(numbers))
        if gaps:
            shown = ", ".join(str(n) for n in gaps[:20]) + (" …" if len(gaps) > 20 else "")
            doc.warnings.append(
                f"footnotes {shown} ({len(gaps)} of {numbers[-1]}) were not found: their text is "
                "probably read into the text around them"
            )
    for i in page_number_lines(lines[:body_stop]):
        noise.add(i)
        coverage[i + 1] = "noise:page-number"
    refs = find_references(lines, blocks, noise)
    for f in doc.footnotes:
        f.references = refs.get(f.number, [])
    doc.footnotes.sort(key=lambda f: f.number)

    step("ministries")
    if ministry_start is not None:
        doc.ministries, used = parse_ministries(lines, ministry_start + 1, len(lines))
        for ln in used:
            coverage.setdefault(ln, "ministries")
        for m in doc.ministries:
            coverage[m.line] = f"ministry:{m.abbreviation}"
    if glossary_start is not None:
        gstop = ministry_start if ministry_start is not None else len(lines)
        entries, used = parse_glossary(lines, glossary_start + 1, gstop)
        # an abbreviation listed twice (an editing slip) keeps its first entry: it names one
        # element of the graph, and the repeat is reported, not a failed ingest
        listed_on: dict[str, int] = {}
        for g in entries:
            if g.abbreviation in listed_on:
                doc.warnings.append(
                    f"line {g.line}: the glossary lists {g.abbreviation} again (first on line "
                    f"{listed_on[g.abbreviation]}); the first entry is kept"
                )
            else:
                listed_on[g.abbreviation] = g.line
                doc.glossary.append(g)
        for ln in used:
            coverage.setdefault(ln, "glossary")
        for g in doc.glossary:
            for ln in range(g.line, g.line_end + 1):
                if ln in used:
                    coverage[ln] = f"glossary:{g.abbreviation}"
    # lines of the two lists that no entry took are kept with their list and reported
    for start, stop, name in (
        (glossary_start, ministry_start if ministry_start is not None else len(lines), "glossary"),
        (ministry_start, len(lines), "ministries"),
    ):
        if start is None:
            continue
        for i in range(start, stop):
            if not is_blank(lines[i]) and (i + 1) not in coverage:
                coverage[i + 1] = name
                doc.warnings.append(f"line {i + 1}: not recognized as an entry of the {name} list")
    known = {compact(m.abbreviation) for m in doc.ministries} | set(GENERIC_OWNERS)

    step("headings")
    doc.headings = parse_headings(lines, body_stop, noise)
    for h in doc.headings:
        coverage[h.line] = f"heading:{h.id}"
    _check_structure(doc, lines)

    step("sections")
    chapter2 = [h for h in doc.headings if h.id.startswith("2")]
    by_line = sorted(doc.headings, key=lambda h: h.line)
    measure_counts: dict[str, int] = {}
    doubtful_ends = frozenset(i + 1 for i in doubtful)  # 1-based, as units number their lines
    for k, h in enumerate(by_line):
        stop = by_line[k + 1].line - 1 if k + 1 < len(by_line) else body_stop
        if h in chapter2 and h.level != "chapter":
            _parse_region(doc, lines, h, h.line, stop, noise, known, measure_counts, doubtful_ends, boxed)
        else:
            _mark_prose(doc, lines, h, h.line, stop, noise)
    # anything before the first heading is the title page
    first = by_line[0].line - 1 if by_line else body_stop
    for i in range(first):
        if i not in noise and not is_blank(lines[i]):
            coverage.setdefault(i + 1, "text:title")
    for i, raw in enumerate(lines):
        if raw and is_blank(raw):
            coverage.setdefault(i + 1, "noise:blank-like")
    inferred = (
        "paragraph ends were inferred (the text has no trailing spaces)"
        if restored
        else "columns written side by side were read apart and their paragraph ends inferred"
        if relaid
        else None
    )
    if inferred:
        for row in doc.measures:
            if row.confidence > RESTORED_CONFIDENCE:
                row.confidence = RESTORED_CONFIDENCE
                row.reasons.append(inferred)
    _check_completeness(doc)
    if origin is not None:
        remap_document(doc, origin)
    return doc


def _mark_prose(doc: Document, lines: list[str], h: Heading, start: int, stop: int, noise: set[int]) -> None:
    for i in range(start, stop):
        if i not in noise and not is_blank(lines[i]):
            doc.coverage.setdefault(i + 1, f"text:{h.id}")


def _parse_region(
    doc: Document,
    lines: list[str],
    h: Heading,
    start: int,
    stop: int,
    noise: set[int],
    known: set[str],
    measure_counts: dict[str, int],
    doubtful_ends: frozenset[int] = frozenset(),
    boxed: bool = False,
) -> None:
    """Goal blocks and prose up to the first table, then the tables (0-based [start, stop)).

    ``doubtful_ends``: 1-based lines whose paragraph end the restorer was unsure of; ``boxed``:
    the text came in text boxes, so those lines are the only places a page may break in a unit.
    """
    headers = [i for i in range(start, stop) if is_table_header(lines[i])]
    pre_stop = headers[0] if headers else stop
    _parse_goal_blocks(doc, lines, h, start, pre_stop, noise)
    prose_rows = h.id.startswith(("2.4", "2.6"))
    for k, hdr in enumerate(headers):
        doc.coverage[hdr + 1] = f"table-header:{h.id}"
        tstop = headers[k + 1] if k + 1 < len(headers) else stop
        region = TableRegion(
            header=hdr,
            stop=tstop,
            section=h.id,
            prose_rows=prose_rows,
            doubtful_ends=doubtful_ends,
            boxed=boxed,
        )
        first_index = measure_counts.get(h.id, 0) + 1
        measures = parse_table(lines, region, noise, known, first_index)
        measure_counts[h.id] = first_index - 1 + len(measures)
        for m in measures:
            doc.measures.append(m)
            for cell in [m.commitment, *m.status, *m.actions]:
                for ln in cell.lines:
                    doc.coverage[ln] = m.id


def _parse_goal_blocks(
    doc: Document, lines: list[str], h: Heading, start: int, stop: int, noise: set[int]
) -> None:
    current: tuple[BlockKind, int] | None = None
    body: list[tuple[int, str]] = []

    def flush() -> None:
        if current is None:
            return
        kind, header_index = current
        _emit_block(doc, kind, h.id, header_index, body)

    for i in range(start, stop):
        if i in noise or is_blank(lines[i]):
            continue
        kind = block_header(lines[i])
        if kind is not None:
            flush()
            current = (kind, i)
            body = []
            doc.coverage[i + 1] = f"block-header:{h.id}:{kind}"
            continue
        if current is None:
            doc.coverage.setdefault(i + 1, f"text:{h.id}")
        else:
            body.append((i + 1, lines[i]))
    flush()


def _emit_block(
    doc: Document, kind: BlockKind, section: str, header_index: int, body: list[tuple[int, str]]
) -> None:
    if not body:
        doc.warnings.append(f"line {header_index + 1}: {kind} block of {section} is empty")
        return
    if kind in ("kpi", "reference"):
        abbr = "kpi" if kind == "kpi" else "ref"
        earlier = {i.id.rsplit(".", 1)[0] for i in doc.indicators if i.section == section and i.block == kind}
        prefix = f"{section}.{abbr}" if not earlier else f"{section}.{abbr}{len(earlier) + 1}"
        indicators, used = parse_indicator_block(
            kind, section, body, {f.number for f in doc.footnotes}, prefix
        )
        doc.indicators.extend(indicators)
        for ind in indicators:
            for ln in range(ind.line, ind.line_end + 1):
                if ln in used:
                    doc.coverage[ln] = ind.id
        for ln, _ in body:
            doc.coverage.setdefault(ln, f"text:{section}")
        return
    if kind == "vision":
        doc.goals.append(
            GoalStatement(
                id=f"{section}.vision",
                kind="vision",
                section=section,
                text=join_wrapped([t for _, t in body]),
                line_start=body[0][0],
                line_end=body[-1][0],
            )
        )
        for ln, _ in body:
            doc.coverage[ln] = f"{section}.vision"
        return
    # 大目標 / 目標: one statement per bullet
    goal_kind: GoalKind = "grand_goal" if kind == "grand_goal" else "goal"
    items: list[list[tuple[int, str]]] = []
    for ln, raw in body:
        if raw.lstrip().startswith("・") or not items:
            items.append([(ln, raw)])
        else:
            items[-1].append((ln, raw))
    for k, item in enumerate(items, start=1):
        gid = f"{section}.{kind}.{k}"
        doc.goals.append(
            GoalStatement(
                id=gid,
                kind=goal_kind,
                section=section,
                text=join_wrapped([t for _, t in item]).lstrip("・ "),
                line_start=item[0][0],
                line_end=item[-1][0],
            )
        )
        for ln, _ in item:
            doc.coverage[ln] = gid


def _check_structure(doc: Document, lines: list[str]) -> None:
    has_tables = any(is_table_header(raw) for raw in lines)
    if not doc.headings and not has_tables and not doc.glossary:
        raise StructureError(
            f"{doc.source}: no recognizable structure: expected the Integrated Innovation Strategy "
            "text, with chapter headings such as '第２章 …', numbered sections '１．…', and measure tables "
            "whose header line reads '基本計画における具体的な取組 実施状況・現状分析 今後の取組方針'"
        )


def _check_completeness(doc: Document) -> None:
    sections = [h for h in doc.headings if h.level == "section" and h.id.startswith("2.")]
    if not any(h.id == "2" for h in doc.headings):
        doc.missing.append("chapter 2 (第２章) heading not found")
    if len(sections) < EXPECTED_SECTIONS:
        have = ", ".join(h.id for h in sections) or "none"
        doc.missing.append(f"chapter 2 has {len(sections)} of {EXPECTED_SECTIONS} sections (found: {have})")
    if not doc.glossary:
        doc.missing.append("abbreviation list (略称一覧) not found")
    if not doc.ministries:
        doc.missing.append("ministry abbreviation list (※【 】中において…) not found")
    if not doc.measures:
        doc.missing.append("no measure tables found")
