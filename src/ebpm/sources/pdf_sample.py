"""Lay the parsed 2023 strategy out as a PDF, the way the published one looks.

No real edition's PDF can be fetched offline, so the PDF ingest is tested on
PDFs made here: A4 pages, the heading tree, goal and indicator blocks, and the
measure rows as a three-column table whose header row repeats on every page and
whose rows break across pages; ministry tags stay in the text, page numbers sit
in the footer and footnotes at the foot of the page that cites them.

The layout is made from the parse of the bundled text (not from its lines), so
a row of the PDF holds exactly what the parser read: the round trip measures
the PDF reader, not the parser's own misreadings.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ebpm.model import Cell, Document, Measure
from ebpm.parser.measures import LOW_CONFIDENCE
from ebpm.sources.normalize import compact

# the published tables give the three columns about a third each
DEFAULT_COLUMNS: tuple[float, float, float] = (33.0, 33.5, 33.5)
HEADER_CELLS = ("基本計画における具体的な取組", "実施状況・現状分析", "今後の取組方針")

# a heading is one line in the published PDF: long titles are set smaller rather than wrapped
_TEXT_WIDTH_PT = 480.0
_HEADING_PT = {"chapter": 13.0, "section": 12.0, "group": 11.0, "subsection": 11.0, "item": 10.5}

_CSS = """
@page {
  size: A4;
  margin: 18mm 17mm 22mm 17mm;
  @bottom-center { content: counter(page); font-size: 9pt; font-family: "Noto Serif CJK JP"; }
  @footnote { border-top: 0.5pt solid black; padding-top: 2pt; }
}
body { font-family: "Noto Serif CJK JP", serif; font-size: 10.5pt; line-height: 1.45; }
h1, h2, h3, h4, p.group { white-space: nowrap; margin: 8pt 0 4pt 0; font-weight: bold; }
p { margin: 0 0 2pt 0; }
p.line { margin: 0; }
p.block { margin-top: 6pt; font-weight: bold; }
table.measures { width: __WIDTH__%; border-collapse: collapse; table-layout: fixed; font-size: 9.5pt;
  margin: 4pt 0 8pt 0; }
