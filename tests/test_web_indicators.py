"""Indicator monitoring on the web: series with statuses, a series page with its chart, goal
roll-ups, and target edits that need the API token."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from ebpm.model import Document
from tests.web_client import client_for, store_with

SERIES = "2.2.1.ref.6"
TOKEN = "test-token-1234"


@pytest.fixture
def store(tmp_path: Path, doc: Document) -> Path:
    """A monitoring store with three imported observations of SERIES."""
    return store_with(
        tmp_path,
        doc,
        f"{SERIES},FY2017,16.2,%,科学技術研究調査\n{SERIES},FY2019,16.9,%,科学技術研究調査\n"
        f"{SERIES},FY2022,18.3,%,科学技術研究調査\n",
    )


@pytest.fixture
def client(ingested_kb: Path, store: Path) -> TestClient:
    return client_for(ingested_kb, store, token=TOKEN)


def test_series_list_with_status(client: TestClient) -> None:
    body = client.get("/api/indicators/series", params={"limit": 500}).json()
    assert body["total"] > 150
    one = next(s for s in body["items"] if s["id"] == SERIES)
    assert one["latest"] == {"period": "FY2022", "value": 18.3}
    assert one["status"] == "insufficient_data" and one["reason"] == "no target"
    kpi = next(s for s in body["items"] if s["id"] == "2.2.1.kpi.5.s2")
    assert kpi["target"]["origin"] == "document" and kpi["target"]["value"] == 20.0


def test_series_detail_has_chart_and_sources(client: TestClient) -> None:
    body = client.get(f"/api/indicators/series/{SERIES}").json()
    assert [o["period"] for o in body["observations"]] == ["FY2017", "FY2019", "FY2021", "FY2022"]
    assert body["observations"][2]["origin"] == "document" and "9672行" in body["observations"][2]["source"]
    assert len(body["chart"]["points"]) == 4 and all(p["source"] for p in body["chart"]["points"])
    assert body["chart"]["target"] is None


def test_target_needs_the_token(client: TestClient, ingested_kb: Path, store: Path) -> None:
    url = f"/api/indicators/series/{SERIES}/target"
    payload = {"value": 30, "period": "FY2030", "direction": "up"}
    assert client.put(url, json=payload).status_code == 401
    assert client.put(url, json=payload, headers={"authorization": "Bearer wrong"}).status_code == 401
    read_only = client_for(ingested_kb, store, token="")
    denied = read_only.put(url, json=payload, headers={"authorization": f"Bearer {TOKEN}"})
    assert denied.status_code == 403 and "read-only" in denied.json()["detail"]
    ok = client.put(url, json=payload, headers={"authorization": f"Bearer {TOKEN}"})
    assert ok.status_code == 200
    assert ok.json()["target"]["origin"] == "user" and ok.json()["status"] != "insufficient_data"
    detail = client.get(f"/api/indicators/series/{SERIES}").json()
    assert detail["chart"]["target"]["y"] == 30 and len(detail["chart"]["projection"]) == 2
    bad = client.put(
        url, json={"value": 30, "period": "someday"}, headers={"authorization": f"Bearer {TOKEN}"}
    )
    assert bad.status_code == 422 and "is not a period" in bad.json()["detail"]
    missing = client.put(
        "/api/indicators/series/nope/target", json=payload, headers={"authorization": f"Bearer {TOKEN}"}
    )
    assert missing.status_code == 404


def test_pages(client: TestClient) -> None:
    listing = client.get("/indicators").text
    assert 'class="status status-insufficient_data"' in listing
    assert f'href="/indicators/{SERIES}"' in listing
    page = client.get(f"/indicators/{SERIES}").text
    assert 'data-series="' in page and "FY2019" in page and "科学技術研究調査" in page
    goal = client.get("/goals/2.2.1.goal.1")
    assert goal.status_code == 200 and "指標の状況" in goal.text
    assert client.get("/goals/nope").status_code == 404
    assert client.get(f"/indicators/{SERIES}.json").json()["id"] == SERIES


def test_pages_follow_new_data(client: TestClient) -> None:
    before = client.get(f"/indicators/{SERIES}").text
    assert "目標は未設定です" in before
    client.put(
        f"/api/indicators/series/{SERIES}/target",
        json={"value": 30, "period": "FY2030"},
        headers={"authorization": f"Bearer {TOKEN}"},
    )
    after = client.get(f"/indicators/{SERIES}").text
    assert "目標は未設定です" not in after and "利用者設定" in after


def test_roll_ups(client: TestClient) -> None:
    body = client.get("/api/indicators/status").json()
    assert {s["id"] for s in body["sections"]} >= {"2.1", "2.2", "2.3"}
    assert all(sum(g["counts"].values()) > 0 for g in body["goals"])
