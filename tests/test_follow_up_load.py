"""The follow-up platform under load, against a real ``ebpm serve`` over HTTP: many editors at
once, writers racing on one action, and a server killed mid-burst. No report acknowledged with a
200 may be lost, no request may fail with a 5xx, and every accepted write must be in an intact
audit chain. The figures (writes, conflicts, requests per second) are printed for the closing note;
nothing here is timed as a pass condition."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from ebpm.accounts import service as accounts
from ebpm.audit import log as audit
from ebpm.progress.actions import action_index
from ebpm.store.follow_tables import audit_log, progress_reports
from ebpm.store.knowledge_base import read
from ebpm.store.monitoring import URL_VAR, Location, describe_location, open_store
from tests.conftest import postgres_schema

EBPM = str(Path(sys.executable).with_name("ebpm"))
PASSWORD = "correct horse battery"
SECONDS = float(os.environ.get("EBPM_LOAD_SECONDS", "20"))
TODAY = date.today().isoformat()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    url: str
    env: dict[str, str]
    args: list[str]
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [EBPM, "serve", *self.args], env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"ebpm serve exited: {self.process.stderr.read().decode()[-2000:]}")  # type: ignore[union-attr]
            try:
                if httpx.get(self.url + "/api/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.2)
        raise RuntimeError("ebpm serve did not answer within 60 s")

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()


def _serve(location: Location, kb: Path) -> Server:
    port = _free_port()
    env = {**os.environ, "EBPM_DB": str(kb), "EBPM_API_TOKEN": ""}
    args = ["--port", str(port), "--db", str(kb)]
    if isinstance(location, Path):
        args += ["--monitoring-db", str(location)]
        env.pop(URL_VAR, None)
    else:
        env[URL_VAR] = location.render_as_string(hide_password=False)
    return Server(f"http://127.0.0.1:{port}", env, args)


@pytest.fixture
def postgres() -> Iterator[Location]:
    from ebpm.store.monitoring import parse_url

    for url in postgres_schema():
        yield parse_url(url)


@dataclass
class Tally:
    acknowledged: dict[str, tuple[str, int]] = field(default_factory=dict)  # note -> (action, report id)
    statuses: Counter[int] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _write_loop(base: str, token: str, actions: list[str], tag: str, tally: Tally, until: float) -> None:
    """Read the version, then report on top of it, action after action, until ``until``."""
    headers = {"authorization": f"Bearer {token}"}
    n = 0
    with httpx.Client(base_url=base, headers=headers, timeout=60) as client:
        while time.monotonic() < until:
            action = actions[n % len(actions)]
            n += 1
            note = f"{tag}-{n}"
            try:
                etag = client.get(f"/api/actions/{action}/progress").headers["etag"]
                r = client.put(
                    f"/api/actions/{action}/progress",
                    headers={"if-match": etag},
                    json={"status": "in_progress", "note": note, "as_of": TODAY},
                )
            except httpx.HTTPError as exc:  # the server was killed: this write was never acknowledged
                with tally.lock:
                    tally.errors.append(f"{type(exc).__name__}")
                return
            with tally.lock:
                tally.statuses[r.status_code] += 1
                if r.status_code == 200:
                    tally.acknowledged[note] = (action, r.json()["report"]["id"])


def _users(location: Location, kb: Path, editors: int) -> tuple[list[tuple[str, list[str]]], list[str]]:
    """``editors`` editors over the ministries owning the most actions, each with its own share of
    its ministry's actions; (name, actions) per editor and their tokens."""
    index = action_index(read(kb))
    owners = Counter(o for a in index.values() for o in a.owners if len(a.owners) == 1)
    ministries = [m for m, _ in owners.most_common(8)]
    engine = open_store(location, "write")
    plan, tokens = [], []
    for i in range(editors):
        ministry = ministries[i % len(ministries)]
        mine = [a.id for a in index.values() if a.owners == (ministry,)]
        share = mine[i // len(ministries) :: -(-editors // len(ministries))] or mine
        name = f"editor{i:02d}"
        accounts.add_user(engine, name, "editor", [ministry], PASSWORD, actor="test")
        tokens.append(accounts.new_token(engine, name, actor="test"))
        plan.append((name, share))
    engine.dispose()
    return plan, tokens


def _check_store(location: Location, tally: Tally) -> tuple[int, int]:
    """Every acknowledged report is stored with its note, and its write is an ok entry of an
    intact audit chain; (reports stored, audit entries)."""
    engine = open_store(location, "read")
    with engine.connect() as conn:
        stored = {r.note: (r.action_id, r.id) for r in conn.execute(select(progress_reports))}
        logged = {
            e.after["report_id"]
            for e in audit.entries(engine, limit=10**7)
            if e.action == "progress.report" and e.outcome == "ok"
        }
        entries = len(conn.execute(select(audit_log.c.seq)).all())
    verdict = audit.verify(engine)
    engine.dispose()
    lost = [note for note, ref in tally.acknowledged.items() if stored.get(note) != ref]
    assert not lost, f"{len(lost)} acknowledged reports are missing, e.g. {lost[:3]}"
    missing_audit = [ref for ref in tally.acknowledged.values() if ref[1] not in logged]
    assert not missing_audit, f"{len(missing_audit)} accepted writes are not in the audit log"
    assert verdict.ok, verdict
    return len(stored), entries


def test_32_editors_for_20_seconds_lose_nothing(postgres: Location, ingested_kb: Path) -> None:
    plan, tokens = _users(postgres, ingested_kb, 32)
    server = _serve(postgres, ingested_kb)
    server.start()
    tally = Tally()
    try:
        until = time.monotonic() + SECONDS
        threads = [
            threading.Thread(target=_write_loop, args=(server.url, tok, actions, name, tally, until))
            for (name, actions), tok in zip(plan, tokens, strict=True)
        ]
        started = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.monotonic() - started
    finally:
        server.stop()
    assert not tally.errors, tally.errors[:5]
    assert not [s for s in tally.statuses if s >= 500], tally.statuses
    assert set(tally.statuses) <= {200, 409}, tally.statuses  # 409: two editors of a ministry on one action
    stored, entries = _check_store(postgres, tally)
    print(
        f"\n32 editors, {elapsed:.1f} s on PostgreSQL: {len(tally.acknowledged)} reports acknowledged "
        f"({len(tally.acknowledged) / elapsed:.0f}/s), statuses {dict(tally.statuses)}, {stored} stored, "
        f"{entries} audit entries, chain intact"
    )
    assert len(tally.acknowledged) > 0


def test_8_writers_racing_on_one_action_exactly_one_wins_each_version(
    postgres: Location, ingested_kb: Path
) -> None:
    index = action_index(read(ingested_kb))
    action = next(a.id for a in index.values() if a.owners == ("文",))
    engine = open_store(postgres, "write")
    accounts.add_user(engine, "mext", "editor", ["文"], PASSWORD, actor="test")
    token = accounts.new_token(engine, "mext", actor="test")
    engine.dispose()
    server = _serve(postgres, ingested_kb)
    server.start()
    try:
        with httpx.Client(base_url=server.url, headers={"authorization": f"Bearer {token}"}, timeout=60) as c:
            for version in range(5):
                barrier = threading.Barrier(8)
                results: list[int] = []

                def race(
                    k: int,
                    version: int = version,
                    barrier: threading.Barrier = barrier,
                    results: list[int] = results,
                ) -> None:
                    with httpx.Client(
                        base_url=server.url, headers={"authorization": f"Bearer {token}"}, timeout=60
                    ) as own:
                        barrier.wait()
                        r = own.put(
                            f"/api/actions/{action}/progress",
                            headers={"if-match": f'"{version}"'},
                            json={"status": "in_progress", "note": f"v{version}-w{k}", "as_of": TODAY},
                        )
                        results.append(r.status_code)

                threads = [threading.Thread(target=race, args=(k,)) for k in range(8)]
                for t in threads:
                    t.start()
                for t in threads:
                    t.join()
                assert sorted(results) == [200] + [409] * 7, results
                assert c.get(f"/api/actions/{action}/progress").json()["version"] == version + 1
    finally:
        server.stop()
    engine = open_store(postgres, "read")
    conflicts = [e for e in audit.entries(engine, limit=1000) if e.outcome == "conflict"]
    assert len(conflicts) == 35 and audit.verify(engine).ok
    engine.dispose()


def test_a_server_killed_mid_burst_keeps_every_acknowledged_write(
    store_location: Location, ingested_kb: Path
) -> None:
    plan, tokens = _users(store_location, ingested_kb, 8)
    server = _serve(store_location, ingested_kb)
    server.start()
    tally = Tally()
    until = time.monotonic() + 60
    threads = [
        threading.Thread(target=_write_loop, args=(server.url, tok, actions, name, tally, until))
        for (name, actions), tok in zip(plan, tokens, strict=True)
    ]
    for t in threads:
        t.start()
    while sum(tally.statuses.values()) < 100:
        time.sleep(0.05)
    server.kill()
    for t in threads:
        t.join()
    assert len(tally.errors) == len(threads)  # each writer saw the server go
    server.start()  # after a restart, on the same store
    try:
        state = {
            note: httpx.get(f"{server.url}/api/actions/{action}/progress").json()
            for note, (action, _id) in list(tally.acknowledged.items())[-5:]
        }
        assert all(any(h["note"] == note for h in s["history"]) for note, s in state.items())
    finally:
        server.stop()
    _check_store(store_location, tally)
    verify = subprocess.run(
        [EBPM, "audit", "verify"],
        env=server.env
        | ({"EBPM_MONITORING_DB": str(store_location)} if isinstance(store_location, Path) else {}),
        capture_output=True,
        text=True,
        check=False,
    )
    assert verify.returncode == 0 and "intact" in verify.stdout, verify.stdout + verify.stderr
    print(
        f"\nkilled after {sum(tally.statuses.values())} answers on {describe_location(store_location)}: "
        f"{len(tally.acknowledged)} acknowledged, all there after the restart; audit chain intact"
    )


def test_several_worker_processes_share_logins_writes_and_fresh_pages(
    postgres: Location, ingested_kb: Path
) -> None:
    """`ebpm serve --workers 3` on PostgreSQL: whichever process answers, a token works, a write
    is seen, and no cached page is older than the last write."""
    plan, tokens = _users(postgres, ingested_kb, 1)
    server = _serve(postgres, ingested_kb)
    server.args += ["--workers", "3"]
    server.start()
    try:
        assert server.process is not None
        children = Path(f"/proc/{server.process.pid}/task/{server.process.pid}/children").read_text().split()
        spawned = [c for c in children if b"spawn_main" in Path(f"/proc/{c}/cmdline").read_bytes()]
        assert len(spawned) == 3  # the workers (beside multiprocessing's resource tracker)
        action = plan[0][1][0]
        with httpx.Client(base_url=server.url, headers={"authorization": f"Bearer {tokens[0]}"}) as client:
            for n in range(12):
                # a new connection each time, so the kernel spreads them over the processes
                version = httpx.get(f"{server.url}/api/actions/{action}/progress").json()["version"]
                assert version == n
                pages = {httpx.get(f"{server.url}/follow-up/secretariat.json").status_code for _ in range(3)}
                assert pages == {401}  # no session: the same answer from every process
                r = client.put(
                    f"/api/actions/{action}/progress",
                    headers={"if-match": f'"{n}"', "connection": "close"},
                    json={"status": "in_progress", "note": f"w{n}", "as_of": TODAY},
                )
                assert r.status_code == 200, r.text
                listed = {
                    httpx.get(f"{server.url}/api/progress", params={"status": "in_progress"}).json()["total"]
                    for _ in range(6)
                }
                assert listed == {1}
    finally:
        server.stop()
