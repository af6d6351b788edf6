"""`ebpm ingest strategy.pdf`: the PDF read by its layout, on PDFs laid out from the 2023 text.

No real edition's PDF can be downloaded here, so WeasyPrint lays the parsed 2023 document out
as the published one looks (``ebpm.sources.pdf_sample``) and the rows read back from the PDF are
compared with the rows parsed from the bundled text. The whole document takes about 12 s to lay
out and 10 s to read back; it is done once for the module.
"""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest
from pypdf import PdfReader, PdfWriter

from ebpm.model import Document
from ebpm.parser.document import parse_document
from ebpm.sources.corpus import CorpusError, SourceText, read_source
from ebpm.sources.normalize import compact
from ebpm.sources.pdf import pdf_text
from ebpm.sources.pdf_sample import Layout, compare, write_sample_pdf

EBPM = Path(sys.executable).with_name("ebpm")
# Sections 2.1.1 and 2.1.2: 35 rows, tables breaking across many pages, footnotes in cells.
SUBSET = ("2.1.1", "2.1.2")


def _parse(src: SourceText) -> Document:
    return parse_document(src.text, src.path, src.sha256)


@pytest.fixture(scope="module")
def whole_pdf(tmp_path_factory: pytest.TempPathFactory, doc: Document, lines: list[str]) -> Path:
    """The whole document (218 rows) as a PDF. Its footnotes are left out: WeasyPrint defers a
    footnote that does not fit on its page, and then places one per page, so their numbers run
    far out of order, which no real PDF does; the subset below has them."""
    path = tmp_path_factory.mktemp("pdf") / "strategy-2023.pdf"
    write_sample_pdf(doc, lines, path, Layout(footnotes=False))
    return path


@pytest.fixture(scope="module")
def whole_read(whole_pdf: Path) -> SourceText:
    return read_source(whole_pdf)


def test_whole_document_round_trip(whole_pdf: Path, whole_read: SourceText, doc: Document) -> None:
    assert whole_read.encoding == "pdf"
    import hashlib

    assert whole_read.sha256 == hashlib.sha256(whole_pdf.read_bytes()).hexdigest()
    pdf_doc = _parse(whole_read)
    assert not pdf_doc.missing
    result = compare(doc, pdf_doc)
    assert result.expected == 218
    assert result.found == 218
    assert len(pdf_doc.measures) == 218
    # the target: at least 95% of rows identical (id, heading path, texts, ministries)
    assert result.identical >= 0.95 * result.expected, result.differing
    text_low = sum(1 for m in doc.measures if m.confidence < 0.9)
    assert result.below_confidence <= text_low + 5
    # the structure around the tables survives too
    assert [h.id for h in pdf_doc.headings] == [h.id for h in doc.headings]
    assert len(pdf_doc.glossary) >= len(doc.glossary) - 5
    # (compact: a glyph shared by 文 and its Kangxi look-alike ⽂ reads back as either)
    assert {compact(m.abbreviation) for m in pdf_doc.ministries} == {
        compact(m.abbreviation) for m in doc.ministries
    }


def test_page_breaks_and_columns_are_marked(whole_read: SourceText) -> None:
    out = whole_read.text.split("\n")
    # every page ends with its number line, as the parser's page-break mark
    numbers = [int(out[i]) for i in range(len(out) - 1) if out[i].strip().isdigit() and out[i + 1] == " "]
    assert numbers[:3] == [1, 2, 3]
    assert numbers == list(range(1, len(numbers) + 1))
    # the repeated table header of a continuation page is dropped: once per table, as in the text
    headers = [ln for ln in out if ln.startswith("基本計画における具体的な取組")]
    source_headers = [
        ln for ln in read_source().text.split("\n") if ln.startswith("基本計画における具体的な取組")
    ]
    assert len(headers) == len(source_headers)


def test_subset_with_footnotes(tmp_path: Path, doc: Document, lines: list[str]) -> None:
    path = tmp_path / "subset.pdf"
    write_sample_pdf(doc, lines, path, Layout(sections=SUBSET))
    pdf_doc = _parse(read_source(path))
    result = compare(doc, pdf_doc, SUBSET)
    assert result.expected == result.found == 35
    assert result.identical >= 0.95 * result.expected, result.differing
    # the footnotes come back from the foot of their pages, with their text, not glued to cells.
    # Of the 63 laid out, those WeasyPrint deferred to later pages (one per page, out of order:
    # the pages of indicator lists cite a dozen each) are not taken as footnotes by the parser.
    cited = {f.number: f.text for f in doc.footnotes}
    assert len(pdf_doc.footnotes) >= 35
    for f in pdf_doc.footnotes:
        assert f.text.replace(" ", "") == cited[f.number].replace(" ", ""), f.number


