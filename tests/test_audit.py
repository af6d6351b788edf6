"""The audit log: appends in the caller's transaction, a hash chain that verify walks, and the
``ebpm audit`` commands."""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, text
from typer.testing import CliRunner, Result

from ebpm.audit import log
from ebpm.cli import app
from ebpm.store import knowledge_base, monitoring
from ebpm.store.follow_tables import GENESIS_HASH, audit_head, audit_log
from ebpm.store.monitoring import Location

Run = Callable[..., Result]


@pytest.fixture
def store(store_location: Location) -> Iterator[Engine]:
    """The store every test here runs on: a SQLite file, and again a PostgreSQL schema."""
    engine = monitoring.open_store(store_location, "write")
    yield engine
    engine.dispose()


@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Run:
    for var in (knowledge_base.ENV_VAR, monitoring.ENV_VAR, monitoring.URL_VAR):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    return lambda *args: runner.invoke(app, list(args))


def sql(engine: Engine, statement: str, **params: object) -> None:
    """A change made behind the log's back, as someone with the database could."""
    with engine.begin() as conn:
        conn.execute(text(statement), params)


def fill(engine: Engine, n: int) -> None:
    for k in range(n):
        log.record(
            engine, actor=f"user{k % 2}", action="target.set", outcome="ok", target=f"a{k}", after={"k": k}
        )


def test_entries_chain_each_to_the_one_before(store: Engine) -> None:
    first = log.record(
        store,
        actor="alice",
        action="progress.report",
        outcome="ok",
        target="2.2.1-3",
        before={"status": "未着手"},
        after={"status": "実施中", "note": "予算を確保", "n": 1.5},
        ip="192.0.2.1",
    )
    second = log.record(store, actor="anonymous", action="login", outcome="denied")
    assert (first, second) == (1, 2)
    newest, oldest = log.entries(store)
    assert (newest.seq, oldest.seq) == (2, 1)
    assert oldest.prev_hash == GENESIS_HASH and newest.prev_hash == oldest.hash
    assert oldest.after == {"status": "実施中", "note": "予算を確保", "n": 1.5} and newest.before is None
    content = {
        "seq": 1,
        "at": oldest.at,
        "actor": "alice",
        "ip": "192.0.2.1",
        "action": "progress.report",
        "target": "2.2.1-3",
        "outcome": "ok",
        "before": {"status": "未着手"},
        "after": {"status": "実施中", "note": "予算を確保", "n": 1.5},
    }
    canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    assert oldest.hash == hashlib.sha256((GENESIS_HASH + canonical).encode()).hexdigest()
    with store.connect() as conn:
        stored = conn.execute(select(audit_log.c.after).where(audit_log.c.seq == 1)).scalar_one()
        head = conn.execute(select(audit_head)).one()
    assert stored == '{"n":1.5,"note":"予算を確保","status":"実施中"}'
    assert (head.seq, head.hash) == (2, newest.hash)
    assert log.verify(store) == log.Verdict(True, 2, None, None)


def test_an_entry_is_written_with_its_change_or_not_at_all(store: Engine) -> None:
    log.record(store, actor="alice", action="login", outcome="ok")
    with pytest.raises(RuntimeError, match="the change failed"), store.begin() as conn:
        assert log.append(conn, actor="alice", action="target.set", outcome="ok") == 2
        raise RuntimeError("the change failed")
    assert [e.seq for e in log.entries(store)] == [1]
    assert log.record(store, actor="alice", action="target.set", outcome="ok") == 2  # no gap
    assert log.verify(store).ok


def test_an_unknown_outcome_is_refused(store: Engine) -> None:
    with pytest.raises(ValueError, match="use one of conflict, denied, failed, invalid, ok"):
        log.record(store, actor="alice", action="login", outcome="maybe")
    assert log.entries(store) == []


def test_entries_are_filtered_by_user_and_day_and_paged(store: Engine) -> None:
    fill(store, 6)
    assert [e.seq for e in log.entries(store)] == [6, 5, 4, 3, 2, 1]
    assert [e.seq for e in log.entries(store, user="user1")] == [6, 4, 2]
    assert [e.seq for e in log.entries(store, limit=2, offset=1)] == [5, 4]
    sql(store, "UPDATE audit_log SET at = :at WHERE seq <= 3", at="2026-01-01T00:00:00+00:00")
    assert [e.seq for e in log.entries(store, since="2026-01-02")] == [6, 5, 4]
    assert [e.seq for e in log.entries(store, since="2026-01-01", user="user0")] == [5, 3, 1]


def test_an_empty_log_is_intact(store: Engine) -> None:
    assert log.verify(store) == log.Verdict(True, 0, None, None)


def test_a_changed_entry_is_named(store: Engine) -> None:
    fill(store, 5)
    sql(store, "UPDATE audit_log SET after = :after WHERE seq = 3", after='{"k":99}')
    verdict = log.verify(store)
    assert (verdict.ok, verdict.checked, verdict.first_broken) == (False, 2, 3)
    assert verdict.reason == "entry 3: its content does not match its hash (changed after it was written?)"


@pytest.mark.parametrize(
    ("column", "value"),
    [("actor", "mallory"), ("outcome", "denied"), ("at", "2020-01-01T00:00:00+00:00"), ("after", "not json")],
)
def test_any_changed_field_is_found(store: Engine, column: str, value: str) -> None:
    fill(store, 3)
    sql(store, f"UPDATE audit_log SET {column} = :v WHERE seq = 2", v=value)
    verdict = log.verify(store)
    assert (verdict.ok, verdict.first_broken) == (False, 2)
    assert verdict.reason is not None and verdict.reason.startswith("entry 2: its content does not match")


