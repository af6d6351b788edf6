"""The monitoring store on SQLite and on PostgreSQL: what differs between them (locks, the change
counter, opening and errors) behaves the same for the code above the store."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import text

from ebpm.indicators.importing import run_import
from ebpm.indicators.monitor import Monitor
from ebpm.indicators.readers import read_rows
from ebpm.model import Document
from ebpm.store import monitoring
from ebpm.store.monitoring import Location, MonitoringStoreError, open_store
from tests.conftest import Invoke, postgres_schema

SERIES = "2.2.1.ref.6"
HEADER = "indicator_id,period,value,unit,source\n"


def _csv(tmp_path: Path, name: str, rows: str) -> Path:
    path = tmp_path / name
    path.write_text(HEADER + rows, encoding="utf-8")
    return path


def test_a_write_by_another_engine_changes_the_version(
    store_location: Location, doc: Document, tmp_path: Path
) -> None:
    server = open_store(store_location)  # as the web server holds it
    importer = open_store(store_location, "write")
    before = monitoring.version(server)
    assert monitoring.version(server) == before  # reading changes nothing
    run_import(
        Monitor(doc, importer),
        read_rows(_csv(tmp_path, "a.csv", f"{SERIES},FY2019,1,%,x\n"), "csv"),
        tmp_path / "a.csv",
        "csv",
    )
    assert monitoring.version(server) != before
    server.dispose()
    importer.dispose()


def test_two_importers_take_turns_and_both_land(
    store_location: Location, doc: Document, tmp_path: Path
) -> None:
    """Each importer takes the write lock before it reads: the second waits, then sees the first's rows
    (as revisions), instead of failing on a stale snapshot or a duplicate current value."""
    files = [
        _csv(tmp_path, f"{n}.csv", f"{SERIES},FY2019,{n},%,x\n{SERIES},FY2020,{n},%,x\n") for n in (1, 2)
    ]
    errors: list[BaseException] = []

    def load(file: Path) -> None:
        try:
            engine = open_store(store_location, "write")
            run_import(Monitor(doc, engine), read_rows(file, "csv"), file, "csv")
            engine.dispose()
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=load, args=(f,)) for f in files]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    engine = open_store(store_location, "read")
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT period, COUNT(*), SUM(CASE WHEN superseded_at IS NULL THEN 1 ELSE 0 END) "
                "FROM observations GROUP BY period ORDER BY period"
            )
        ).all()
        imports = conn.execute(text("SELECT added, revised FROM imports ORDER BY id")).all()
    assert [tuple(r) for r in rows] == [("FY2019", 2, 1), ("FY2020", 2, 1)]
    assert sorted(tuple(r) for r in imports) == [(0, 2), (2, 0)]
    engine.dispose()


def test_a_new_store_waits_for_a_lock_while_it_switches_to_wal(tmp_path: Path) -> None:
    """SQLite answers a journal-mode switch with SQLITE_BUSY at once, without waiting, while another
    connection holds a lock: two importers creating one store at once must wait, not fail (once
    seen as a flaky "locked for more than 30 s" in the test above)."""
    import sqlite3

    path = tmp_path / "new.sqlite"
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)  # a new file: rollback mode
    other.execute("CREATE TABLE t (x INTEGER)")
    other.execute("BEGIN IMMEDIATE")
    release = threading.Timer(0.3, lambda: other.execute("COMMIT"))
    release.start()
    engine = monitoring.engine_for(path, "write")
    try:
        with engine.connect() as conn:  # the connect hook switches to WAL: it waited for the lock
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar_one() == "wal"
    finally:
        release.join()
        engine.dispose()
        other.close()


def test_read_access_never_writes(store_location: Location) -> None:
    """A reader of a store nobody has written yet sees it empty, and creates nothing."""
    engine = open_store(store_location, "read")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM observations")).scalar_one() == 0
    engine.dispose()
    if isinstance(store_location, Path):
        assert not store_location.exists()
    else:
        probe = monitoring.engine_for(store_location, "read")
        with probe.connect() as conn:
            assert monitoring._revision(conn) is None
        probe.dispose()


def test_a_read_only_engine_refuses_writes(store_location: Location) -> None:
    open_store(store_location, "write").dispose()
    engine = open_store(store_location, "read")
    with pytest.raises(Exception, match="read-only"), engine.begin() as conn:
        conn.execute(text("DELETE FROM observations"))
    engine.dispose()


def test_migrate_reports_once(invoke: Invoke, monkeypatch: pytest.MonkeyPatch) -> None:
    for url in postgres_schema():
        monkeypatch.setenv(monitoring.URL_VAR, url)
        first = invoke("migrate")
        assert first.exit_code == 0 and "migrated from nothing to" in " ".join(first.output.split())
        again = invoke("migrate")
        assert again.exit_code == 0 and "nothing to do" in " ".join(again.output.split())
        assert "postgresql+psycopg://" in again.output


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("postgresql+psycopg://nobody@127.0.0.1:1/nowhere", "cannot open the monitoring store"),
        ("mysql://root@127.0.0.1/test", "mysql is not supported"),
        ("not a url", "not a database URL"),
    ],
)
def test_a_bad_database_url_is_one_clear_line(
    invoke: Invoke, monkeypatch: pytest.MonkeyPatch, url: str, message: str
) -> None:
    monkeypatch.setenv(monitoring.URL_VAR, url)
    result = invoke("migrate")
    assert result.exit_code == 1 and message in " ".join(result.output.split()), result.output
    assert "Traceback" not in result.output


def test_the_url_is_printed_without_its_password() -> None:
    url = monitoring.parse_url("postgresql://ebpm:s3cret@db.example:5432/ebpm")
    assert "s3cret" not in monitoring.describe_location(url)
    assert url.drivername == "postgresql+psycopg"
    with pytest.raises(MonitoringStoreError):
        monitoring.parse_url("sqlite:///x.sqlite")


def test_the_migrations_go_down_and_up_again(store_location: Location) -> None:
    """Every Alembic revision, down to nothing and back to head, on both backends: what a
    shared deployment's upgrade runs."""
    from alembic import command

    monitoring.migrate(store_location)
    engine = monitoring.engine_for(store_location, "write")
    with engine.begin() as conn:
        command.downgrade(monitoring._config(conn), "base")
        assert monitoring._revision(conn) is None
    engine.dispose()
    before, after = monitoring.migrate(store_location)
    assert (before, after) == (None, monitoring.head_revision())
    engine = open_store(store_location, "read")
    with engine.connect() as conn:
        head = conn.execute(text("SELECT seq, hash FROM audit_head")).one()
    assert tuple(head) == (0, "0" * 64)
    engine.dispose()


def test_a_second_server_sees_the_first_ones_writes(
    store_location: Location, doc: Document, tmp_path: Path, ingested_kb: Path
) -> None:
    """Two server processes on one store (here two apps, each with its own engine): a target set
    through one shows on the other's cached pages at once."""
    from fastapi.testclient import TestClient

    from ebpm.web.app import create_app

    one = create_app(ingested_kb, store_location, api_token="t")
    two = create_app(ingested_kb, store_location, api_token="t")
    with TestClient(one) as a, TestClient(two) as b:
        page = b.get("/indicators.json?size=500").json()  # rendered and cached by the second server
        target = a.put(
            f"/api/indicators/series/{SERIES}/target",
            json={"value": 40, "period": "FY2030", "direction": "up"},
            headers={"authorization": "Bearer t"},
        )
        assert target.status_code == 200, target.text
        after = b.get("/indicators.json?size=500").json()
        assert after != page
        mine = next(s for s in after["table"]["rows"] if s["id"] == SERIES)
        assert mine["target"]["value"] == 40
    one.state.monitoring.dispose()
    two.state.monitoring.dispose()
