"""Time a full ingest of the bundled strategy against the floor.

The floor is the least any ingest must do: read the file and NFKC-normalize
it once. The ingest figure is parse + store into a fresh SQLite file, as
`ebpm ingest` does (without the CLI's start-up and printing).

    .venv/bin/python benchmarks/ingest.py [--repeat N]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import unicodedata
from collections.abc import Callable
from pathlib import Path

from ebpm.parser.document import parse_document
from ebpm.sources.corpus import bundled_path, read_source
from ebpm.store import knowledge_base


def floor() -> None:
    text = bundled_path().read_bytes().decode("utf-8")
    unicodedata.normalize("NFKC", text)


def parse_only() -> None:
    src = read_source()
    parse_document(src.text, src.path, src.sha256)


def full_ingest(db: Path) -> Callable[[], None]:
    def run() -> None:
        src = read_source()
        doc = parse_document(src.text, src.path, src.sha256)
        knowledge_base.write(doc, db)

    return run


def timed(fn: Callable[[], None], repeat: int) -> list[float]:
    fn()  # warm imports and caches once
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=7)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "kb.sqlite"
        f = timed(floor, args.repeat)
        p = timed(parse_only, args.repeat)
        i = timed(full_ingest(db), args.repeat)
    fm, pm, im = statistics.median(f), statistics.median(p), statistics.median(i)
    print(f"floor (read + NFKC once):   median {fm * 1000:8.1f} ms   (min {min(f) * 1000:.1f})")
    print(f"parse only:                 median {pm * 1000:8.1f} ms   (min {min(p) * 1000:.1f})")
    print(f"full ingest (parse+store):  median {im * 1000:8.1f} ms   (min {min(i) * 1000:.1f})")
    print(f"ratio ingest/floor:         {im / fm:8.1f}x   (target < 15x; absolute target < 1500 ms)")


if __name__ == "__main__":
    main()