def test_the_same_values_written_otherwise_are_a_change(store: Engine) -> None:
    fill(store, 2)
    sql(store, "UPDATE audit_log SET after = :v WHERE seq = 1", v='{"k": 0}')
    verdict = log.verify(store)
    assert verdict.first_broken == 1 and "not as it was written" in str(verdict.reason)


def test_a_deleted_entry_is_named_as_missing(store: Engine) -> None:
    fill(store, 5)
    sql(store, "DELETE FROM audit_log WHERE seq = 3")
    verdict = log.verify(store)
    assert (verdict.ok, verdict.checked, verdict.first_broken) == (False, 2, 3)
    assert verdict.reason == "entry 3 is missing: the log goes from 2 to 4 (deleted?)"


def test_a_deleted_last_entry_is_found_by_the_head(store: Engine) -> None:
    fill(store, 4)
    sql(store, "DELETE FROM audit_log WHERE seq = 4")
    verdict = log.verify(store)
    assert (verdict.ok, verdict.checked, verdict.first_broken) == (False, 3, 4)
    assert "entry 4 is missing: the log ends at 3 but its head says 4" in str(verdict.reason)


def test_a_rewritten_chain_is_found_by_the_head(store: Engine) -> None:
    fill(store, 3)
    sql(store, "UPDATE audit_head SET hash = :h", h="f" * 64)
    verdict = log.verify(store)
    assert (verdict.ok, verdict.first_broken) == (False, 3)
    assert "the head's hash does not match entry 3's" in str(verdict.reason)


def test_an_entry_beyond_the_head_is_found(store: Engine) -> None:
    fill(store, 3)
    # the head set back one entry, as if entry 3 had been written without an append
    sql(store, "UPDATE audit_head SET seq = 2, hash = (SELECT hash FROM audit_log WHERE seq = 2)")
    verdict = log.verify(store)
    assert (verdict.ok, verdict.checked, verdict.first_broken) == (False, 2, 3)
    assert "entry 3: it is beyond the head, which says the log ends at 2" in str(verdict.reason)


def test_a_relinked_entry_is_found(store: Engine) -> None:
    fill(store, 3)
    sql(store, "UPDATE audit_log SET prev_hash = :h WHERE seq = 2", h="0" * 64)
    verdict = log.verify(store)
    assert verdict.first_broken == 2 and "does not link to entry 1" in str(verdict.reason)


def test_a_long_log_is_walked_in_batches(store: Engine) -> None:
    with store.begin() as conn:
        for k in range(2 * log._BATCH + 7):
            log.append(conn, actor="import", action="observations.import", outcome="ok", after={"row": k})
    assert log.verify(store) == log.Verdict(True, 2 * log._BATCH + 7, None, None)


def test_concurrent_appends_queue_without_gaps(store: Engine) -> None:
    per_thread, threads = 15, 8
    errors: list[BaseException] = []
    start = threading.Barrier(threads)

    def work(n: int) -> None:
        try:
            start.wait()
            for k in range(per_thread):
                log.record(store, actor=f"t{n}", action="progress.report", outcome="ok", after={"k": k})
        except BaseException as exc:  # surfaced below: a thread's exception is otherwise lost
            errors.append(exc)

    workers = [threading.Thread(target=work, args=(n,)) for n in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert errors == []
    total = per_thread * threads
    assert log.verify(store) == log.Verdict(True, total, None, None)
    assert sorted(e.seq for e in log.entries(store, limit=total + 1)) == list(range(1, total + 1))


# --- the command line ----------------------------------------------------------------------------


def test_audit_verify_and_list(run: Run, tmp_path: Path) -> None:
    path = tmp_path / "m.sqlite"
    engine = monitoring.open_store(path, "write")
    fill(engine, 3)
    db = ["--monitoring-db", str(path)]

    intact = run("audit", "verify", *db)
    assert intact.exit_code == 0 and intact.stdout.strip() == "audit chain intact: 3 entries"

    listed = run("audit", "list", "--json", "--user", "user0", *db)
    assert listed.exit_code == 0
    assert [(e["seq"], e["after"]) for e in json.loads(listed.stdout)] == [(3, {"k": 2}), (1, {"k": 0})]
    table = run("audit", "list", "--limit", "1", *db)
    assert table.exit_code == 0 and "target.set" in table.stdout and "1 audit entries" in table.stdout

    sql(engine, "UPDATE audit_log SET target = 'x' WHERE seq = 2")
    engine.dispose()
    broken = run("audit", "verify", *db)
    assert broken.exit_code == 1
    assert " ".join(broken.stderr.split()) == (
        "error: audit chain broken: entry 2: its content does not match its hash "
        "(changed after it was written?); the 1 entry before it is intact"
    )


def test_audit_commands_on_no_store_and_bad_options(run: Run, tmp_path: Path) -> None:
    db = ["--monitoring-db", str(tmp_path / "none.sqlite")]
    empty = run("audit", "verify", *db)
    assert empty.exit_code == 0 and "audit chain intact: 0 entries" in empty.stdout
    assert not (tmp_path / "none.sqlite").exists()  # reading wrote nothing
    bad = run("audit", "list", "--since", "2027-02-30", *db)
    assert bad.exit_code == 1 and "--since '2027-02-30': write a day as YYYY-MM-DD" in bad.stderr
    assert "Traceback" not in bad.output
