"""Importing 1,000,000 observations from CSV, against DuckDB's read_csv on the same file.

The file holds 1,000,000 distinct observations (every series of the registry, one a day
from 2000-01-01 on, in each series' unit). Each contender runs in its own process, so
that its peak resident memory is its own (see tests/peak_memory.py):

- ebpm: `ebpm indicators import FILE` into a fresh monitoring store (validation of every row,
  staging, duplicate and revision checks, one transaction);
- DuckDB: `CREATE TABLE t AS SELECT * FROM read_csv(FILE)` into a fresh database file;
- floor: reading the file once, line by line;
- store floor: the rows inserted, unchecked, into the observations table of a fresh store (its
  indexes included) in one transaction: the least any importer into this store does.
- SQLite's own write: of the store floor, the one statement that moves the rows, already
  staged in a temporary table, into the observations table (``INSERT … SELECT`` and the commit,
  run inside SQLite, no Python per row): the least time writing a million rows into this
  store takes, whatever reads and checks them. Issue 15 asks for 3× DuckDB's ``read_csv``;
  this part alone is printed against that budget.

    .venv/bin/python benchmarks/indicator_import.py [--rows N]
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
from datetime import date, timedelta
from pathlib import Path

from ebpm.indicators.registry import build_registry
from ebpm.services.ingest import ingest
from ebpm.store import knowledge_base

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.peak_memory import as_installed, measure

# The least any importer into this store must do: read the file and insert its rows into the
# observations table of a fresh store (its indexes included) in one transaction, nothing checked.
SQLITE_FLOOR = """
import csv, sys
from pathlib import Path
from ebpm.store.monitoring import open_store
engine = open_store(Path(sys.argv[2]), "write")
con = engine.raw_connection()
cur = con.cursor()
cur.execute("BEGIN IMMEDIATE")  # the store's write connections leave transactions to the caller
cur.execute("INSERT INTO imports (file, format, sha256, rows, added, revised, unchanged, imported_at, "
            "imported_by) VALUES ('f', 'csv', '', 0, 0, 0, 0, '', 'floor')")
with open(sys.argv[1], encoding="utf-8", newline="") as fh:
    rows = csv.reader(fh)
    next(rows)
    cur.executemany(
        "INSERT INTO observations (series_id, period, period_end, value, unit, source, note, import_id, "
        "line, imported_at) VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, '')",
        ((r[0], r[1], r[1], float(r[2]), r[3], r[4], r[5] or None, n) for n, r in enumerate(rows, 2)),
    )
con.commit()
print(cur.execute("SELECT COUNT(*) FROM observations").fetchone()[0])
"""


# The write alone: the rows staged first (not timed), then moved by SQLite itself (timed).
SQLITE_WRITE = """
import csv, sys, time
from pathlib import Path
from ebpm.store.monitoring import open_store
engine = open_store(Path(sys.argv[2]), "write")
con = engine.raw_connection()
cur = con.cursor()
cur.execute("CREATE TEMP TABLE staged (series_id, period, period_end, value, unit, source, note, line)")
with open(sys.argv[1], encoding="utf-8", newline="") as fh:
    rows = csv.reader(fh)
    next(rows)
    cur.executemany(
        "INSERT INTO staged VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        ((r[0], r[1], r[1], float(r[2]), r[3], r[4], r[5] or None, n) for n, r in enumerate(rows, 2)),
    )
con.commit()
start = time.perf_counter()
cur.execute("BEGIN IMMEDIATE")
cur.execute("INSERT INTO imports (file, format, sha256, rows, added, revised, unchanged, imported_at, "
            "imported_by) VALUES ('f', 'csv', '', 0, 0, 0, 0, '', 'floor')")
cur.execute(
    "INSERT INTO observations (series_id, period, period_end, value, unit, source, note, import_id, line, "
    "imported_at) SELECT series_id, period, period_end, value, unit, source, note, 1, line, '' FROM staged"
)
con.commit()
print(f"write seconds {time.perf_counter() - start:.4f}")
print(cur.execute("SELECT COUNT(*) FROM observations").fetchone()[0])
"""


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
    as_installed(python)
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
        sqlite_floor = measure([python, "-c", SQLITE_FLOOR, str(data), str(folder / "floor.sqlite")])
        if str(args.rows) not in sqlite_floor[2]:
            raise RuntimeError(f"unexpected floor result: {sqlite_floor[2][-500:]}")
        written = measure([python, "-c", SQLITE_WRITE, str(data), str(folder / "write.sqlite")])
        found = re.search(r"write seconds ([0-9.]+)", written[2])
        if found is None or str(args.rows) not in written[2]:
            raise RuntimeError(f"unexpected write result: {written[2][-500:]}")
        write_seconds = float(found.group(1))
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
    print(f"{'contender':48} {'seconds':>8} {'rows/s':>11} {'peak MiB':>9}")
    for label, (secs, peak, _) in (
        ("floor: read the file once (Python)", floor),
        ("DuckDB read_csv into a table", duck),
        ("store floor: rows into observations, unchecked", sqlite_floor),
        ("ebpm indicators import (validated, history)", ours),
    ):
        print(f"{label:48} {secs:8.2f} {args.rows / secs:11,.0f} {peak:9.0f}")
    print(f"{'(DuckDB module loaded, nothing read)':48} {baseline[0]:8.2f} {'':>11} {baseline[1]:9.0f}")
    label = "SQLite's own write (INSERT … SELECT, staged)"
    print(f"{label:48} {write_seconds:8.2f} {args.rows / write_seconds:11,.0f}")
    print()
    print(
        f"ebpm is {ours[0] / duck[0]:.1f}x DuckDB's time, {ours[0] / sqlite_floor[0]:.1f}x the store "
        f"floor (itself {sqlite_floor[0] / duck[0]:.1f}x DuckDB's) "
        f"and {ours[0] / floor[0]:.1f}x reading the file"
    )
    print(
        f"issue 15's budget, 3x DuckDB: {3 * duck[0]:.2f} s; SQLite's own write of the rows alone takes "
        f"{write_seconds:.2f} s ({write_seconds / duck[0]:.1f}x DuckDB), before any reading or checking"
    )


if __name__ == "__main__":
    main()
