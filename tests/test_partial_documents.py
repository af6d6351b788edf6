"""Texts that hold only part of the strategy still parse into the same structure."""

from __future__ import annotations

from ebpm.model import Document
from ebpm.parser.document import parse_document

CHAPTER_2 = 1315  # first line of 第２章


def test_text_starting_at_chapter_2_keeps_its_structure(doc: Document, lines: list[str]) -> None:
    offset = CHAPTER_2 - 1
    part = parse_document("\n".join(lines[offset:]) + "\n", "chapter2.txt", "0" * 64)
    # headings of chapter 2, found without chapter 1 before them
    assert [(h.id, h.line + offset) for h in part.headings] == [
        (h.id, h.line) for h in doc.headings if h.id.split(".")[0] == "2"
    ]
    # the footnotes that chapter 2 defines (18–188), although footnote 1 never appears
    assert [f.number for f in part.footnotes] == [f.number for f in doc.footnotes if f.line >= CHAPTER_2]
    # the same rows, shifted by the cut
    assert [(m.id, m.marker_line + offset, len(m.status), len(m.actions)) for m in part.measures] == [
        (m.id, m.marker_line, len(m.status), len(m.actions)) for m in doc.measures
    ]
    assert not [n for n, raw in enumerate(lines[offset:], start=1) if raw.strip() and n not in part.coverage]
