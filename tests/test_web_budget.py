"""Budget mapping on the web: project list with the treemap, project and item pages, the API,
and reviews that need the API token."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from ebpm.budget.projects import import_projects
from ebpm.budget.service import BudgetService
from ebpm.model import Document
from ebpm.store.monitoring import open_store
from tests.web_client import client_for

SAMPLE = Path(__file__).resolve().parents[1] / "src" / "ebpm" / "data" / "budget_sample" / "projects.csv"
TOKEN = "budget-token"


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory, doc: Document) -> Path:
    path = tmp_path_factory.mktemp("budget-web") / "monitoring.sqlite"
    service = BudgetService(doc, open_store(path))
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
    assert all(p["project_id"].startswith("SAMPLE-N-") for p in unmatched)
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
    assert ok.status_code == 200 and ok.json()["reviewer"] == "佐藤" and ok.json()["created_at"]
    detail = client.get("/api/budget/projects/SAMPLE-21-01").json()
    assert any(r["decision"] == "confirm" and r["reviewer"] == "佐藤" for r in detail["reviews"])
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
