"""Editions side by side: does a knowledge base with other editions slow one edition down?

Three figures, each against its reference measured in the same run:

- ingest: the ingest of one edition into an empty knowledge base (the reference) and into one
  that already holds three other editions. One file an edition, so the ratio should be 1;
- a page: the median time of ``/sections/2.1`` served from a knowledge base with one edition
  (the reference) and with four, in the latest edition and under ``/e/YEAR/`` (the prefix costs a
  rewrite of the page's links);
- the first request that needs the lineage of two editions (the measure page of the later one:
  the matcher runs once per pair of loads) against a repeat of it (cached).

    .venv/bin/python benchmarks/editions.py [--repeat N]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from fastapi.testclient import TestClient

from ebpm.services.ingest import ingest
from ebpm.sources.corpus import bundled_path
from ebpm.sources.next_edition import next_edition
from ebpm.web.app import create_app

OTHERS = ("2020", "2021", "2022")


def timed(fn: Callable[[], object], repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        out.append(time.perf_counter() - started)
    return out


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        alone, crowded = folder / "alone" / "kb.sqlite", folder / "crowded" / "kb.sqlite"
        for year in OTHERS:  # three other editions (the bundled text stored under other years)
            ingest(bundled_path(), crowded, edition=year)
        one = timed(lambda: ingest(None, alone), args.repeat)
        beside = timed(lambda: ingest(None, crowded), args.repeat)
        print(f"ingest of the 2023 edition, median of {args.repeat}")
        print(f"  into a knowledge base with no other edition (reference): {median_ms(one):8.0f} ms")
        print(f"  beside three other editions ({', '.join(OTHERS)}):        {median_ms(beside):8.0f} ms")
        print(f"  ratio: {median_ms(beside) / median_ms(one):.2f}")

        sample = folder / "sample-2024.txt"
        sample.write_text(next_edition(seed=1).text, encoding="utf-8")
        ingest(sample, crowded)
        pages = 50
        single = TestClient(create_app(alone, monitoring_db=folder / "m1.sqlite"))
        several = TestClient(create_app(crowded, monitoring_db=folder / "m2.sqlite"))
        for client in (single, several):
            client.get("/sections/2.1")  # load the knowledge base: not what is measured
        several.get("/e/2023/sections/2.1")
        ref = timed(lambda: single.get("/sections/2.1?page=1"), pages)
        latest = timed(lambda: several.get("/sections/2.1?page=1"), pages)
        prefixed = timed(lambda: several.get("/e/2023/sections/2.1?page=1"), pages)
        print(f"\n/sections/2.1, median of {pages} requests (cached pages)")
        print(f"  one edition (reference):          {median_ms(ref):7.2f} ms")
        print(f"  five editions, the latest:        {median_ms(latest):7.2f} ms")
        print(f"  five editions, under /e/2023/:    {median_ms(prefixed):7.2f} ms (links rewritten)")

        first = timed(lambda: several.get("/measures/2.1.1.1.m1"), 1)
        again = timed(lambda: several.get("/measures/2.1.1.1.m1?again=1"), 5)
        print("\nthe measure page of the 2024 SAMPLE edition with its history (lineage 2020→…→2024)")
        print(f"  first request (loads the editions, runs the matcher per pair): {median_ms(first):7.0f} ms")
        print(f"  later requests (reference: cached lineage):                     {median_ms(again):7.1f} ms")


if __name__ == "__main__":
    main()
