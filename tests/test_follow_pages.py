"""The follow-up pages without JavaScript: log in, report from the form, a refused report shown
again with what was typed, the secretariat's review, CSRF and lockout, on both backends."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from ebpm.accounts import service as accounts
from ebpm.audit import log as audit
from ebpm.model import Document
from ebpm.store.monitoring import Location, open_store
from ebpm.web.app import create_app
from tests.conftest import Invoke

PASSWORD = "correct horse battery"
MON = "2.1.1.4.m1.a11"  # owned by 文 alone
KEI = "2.1.1.2.m4.a1"  # owned by 経 alone
TODAY = date.today().isoformat()


@pytest.fixture
def server(store_location: Location, ingested_kb: Path) -> Iterator[TestClient]:
    engine = open_store(store_location, "write")
    accounts.add_user(engine, "sec", "admin", [], PASSWORD, actor="test")
    accounts.add_user(engine, "mext", "editor", ["文"], PASSWORD, actor="test")
    engine.dispose()
    app = create_app(ingested_kb, store_location)
    with TestClient(app, raise_server_exceptions=False, follow_redirects=False) as client:
        yield client
    app.state.monitoring.dispose()


def hidden(html: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert found, f"no {name} in the form"
    return found.group(1)


def log_in(client: TestClient, name: str, password: str = PASSWORD) -> TestClient:
    form = client.get("/login?next=/follow-up")
    r = client.post(
        "/login",
        data={"name": name, "password": password, "csrf": hidden(form.text, "csrf"), "next": "/follow-up"},
    )
    assert r.status_code == 303 and r.headers["location"] == "/follow-up", r.text
    cookie = r.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict")
    return client


def test_anonymous_is_sent_to_log_in(server: TestClient) -> None:
    r = server.get("/follow-up")
    assert r.status_code == 303 and r.headers["location"] == "/login?next=/follow-up"
    assert server.get("/follow-up.json").status_code == 401
    login = server.get("/login")
    assert login.status_code == 200 and login.headers["cache-control"] == "no-store"


def test_an_editor_reports_from_the_form(server: TestClient) -> None:
    log_in(server, "mext")
    home = server.get("/follow-up", params={"section": "2.1.1.4"})
    assert home.status_code == 200 and f'id="a-{MON}"' in home.text and KEI not in home.text
    data = server.get("/follow-up.json").json()
    assert data["user"]["ministries"] == ["文"] and all("文" in a["ministries"] for a in data["actions"])
    csrf = hidden(home.text, "csrf")
    form = {"csrf": csrf, "status": "in_progress", "note": "=1+1 進めている", "as_of": TODAY, "version": "0"}
    saved = server.post(f"/follow-up/actions/{MON}", data=form)
    assert saved.status_code == 303 and saved.headers["location"].startswith(f"/follow-up?saved={MON}")
    assert server.get(f"/api/actions/{MON}/progress").json()["report"]["author"] == "mext"
    # the same form again is stale: the page says so and keeps what was typed
    again = server.post(f"/follow-up/actions/{MON}", data=form | {"note": "二度目の入力"})
    assert again.status_code == 409 and "二度目の入力" in again.text and "=1+1 進めている" in again.text
    bad = server.post(
        f"/follow-up/actions/{MON}", data=form | {"version": "1", "evidence_url": "javascript:x"}
    )
    assert bad.status_code == 422 and "evidence_url" in bad.text
    assert server.post(f"/follow-up/actions/{KEI}", data=form).status_code == 403
    no_csrf = server.post(f"/follow-up/actions/{MON}", data=form | {"csrf": "forged", "version": "1"})
    assert no_csrf.status_code == 403
    assert server.get(f"/api/actions/{MON}/progress").json()["version"] == 1  # nothing else was written
    assert server.get("/follow-up/secretariat").status_code == 403


def test_the_secretariat_reviews_and_the_ministry_sees_the_return(server: TestClient) -> None:
    log_in(server, "mext")
    csrf = hidden(server.get("/follow-up").text, "csrf")
    form = {"csrf": csrf, "status": "done", "note": "完了", "as_of": TODAY, "version": "0"}
    assert server.post(f"/follow-up/actions/{MON}", data=form).status_code == 303
    server.post("/logout", data={"csrf": csrf})
    assert server.get("/follow-up").status_code == 303  # the session is gone
    log_in(server, "sec")
    board = server.get("/follow-up/secretariat")
    assert board.status_code == 200 and MON in board.text
    coverage = {
        r["ministry"]: r for r in server.get("/follow-up/secretariat.json").json()["coverage"]["by_ministry"]
    }
    assert coverage["文"]["reported"] == 1
    report_id = server.get(f"/api/actions/{MON}/progress").json()["report"]["id"]
    review = {"csrf": hidden(board.text, "csrf"), "decision": "returned", "comment": "根拠を添付してください"}
    assert server.post(f"/follow-up/reports/{report_id}/review", data=review).status_code == 303
    server.post("/logout", data={"csrf": hidden(board.text, "csrf")})
    log_in(server, "mext")
    home = server.get("/follow-up")
    assert "差し戻された報告" in home.text and "根拠を添付してください" in home.text


def test_login_failures_lock_the_account_and_are_audited(
    server: TestClient, store_location: Location
) -> None:
    for _ in range(5):
        form = server.get("/login")
        r = server.post(
            "/login", data={"name": "mext", "password": "wrong password!", "csrf": hidden(form.text, "csrf")}
        )
        assert r.status_code == 401 and "名前またはパスワードが違います" in r.text
    form = server.get("/login")
    locked = server.post(
        "/login", data={"name": "mext", "password": PASSWORD, "csrf": hidden(form.text, "csrf")}
    )
    assert locked.status_code == 401 and "ロックされています" in locked.text
    forged = server.post("/login", data={"name": "sec", "password": PASSWORD, "csrf": "forged"})
    assert forged.status_code == 403
    engine = open_store(store_location, "read")
    logins = [e for e in audit.entries(engine, limit=50) if e.action == "login"]
    assert sum(e.outcome == "denied" for e in logins) == 6
    assert audit.verify(engine).ok
    engine.dispose()


def test_a_new_install_says_how_to_add_the_first_user(ingested_kb: Path, tmp_path: Path) -> None:
    with TestClient(create_app(ingested_kb, tmp_path / "m.sqlite")) as client:
        assert "ebpm users add NAME --role admin" in client.get("/login").text


def test_next_never_leaves_the_site(server: TestClient) -> None:
    form = server.get("/login?next=//evil.example/x")
    assert 'value="/follow-up"' in form.text


def test_the_sheet_is_imported_from_the_page_all_or_nothing(server: TestClient) -> None:
    log_in(server, "mext")
    csrf = hidden(server.get("/follow-up").text, "csrf")
    good = f"取組ID,状況,実施状況,時点\n{MON},実施中,進めている,{TODAY}\n".encode("cp932")
    r = server.post("/follow-up/import", data={"csrf": csrf}, files={"sheet": ("../../進捗.csv", good)})
    assert r.status_code == 200 and "書き込み 1 件" in r.text, r.text
    bad = f"取組ID,状況,実施状況,時点\n{MON},完了,,{TODAY}\n{KEI},完了,,{TODAY}\n".encode()
    r = server.post("/follow-up/import", data={"csrf": csrf}, files={"sheet": ("s.csv", bad)})
    assert r.status_code == 422 and "line 3: action_id: 2.1.1.2.m4.a1 is owned by 経" in r.text
    assert server.get(f"/api/actions/{MON}/progress").json()["report"]["status"] == "in_progress"
    assert (
        server.post(
            "/follow-up/import", data={"csrf": "forged"}, files={"sheet": ("s.csv", good)}
        ).status_code
        == 403
    )
    r = server.post("/follow-up/import", data={"csrf": csrf}, files={"sheet": ("s.txt", good)})
    assert r.status_code == 422 and ".csv" in r.text


def test_a_user_changes_their_password_and_logs_in_again(server: TestClient) -> None:
    log_in(server, "mext")
    form = server.get("/account/password")
    csrf = hidden(form.text, "csrf")
    new = "a much longer passphrase"
    wrong = server.post(
        "/account/password", data={"csrf": csrf, "current": "nope nope nope", "new": new, "confirm": new}
    )
    assert wrong.status_code == 422 and "current password is wrong" in wrong.text
    differ = server.post(
        "/account/password", data={"csrf": csrf, "current": PASSWORD, "new": new, "confirm": "x"}
    )
    assert differ.status_code == 422
    forged = server.post(
        "/account/password", data={"csrf": "forged", "current": PASSWORD, "new": new, "confirm": new}
    )
    assert forged.status_code == 403
    done = server.post(
        "/account/password", data={"csrf": csrf, "current": PASSWORD, "new": new, "confirm": new}
    )
    assert done.status_code == 303 and done.headers["location"].startswith("/login")
    assert server.get("/follow-up").status_code == 303  # every session ended
    log_in(server, "mext", new)


def test_users_password_resets_from_the_command_line(invoke: Invoke, tmp_path: Path) -> None:
    store = tmp_path / "m.sqlite"
    engine = open_store(store, "write")
    accounts.add_user(engine, "mext", "editor", ["文"], PASSWORD, actor="test")
    engine.dispose()
    from typer.testing import CliRunner

    from ebpm.cli import app

    result = CliRunner().invoke(
        app,
        ["users", "password", "mext", "--password-stdin", "--monitoring-db", str(store)],
        input="another long one\n",
    )
    assert result.exit_code == 0 and "password of mext changed" in result.output, result.output
    short = CliRunner().invoke(
        app, ["users", "password", "mext", "--password-stdin", "--monitoring-db", str(store)], input="short\n"
    )
    assert short.exit_code == 1 and "too short" in short.output
    engine = open_store(store, "read")
    assert [e.action for e in audit.entries(engine, limit=1)] == ["user.password"]
    engine.dispose()


def test_a_ministry_reviews_its_budget_projects_from_the_page(server: TestClient, doc: Document) -> None:
    from ebpm.budget.projects import import_projects
    from ebpm.budget.service import BudgetService

    store = server.app.state.monitoring  # type: ignore[attr-defined]
    import_projects(store, Path(__file__).resolve().parents[1] / "src/ebpm/data/budget_sample/projects.csv")
    BudgetService(doc, store).recompute()
    assert "/budget/projects/SAMPLE-21-04/review" in server.get("/budget/projects/SAMPLE-21-04").text
    assert server.get("/budget/projects/SAMPLE-21-04/review").status_code == 303  # log in first
    log_in(server, "mext")
    page = server.get("/budget/projects/SAMPLE-21-04/review")  # 文部科学省
    assert page.status_code == 200 and 'name="decision" value="confirm"' in page.text
    item = hidden(page.text, "item_id")
    form = {"csrf": hidden(page.text, "csrf"), "item_id": item, "decision": "confirm"}
    saved = server.post("/budget/projects/SAMPLE-21-04/review", data=form)
    assert saved.status_code == 303
    reviews = server.get("/budget/projects/SAMPLE-21-04.json").json()["reviews"]
    assert [(r["item_id"], r["decision"], r["reviewer"]) for r in reviews] == [(item, "confirm", "mext")]
    other = server.get("/budget/projects/SAMPLE-21-12/review")  # 厚生労働省
    assert other.status_code == 200 and 'name="decision" value="confirm"' not in other.text
    assert server.post("/budget/projects/SAMPLE-21-12/review", data=form).status_code == 403
    assert server.post("/budget/projects/SAMPLE-21-04/review", data=form | {"csrf": "x"}).status_code == 403
    bad = server.post("/budget/projects/SAMPLE-21-04/review", data=form | {"decision": "maybe"})
    assert bad.status_code == 422


def test_the_secretariat_manages_users_and_reads_the_audit_log_from_the_page(server: TestClient) -> None:
    assert server.get("/follow-up/users").status_code == 303  # log in first
    log_in(server, "mext")
    assert server.get("/follow-up/users").status_code == 403
    assert server.get("/follow-up/audit").status_code == 403
    server.post("/logout", data={"csrf": hidden(server.get("/follow-up").text, "csrf")})
    log_in(server, "sec")
    page = server.get("/follow-up/users")
    assert page.status_code == 200 and "mext" in page.text
    csrf = hidden(page.text, "csrf")
    new = {
        "csrf": csrf,
        "name": "meti",
        "role": "editor",
        "ministries": "経",
        "password": PASSWORD,
        "confirm": PASSWORD,
    }
    assert server.post("/follow-up/users", data=new).status_code == 303
    bad = server.post("/follow-up/users", data=new | {"name": "meti2", "ministries": "火星"})
    assert bad.status_code == 422 and "火星" in bad.text
    assert server.post("/follow-up/users", data=new | {"csrf": "forged"}).status_code == 403
    issued = server.post("/follow-up/users/meti/token", data={"csrf": csrf})
    token = re.search(r"<code>(ebpm_[^<]+)</code>", issued.text)
    assert issued.status_code == 200 and token and issued.headers["cache-control"] == "no-store"
    auth = {"authorization": f"Bearer {token.group(1)}"}
    put = {"status": "done", "as_of": TODAY, "version": 0}
    assert server.put(f"/api/actions/{KEI}/progress", json=put, headers=auth).status_code == 200
    assert server.post("/follow-up/users/meti/disable", data={"csrf": csrf}).status_code == 303
    assert server.get(f"/api/actions/{KEI}/progress", headers=auth).status_code == 200  # reads stay open
    assert (
        server.put(f"/api/actions/{KEI}/progress", json=put | {"version": 1}, headers=auth).status_code == 401
    )
    log = server.get("/follow-up/audit", params={"user": "sec", "verify": "true"})
    assert log.status_code == 200 and "ハッシュチェーンは正常です" in log.text
    actions = {e["action"] for e in server.get("/follow-up/audit.json").json()["entries"]}
    assert {"user.add", "user.token", "user.disable", "progress.report", "login"} <= actions
