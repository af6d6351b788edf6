"""Direct PDF ingest, timed on the whole 2023 strategy laid out as a PDF.

No real edition's PDF can be fetched offline, so WeasyPrint lays the parsed bundled text out as
the published one looks (``ebpm.sources.pdf_sample``). Prints the PDF's page count, the
layout-aware extraction time, the full ingest time of the PDF (extraction, parse, search index,
store: what ``ebpm ingest x.pdf`` does), the rows read back identical to the text's, and, as the
reference in the same run, the full ingest time of the bundled text file.

    .venv/bin/python benchmarks/pdf_ingest.py [--footnotes] [--narrow]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from ebpm.parser.document import parse_document
from ebpm.services.ingest import ingest
from ebpm.sources.corpus import read_source
from ebpm.sources.pdf import page_count, pdf_text
from ebpm.sources.pdf_sample import Layout, compare, write_sample_pdf


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--footnotes", action="store_true", help="lay the footnotes out (WeasyPrint defers many)")
    ap.add_argument("--narrow", action="store_true", help="a table of 80%% width, columns 28/36/36")
    args = ap.parse_args()
    src = read_source()
    lines = src.text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    doc = parse_document(src.text, src.path, src.sha256)
    layout = Layout(footnotes=args.footnotes)
    if args.narrow:
        layout = Layout(columns=(28.0, 36.0, 36.0), table_width=80.0, footnotes=args.footnotes)
    with tempfile.TemporaryDirectory() as tmp:
        pdf = Path(tmp) / "strategy-2023.pdf"
        t0 = time.perf_counter()
        write_sample_pdf(doc, lines, pdf, layout)
        laid_out = time.perf_counter() - t0
        data = pdf.read_bytes()
        t0 = time.perf_counter()
        pdf_text(data)
        extraction = time.perf_counter() - t0
        t0 = time.perf_counter()
        pdf_doc, _ = ingest(pdf, Path(tmp) / "pdf.sqlite")
        pdf_ingest = time.perf_counter() - t0
        ingest(None, Path(tmp) / "warm.sqlite")  # warm imports and caches once for the reference
        t0 = time.perf_counter()
        ingest(None, Path(tmp) / "text.sqlite")
        text_ingest = time.perf_counter() - t0
        pages = page_count(pdf)
    result = compare(doc, pdf_doc)
    print(f"PDF: {pages} pages, {len(data) / 1e6:.1f} MB, laid out by WeasyPrint in {laid_out:.1f} s")
    print(
        f"extraction (pdfplumber, layout-aware): {extraction:.1f} s ({extraction / pages * 1000:.0f} ms/page)"
    )
    print(f"ingest of the PDF (extract + parse + index + store): {pdf_ingest:.1f} s")
    print(f"reference: ingest of the bundled text file: {text_ingest:.2f} s")
    print(
        f"rows: {result.expected} in the text, {result.found} found, {result.identical} identical "
        f"({result.identical / result.expected:.1%}), {result.below_confidence} below confidence 0.9 "
        f"(text: {sum(1 for m in doc.measures if m.confidence < 0.9)})"
    )
    print("differing:", ", ".join(result.differing) or "none")


if __name__ == "__main__":
    main()
