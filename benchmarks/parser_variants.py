"""How the parser holds up under other extractions of the bundled strategy.

Each variant of `ebpm.sources.variants` (trailing spaces stripped, NFKC, widths, CRLF, BOM, no
page numbers, pdftotext -layout, pdfminer, re-wrapped, shifted page breaks) is parsed and
compared row by row with the parse of the unmodified text, which is the reference row:

    .venv/bin/python benchmarks/parser_variants.py [--seed 1] [--markdown] [--only NAME …]

Columns: rows parsed, rows identical to the reference (id, heading path, texts normalised with
NFKC and spaces removed, ministries, 再掲 flags), rows below confidence 0.9, wrong rows that
still claim confidence ≥ 0.9, footnotes, and the ingest verdict (the exit status
`ebpm ingest` would give: 0 good, 2 incomplete, 3 parsed poorly).
"""

from __future__ import annotations

import argparse
import sys
import time
import traceback

from ebpm.model import Document
from ebpm.parser.document import parse_document
from ebpm.services.ingest import exit_status, summarize
from ebpm.sources.corpus import read_source
from ebpm.sources.variants import VARIANTS, as_parsed, compare, make_variant


def _line(name: str, doc: Document, reference: Document, text: str, seconds: float) -> list[str]:
    cmp = compare(reference, doc)
    summary = summarize(doc, text, "utf-8")
    return [
        name,
        str(cmp.rows),
        f"{cmp.identical} ({100 * cmp.share:.1f}%)",
        str(cmp.low),
        str(len(cmp.wrong_confident)),
        str(len(doc.footnotes)),
        f"{exit_status(summary)} {summary.verdict}",
        f"{seconds:.1f}s",
    ]


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    parser.add_argument("--only", nargs="*", default=None, help="variants to run (default: all)")
    args = parser.parse_args()
    src = read_source()
    start = time.perf_counter()
    reference = parse_document(src.text, src.path, src.sha256)
    header = [
        "variant",
        "rows",
        "identical",
        "below 0.9",
        "wrong ≥ 0.9",
        "footnotes",
        "exit / verdict",
        "time",
    ]
    table = [_line("(unmodified)", reference, reference, src.text, time.perf_counter() - start)]
    for name in args.only or VARIANTS:
        start = time.perf_counter()
        variant = make_variant(name, src.text, reference, args.seed)
        text = as_parsed(variant.text)
        try:
            doc = parse_document(text, name, "")
        except Exception as exc:  # a crash is a result of the benchmark, not its end
            traceback.print_exc(file=sys.stderr)
            table.append([name, "crash", type(exc).__name__, "", "", "", "1", ""])
            continue
        table.append(_line(name, doc, reference, text, time.perf_counter() - start))
    if args.markdown:
        print("| " + " | ".join(header) + " |")
        print("|" + "---|" * len(header))
        for row in table:
            print("| " + " | ".join(row) + " |")
    else:
        widths = [max(len(r[k]) for r in [header, *table]) for k in range(len(header))]
        for row in [header, *table]:
            print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