def test_narrower_columns_wrap_differently(tmp_path: Path, doc: Document, lines: list[str]) -> None:
    """The same rows in a table of 80% width with other column shares: every cell wraps elsewhere
    and the rows break across pages at other lines."""
    path = tmp_path / "narrow.pdf"
    write_sample_pdf(doc, lines, path, Layout(columns=(28.0, 36.0, 36.0), table_width=80.0, sections=SUBSET))
    pdf_doc = _parse(read_source(path))
    result = compare(doc, pdf_doc, SUBSET)
    assert result.found == result.expected == 35
    assert result.identical >= 0.9 * result.expected, result.differing


def _cli(*args: str | Path, db: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(EBPM), "ingest", *map(str, args), "--db", str(db)],
        capture_output=True,
        text=True,
        timeout=300,
    )


def _one_line_error(proc: subprocess.CompletedProcess[str], path: Path, words: str) -> None:
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    message = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(message) == 1, proc.stderr
    assert path.name in message[0] and words in message[0], message[0]


def test_cli_ingests_a_pdf(whole_pdf: Path, tmp_path: Path) -> None:
    db = tmp_path / "kb.sqlite"
    proc = _cli(whole_pdf, db=db)
    assert proc.returncode == 0, proc.stderr
    assert "218" in proc.stdout
    assert db.exists()


def test_truncated_pdf(whole_pdf: Path, tmp_path: Path) -> None:
    data = whole_pdf.read_bytes()
    bad = tmp_path / "truncated.pdf"
    bad.write_bytes(data[: len(data) // 2])
    with pytest.raises(CorpusError, match="truncated"):
        read_source(bad)
    _one_line_error(_cli(bad, db=tmp_path / "kb.sqlite"), bad, "truncated")
    assert not (tmp_path / "kb.sqlite").exists()


def test_damaged_pdf_body(tmp_path: Path) -> None:
    """Magic bytes and an end marker around garbage: damaged, not a traceback."""
    bad = tmp_path / "damaged.pdf"
    bad.write_bytes(b"%PDF-1.7\n" + bytes(range(256)) * 40 + b"\n%%EOF\n")
    with pytest.raises(CorpusError, match="damaged"):
        read_source(bad)
    _one_line_error(_cli(bad, db=tmp_path / "kb.sqlite"), bad, "damaged")


def test_encrypted_pdf(tmp_path: Path) -> None:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.encrypt(user_password="secret", owner_password="owner")
    locked = tmp_path / "locked.pdf"
    with locked.open("wb") as fh:
        writer.write(fh)
    with pytest.raises(CorpusError, match="encrypted"):
        read_source(locked)
    _one_line_error(_cli(locked, db=tmp_path / "kb.sqlite"), locked, "encrypted")


def test_blank_page_has_no_text_layer(tmp_path: Path) -> None:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    blank = tmp_path / "blank.pdf"
    with blank.open("wb") as fh:
        writer.write(fh)
    _one_line_error(_cli(blank, db=tmp_path / "kb.sqlite"), blank, "no text layer")


def test_image_only_pdf_has_no_text_layer(tmp_path: Path) -> None:
    """A page of pictures only, as a scan gives: drawn with WeasyPrint, with no text at all."""
    import weasyprint  # type: ignore[import-untyped]

    html = (
        '<html><body><div style="width:400px;height:600px;'
        'background:repeating-linear-gradient(45deg,#000 0 4px,#fff 4px 8px)"></div></body></html>'
    )
    data = weasyprint.HTML(string=html).write_pdf()
    assert len(PdfReader(io.BytesIO(data)).pages) == 1
    scanned = tmp_path / "scanned.pdf"
    scanned.write_bytes(data)
    with pytest.raises(CorpusError, match="no text layer"):
        read_source(scanned)


def test_pdf_is_detected_by_magic_bytes_not_extension(whole_pdf: Path, tmp_path: Path) -> None:
    renamed = tmp_path / "strategy.txt"
    renamed.write_bytes(whole_pdf.read_bytes()[:2000])  # a PDF named .txt: still read as a PDF
    with pytest.raises(CorpusError, match="truncated"):
        read_source(renamed)
    text = tmp_path / "mentions.txt"
    text.write_text("この文書は %PDF の話をする。\n", encoding="utf-8")
    assert read_source(text).encoding == "utf-8"


def test_progress_is_reported_per_page(tmp_path: Path, doc: Document, lines: list[str]) -> None:
    path = tmp_path / "small.pdf"
    pages = write_sample_pdf(doc, lines, path, Layout(sections=("2.1.1.1",), footnotes=False))
    seen: list[tuple[int, int]] = []
    pdf_text(path.read_bytes(), lambda done, total: seen.append((done, total)))
    assert seen[-1] == (pages, pages)
    assert len(seen) == pages
