"""A new edition from the web page (the secretariat's): the form, the ingest in the background with
its page, the one-line refusal of a file that is not the strategy (the knowledge base untouched),
one ingest at a time, the audit log, and the upload's own body limit.

The ingest is the real one with the sentence vectors left out to keep the tests fast; the tests
check that the web asks for them, as `ebpm ingest` does.
"""

from __future__ import annotations

import re
import shutil
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from ebpm.accounts import service as accounts
from ebpm.audit import log as audit
from ebpm.services.ingest import Summary
from ebpm.services.ingest import ingest as real_ingest
from ebpm.sources.corpus import CorpusError
from ebpm.sources.next_edition import next_edition
from ebpm.store.editions import Editions
from ebpm.store.monitoring import open_store
from ebpm.web import edition_upload
from ebpm.web.app import create_app
from ebpm.web.limits import ENV_VAR, UPLOAD_ENV_VAR
from tests.test_follow_pages import PASSWORD, hidden, log_in
from tests.test_hardening_server import call, endless, never_read
from tests.test_web_i18n import untranslated

TOKEN = "upload-token-1234"
PROSE = "これは戦略の文書ではありません。\n今日の買い物：牛乳、卵、パン。\n".encode()
BINARY = bytes(range(256)) * 8


@pytest.fixture(scope="module")
def base_kb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled 2023 edition, ingested once (without vectors); each test works on a copy."""
    db = tmp_path_factory.mktemp("upload-base") / "kb.sqlite"
    real_ingest(None, db, vectors=False)
    return db


@pytest.fixture(scope="module")
def sample() -> bytes:
    return next_edition(seed=1).text.encode("utf-8")


@dataclass
class Server:
    client: TestClient
    db: Path
    store: Path
    calls: list[dict[str, Any]] = field(default_factory=list)

    def entries(self, action: str | None = None) -> list[audit.AuditEntry]:
        engine = open_store(self.store, "read")
        try:
            found = audit.entries(engine, limit=200)
            assert audit.verify(engine).ok
        finally:
            engine.dispose()
        return [e for e in found if action is None or e.action == action]

    def files(self) -> dict[str, bytes]:
        """Every knowledge-base file beside the test's monitoring store, by name, with its bytes."""
        return {p.name: p.read_bytes() for p in sorted(self.db.parent.glob("kb*.sqlite"))}


