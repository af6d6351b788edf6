"""The follow-up across editions: records kept under the follow-up edition's ids are seen from a
later edition through lineage (progress reports, targets), never by bare ids; an admin's review
of a link wins over the matcher and is audited; on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from ebpm.accounts import service as accounts
from ebpm.accounts.principal import Principal
from ebpm.errors import NotAllowedError
from ebpm.indicators.monitor import Monitor
from ebpm.indicators.periods import parse_period
from ebpm.progress.service import ProgressService
from ebpm.services import lineage as lineage_service
from ebpm.services.edition_bridge import carried
from ebpm.services.ingest import ingest
from ebpm.services.knowledge import EditionCaches
from ebpm.sources.next_edition import NextEdition, next_edition
from ebpm.store.follow_tables import audit_log
from ebpm.store.monitoring import Location, open_store
from ebpm.web.app import create_app

ADMIN = Principal("sec", "admin", frozenset())
EDITOR = Principal("mext", "editor", frozenset({"文"}))
TODAY = date.today().isoformat()


@pytest.fixture(scope="module")
def sample() -> NextEdition:
    return next_edition(seed=1)


@pytest.fixture(scope="module")
def kb(tmp_path_factory: pytest.TempPathFactory, sample: NextEdition) -> Path:
    folder = tmp_path_factory.mktemp("followup")
    db = folder / "kb.sqlite"
    ingest(None, db)
    source = folder / "sample-2024.txt"
    source.write_text(sample.text, encoding="utf-8")
    _, summary = ingest(source, db)
    assert summary.edition == "2024"
    return db


@pytest.fixture(scope="module")
def caches(kb: Path) -> EditionCaches:
    return EditionCaches(kb)


@pytest.fixture
def store(store_location: Location) -> Iterator[Engine]:
    engine = open_store(store_location)
    yield engine
    engine.dispose()


def moved_action(sample: NextEdition) -> tuple[str, str]:
    """A 2023 action whose 2024 successor has another id (rows were inserted or dropped before it)."""
    for old, new in sample.truth.actions.items():
        if new is not None and new != old and old not in sample.truth.lost:
            return old, new
    raise AssertionError("the sample edition renumbers no action")


def test_the_oldest_edition_is_the_follow_up_one(caches: EditionCaches) -> None:
    assert caches.editions().names() == ["2023", "2024"]
    assert caches.followup_edition() == "2023"
    assert caches.get().edition == "2024"


def test_a_report_on_a_2023_action_is_seen_from_its_2024_successor(
    caches: EditionCaches, sample: NextEdition, store: Engine
) -> None:
    old, new = moved_action(sample)
    k23, k24 = caches.get("2023"), caches.get("2024")
    ProgressService(k23.doc, store).report(
        ADMIN, old, 0, {"status": "in_progress", "note": "進行中", "as_of": TODAY}
    )
    bridge = carried(k23, k24)
    assert bridge.actions[new] == old
    later = ProgressService(k24.doc, store, carried=bridge.actions)
    seen = later.current()
    assert seen[new]["status"] == "in_progress"
    assert seen[new]["carried_from"] == old
    # by bare id the 2024 action that now has the old id is another one: it sees nothing of it
    assert old not in seen or bridge.actions.get(old) == old
    assert later.state(new)["report"]["note"] == "進行中"
    with pytest.raises(ValueError, match="progress is reported on the edition the follow-up follows"):
        later.report(ADMIN, new, 1, {"status": "done", "note": "x", "as_of": TODAY})


def test_a_target_carries_over_to_the_series_that_continues(caches: EditionCaches, store: Engine) -> None:
    k23, k24 = caches.get("2023"), caches.get("2024")
    bridge = carried(k23, k24)
    new_id, old_id = next(iter(bridge.series.items()))
    Monitor(k23.doc, store).set_target(old_id, 42.0, parse_period("FY2030"), "up", author="sec")
    later = Monitor(k24.doc, store, bridge.series)
    found = later.target(new_id)
    assert found is not None and found[0].value == 42.0 and found[1]["origin"] == "user"
    with pytest.raises(ValueError, match="targets are set on the edition the monitoring store follows"):
        later.set_target(new_id, 1.0, parse_period("FY2030"), "up", author="sec")


def test_an_admin_review_wins_over_the_matcher_and_is_audited(caches: EditionCaches, store: Engine) -> None:
    k23, k24 = caches.get("2023"), caches.get("2024")
    found = lineage_service.lineage(k23, k24, store)
    link = next(x for x in found.rows if x.old is not None and x.new is not None)
    other = next(m.id for m in k23.doc.measures if m.id != link.old)
    with pytest.raises(NotAllowedError):
        lineage_service.review(store, EDITOR, k23, k24, "row", link.new or "", other)
    result = lineage_service.review(store, ADMIN, k23, k24, "row", link.new or "", other)
    assert result["decision"] == "corrected"
    after = lineage_service.lineage(k23, k24, store)
    mine = after.predecessor(link.new or "")
    assert mine is not None and mine.old == other and mine.method == "reviewed" and not mine.unsure
    # the matcher's old predecessor is nobody's now, so it is dropped; each id is in one link
    assert any(x.old == link.old and x.change == "dropped" for x in after.rows)
    olds = [x.old for x in after.rows if x.old is not None]
    news = [x.new for x in after.rows if x.new is not None]
    assert len(olds) == len(set(olds)) == len(k23.doc.measures)
    assert len(news) == len(set(news)) == len(k24.doc.measures)
    # setting it back to the matcher's link is another decision, kept beside the first
    assert (
        lineage_service.review(store, ADMIN, k23, k24, "row", link.new or "", link.old)["decision"]
        == "corrected"
    )
    assert lineage_service.lineage(k23, k24, store).predecessor(link.new or "").old == link.old  # type: ignore[union-attr]
    with store.connect() as conn:
        actions = conn.execute(select(audit_log.c.action, audit_log.c.outcome)).all()
        assert ("lineage.review", "denied") in [tuple(a) for a in actions]
        assert sum(1 for a in actions if tuple(a) == ("lineage.review", "ok")) == 2
        assert conn.execute(select(func.count()).select_from(audit_log)).scalar_one() == 3


def test_pages_of_a_later_edition_show_the_carried_records(
    kb: Path, sample: NextEdition, store_location: Location, store: Engine, caches: EditionCaches
) -> None:
    old, new = moved_action(sample)
    k23 = caches.get("2023")
    ProgressService(k23.doc, store).report(ADMIN, old, 0, {"status": "done", "note": "完了", "as_of": TODAY})
    client = TestClient(create_app(kb, monitoring_db=store_location), follow_redirects=False)
    measure = new.rsplit(".a", 1)[0]
    page = client.get(f"/e/2024/measures/{measure}.json").json()
    action = next(a for a in page["actions"] if a["id"] == new)
    assert action["progress"] == "done"
    history = page["history"]
    assert [h["edition"] for h in history] == ["2023", "2024"]
    assert history[-1]["id"] == measure and history[-1]["current"]
    # the follow-up's own pages and writes stay on the follow-up edition
    moved = client.get("/e/2024/follow-up")
    assert moved.status_code == 307 and moved.headers["location"] == "/e/2023/follow-up"
    assert client.get("/api/progress/coverage?edition=2024").status_code == 422


PASSWORD = "correct horse battery"


def _hidden(html: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert found, f"no {name} in the form"
    return found.group(1)


def _log_in(client: TestClient, name: str) -> None:
    form = client.get("/login?next=/follow-up")
    r = client.post(
        "/login",
        data={"name": name, "password": PASSWORD, "csrf": _hidden(form.text, "csrf"), "next": "/follow-up"},
    )
    assert r.status_code == 303, r.text


def test_the_diff_page_lists_the_changes_with_downloads(kb: Path, tmp_path: Path) -> None:
    client = TestClient(create_app(kb, monitoring_db=tmp_path / "m.sqlite"), follow_redirects=False)
    page = client.get("/diff/2023/2024")
    assert page.status_code == 200
    assert "2023年版と2024年版の差分" in page.text and "<ins>" in page.text and "<del>" in page.text
    data = client.get("/diff/2023/2024.json?kind=row&change=new&size=500").json()
    assert data["table"]["total"] == data["summary"]["rows"]["new"] > 0
    assert all(r["from"] is None and r["to"] for r in data["table"]["rows"])
    everything = client.get("/diff/2023/2024.json?change=continued&size=5000").json()["table"]["rows"]
    assert everything and all(r["change"] == "continued" for r in everything)
    csv = client.get("/diff/2023/2024.csv?kind=row&change=dropped")
    assert csv.status_code == 200 and csv.text.startswith("\ufeff種類,変化,旧ID,新ID")
    assert client.get("/diff/2023/2024.json?ministry=文").json()["ministry"] == "文"
    assert client.get("/diff/2023/2019").status_code == 404
    # the switcher links the diff of the two latest editions
    assert 'href="/diff/2023/2024"' in client.get("/").text


def test_an_admin_corrects_a_link_from_the_review_page(
    kb: Path, store_location: Location, store: Engine
) -> None:
    accounts.add_user(store, "sec", "admin", [], PASSWORD, actor="test")
    accounts.add_user(store, "mext", "editor", ["文"], PASSWORD, actor="test")
    client = TestClient(create_app(kb, monitoring_db=store_location), follow_redirects=False)
    anonymous = client.get("/diff/2023/2024/review")
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login")
    _log_in(client, "mext")
    form = client.get("/diff/2023/2024/review")
    assert form.status_code == 200 and "管理者です" in form.text and 'name="csrf"' not in form.text
    refused = client.post(
        "/diff/2023/2024/review",
        data={
            "csrf": _hidden(client.get("/follow-up").text, "csrf"),
            "kind": "row",
            "new_id": "2.1.1.1.m1",
            "decision": "new",
        },
    )
    assert refused.status_code == 403
    client.cookies.clear()
    _log_in(client, "sec")
    form = client.get("/diff/2023/2024/review")
    saved = client.post(
        "/diff/2023/2024/review",
        data={"csrf": _hidden(form.text, "csrf"), "kind": "row", "new_id": "2.1.1.1.m1", "decision": "new"},
    )
    assert saved.status_code == 303 and saved.headers["location"] == "/diff/2023/2024/review?saved=1"
    row = client.get("/diff/2023/2024.json?kind=row&change=new&size=500").json()["table"]["rows"]
    assert any(r["to"] == "2.1.1.1.m1" and r["method"] == "reviewed" for r in row)
    no_csrf = client.post(
        "/diff/2023/2024/review", data={"kind": "row", "new_id": "2.1.1.1.m1", "decision": "new"}
    )
    assert no_csrf.status_code == 403


def test_a_reviewed_link_decides_what_is_carried(
    caches: EditionCaches, sample: NextEdition, store: Engine
) -> None:
    old, new = moved_action(sample)
    k23, k24 = caches.get("2023"), caches.get("2024")
    ProgressService(k23.doc, store).report(
        ADMIN, old, 0, {"status": "in_progress", "note": "x", "as_of": TODAY}
    )
    assert carried(k23, k24, store).actions[new] == old
    lineage_service.review(store, ADMIN, k23, k24, "action", new, None)  # an admin: it is new
    bridge = carried(k23, k24, store)
    assert new not in bridge.actions
    assert new not in ProgressService(k24.doc, store, carried=bridge.actions).current()


def test_a_server_matches_the_editions_ahead(kb: Path) -> None:
    fresh = EditionCaches(kb)
    assert lineage_service.warm(fresh) == 1
    k23, k24 = fresh.get("2023"), fresh.get("2024")
    assert lineage_service.matched(k23, k24) is lineage_service.matched(k23, k24)  # computed once
