"""Importing 1,000,000 observations from CSV, against DuckDB's read_csv on the same file.

The file holds 1,000,000 distinct observations (every series of the registry, one a day
from 2000-01-01 on, in each series' unit). Each contender runs in its own process, so
that its peak resident memory is its own (see tests/peak_memory.py):

- ebpm: `ebpm indicators import FILE` into a fresh monitoring store (validation of every row,
  staging, duplicate and revision checks, one transaction);
- DuckDB: `CREATE TABLE t AS SELECT * FROM read_csv(FILE)` into a fresh database file;
- floor: reading the file once, line by line.

    .venv/bin/python benchmarks/indicator_import.py [--rows N]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from datetime import date, timedelta
from pathlib import Path

from ebpm.indicators.registry import build_registry
from ebpm.services.ingest import ingest
from ebpm.store import knowledge_base

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.peak_memory import measure


def make_file(kb: Path, path: Path, rows: int) -> None:
    series, _, _ = build_registry(knowledge_base.read(kb))
    start = date(2000, 1, 1)
    with path.open("w", encoding="utf-8") as fh:
        fh.write("indicator_id,period,value,unit,source,note\n")
        for n in range(rows):
            s = series[n % len(series)]
            day = start + timedelta(days=n // len(series))
            fh.write(f"{s.id},{day.isoformat()},{(n % 997) * 0.37 + 1:.2f},{s.unit or ''},benchmark,\n")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=1_000_000)
    args = ap.parse_args()
    python = sys.executable
    ebpm = str(Path(python).with_name("ebpm"))
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        kb = folder / "kb.sqlite"
        ingest(None, kb)
        data = folder / "observations.csv"
        make_file(kb, data, args.rows)
        size = data.stat().st_size / 2**20
        floor = measure([python, "-c", f"n = sum(1 for _ in open({str(data)!r}, encoding='utf-8'))"])
        duck = measure(
            [
                python,
                "-c",
                f"import duckdb; con = duckdb.connect({str(folder / 'd.duckdb')!r}); "
                f'con.execute("CREATE TABLE t AS SELECT * FROM read_csv({str(data)!r})"); '
                "print(con.execute('SELECT count(*) FROM t').fetchone()[0])",
            ]
        )
        ours = measure(
            [
                ebpm,
                "indicators",
                "import",
                str(data),
                "--db",
                str(kb),
                "--monitoring-db",
                str(folder / "m.sqlite"),
            ]
        )
        if f"{args.rows:,} added" not in ours[2]:
            raise RuntimeError(f"unexpected import result: {ours[2][-500:]}")
        baseline = measure(
            [python, "-c", "import duckdb"]
        )  # what importing DuckDB alone costs in memory, for reference
    print(f"indicator import benchmark: {args.rows:,} observations, {size:.0f} MiB CSV")
    print()
    print(f"{'contender':42} {'seconds':>8} {'rows/s':>11} {'peak MiB':>9}")
    for label, (secs, peak, _) in (
        ("floor: read the file once (Python)", floor),
        ("DuckDB read_csv into a table", duck),
        ("ebpm indicators import (validated, history)", ours),
    ):
        print(f"{label:42} {secs:8.2f} {args.rows / secs:11,.0f} {peak:9.0f}")
    print(f"{'(DuckDB module loaded, nothing read)':42} {baseline[0]:8.2f} {'':>11} {baseline[1]:9.0f}")
    print()
    print(f"ebpm is {ours[0] / duck[0]:.1f}x DuckDB's time and {ours[0] / floor[0]:.1f}x the floor")


if __name__ == "__main__":
    main()