@pytest.fixture
def server(
    tmp_path: Path, base_kb: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> Iterator[Server]:
    db = tmp_path / "kb.sqlite"
    shutil.copy(base_kb, db)
    store = tmp_path / "monitoring.sqlite"
    engine = open_store(store, "write")
    accounts.add_user(engine, "sec", "admin", [], PASSWORD, actor="test")
    accounts.add_user(engine, "mext", "editor", ["文"], PASSWORD, actor="test")
    engine.dispose()
    found = Server(TestClient(create_app(db, store, TOKEN), raise_server_exceptions=False), db, store)
    found.client.follow_redirects = False

    def fast(
        source: Path,
        target: Path,
        progress: Any,
        allow_partial: bool,
        search_extras: bool,
        edition: str | None,
        vectors: bool,
    ) -> tuple[Any, Summary]:
        found.calls.append(
            {"source": source, "target": target, "search_extras": search_extras, "vectors": vectors}
            | {"edition": edition, "allow_partial": allow_partial}
        )
        return real_ingest(source, target, progress, allow_partial, search_extras, edition, vectors=False)

    monkeypatch.setattr(edition_upload, "ingest", fast)
    with found.client:
        yield found
    found.client.app.state.monitoring.dispose()  # type: ignore[attr-defined]


def streamed_file() -> Any:
    """A multipart body with one file that never ends, sent in chunks without a length: it fails
    the test when read far past the limit."""
    reads: list[int] = []
    head = b'--x\r\nContent-Disposition: form-data; name="file"; filename="s.txt"\r\n\r\n'
    chunks = endless(1000, reads)

    async def receive() -> dict[str, Any]:
        if not reads:
            reads.append(len(head))
            return {"type": "http.request", "body": head, "more_body": True}
        return await chunks()

    return receive


def upload(client: TestClient, csrf: str, name: str, body: bytes, **form: str) -> Any:  # the httpx response
    return client.post("/editions/add", data={"csrf": csrf, **form}, files={"file": (name, body)})


def admin_csrf(client: TestClient) -> str:
    log_in(client, "sec")
    form = client.get("/editions/add")
    assert form.status_code == 200, form.text
    return hidden(form.text, "csrf")


def finished(client: TestClient, location: str, timeout: float = 120) -> dict[str, Any]:
    """The job's JSON once it is no longer running."""
    deadline = time.monotonic() + timeout
    while True:
        job: dict[str, Any] = client.get(location + ".json").json()
        if job["state"] != "running" or time.monotonic() > deadline:
            return job
        time.sleep(0.1)


def test_anonymous_and_non_admins_are_refused_and_audited(server: Server, sample: bytes) -> None:
    client, before = server.client, server.files()
    form = client.get("/editions/add")
    assert form.status_code == 303 and form.headers["location"] == "/login?next=/editions/add"
    assert client.get("/editions/add/abcdefgh12.json").status_code == 401
    r = client.post("/editions/add", data={"csrf": "x"}, files={"file": ("s.txt", sample)})
    assert r.status_code == 401 and r.headers["content-type"].startswith("text/html")
    log_in(client, "mext")
    assert client.get("/editions/add").status_code == 403
    assert client.get("/editions/add/abcdefgh12").status_code == 403
    assert client.get("/follow-up/secretariat").status_code == 403  # no link to it either
    csrf = hidden(client.get("/follow-up").text, "csrf")
    assert upload(client, csrf, "s.txt", sample).status_code == 403
    client.post("/logout", data={"csrf": csrf})
    # an admin's post without the session's CSRF token is refused as well
    admin_csrf(client)
    assert upload(client, "forged", "s.txt", sample).status_code == 403
    denied = [(e.actor, e.action, e.after) for e in server.entries() if e.outcome == "denied"]
    assert ("anonymous", "POST /editions/add", None) in denied
    assert ("mext", "POST /editions/add", None) in denied
    assert ("sec", "POST /editions/add", {"reason": "csrf"}) in denied
    assert server.calls == [] and server.files() == before


def test_an_admin_adds_the_next_edition(server: Server, sample: bytes) -> None:
    client = server.client
    csrf = admin_csrf(client)
    board = client.get("/follow-up/secretariat")
    assert 'href="/editions/add"' in board.text  # the admin area links the page
    form = client.get("/editions/add")
    assert form.headers["cache-control"] == "no-store" and 'enctype="multipart/form-data"' in form.text
    assert 'href="/e/2023/"' in form.text and "/e/2024/" not in form.text
    r = upload(client, csrf, "../統合戦略2024 SAMPLE<b>.txt", sample)
    assert r.status_code == 303, r.text
    location = r.headers["location"]
    assert re.fullmatch(r"/editions/add/[A-Za-z0-9_-]{8,40}", location)
    job = finished(client, location)
    assert job["state"] == "done", job
    # the ingest got the CLI's arguments: vectors on, no search extras, the edition from the title
    [called] = server.calls
    assert called["vectors"] is True and called["search_extras"] is False
    assert called["edition"] is None and called["allow_partial"] is False and called["target"] == server.db
    assert called["source"].name == "統合戦略2024_SAMPLE_b_.txt"  # a safe name, no path, no markup
    assert not called["source"].parent.exists()  # the upload's folder is removed afterwards
    summary = job["summary"]
    assert summary["edition"] == "2024" and summary["kept"] is False and summary["verdict"] == "good"
    assert summary["counts"]["measure rows"] > 150 and summary["editions"] == ["2023", "2024"]
    assert [s["name"] for s in job["steps"]][:2] == ["read", "footnotes"] and job["steps"][-1][
        "name"
    ] == "store"
    page = client.get(location)
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    assert 'http-equiv="refresh"' not in page.text  # done: it stops refreshing
    assert "2024年版を知識ベースに保存しました" in page.text and 'href="/e/2024/"' in page.text
    assert "<b>" not in page.text and "統合戦略2024_SAMPLE_b_.txt" in page.text
    assert untranslated(client.get(location, params={"lang": "en"}).text) == []
    # the running server shows the new edition: the switcher of every page, its own pages
    home = client.get("/")
    assert 'class="edition-switch"' in home.text and "/e/2023/" in home.text
    assert "統合イノベーション戦略2024" in home.text
    assert client.get("/e/2024/").status_code == 200
    assert Editions.of(server.db).names() == ["2023", "2024"]
    [entry] = server.entries("edition.ingest")
    assert (entry.actor, entry.outcome, entry.target) == ("sec", "ok", "統合戦略2024_SAMPLE_b_.txt")
    assert entry.after["edition"] == "2024" and entry.after["kept"] is False
    assert entry.after["counts"] == summary["counts"]


@pytest.mark.parametrize(
    ("name", "body", "expected"),
    [("memo.txt", PROSE, "no recognizable structure"), ("scan.pdf", BINARY, "binary file")],
)
def test_a_file_that_is_not_the_strategy_is_one_line_and_changes_nothing(
    server: Server, name: str, body: bytes, expected: str
) -> None:
    client, before = server.client, server.files()
    csrf = admin_csrf(client)
    r = upload(client, csrf, name, body)
    assert r.status_code == 303, r.text
    job = finished(client, r.headers["location"])
    assert job["state"] == "failed" and job["summary"] is None
    error = job["error"]
    assert expected in error and "\n" not in error and error.startswith(name)
    assert "ebpm-edition-" not in error and "Traceback" not in error  # no server path, no trace
    page = client.get(r.headers["location"])
    assert "取り込めませんでした。知識ベースは変わっていません。" in page.text and expected in page.text
    assert "Traceback" not in page.text and 'http-equiv="refresh"' not in page.text
    assert server.files() == before and Editions.of(server.db).names() == ["2023"]
    [entry] = server.entries("edition.ingest")
    assert (entry.outcome, entry.target, entry.after) == ("invalid", name, {"error": error})


def test_a_bad_form_comes_back_with_why(server: Server, sample: bytes) -> None:
    client, before = server.client, server.files()
    csrf = admin_csrf(client)
    r = upload(client, csrf, "strategy.docx", sample)
    assert r.status_code == 422 and "strategy.docx: 戦略のテキスト（.txt）かPDF（.pdf）を" in r.text
    r = upload(client, csrf, "s.txt", sample, edition="24", allow_partial="true")
    assert r.status_code == 422 and "expected a year such as 2024" in r.text
    assert 'value="24"' in r.text and 'name="allow_partial" value="true" checked' in r.text  # kept
    r = client.post("/editions/add", data={"csrf": csrf})
    assert r.status_code == 422 and "ファイルを選んでください" in r.text
    english = client.post(
        "/editions/add", params={"lang": "en"}, data={"csrf": csrf}, files={"file": ("s.doc", sample)}
    )
    assert "s.doc: choose the strategy&#39;s text (.txt) or PDF (.pdf)" in english.text
    assert untranslated(english.text) == []
    assert server.calls == [] and server.files() == before
    outcomes = [(e.outcome, e.target) for e in server.entries("edition.ingest")]
    assert ("invalid", "strategy.docx") in outcomes and ("invalid", "s.txt") in outcomes


def test_a_given_edition_is_passed_on(server: Server, sample: bytes) -> None:
    client = server.client
    csrf = admin_csrf(client)
    r = upload(client, csrf, "s.txt", sample, edition="２０２５")
    job = finished(client, r.headers["location"])
    assert server.calls[0]["edition"] == "2025" and job["edition_asked"] == "2025"
    assert job["summary"]["edition"] == "2025" and Editions.of(server.db).names() == ["2023", "2025"]


def test_one_ingest_at_a_time(server: Server, monkeypatch: pytest.MonkeyPatch, sample: bytes) -> None:
    client = server.client
    release, started = threading.Event(), threading.Event()

    def blocking(source: Path, target: Path, progress: Any, *args: Any) -> tuple[Any, Summary]:
        progress("read")
        progress("vectors")
        progress("vectors: 120/1791")
        started.set()
        assert release.wait(30), "the test never released the ingest"
        raise CorpusError(f"{source}: this is a binary file, not text")

    monkeypatch.setattr(edition_upload, "ingest", blocking)
    csrf = admin_csrf(client)
    first = upload(client, csrf, "first.txt", sample)
    assert first.status_code == 303 and started.wait(30)
    location = first.headers["location"]
    try:
        running = client.get(location + ".json").json()
        assert running["state"] == "running" and running["vectors"] == {"done": 120, "total": 1791}
        page = client.get(location)
        assert '<meta http-equiv="refresh" content="2">' in page.text
        assert '<progress id="vector-progress" max="1791" value="120">' in page.text
        second = upload(client, csrf, "second.txt", sample)
        assert second.status_code == 409 and second.headers["retry-after"] == "30"
        assert "別の年版を取り込んでいます" in second.text and location in second.text
        assert location in client.get("/editions/add").text  # the form links the running job
    finally:
        release.set()
    job = finished(client, location)
    assert job["state"] == "failed" and job["error"] == "first.txt: this is a binary file, not text"
    entries = [(e.outcome, e.target) for e in server.entries("edition.ingest")]
    assert entries == [("invalid", "first.txt"), ("conflict", "second.txt")]  # newest first
    assert client.get("/editions/add/unknownjob1.json").status_code == 404

    # once it has ended, the next one may start
    def refusing(*args: Any) -> tuple[Any, Summary]:
        raise CorpusError("x: the file is empty")

    monkeypatch.setattr(edition_upload, "ingest", refusing)
    assert upload(client, csrf, "third.txt", sample).status_code == 303


def test_the_upload_has_a_larger_body_limit_of_its_own(
    tmp_path: Path, base_kb: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENV_VAR, "1000")
    monkeypatch.setenv(UPLOAD_ENV_VAR, "4000")
    started: list[Path] = []
    monkeypatch.setattr(edition_upload, "run_job", lambda jobs, job, source, *a: started.append(source))
    app = create_app(base_kb, tmp_path / "m.sqlite", TOKEN)
    client = TestClient(app, raise_server_exceptions=False, follow_redirects=False)
    auth = {"authorization": f"Bearer {TOKEN}"}  # the bootstrap admin: no session, so no CSRF token
    within = client.post("/editions/add", headers=auth, files={"file": ("s.txt", b"x" * 2000)})
    assert within.status_code == 303 and len(started) == 1  # past the API's 1000 bytes, under 4000
    large = client.post("/editions/add", headers=auth, files={"file": ("s.txt", b"x" * 5000)})
    assert large.status_code == 413 and UPLOAD_ENV_VAR in large.text and len(started) == 1
    assert large.headers["content-type"].startswith("text/html")  # the form's page, not JSON
    # every other route keeps the small limit
    other = client.post("/follow-up/users", headers=auth, data={"name": "x" * 1500})
    assert other.status_code == 413 and ENV_VAR in other.text
    # refused before one byte is read: declared too large, and streamed past the limit
    form = {"content-type": "multipart/form-data; boundary=x"}
    huge = form | {"content-length": str(200 * 1024 * 1024)}
    status, body = call(app, "POST", "/editions/add", huge | auth, never_read())
    assert status == 413 and UPLOAD_ENV_VAR.encode() in body
    status, body = call(app, "POST", "/editions/add", form | auth, streamed_file())
    assert status == 413 and UPLOAD_ENV_VAR.encode() in body
    # the token check comes first: without one nothing is read and the refusal is a 401
    assert call(app, "POST", "/editions/add", huge, never_read())[0] == 401
    assert len(started) == 1
    app.state.monitoring.dispose()
