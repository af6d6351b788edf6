"""Budget mapping on the web: project list with the treemap, project and item pages, the API,
and reviews that need the API token."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from ebpm.budget.engine import MappingEngine
from ebpm.budget.projects import import_projects
from ebpm.budget.service import BudgetService
from ebpm.model import Document
from ebpm.store.monitoring import open_store
from tests.web_client import client_for

SAMPLE = Path(__file__).resolve().parents[1] / "src" / "ebpm" / "data" / "budget_sample" / "projects.csv"
TOKEN = "budget-token"


@pytest.fixture(scope="module")
def engine(doc: Document) -> MappingEngine:
    """The mapping engine, built once: it analyses the whole strategy."""
    return MappingEngine(doc)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory, doc: Document, engine: MappingEngine) -> Path:
    path = tmp_path_factory.mktemp("budget-web") / "monitoring.sqlite"
    service = BudgetService(doc, open_store(path), engine)
    import_projects(service.store, SAMPLE)
    service.recompute()
    return path


@pytest.fixture
def client(ingested_kb: Path, store: Path) -> TestClient:
    return client_for(ingested_kb, store, token=TOKEN)


def test_project_list(client: TestClient) -> None:
    body = client.get("/api/budget/projects", params={"limit": 500}).json()
    assert body["total"] == 96
    unmatched = [p for p in body["items"] if p["unmatched"]]
    # the flag, calibrated on real programs' sheets, catches most of the sample's negatives and
    # few of its positives (benchmarks/mapping.py)
    flagged_negatives = sum(p["project_id"].startswith("SAMPLE-N-") for p in unmatched)
    assert flagged_negatives >= 0.7 * 26 and len(unmatched) - flagged_negatives <= 3
    assert body["items"][0]["top_items"] and body["items"][0]["budgets"][0]["fiscal_year"] == 2022
    flagged = client.get("/api/budget/projects", params={"unmatched": "true", "limit": 500}).json()
    assert flagged["total"] == len(unmatched)


def test_project_detail_explains(client: TestClient) -> None:
    body = client.get("/api/budget/projects/SAMPLE-24-05").json()
    measure = next(i for i in body["items"] if i["kind"] == "measure")
    assert measure["explanation"]["shared_terms"] and measure["explanation"]["item_sentence"]
    assert {"line_start", "line_end", "score"} <= set(measure)
    assert [y["fiscal_year"] for y in body["years"]] == [2022, 2023]
    assert client.get("/api/budget/projects/NOPE").status_code == 404


def test_reviews_need_the_token(client: TestClient, ingested_kb: Path, store: Path) -> None:
    url = "/api/budget/projects/SAMPLE-21-01/reviews"
    body = {"item_id": "2.1.1.2.m1", "decision": "confirm", "reviewer": "佐藤"}
    assert client.put(url, json=body).status_code == 401
    assert client_for(ingested_kb, store, token="").put(url, json=body).status_code == 403
    ok = client.put(url, json=body, headers={"authorization": f"Bearer {TOKEN}"})
    # the reviewer is who is logged in (here the bootstrap token), never a name the client sends
    assert ok.status_code == 200 and ok.json()["reviewer"] == "token:bootstrap" and ok.json()["created_at"]
    detail = client.get("/api/budget/projects/SAMPLE-21-01").json()
    assert any(r["decision"] == "confirm" and r["reviewer"] == "token:bootstrap" for r in detail["reviews"])
    bad = client.put(url, json=body | {"item_id": "9.9.9"}, headers={"authorization": f"Bearer {TOKEN}"})
    assert bad.status_code == 404


def test_summary_item_and_similar(client: TestClient) -> None:
    summary = client.get("/api/budget/summary").json()
    assert summary["fiscal_years"] == [2022, 2023] and summary["by_field"]
    item = client.get("/api/budget/items/2.4.3").json()
    assert item["kind"] == "field" and item["projects"] and len(item["trend"]) == 2
    assert client.get("/api/budget/items/9.9").status_code == 404
    assert isinstance(client.get("/api/budget/similar").json(), list)


def test_pages(client: TestClient) -> None:
    page = client.get("/budget").text
    assert "サンプル" in page and 'data-treemap="' in page and "SAMPLE-24-05" in page
    project = client.get("/budget/projects/SAMPLE-24-05").text
    assert "共通の語" in project and "戦略側" in project
    item = client.get("/budget/items/2.4.3").text
    assert 'data-chart="' in item
    assert client.get("/budget.json").json()["treemap"]["leaves"]


def test_pages_follow_every_budget_write(
    tmp_path: Path, ingested_kb: Path, doc: Document, engine: MappingEngine
) -> None:
    """A budget import, a mapping and a review each change the pages at once, whether written by
    a command (its own connection to the store) or through the API."""
    rows = SAMPLE.read_text(encoding="utf-8").splitlines()[:4]  # the header and three projects
    first = tmp_path / "first.csv"
    first.write_text("\n".join(rows) + "\n", encoding="utf-8")
    path = tmp_path / "monitoring.sqlite"
    command = BudgetService(doc, open_store(path), engine)
    import_projects(command.store, first)  # `ebpm budget import --no-map`
    client = client_for(ingested_kb, path, token=TOKEN)
    listed = client.get("/budget.json").json()["projects"]
    assert [p["project_id"] for p in listed] == ["SAMPLE-21-01", "SAMPLE-21-02", "SAMPLE-21-03"]
    assert not any(p["top_items"] for p in listed)
    before_html = client.get("/budget/projects/SAMPLE-21-01").text

    command.recompute()  # `ebpm budget map`
    assert any(p["top_items"] for p in client.get("/budget.json").json()["projects"])
    mapped_html = client.get("/budget/projects/SAMPLE-21-01").text
    assert mapped_html != before_html and "共通の語" in mapped_html

    revised = tmp_path / "revised.csv"
    revised.write_text(
        first.read_text(encoding="utf-8").replace(rows[1].split(",")[2], "改名した事業"), encoding="utf-8"
    )
    import_projects(command.store, revised)  # `ebpm budget import`: a new name for SAMPLE-21-01
    assert client.get("/budget.json").json()["projects"][0]["name"] == "改名した事業"
    assert "改名した事業" in client.get("/budget/projects/SAMPLE-21-01").text

    item = client.get("/budget/projects/SAMPLE-21-01.json").json()["items"][0]["item_id"]
    body = {"item_id": item, "decision": "reject", "reviewer": "鈴木"}
    url = "/api/budget/projects/SAMPLE-21-01/reviews"
    assert client.put(url, json=body, headers={"authorization": f"Bearer {TOKEN}"}).status_code == 200
    assert [r["reviewer"] for r in client.get("/budget/projects/SAMPLE-21-01.json").json()["reviews"]] == [
        "token:bootstrap"
    ]
    assert "reject (token:bootstrap)" in client.get("/budget/projects/SAMPLE-21-01").text


def test_not_yet_mapped_projects_are_labelled(
    client: TestClient, tmp_path: Path, ingested_kb: Path, doc: Document, engine: MappingEngine
) -> None:
    mapped = client.get("/api/budget/projects", params={"limit": 500}).json()["items"]
    assert all(p["mapped"] is True for p in mapped)
    assert "未マッピング" not in client.get("/budget").text
    path = tmp_path / "monitoring.sqlite"
    service = BudgetService(doc, open_store(path), engine)
    import_projects(service.store, SAMPLE)  # `ebpm budget import --no-map`, or killed while mapping
    fresh = client_for(ingested_kb, path)
    listed = fresh.get("/api/budget/projects", params={"limit": 500}).json()["items"]
    assert len(listed) == 96 and not any(p["mapped"] for p in listed)
    assert fresh.get("/api/budget/projects/SAMPLE-24-05").json()["mapped"] is False
    assert "未マッピング" in fresh.get("/budget").text
    assert "未マッピング" in fresh.get("/budget/projects/SAMPLE-24-05").text
    service.recompute(pending_only=True)  # what the next import or server start does
    assert fresh.get("/api/budget/projects/SAMPLE-24-05").json()["mapped"] is True
    assert "未マッピング" not in fresh.get("/budget/projects/SAMPLE-24-05").text
