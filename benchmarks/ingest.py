"""Time a full ingest of the bundled strategy against the floor.

The floor is the least any ingest must do: read the file and NFKC-normalize
it once. The ingest figure is read + parse + search index + store into a fresh
SQLite file, as `ebpm ingest` does (without the CLI's start-up and printing):
by words only (`--no-vectors`), and with the sentence vectors read from their cache
(a re-ingest; the text unchanged). ``--cold`` also times one ingest with an empty
vector cache, which encodes every document (minutes).

    .venv/bin/python benchmarks/ingest.py [--repeat N] [--cold]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
import unicodedata
from collections.abc import Callable
from pathlib import Path

from ebpm.parser.document import parse_document
from ebpm.search import vectors
from ebpm.services.ingest import ingest
from ebpm.sources.corpus import bundled_path, read_source
from ebpm.store import knowledge_base


def floor() -> None:
    text = bundled_path().read_bytes().decode("utf-8")
    unicodedata.normalize("NFKC", text)


def parse_only() -> None:
    src = read_source()
    parse_document(src.text, src.path, src.sha256)


def parse_and_store(db: Path) -> Callable[[], None]:
    def run() -> None:
        src = read_source()
        knowledge_base.write(parse_document(src.text, src.path, src.sha256), db)

    return run


def full_ingest(db: Path, vectors: bool = True) -> Callable[[], None]:
    def run() -> None:
        ingest(None, db, vectors=vectors)  # read, parse, index, store: what `ebpm ingest` does

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
    ap.add_argument("--cold", action="store_true", help="also ingest once with an empty vector cache")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "kb.sqlite"
        f = timed(floor, args.repeat)
        p = timed(parse_only, args.repeat)
        s = timed(parse_and_store(db), args.repeat)
        w = timed(full_ingest(db, vectors=False), args.repeat)
        i = timed(full_ingest(db), args.repeat)
        cold: list[float] = []
        if args.cold:
            os.environ[vectors.CACHE_ENV] = str(Path(tmp) / "empty-cache.sqlite")
            t0 = time.perf_counter()
            full_ingest(db)()
            cold.append(time.perf_counter() - t0)
    fm, pm, sm, wm, im = (statistics.median(x) for x in (f, p, s, w, i))
    rows = [
        ("floor (read + NFKC once)", f, fm),
        ("parse only", p, pm),
        ("parse + store (the graph)", s, sm),
        ("full ingest, words only", w, wm),
        ("full ingest (+ vectors, cached)", i, im),
    ]
    if cold:
        rows.append(("full ingest, vectors encoded", cold, cold[0]))
    for name, runs, median in rows:
        ms, low = median * 1000, min(runs) * 1000
        print(f"{name:32s} median {ms:7.1f} ms  (min {low:7.1f})  {median / fm:5.1f}x floor")
    print("targets: a full ingest under 1500 ms and under 15x the floor")


if __name__ == "__main__":
    main()
