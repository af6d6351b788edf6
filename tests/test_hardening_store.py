"""Issue 15, stores and the command line: concurrent writers, unwritable places, partial
documents, read-only monitoring stores."""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import stat
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import duckdb
import pytest
import typer.main
from typer.core import TyperGroup
from typer.testing import Result

from ebpm.cli import app
from ebpm.cli import knowledge as knowledge_cli
from ebpm.sources.corpus import CorpusError, read_source
from ebpm.store import knowledge_base, monitoring
from tests.conftest import Invoke


def _permissions_stop_writes() -> bool:
    """False for root (with its capabilities), whom a read-only folder does not stop."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "read-only"
        folder.mkdir(mode=0o500)
        try:
            (folder / "probe").touch()
        except PermissionError:
            return True
        finally:
            folder.chmod(0o700)
        return False


ROOT = not _permissions_stop_writes()  # "root": permissions do not stop this process
SERIES = "2.2.1.ref.6"
OBSERVATIONS = (
    "indicator_id,period,value,unit,source,note\n"
    f"{SERIES},FY2017,16.2,%,科学技術研究調査,\n{SERIES},FY2019,16.9,%,科学技術研究調査,\n"
)
BUDGET_SAMPLE = (
    Path(__file__).resolve().parents[1] / "src" / "ebpm" / "data" / "budget_sample" / "projects.csv"
)


def flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


def clean_failure(result: Result, *named: Path | str) -> str:
    """Exit 1 with one error line naming each of ``named``, and no traceback."""
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:"), result.output
    for name in named:
        assert flat(str(name)) in flat(result.output), result.output
    return result.output


def imports_in(store: Path) -> int:
    with sqlite3.connect(store) as conn:
        count = conn.execute("SELECT COUNT(*) FROM imports").fetchone()[0]
    conn.close()
    return int(count)


@pytest.fixture
def observations_csv(tmp_path: Path) -> Path:
    path = tmp_path / "observations.csv"
    path.write_text(OBSERVATIONS, encoding="utf-8")
    return path


# --------------------------------------------------------------------------- defect 4: two writers


def _while_locked(invoke: Invoke, store: Path, *args: str) -> Result:
    """``ebpm args`` on ``store`` while another connection holds its write lock (an importer
    in the middle of its work), with a short busy timeout."""
    monitoring.migrate(store)
    holder = sqlite3.connect(store, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        return invoke(*args, "--monitoring-db", str(store), env={monitoring.BUSY_ENV: "0.2"})
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_an_import_waiting_too_long_for_the_lock_fails_in_one_line(
    invoke: Invoke, kb_file: Path, tmp_path: Path, observations_csv: Path
) -> None:
    store = tmp_path / "m.sqlite"
    result = _while_locked(invoke, store, "indicators", "import", str(observations_csv), "--db", str(kb_file))
    out = clean_failure(result, store)
    assert "locked" in out and monitoring.BUSY_ENV in out
    assert imports_in(store) == 0


def test_a_budget_import_waiting_too_long_for_the_lock_fails_in_one_line(
    invoke: Invoke, kb_file: Path, tmp_path: Path
) -> None:
    store = tmp_path / "m.sqlite"
    result = _while_locked(invoke, store, "budget", "import", str(BUDGET_SAMPLE), "--db", str(kb_file))
    assert "locked" in clean_failure(result, store)


def test_a_second_importer_waits_for_the_first(
    invoke: Invoke, kb_file: Path, tmp_path: Path, observations_csv: Path
) -> None:
    store = tmp_path / "m.sqlite"
    monitoring.migrate(store)
    first = sqlite3.connect(store, isolation_level=None, check_same_thread=False)
    first.execute("BEGIN IMMEDIATE")
    first.execute(
        "INSERT INTO imports (file, format, sha256, rows, added, revised, unchanged, imported_at, "
        "imported_by) VALUES ('first.csv', 'csv', '0', 0, 0, 0, 0, '2024-01-01T00:00:00+00:00', 'first')"
    )

    # the first importer commits while the second waits for its lock
    def commit_and_close() -> None:
        first.execute("COMMIT")
        first.close()

    done = threading.Timer(0.5, commit_and_close)
    done.start()
    try:
        result = invoke(
            "indicators", "import", str(observations_csv), "--db", str(kb_file), "--monitoring-db", str(store)
        )
    finally:
        done.join()
    assert result.exit_code == 0, result.output
    assert imports_in(store) == 2


def test_two_import_processes_at_once_both_succeed(kb_file: Path, tmp_path: Path) -> None:
    store = tmp_path / "m.sqlite"
    monitoring.migrate(store)
    files = []
    for k, first_year in enumerate((1990, 2000)):
        path = tmp_path / f"part{k}.csv"
        rows = "".join(
            f"{SERIES},{y}-{m:02d},{10 + m / 10},%,test,\n"
            for y in range(first_year, first_year + 10)
            for m in range(1, 13)
        )
        path.write_text("indicator_id,period,value,unit,source,note\n" + rows, encoding="utf-8")
        files.append(path)
    exe = Path(sys.executable).parent / "ebpm"
    procs = [
        subprocess.Popen(
            [str(exe), "indicators", "import", str(f), "--db", str(kb_file), "--monitoring-db", str(store)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            cwd=tmp_path,
        )
        for f in files
    ]
    outputs = [p.communicate() for p in procs]
    for p, (stdout, stderr) in zip(procs, outputs, strict=True):
        assert p.returncode == 0, stdout + stderr
        assert "Traceback" not in stderr
    assert imports_in(store) == 2
    with sqlite3.connect(store) as conn:
        assert conn.execute("SELECT COUNT(*) FROM observations").fetchone()[0] == 240
    conn.close()


def test_busy_timeout_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(monitoring.BUSY_ENV, raising=False)
    assert monitoring.busy_timeout() == 30
    monkeypatch.setenv(monitoring.BUSY_ENV, "2.5")
    assert monitoring.busy_timeout() == 2.5
    for bad in ("soon", "-1", "nan"):
        monkeypatch.setenv(monitoring.BUSY_ENV, bad)
        with pytest.raises(monitoring.MonitoringStoreError, match=monitoring.BUSY_ENV):
            monitoring.busy_timeout()


# --------------------------------------------------------------------------- defect 5: unwritable places


@pytest.fixture
def unwritable(tmp_path: Path) -> Path:
    """A place nothing can be created under: a read-only folder, or (as root, whom permissions do
    not stop) a regular file, under which every path fails with ENOTDIR."""
    if ROOT:
        blocker = tmp_path / "a-file"
        blocker.write_text("not a folder", encoding="utf-8")
        return blocker
    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(0o500)
    return folder


def leaf_commands() -> list[str]:
    names: list[str] = []

    def walk(command: object, path: list[str]) -> None:
        if isinstance(command, TyperGroup):
            for name, sub in command.commands.items():
                walk(sub, [*path, name])
        else:
            names.append(" ".join(path))

    walk(typer.main.get_command(app), [])
    return names


# Arguments for every command: {x} is the unwritable place, {kb} the knowledge base, {csv} an
# observations file, {budget} review sheets. Every place a command may write is under {x}.
STORES = ["--monitoring-db", "{x}/m.sqlite"]
RESEARCH = ["--research-db", "{x}/r.duckdb"]
COMMANDS: dict[str, list[str] | None] = {
    "migrate": STORES,
    "commitments": ["--db", "{kb}"],
    "reposts": ["--db", "{kb}"],
    "ingest": ["--db", "{x}/kb.sqlite"],
    "export": ["--format", "csv", "--output", "{x}/export", "--db", "{kb}"],
    "about": [],
    "search": ["研究", "--db", "{kb}"],
    "serve": ["--port", "8765", "--db", "{kb}", *STORES, *RESEARCH],
    "indicators list": ["--db", "{kb}", *STORES],
    "indicators status": ["--db", "{kb}", *STORES],
    "indicators import": ["{csv}", "--db", "{kb}", *STORES],
    "indicators fetch-estat": ["0003", "--indicator", SERIES, "--app-id", "x", "--db", "{kb}", *STORES],
    "indicators target": [SERIES, "--value", "30", "--period", "FY2030", "--db", "{kb}", *STORES],
    "indicators export": ["--format", "csv", "--output", "{x}/obs.csv", "--db", "{kb}", *STORES],
    "indicators observations": [SERIES, "--db", "{kb}", *STORES],
    "budget import": ["{budget}", "--db", "{kb}", *STORES],
    "budget load-sample": ["--db", "{kb}", *STORES],
    "budget map": ["--db", "{kb}", *STORES],
    "budget matches": ["--db", "{kb}", *STORES],
    "budget review": ["P1", "2.2.1", "--decision", "confirm", "--by", "x", "--db", "{kb}", *STORES],
    "budget summary": ["--db", "{kb}", *STORES],
    "budget similar": ["--db", "{kb}", *STORES],
    "budget evaluate": ["--db", "{kb}", *STORES],
    "research import": ["funding", "{csv}", *RESEARCH],
    "research sample": ["--works", "100", "--output", "{x}/sample", *RESEARCH],
    "research indicators": RESEARCH,
    "research inputs-outputs": RESEARCH,
    "research trends": RESEARCH,
    "research feed-indicators": ["--db", "{kb}", *STORES, *RESEARCH],
    "research status": RESEARCH,
    "research export-parquet": ["{x}/parquet", *RESEARCH],
    "research flatten-snapshot": None,  # starts Spark; it writes only where Spark does
    "research funding-types list": RESEARCH,
    "research funding-types add": ["zz", "名前", "name", *RESEARCH],
    "research funding-types remove": ["zz", *RESEARCH],
    "users add": ["bob", "--role", "viewer", "--password-stdin", *STORES],
    "users list": STORES,
    "users disable": ["bob", *STORES],
    "users token": ["bob", *STORES],
    "users password": ["bob", "--password-stdin", *STORES],
    "audit list": STORES,
    "audit verify": STORES,
    "progress set": ["2.1.1.4.m1.a11", "--status", "done", "--as-of", "2024-04-01", "--db", "{kb}", *STORES],
    "progress import": ["{csv}", "--db", "{kb}", *STORES],
    "progress list": ["--db", "{kb}", *STORES],
    "progress review": ["1", "--decision", "accepted", "--db", "{kb}", *STORES],
    "editions": ["--db", "{kb}"],
    "sample-edition": ["--output", "{x}/sample.txt"],
    "diff": ["2023", "2023", "--db", "{kb}", *STORES],
    "report followup": ["--output", "{x}/f.xlsx", "--db", "{kb}", *STORES],
    "report table": ["--output", "{x}/t.docx", "--db", "{kb}", *STORES],
    "report annual": ["--output", "{x}/a.html", "--db", "{kb}", *STORES, *RESEARCH],
}
# what only reads may succeed where nothing can be written, if what it reads is there
READERS = {
    "about",
    "commitments",
    "reposts",
    "search",
    "indicators list",
    "indicators status",
    "indicators observations",
    "budget matches",
    "budget evaluate",
    "budget summary",
    "budget similar",
    "progress list",
    "editions",
    "diff",
}
# what reads only the monitoring store, where a store not written yet reads as empty
STORE_READERS = {"users list", "audit list", "audit verify"}


def test_the_table_covers_every_command() -> None:
    assert sorted(leaf_commands()) == sorted(COMMANDS)


@pytest.mark.parametrize("with_kb", [False, True], ids=["nothing-readable", "with-knowledge-base"])
@pytest.mark.parametrize("command", sorted(c for c, args in COMMANDS.items() if args is not None))
def test_every_command_fails_in_one_line_where_nothing_can_be_written(
    invoke: Invoke,
    ingested_kb: Path,
    unwritable: Path,
    observations_csv: Path,
    command: str,
    with_kb: bool,
) -> None:
    kb = ingested_kb if with_kb else unwritable / "kb.sqlite"
    values = {"x": str(unwritable), "kb": str(kb), "csv": str(observations_csv), "budget": str(BUDGET_SAMPLE)}
    args = [a.format(**values) for a in COMMANDS[command] or []]
    env = {
        knowledge_base.ENV_VAR: str(kb),
        monitoring.ENV_VAR: str(unwritable / "m.sqlite"),
        "EBPM_RESEARCH_DB": str(unwritable / "r.duckdb"),
    }
    result = invoke(*command.split(), *args, env=env)
    if (command in READERS and (with_kb or command == "about")) or command in STORE_READERS:
        assert result.exit_code == 0, result.output
        assert result.exception is None, repr(result.exception)
        return
    clean_failure(result, unwritable)


def test_database_and_os_errors_of_any_command_become_one_line(
    invoke: Invoke, kb_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    raised: list[BaseException] = [
        sqlite3.OperationalError("disk I/O error"),
        duckdb.IOException("IO Error: could not write"),
        OSError(28, "No space left on device", "/data/[draft]/out.json"),
    ]
    for exc in raised:

        def boom(*_args: object, exc: BaseException = exc) -> object:
            raise exc

        monkeypatch.setattr(knowledge_cli, "to_json", boom)
        out = clean_failure(invoke("export", "--db", str(kb_file)))
        assert flat(str(exc.args[-1] if isinstance(exc, OSError) else exc)) in flat(out)
    assert "/data/[draft]/out.json: No space left on device" in out


# --------------------------------------------------------------------------- defect 6: partial documents


@pytest.fixture
def good_kb(ingested_kb: Path, tmp_path: Path) -> Path:
    path = tmp_path / "kb" / "kb.sqlite"
    path.parent.mkdir()
    shutil.copyfile(ingested_kb, path)
    return path


@pytest.fixture
def cut_file(tmp_path: Path, lines: list[str]) -> Path:
    """``head -n 975 strategy.txt``: the document stops before chapter 2."""
    path = tmp_path / "t.txt"
    path.write_text("\n".join(lines[:975]) + "\n", encoding="utf-8")
    return path


def test_an_incomplete_document_keeps_a_complete_knowledge_base(
    invoke: Invoke, good_kb: Path, cut_file: Path
) -> None:
    before = good_kb.read_bytes()
    result = invoke("ingest", str(cut_file), "--db", str(good_kb))
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    out = flat(result.output)
    assert flat(f"the complete knowledge base {good_kb} was kept") in out
    assert "--allow-partial" in out and "missing" in out
    assert "knowledgebasewrittento" not in out
    assert good_kb.read_bytes() == before
    assert len(knowledge_base.read(good_kb).measures) == 218
    assert [p.name for p in good_kb.parent.iterdir()] == ["kb.sqlite"]


def test_allow_partial_replaces_the_knowledge_base(invoke: Invoke, good_kb: Path, cut_file: Path) -> None:
    result = invoke("ingest", str(cut_file), "--db", str(good_kb), "--allow-partial")
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert flat(f"knowledge base written to {good_kb}") in flat(result.output)
    doc = knowledge_base.read(good_kb)
    assert doc.line_count == 975 and doc.missing and not doc.measures


def test_an_incomplete_document_replaces_an_incomplete_knowledge_base(
    invoke: Invoke, tmp_path: Path, cut_file: Path, lines: list[str]
) -> None:
    db = tmp_path / "kb.sqlite"
    assert invoke("ingest", str(cut_file), "--db", str(db)).exit_code == 2
    longer = tmp_path / "longer.txt"
    longer.write_text("\n".join(lines[:9000]) + "\n", encoding="utf-8")
    result = invoke("ingest", str(longer), "--db", str(db))
    assert result.exit_code == 2, result.output
    assert knowledge_base.read(db).line_count == 9000  # nothing complete to keep: the better part wins


def test_a_nul_byte_after_the_first_8_kb_is_binary(tmp_path: Path, lines: list[str]) -> None:
    head = ("\n".join(lines[:3000]) + "\n").encode()
    assert len(head) > 8192 * 4
    path = tmp_path / "glued.txt"
    path.write_bytes(head + b"PK\x03\x04\x00\x00binary tail\x00")
    with pytest.raises(CorpusError, match="binary file"):
        read_source(path)
    controls = tmp_path / "controls.txt"
    controls.write_bytes(head[:9000] + b"\x01\x02\x03\x04" * 30000)
    with pytest.raises(CorpusError, match="binary file"):
        read_source(controls)


def test_an_ingest_removes_the_temporaries_of_killed_ingests(invoke: Invoke, good_kb: Path) -> None:
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    dead_pid = int(dead.stdout)
    live_pid = os.getppid()  # the process that started the tests: alive
    stale = good_kb.with_name(f".{good_kb.name}.{dead_pid}.tmp")
    running = good_kb.with_name(f".{good_kb.name}.{live_pid}.tmp")
    other = good_kb.with_name(".other.sqlite.1.tmp")
    for path in (stale, running, other):
        path.write_bytes(b"half a database")
    result = invoke("ingest", "--db", str(good_kb))
    assert result.exit_code == 0, result.output
    assert not stale.exists()
    assert running.exists() and other.exists()  # an ingest still running, another file's


def test_an_ingest_into_a_folder_that_cannot_be_written_keeps_the_old_knowledge_base(
    invoke: Invoke, good_kb: Path
) -> None:
    if ROOT:
        pytest.skip("permissions do not stop root")
    before = good_kb.read_bytes()
    good_kb.parent.chmod(0o500)
    try:
        result = invoke("ingest", "--db", str(good_kb))
    finally:
        good_kb.parent.chmod(0o700)
    clean_failure(result, good_kb)
    assert good_kb.read_bytes() == before


# --------------------------------------------------------------------------- read-only monitoring stores


def store_with_data(kb: Path, store: Path, csv: Path) -> None:
    from ebpm.indicators.importing import run_import
    from ebpm.indicators.monitor import Monitor
    from ebpm.indicators.readers import read_rows

    engine = monitoring.open_store(store, "write")
    run_import(Monitor(knowledge_base.read(kb), engine), read_rows(csv, "csv"), csv, "csv")
    engine.dispose()
    with sqlite3.connect(store) as conn:  # as an older ebpm left it: no WAL, which a write switches on
        conn.execute("PRAGMA journal_mode=DELETE")
    conn.close()


READ_COMMANDS = [
    ["indicators", "list", "--json"],
    ["indicators", "status", "--json"],
    ["indicators", "observations", SERIES],
    ["indicators", "export", "--format", "sdmx-csv", "--output", "{out}/obs.csv"],
    ["budget", "summary"],
    ["budget", "matches"],
]


@pytest.mark.parametrize("command", READ_COMMANDS, ids=lambda c: " ".join(c[:2]))
def test_read_commands_never_write_the_monitoring_store(
    invoke: Invoke, kb_file: Path, tmp_path: Path, observations_csv: Path, command: list[str]
) -> None:
    folder = tmp_path / "stores"
    folder.mkdir()
    store = folder / "m.sqlite"
    store_with_data(kb_file, store, observations_csv)
    store.chmod(0o444)
    folder.chmod(0o555)
    before = (store.read_bytes(), store.stat().st_mtime_ns)
    try:
        args = [a.format(out=tmp_path) for a in command]
        result = invoke(*args, "--db", str(kb_file), "--monitoring-db", str(store))
    finally:
        folder.chmod(0o755)
        store.chmod(0o644)
    assert result.exit_code == 0, result.output
    assert (store.read_bytes(), store.stat().st_mtime_ns) == before  # not even the journal mode
    assert sorted(p.name for p in folder.iterdir()) == ["m.sqlite"]  # no -wal, no -shm
    if command[1] == "observations":
        assert "16.9" in result.output


@pytest.mark.skipif(ROOT, reason="permissions do not stop root; the test above covers the read-only open")
@pytest.mark.parametrize("wal", [False, True], ids=["rollback-journal", "wal"])
def test_the_server_reads_a_store_it_may_not_write(
    invoke: Invoke, kb_file: Path, tmp_path: Path, observations_csv: Path, wal: bool
) -> None:
    from ebpm.indicators.monitor import Monitor

    folder = tmp_path / "stores"
    folder.mkdir()
    store = folder / "m.sqlite"
    store_with_data(kb_file, store, observations_csv)
    if wal:
        with sqlite3.connect(store) as conn:
            conn.execute("PRAGMA journal_mode=WAL")
        conn.close()
    store.chmod(0o444)
    folder.chmod(0o555)
    try:
        engine = monitoring.open_store(store)  # what the server opens
        monitor = Monitor(knowledge_base.read(kb_file), engine)
        assert [o.value for o in monitor.observations(SERIES) if o.origin != "document"] == [16.2, 16.9]
        engine.dispose()
        status = invoke("indicators", "status", "--db", str(kb_file), "--monitoring-db", str(store))
        assert status.exit_code == 0, status.output
    finally:
        folder.chmod(0o755)
        store.chmod(0o644)


def test_a_read_never_creates_a_store(invoke: Invoke, kb_file: Path, tmp_path: Path) -> None:
    store = tmp_path / "none.sqlite"
    result = invoke("indicators", "status", "--db", str(kb_file), "--monitoring-db", str(store))
    assert result.exit_code == 0, result.output
    assert not store.exists()


def test_an_old_store_is_read_only_after_ebpm_migrate(invoke: Invoke, kb_file: Path, tmp_path: Path) -> None:
    from alembic import command

    store = tmp_path / "m.sqlite"
    engine = monitoring.engine_for(store, "write")
    with engine.begin() as conn:
        command.upgrade(monitoring._config(conn), "0001")  # as the first release left it
    engine.dispose()
    mode = stat.S_IMODE(store.stat().st_mode)
    status = invoke("indicators", "status", "--db", str(kb_file), "--monitoring-db", str(store))
    out = clean_failure(status, store)
    assert "ebpm migrate" in out and "0001" in out
    migrated = invoke("migrate", "--monitoring-db", str(store))
    assert migrated.exit_code == 0, migrated.output
    assert flat(f"migrated from 0001 to {monitoring.head_revision()}") in flat(migrated.output)
    assert stat.S_IMODE(store.stat().st_mode) == mode
    again = invoke("migrate", "--monitoring-db", str(store))
    assert "nothing to do" in again.output
    status = invoke("indicators", "status", "--db", str(kb_file), "--monitoring-db", str(store))
    assert status.exit_code == 0, status.output
