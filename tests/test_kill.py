"""SIGKILL at random points of a 200,000-row import and of an ingest (issue 15).

Each run is a real ``ebpm`` process killed at a seeded random moment within the time a whole run
takes. Afterwards the store must pass ``PRAGMA integrity_check`` and hold all of the run's rows
or none of them; the knowledge base must still be the complete one.
"""

from __future__ import annotations

import json
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

ROWS = 200_000
KILLS = 5
EBPM = str(Path(sys.executable).with_name("ebpm"))


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([EBPM, *args], capture_output=True, text=True, check=False)


def _killed_after(seconds: float, *args: str) -> bool:
    """Run ``ebpm args``, SIGKILL it after ``seconds``; whether it was still running then."""
    process = subprocess.Popen([EBPM, *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        process.wait(timeout=seconds)
        return False
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGKILL)
        process.wait()
        return True


def _check(path: Path, query: str) -> int:
    con = sqlite3.connect(path)
    try:
        assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        return int(con.execute(query).fetchone()[0])
    finally:
        con.close()


def _observations(path: Path, series: list[str], round_: int) -> None:
    """ROWS distinct observations: monthly periods of as many series as it takes; each round's
    values differ, so a whole import adds exactly ROWS rows (a changed value supersedes)."""
    months = [f"{y}-{m:02d}" for y in range(1901, 2021) for m in range(1, 13)]  # past periods only
    with path.open("w", encoding="utf-8") as fh:
        fh.write("indicator_id,period,value,unit,source\n")
        written = 0
        for sid in series:
            for month in months:
                # no unit: each series' own applies
                fh.write(f"{sid},{month},{round_ * 1000 + written % 997},,SAMPLE kill test\n")
                written += 1
                if written == ROWS:
                    return
    raise AssertionError("not enough series for the rows")


def test_killed_imports_write_all_or_nothing(kb_file: Path, tmp_path: Path) -> None:
    store = tmp_path / "monitoring.sqlite"
    common = ["--db", str(kb_file), "--monitoring-db", str(store)]
    listed = _run("indicators", "list", "--json", *common)
    assert listed.returncode == 0, listed.stderr
    series = [s["id"] for s in json.loads(listed.stdout)]
    count = "SELECT count(*) FROM observations"
    # one whole import first: it gives the store and the span within which to kill
    source = tmp_path / "round0.csv"
    _observations(source, series, 0)
    started = time.monotonic()
    done = _run("indicators", "import", str(source), *common)
    span = time.monotonic() - started
    assert done.returncode == 0, done.stdout + done.stderr
    rng = random.Random(15)
    killed = 0
    for round_ in range(1, KILLS + 1):
        before = _check(store, count)
        source = tmp_path / f"round{round_}.csv"
        _observations(source, series, round_)
        killed += _killed_after(rng.uniform(0.05, 1.0) * span, "indicators", "import", str(source), *common)
        assert _check(store, count) in (before, before + ROWS)
    assert killed >= KILLS - 1  # the kill points fall within a run's span: nearly all must hit one


def test_killed_ingests_keep_a_complete_knowledge_base(tmp_path: Path) -> None:
    db = tmp_path / "kb.sqlite"
    started = time.monotonic()
    done = _run("ingest", "--db", str(db))
    span = time.monotonic() - started
    assert done.returncode == 0, done.stdout + done.stderr
    measures = "SELECT count(*) FROM measures"
    complete = _check(db, measures)
    rng = random.Random(15)
    for _ in range(KILLS):
        _killed_after(rng.uniform(0.05, 1.0) * span, "ingest", "--db", str(db))
        assert _check(db, measures) == complete
    # the next ingest runs to the end despite what the killed ones left behind
    assert _run("ingest", "--db", str(db)).returncode == 0
    assert _check(db, measures) == complete
