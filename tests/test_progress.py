"""Progress reports: optimistic concurrency, history, review, scope, bad input and the sheet
import, through the service, the REST API and the CLI, on SQLite and on PostgreSQL."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from ebpm.accounts import service as accounts
from ebpm.accounts.principal import Principal
from ebpm.audit import log as audit
from ebpm.errors import InvalidInputError, NotAllowedError, NotFoundError, StaleVersionError
from ebpm.model import Document
from ebpm.progress.service import ProgressService
from ebpm.progress.sheet import SheetImportError, import_sheet
from ebpm.store.follow_tables import audit_log, progress_reports
from ebpm.store.monitoring import Location, describe_location, open_store
from ebpm.web.app import create_app
from tests.conftest import Invoke

MON = "2.1.1.4.m1.a11"  # owned by 文 alone
KEI = "2.1.1.2.m4.a1"  # owned by 経 alone
BOTH = "2.1.1.2.m5.a1"  # owned by 文 and 経 (among others)
PASSWORD = "correct horse battery"
TODAY = date.today().isoformat()
ADMIN = Principal("sec", "admin", frozenset())
EDITOR = Principal("mext", "editor", frozenset({"文"}))
VIEWER = Principal("reader", "viewer", frozenset())


@pytest.fixture
def store(store_location: Location) -> Iterator[Engine]:
    engine = open_store(store_location)
    yield engine
    engine.dispose()


@pytest.fixture
def service(doc: Document, store: Engine) -> ProgressService:
    return ProgressService(doc, store)


def report(status: str = "in_progress", note: str = "進めている", **more: object) -> dict[str, object]:
    return {"status": status, "note": note, "as_of": TODAY, **more}


def count(store: Engine, table: object) -> int:
    with store.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())  # type: ignore[arg-type]


def test_reports_supersede_and_keep_history(service: ProgressService) -> None:
    first = service.report(EDITOR, MON, 0, report("not_started"))
    assert first["version"] == 1 and first["report"]["author"] == "mext"
    second = service.report(EDITOR, MON, 1, report("in_progress", evidence_url="https://www.mext.go.jp/a"))
    assert second["version"] == 2 and second["report"]["status"] == "in_progress"
    assert [h["status"] for h in second["history"]] == ["in_progress", "not_started"]
    assert second["history"][1]["superseded_at"] is not None
    assert audit.verify(service.store).ok


def test_a_stale_version_is_refused_and_kept_only_in_the_audit_log(service: ProgressService) -> None:
    service.report(EDITOR, MON, 0, report("in_progress"))
    before = count(service.store, progress_reports)
    with pytest.raises(StaleVersionError) as info:
        service.report(EDITOR, MON, 0, report("done", note="lost write"))
    assert info.value.current["version"] == 1 and info.value.current["report"]["status"] == "in_progress"
    assert count(service.store, progress_reports) == before
    latest = audit.entries(service.store, limit=1)[0]
    assert (latest.outcome, latest.target, latest.after["note"]) == ("conflict", MON, "lost write")


def test_scope_is_checked_and_refusals_are_audited(service: ProgressService) -> None:
    service.report(EDITOR, BOTH, 0, report())  # 文 is among its owners
    with pytest.raises(NotAllowedError, match="owned by 経"):
        service.report(EDITOR, KEI, 0, report())
    with pytest.raises(NotAllowedError):
        service.report(VIEWER, MON, 0, report())
    denied = [e for e in audit.entries(service.store) if e.outcome == "denied"]
    assert {(e.actor, e.target) for e in denied} == {("mext", KEI), ("reader", MON)}
    assert service.report(ADMIN, KEI, 0, report())["version"] == 1


@pytest.mark.parametrize(
    ("raw", "version", "field"),
    [
        (report("finished"), 0, "status"),
        (report(note="x" * 4001), 0, "note"),
        (report(evidence_url="javascript:alert(1)"), 0, "evidence_url"),
        (report(evidence_url="ftp://example.org/x"), 0, "evidence_url"),
        # well ahead: the parameters are made at collection, and a run may cross midnight
        (report(as_of=(date.today() + timedelta(days=30)).isoformat()), 0, "as_of"),
        (report(as_of="2024/03/31"), 0, "as_of"),
        (report(), None, "version"),
        (report(), "one", "version"),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(
    service: ProgressService, raw: dict[str, object], version: object, field: str
) -> None:
    with pytest.raises(InvalidInputError) as info:
        service.report(EDITOR, MON, version, raw)
    assert info.value.field == field
    assert count(service.store, progress_reports) == 0
    assert count(service.store, audit_log) == 0


def test_an_unknown_action_is_not_found(service: ProgressService) -> None:
    with pytest.raises(NotFoundError, match="no action"):
        service.report(ADMIN, "9.9.m1.a1", 0, report())


def test_review_returns_a_report_to_its_ministry(service: ProgressService) -> None:
    state = service.report(EDITOR, MON, 0, report("done"))
    assert [q["id"] for q in service.review_queue()] == [MON]
    with pytest.raises(NotAllowedError):
        service.review(EDITOR, state["report"]["id"], "accepted", "")
    with pytest.raises(InvalidInputError, match="comment"):
        service.review(ADMIN, state["report"]["id"], "returned", "")
    back = service.review(ADMIN, state["report"]["id"], "returned", "根拠資料を添付してください")
    assert back["version"] == 2 and back["report"]["review"]["decision"] == "returned"
    assert [r["id"] for r in service.returned(EDITOR)] == [MON]
    assert service.returned(Principal("meti", "editor", frozenset({"経"}))) == []
    assert service.review_queue() == []
    with pytest.raises(StaleVersionError):  # the ministry must see the return before it writes again
        service.report(EDITOR, MON, 1, report("done"))
    again = service.report(EDITOR, MON, 2, report("done", evidence_url="https://www.mext.go.jp/r"))
    assert service.returned(EDITOR) == [] and again["report"]["review"] is None
    coverage = {r["ministry"]: r for r in service.coverage()["by_ministry"]}
    assert coverage["文"]["reported"] == 1 and coverage["文"]["statuses"]["done"] == 1


def test_listing_filters_and_puts_overdue_first(service: ProgressService) -> None:
    service.report(ADMIN, MON, 0, report("done"))
    rows = service.listing(ministry="文")
    assert all("文" in r["ministries"] for r in rows)
    overdue = [r["overdue"] for r in rows]
    assert overdue == sorted(overdue, reverse=True)
    assert [r["id"] for r in service.listing(status="done")] == [MON]
    far = date(2100, 1, 1)
    assert all(
        r["overdue"] and r["status"] not in ("done", "cancelled") for r in service.listing(overdue_as_of=far)
    )
    with pytest.raises(InvalidInputError):
        service.listing(status="finished")


def sheet(tmp_path: Path, rows: list[list[str]], encoding: str = "utf-8") -> Path:
    path = tmp_path / "follow-up.csv"
    buffer = io.StringIO()
    csv.writer(buffer).writerows([["取組ID", "状況", "実施状況", "時点", "根拠URL"], *rows])
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def test_sheet_import_is_all_or_nothing_and_scoped(service: ProgressService, tmp_path: Path) -> None:
    good = [
        [MON, "実施中", "概算要求に計上", TODAY, ""],
        [BOTH, "done", "完了した", TODAY, "https://x.example/r"],
    ]
    result = import_sheet(service, EDITOR, sheet(tmp_path, good, "cp932"))
    assert (result.written, result.unchanged) == (2, 0)
    assert import_sheet(service, EDITOR, sheet(tmp_path, good)).unchanged == 2  # again: nothing written
    bad = [
        [MON, "完了", "", TODAY, ""],
        [KEI, "done", "", TODAY, ""],
        ["9.m1.a1", "done", "", TODAY, ""],
        [BOTH, "finished", "", TODAY, ""],
    ]
    with pytest.raises(SheetImportError) as info:
        import_sheet(service, EDITOR, sheet(tmp_path, bad))
    errors = str(info.value)
    assert "line 3: action_id: 2.1.1.2.m4.a1 is owned by 経" in errors
    assert "line 4: action_id: no action '9.m1.a1'" in errors
    assert "line 5: status: 'finished' is not a status" in errors
    assert service.state(MON)["report"]["status"] == "in_progress"  # line 2 was not written either


def test_a_repeated_row_counts_once_and_a_contradicting_one_is_an_error(
    service: ProgressService, tmp_path: Path
) -> None:
    same = [[MON, "遅延", "調整中", TODAY, ""], [MON, "delayed", "調整中", TODAY, ""]]
    result = import_sheet(service, EDITOR, sheet(tmp_path, same))
    assert (result.written, result.duplicates) == (1, 1)
    differ = [[MON, "done", "", TODAY, ""], [MON, "delayed", "", TODAY, ""]]
    with pytest.raises(
        SheetImportError, match=r"lines 2 and 3: action 2\.1\.1\.4\.m1\.a11 is given different"
    ):
        import_sheet(service, EDITOR, sheet(tmp_path, differ))
    assert import_sheet(service, EDITOR, sheet(tmp_path, same), dry_run=True).unchanged == 1


def test_csv_export_neutralises_formulas(doc: Document, store_location: Location, ingested_kb: Path) -> None:
    app = create_app(ingested_kb, store_location, api_token="boot-token")
    with TestClient(app) as client:
        auth = {"authorization": "Bearer boot-token"}
        for evil in ('=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)"):
            r = client.get(f"/api/actions/{MON}/progress")
            version = r.headers["etag"]
            put = client.put(
                f"/api/actions/{MON}/progress", json=report(note=evil), headers=auth | {"if-match": version}
            )
            assert put.status_code == 200, put.text
            text = client.get("/api/progress", params={"format": "csv", "status": "in_progress"}).text
            row = next(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
            assert row["note"] == "'" + evil
    app.state.monitoring.dispose()


# ---- the REST API: who may write what ------------------------------------------------------------


@pytest.fixture
def api(store_location: Location, ingested_kb: Path) -> Iterator[tuple[TestClient, dict[str, str]]]:
    """A server with an admin, an editor of 文 and a viewer; their bearer tokens by role."""
    engine = open_store(store_location, "write")
    tokens = {}
    for name, role, ministries in (
        ("sec", "admin", []),
        ("mext", "editor", ["文"]),
        ("reader", "viewer", []),
    ):
        accounts.add_user(engine, name, role, ministries, PASSWORD, actor="test")
        tokens[role] = accounts.new_token(engine, name, actor="test")
    engine.dispose()
    app = create_app(ingested_kb, store_location)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client, tokens
    app.state.monitoring.dispose()


def _put(client: TestClient, action: str, token: str | None, **more: object) -> int:
    headers = {"authorization": f"Bearer {token}"} if token else {}
    return client.put(
        f"/api/actions/{action}/progress", json=report(version=0, **more), headers=headers
    ).status_code


def test_the_authorisation_matrix(api: tuple[TestClient, dict[str, str]]) -> None:
    client, tokens = api
    assert _put(client, MON, None) == 401
    assert _put(client, MON, "ebpm_not-a-token") == 401
    assert _put(client, MON, tokens["viewer"]) == 403
    assert _put(client, KEI, tokens["editor"]) == 403
    assert _put(client, MON, tokens["editor"]) == 200
    assert _put(client, KEI, tokens["admin"]) == 200
    report_id = client.get(f"/api/actions/{MON}/progress").json()["report"]["id"]
    review = f"/api/progress/reports/{report_id}/review"
    body = {"decision": "accepted"}
    assert client.post(review, json=body).status_code == 401
    assert (
        client.post(review, json=body, headers={"authorization": f"Bearer {tokens['editor']}"}).status_code
        == 403
    )
    assert (
        client.post(review, json=body, headers={"authorization": f"Bearer {tokens['admin']}"}).status_code
        == 200
    )
    target = "/api/indicators/series/2.2.1.ref.6/target"
    body_t = {"value": 20, "period": "FY2025", "direction": "up"}
    assert (
        client.put(target, json=body_t, headers={"authorization": f"Bearer {tokens['editor']}"}).status_code
        == 403
    )
    assert (
        client.put(target, json=body_t, headers={"authorization": f"Bearer {tokens['admin']}"}).status_code
        == 200
    )
    assert client.get("/api/audit").status_code == 401
    assert (
        client.get("/api/audit", headers={"authorization": f"Bearer {tokens['editor']}"}).status_code == 403
    )
    log = client.get(
        "/api/audit", params={"limit": 100}, headers={"authorization": f"Bearer {tokens['admin']}"}
    )
    entries = log.json()["items"]
    denied = {(e["actor"], e["outcome"]) for e in entries if e["outcome"] == "denied"}
    assert {("anonymous", "denied"), ("reader", "denied"), ("mext", "denied")} <= denied
    assert any(e["action"] == "target.set" and e["outcome"] == "ok" and e["actor"] == "sec" for e in entries)
    assert any(e["action"] == "progress.review" and e["outcome"] == "ok" for e in entries)


def test_budget_reviews_are_scoped_to_the_projects_ministry(
    api: tuple[TestClient, dict[str, str]], doc: Document
) -> None:
    from ebpm.budget.projects import import_projects

    client, tokens = api
    store = client.app.state.monitoring  # type: ignore[attr-defined]
    import_projects(store, Path(__file__).resolve().parents[1] / "src/ebpm/data/budget_sample/projects.csv")
    body = {"item_id": "2.2.1", "decision": "confirm"}

    def put(project: str, role: str | None) -> int:
        headers = {"authorization": f"Bearer {tokens[role]}"} if role else {}
        return client.put(f"/api/budget/projects/{project}/reviews", json=body, headers=headers).status_code

    assert put("SAMPLE-21-04", None) == 401  # 文部科学省
    assert put("SAMPLE-21-04", "viewer") == 403
    assert put("SAMPLE-21-12", "editor") == 403  # 厚生労働省: not the editor's
    assert put("SAMPLE-21-04", "editor") == 200
    assert put("SAMPLE-21-12", "admin") == 200
    log = client.get(
        "/api/audit", params={"limit": 200}, headers={"authorization": f"Bearer {tokens['admin']}"}
    )
    reviews = [
        (e["actor"], e["outcome"], e["target"]) for e in log.json()["items"] if e["action"] == "budget.review"
    ]
    assert ("mext", "denied", "SAMPLE-21-12") in reviews and ("mext", "ok", "SAMPLE-21-04") in reviews


def test_the_api_speaks_etags_and_409s(api: tuple[TestClient, dict[str, str]]) -> None:
    client, tokens = api
    auth = {"authorization": f"Bearer {tokens['editor']}"}
    url = f"/api/actions/{MON}/progress"
    assert client.get(url).headers["etag"] == '"0"'
    body = {k: v for k, v in report().items()}
    missing = client.put(url, json=body, headers=auth)
    assert missing.status_code == 422 and "version" in missing.json()["detail"]
    assert client.put(url, json=body, headers=auth | {"if-match": '"0"'}).status_code == 200
    stale = client.put(url, json=body | {"note": "mine"}, headers=auth | {"if-match": '"0"'})
    assert stale.status_code == 409 and stale.json()["current"]["version"] == 1
    assert client.get(url).json()["report"]["note"] == "進めている"
    for bad in (
        {"status": "nope"},
        {"evidence_url": "javascript:alert(1)"},
        {"note": "x" * 4001},
        {"as_of": "2999-01-01"},
    ):
        assert client.put(url, json=body | bad, headers=auth | {"if-match": '"1"'}).status_code == 422, bad
    assert (
        client.put("/api/actions/9.9.m1.a1/progress", json=body | {"version": 0}, headers=auth).status_code
        == 404
    )
    assert client.get(url).json()["version"] == 1  # none of them wrote
    listing = client.get("/api/progress", params={"ministry": "文", "status": "in_progress"}).json()
    assert [i["id"] for i in listing["items"]] == [MON]


# ---- the CLI -----------------------------------------------------------------------------------------


def test_cli_set_import_list_and_review(
    invoke: Invoke, kb_file: Path, store_location: Location, tmp_path: Path
) -> None:
    env = {"EBPM_DB": str(kb_file)}
    where: list[str] = []
    if isinstance(store_location, Path):
        where = ["--monitoring-db", str(store_location)]
    else:
        env["EBPM_DATABASE_URL"] = describe_location(store_location).replace("***", "")
    engine = open_store(store_location, "write")
    accounts.add_user(engine, "mext", "editor", ["文"], PASSWORD, actor="test")
    engine.dispose()
    done = invoke(
        "progress",
        "set",
        MON,
        "--status",
        "done",
        "--as-of",
        TODAY,
        "--note",
        "完了",
        "--user",
        "mext",
        *where,
        env=env,
    )
    assert done.exit_code == 0 and "version 1" in done.output, done.output
    refused = invoke(
        "progress", "set", KEI, "--status", "done", "--as-of", TODAY, "--user", "mext", *where, env=env
    )
    assert refused.exit_code == 1 and "owned by 経" in refused.output
    future = invoke("progress", "set", MON, "--status", "done", "--as-of", "2999-01-01", *where, env=env)
    assert future.exit_code == 1 and "as_of: 2999-01-01 is after today" in future.output
    path = sheet(tmp_path, [[BOTH, "遅延", "調整中", TODAY, ""]], "cp932")
    imported = invoke("progress", "import", str(path), "--user", "mext", *where, env=env)
    assert imported.exit_code == 0 and "wrote 1 reports" in imported.output, imported.output
    listed = invoke("progress", "list", "--status", "delayed", "--json", *where, env=env)
    assert [r["id"] for r in __import__("json").loads(listed.output)] == [BOTH]
    report_id = __import__("json").loads(listed.output)[0]["report"]["id"]
    reviewed = invoke("progress", "review", str(report_id), "--decision", "accepted", *where, env=env)
    assert reviewed.exit_code == 0 and "accepted" in reviewed.output


def test_an_editor_imports_the_sheet_of_every_ministry_back(service: ProgressService, tmp_path: Path) -> None:
    """Other ministries' rows that come back as they were exported write nothing, so they are no
    write outside the editor's scope; changed, they are refused and nothing is written."""
    import_sheet(service, ADMIN, sheet(tmp_path, [[KEI, "実施中", "経の報告", TODAY, ""]]))
    mine_and_theirs = [[MON, "完了", "済み", TODAY, ""], [KEI, "実施中", "経の報告", TODAY, ""]]
    result = import_sheet(service, EDITOR, sheet(tmp_path, mine_and_theirs))
    assert (result.written, result.unchanged) == (1, 1)
    changed = [[MON, "遅延", "調整中", TODAY, ""], [KEI, "完了", "書き換え", TODAY, ""]]
    with pytest.raises(SheetImportError, match=r"2\.1\.1\.2\.m4\.a1 is owned by 経"):
        import_sheet(service, EDITOR, sheet(tmp_path, changed))
    assert service.state(MON)["report"]["status"] == "done"
    assert service.state(KEI)["report"]["note"] == "経の報告"
