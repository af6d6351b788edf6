"""The body text between headings (総論 and the prose before each table) as paragraphs.

The parser marks every prose line with ``text:<heading id>`` in ``Document.coverage``. A
paragraph is a run of such lines under one heading: it ends where a line ends a sentence (。) or
where the heading changes. Footnotes and page-number lines between its lines (a page break) do
not end it, so a paragraph cut by a page break is read back whole.
"""

from __future__ import annotations

from dataclasses import dataclass

from ebpm.model import Document
from ebpm.sources.normalize import join_wrapped

MAX_LINES = 30  # a run without a sentence end (a list, say) is cut into readable pieces
_SENTENCE_END = ("。", "。）", "。」", "。)")


@dataclass(frozen=True, slots=True)
class Passage:
    id: str  # <heading id>.p<n>, numbered in document order under its heading
    section: str
    text: str
    line_start: int
    line_end: int
    lines: tuple[int, ...]


def passages(doc: Document, lines: list[str]) -> list[Passage]:
    """Every paragraph of body text, in document order. ``lines`` are the raw source lines."""
    out: list[Passage] = []
    counts: dict[str, int] = {}
    current: list[int] = []
    section = ""

    def close() -> None:
        if current:
            counts[section] = counts.get(section, 0) + 1
            text = join_wrapped([lines[n - 1].strip() for n in current])
            if text:
                out.append(
                    Passage(
                        f"{section}.p{counts[section]}",
                        section,
                        text,
                        current[0],
                        current[-1],
                        tuple(current),
                    )
                )
            current.clear()

    for n in range(1, len(lines) + 1):
        element = doc.coverage.get(n, "")
        if not element.startswith("text:"):
            continue  # a footnote, a page number or a blank line inside a paragraph ends nothing
        heading = element.removeprefix("text:")
        if heading != section:
            close()
            section = heading
        current.append(n)
        if lines[n - 1].rstrip().endswith(_SENTENCE_END) or len(current) >= MAX_LINES:
            close()
    close()
    return out
