"""Research import and indicators on 2,000,000 synthetic works, against DuckDB on the same file.

The file is the SAMPLE generator's OpenAlex-format JSON Lines, gzip-compressed (`ebpm research
sample`). Each contender runs in its own process, so its peak resident memory is its own
(tests/peak_memory.py):

- reference: DuckDB's own `read_json` of the same file into a table of a fresh database
  (the fields ebpm reads, nested as they are; no checks, no flattening);
- ebpm: `ebpm research import openalex FILE` into a fresh research store (every line checked,
  flattened into seven tables, duplicates resolved by updated_date, one transaction);
- the same import on a quarter of the works, to show whether peak memory grows with the file;
- indicators: every institution and every country, whole and fractional counting, over all
  loaded years, against the floor of one grouped scan of the authorship-institution table.

Goals (issue 11): import within 3x the reference, peak memory under 2 GiB whatever the file
size, indicators for every institution under 10 s on two cores.

    .venv/bin/python benchmarks/research.py [--works N] [--keep DIR] [--rounds N]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.peak_memory import as_installed, measure

from ebpm.research.sample import generate

FIELDS = (
    "id, doi, type, publication_year, cited_by_count, counts_by_year, updated_date, primary_topic, "
    "authorships, grants, referenced_works"
)
TIMING = """
import json, sys, time
from pathlib import Path
from ebpm.research import analytics
from ebpm.research.engine import DuckDBEngine
from ebpm.research.methods import Query
from ebpm.research.store import open_store
out = {}
with open_store(Path(sys.argv[1]), read_only=True) as con:
    e = DuckDBEngine(con)
    lo, hi = analytics.year_range(e)
    t = time.perf_counter()
    con.execute("SELECT institution_id, count(*) FROM authorship_institutions GROUP BY 1").fetchall()
    out["floor: grouped scan of authorship_institutions"] = (time.perf_counter() - t, None)
    for by in ("institution", "country"):
        for counting in ("whole", "fractional"):
            t = time.perf_counter()
            groups = len(analytics.indicators(e, by, Query(lo, hi, counting))["items"])
            out[f"indicators by {by}, {counting}"] = (time.perf_counter() - t, groups)
print("RESULT" + json.dumps(out))
"""


def _median(runs: list[tuple[float, float, str]]) -> tuple[float, float, str]:
    """The run of median time, with the highest peak memory of all runs."""
    ordered = sorted(runs, key=lambda run: run[0])
    secs, _, output = ordered[len(ordered) // 2]
    return secs, max(run[1] for run in runs), output


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--works", type=int, default=2_000_000)
    ap.add_argument("--keep", type=Path, help="Keep the generated files here (and reuse them).")
    ap.add_argument("--rounds", type=int, default=3, help="Times each contender imports the file.")
    args = ap.parse_args()
    python = sys.executable
    as_installed(python)
    ebpm = str(Path(python).with_name("ebpm"))
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        data_dir = args.keep or folder / "data"
        small_dir = (args.keep or folder) / "quarter"
        started = time.perf_counter()
        if not (data_dir / "sample-works.jsonl.gz").exists():
            generate(data_dir, works=args.works, seed=1)
            generate(small_dir, works=args.works // 4, seed=1)
        made = time.perf_counter() - started
        data = data_dir / "sample-works.jsonl.gz"
        lines = sum(1 for _ in __import__("gzip").open(data))
        size = data.stat().st_size / 2**20

        # the machine's speed drifts from minute to minute: rounds alternate the two contenders,
        # and the figures below are each one's median, with every round's ratio shown
        rounds: list[tuple[tuple[float, float, str], tuple[float, float, str]]] = []
        for n in range(args.rounds):
            reference = measure(
                [
                    python,
                    "-c",
                    f"import duckdb; con = duckdb.connect({str(folder / f'ref{n}.duckdb')!r}); "
                    f'con.execute("CREATE TABLE w AS SELECT {FIELDS} FROM read_json({str(data)!r}, '
                    "format='newline_delimited', maximum_object_size=16777216)\"); "
                    "print(con.execute('SELECT count(*) FROM w').fetchone()[0])",
                ]
            )
            store = folder / f"r{n}.duckdb"
            ours = measure([ebpm, "research", "import", "openalex", str(data), "--research-db", str(store)])
            if f"{lines:,} lines" not in ours[2]:
                raise RuntimeError(f"unexpected import result: {ours[2][-800:]}")
            rounds.append((reference, ours))
        reference = _median([r for r, _ in rounds])
        ours = _median([o for _, o in rounds])
        quarter = measure(
            [ebpm, "research", "import", "openalex", str(small_dir / "sample-works.jsonl.gz"),
             "--research-db", str(folder / "q.duckdb")]
        )  # fmt: skip
        timing = measure([python, "-c", TIMING, str(store)])
        timings = json.loads(timing[2].rpartition("RESULT")[2])

    print(
        f"research benchmark: {args.works:,} works ({lines:,} lines with duplicates), {size:.0f} MiB JSONL.gz"
    )
    print(f"(generating the files took {made:.0f} s and is not measured below)")
    print()
    print(f"{'import':52} {'seconds':>8} {'lines/s':>10} {'peak MiB':>9}")
    for label, (secs, peak, _), n in (
        ("reference: DuckDB read_json into a table", reference, lines),
        ("ebpm research import openalex (checked, flattened)", ours, lines),
        (f"ebpm research import, {args.works // 4:,} works", quarter, lines // 4),
    ):
        print(f"{label:52} {secs:8.1f} {n / secs:10,.0f} {peak:9.0f}")
    print()
    ratios = ", ".join(f"{o[0] / r[0]:.2f}x" for r, o in rounds)
    print(f"(medians of {len(rounds)} rounds, each the reference then ebpm; ebpm's time in each: {ratios})")
    print()
    print(
        f"import: {ours[0] / reference[0]:.2f}x the reference's time (goal: at most 3x); peak memory "
        f"{ours[1]:.0f} MiB for {args.works:,} works, {quarter[1]:.0f} MiB for a quarter (goal: under 2,048)"
    )
    print()
    print(f"{'indicators over all years':52} {'seconds':>8} {'groups':>10}")
    for label, (secs, groups) in timings.items():
        print(f"{label:52} {secs:8.2f} {groups if groups is not None else '':>10}")


if __name__ == "__main__":
    main()