table.measures th { border: 0.6pt solid black; padding: 2pt 3pt; font-weight: bold; font-size: 9pt;
  background: #d9e2f3; text-align: left; }
table.measures td { border: 0.6pt solid black; padding: 3pt 4pt; vertical-align: top; }
table.measures td p { margin: 0 0 1.5pt 0; }
table.measures td p.topic { margin-top: 2pt; }
tr { break-inside: auto; }
.fn { float: footnote; font-size: 7pt; line-height: 1.15; font-weight: normal; text-indent: 0; }
.fn::footnote-call { content: none; }
.fn::footnote-marker { content: none; }
"""


@dataclass(frozen=True, slots=True)
class Layout:
    """How the sample is laid out; the defaults are the published look."""

    columns: tuple[float, float, float] = DEFAULT_COLUMNS  # percent of the table width
    table_width: float = 100.0  # percent of the text width
    sections: tuple[str, ...] = ()  # heading-id prefixes of chapter 2 to keep (empty: all)
    footnotes: bool = True


def _esc(text: str) -> str:
    return html.escape(text, quote=False)


def _paragraphs(raws: Iterable[str]) -> list[str]:
    """Source lines → paragraphs: a trailing space closes one, a wrapped line has none."""
    out: list[str] = []
    current: list[str] = []
    for raw in raws:
        current.append(raw)
        if raw.endswith(" "):
            out.append(_join(current))
            current = []
    if current:
        out.append(_join(current))
    return [p for p in out if p]


def _join(parts: Sequence[str]) -> str:
    text = ""
    for raw in parts:
        piece = raw.strip()
        if not piece:
            continue
        if text and text[-1].isascii() and text[-1].isalnum() and piece[0].isascii() and piece[0].isalnum():
            text += " "  # an English word wrapped at its space
        text += piece
    return text


class _Footnotes:
    """Footnote texts, each placed once, at the first element that cites it."""

    def __init__(self, doc: Document, enabled: bool) -> None:
        self.by_line: dict[int, list[int]] = {}
        self.text: dict[int, str] = {}
        if not enabled:
            return
        for f in doc.footnotes:
            if f.references:
                self.by_line.setdefault(min(f.references), []).append(f.number)
                self.text[f.number] = f.text

    def take(self, lines: Iterable[int]) -> str:
        out = ""
        for ln in sorted(set(lines)):
            for n in self.by_line.pop(ln, []):
                out += f'<span class="fn">{n} {_esc(self.text[n])}</span>'
        return out


def _heading(level: str, title: str) -> str:
    size = min(_HEADING_PT.get(level, 10.5), _TEXT_WIDTH_PT / max(len(title), 1))
    tag = {"chapter": "h1", "section": "h2", "subsection": "h3", "item": "h4"}.get(level, "p")
    cls = ' class="group"' if level == "group" else ""
    return f'<{tag}{cls} style="font-size:{size:.2f}pt">{_esc(title)}</{tag}>'


def _cells_html(cells: Sequence[Cell], notes: _Footnotes) -> str:
    out: list[str] = []
    topic: str | None = None
    for c in cells:
        if c.topic and c.topic != topic:
            out.append(f'<p class="topic">{_esc(c.topic)}</p>')
        topic = c.topic or topic
        out.append(f"<p>{_esc(c.text)}{notes.take(c.lines)}</p>")
    return "".join(out) or "<p>―</p>"


def _table(measures: Sequence[Measure], notes: _Footnotes, layout: Layout) -> str:
    cols = "".join(f'<col style="width:{w}%">' for w in layout.columns)
    head = "".join(f"<th>{h}</th>" for h in HEADER_CELLS)
    rows = []
    for m in measures:
        c1 = f"<p>{_esc(m.commitment.text)}{notes.take(m.commitment.lines)}</p>"
        rows.append(
            f"<tr><td>{c1}</td><td>{_cells_html(m.status, notes)}</td>"
            f"<td>{_cells_html(m.actions, notes)}</td></tr>"
        )
    return (
        f'<table class="measures"><colgroup>{cols}</colgroup><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


_KEEP_LINES = re.compile(r"^(glossary|ministr)")


def sample_html(doc: Document, lines: Sequence[str], layout: Layout = Layout()) -> str:
    """The document as HTML for WeasyPrint; ``lines`` are the parsed text's lines."""
    notes = _Footnotes(doc, layout.footnotes)
    headings = {h.line: h for h in doc.headings}
    tables: dict[int, list[Measure]] = {}
    for m in doc.measures:
        tables.setdefault(m.table_line, []).append(m)
    measure_ids = {m.id for m in doc.measures}
    wanted = layout.sections

    def kept(section: str | None) -> bool:
        return not wanted or section is None or not section.startswith("2") or section.startswith(wanted)

    body: list[str] = []
    pending: list[tuple[int, str]] = []  # prose lines waiting for their paragraph's end
    section: str | None = None

    def flush() -> None:
        if pending and kept(section):
            refs = [ln for ln, _ in pending]
            for para in _paragraphs(raw for _, raw in pending):
                body.append(f"<p>{_esc(para)}{notes.take(refs)}</p>")
                refs = []
        pending.clear()

    for i, raw in enumerate(lines):
        ln = i + 1
        label = doc.coverage.get(ln, "")
        if not raw.strip() or label.startswith(("noise:", "footnote:")) or label in measure_ids:
            continue
        if ln in headings:
            flush()
            h = headings[ln]
            section = h.id if h.level != "group" else section
            # a kept section's ancestors are kept with it
            if kept(h.id) or any(w.startswith(h.id + ".") for w in wanted):
                body.append(_heading(h.level, raw.strip()))
            continue
        if label.startswith("table-header:"):
            flush()
            if kept(section):
                body.append(_table(tables.get(ln, []), notes, layout))
            continue
        if label.startswith("block-header:"):
            flush()
            if kept(section):
                body.append(f'<p class="block">{_esc(raw.strip())}</p>')
            continue
        if _KEEP_LINES.match(label) or not label:
            # the two lists at the end are set line by line, as their source is
            flush()
            if kept(section) or _KEEP_LINES.match(label):
                body.append(f'<p class="line">{_esc(raw.strip())}</p>')
            continue
        if raw.lstrip().startswith("・") and pending:
            flush()  # an indicator or goal item opens a paragraph of its own
        pending.append((ln, raw))
    flush()
    css = _CSS.replace("__WIDTH__", f"{layout.table_width:g}")
    return (
        f'<!DOCTYPE html><html lang="ja"><head><meta charset="utf-8"><style>{css}</style></head>'
        f"<body>{''.join(body)}</body></html>"
    )


def write_sample_pdf(doc: Document, lines: Sequence[str], target: Path, layout: Layout = Layout()) -> int:
    """Render the sample PDF to ``target``; return its page count."""
    import weasyprint  # type: ignore[import-untyped]  # (WeasyPrint ships no type hints)

    rendered = weasyprint.HTML(string=sample_html(doc, lines, layout)).render()
    rendered.write_pdf(target)
    return len(rendered.pages)


@dataclass(frozen=True, slots=True)
class RoundTrip:
    """How the rows parsed from a PDF compare with the rows parsed from the text."""

    expected: int  # rows of the text (in the sections laid out)
    found: int  # of those, rows with the same id in the PDF's parse
    identical: int
    below_confidence: int  # rows of the PDF's parse below the parser's confidence threshold
    differing: list[str]  # ids of rows found but not identical, or missing


def row_key(doc: Document, m: Measure) -> tuple[object, ...]:
    """What must survive the PDF: id, heading path, the texts (NFKC, spaces removed) of
    commitment, status and actions, and every cell's ministries."""
    by_id = {h.id: h for h in doc.headings}
    path: list[str] = []
    hid: str | None = m.section
    while hid is not None and hid in by_id:
        path.append(compact(by_id[hid].title))
        hid = by_id[hid].parent_id
    cells = [m.commitment, *m.status, *m.actions]
    return (
        m.id,
        m.section,
        tuple(path),
        compact(m.commitment.text),
        tuple(compact(c.text) for c in m.status),
        tuple(compact(c.text) for c in m.actions),
        tuple(tuple(c.ministries) for c in cells),
    )


def compare(text_doc: Document, pdf_doc: Document, sections: Sequence[str] = ()) -> RoundTrip:
    """Compare the rows of ``pdf_doc`` with those of ``text_doc`` (in ``sections`` only)."""
    wanted = tuple(sections)
    theirs = {m.id: m for m in pdf_doc.measures}
    expected = [m for m in text_doc.measures if not wanted or m.section.startswith(wanted)]
    found = [m for m in expected if m.id in theirs]
    same = [m for m in found if row_key(text_doc, m) == row_key(pdf_doc, theirs[m.id])]
    same_ids = {m.id for m in same}
    return RoundTrip(
        expected=len(expected),
        found=len(found),
        identical=len(same),
        below_confidence=sum(1 for m in found if theirs[m.id].confidence < LOW_CONFIDENCE),
        differing=[m.id for m in expected if m.id not in same_ids],
    )
