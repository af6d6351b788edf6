"""The search page as a user reaches deep results: pages, deadline filters, readable relevance,
facets named by section titles, and the body text (総論) searchable and readable."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from ebpm.model import Document
from ebpm.parser.passages import passages
from tests.web_client import client_for


@pytest.fixture(scope="module")
def client(ingested_kb: Path) -> TestClient:
    return client_for(ingested_kb)


def _json(client: TestClient, url: str, **params: Any) -> dict[str, Any]:
    response = client.get(url, params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_pages_reach_the_40th_hit(client: TestClient) -> None:
    first = _json(client, "/search.json", q="女性研究者")
    assert first["results"]["total"] > 40 and len(first["results"]["hits"]) == 20
    second = _json(client, "/search.json", q="女性研究者", page=2)
    assert second["pages"]["first"] == 21 and second["pages"]["last"] == 40
    assert not {h["id"] for h in first["results"]["hits"]} & {h["id"] for h in second["results"]["hits"]}
    html = client.get("/search", params={"q": "女性研究者", "page": 2}).text
    assert '<ol start="21">' in html and 'rel="next"' in html and 'rel="prev"' in html


def test_relevance_is_readable_not_a_raw_score(client: TestClient) -> None:
    hits = _json(client, "/search.json", q="量子コンピュータ")["results"]["hits"]
    assert hits[0]["relevance"] == 1.0 and all(0 <= h["relevance"] <= 1 for h in hits)
    assert [h["relevance"] for h in hits] == sorted((h["relevance"] for h in hits), reverse=True)
    html = client.get("/search", params={"q": "量子コンピュータ"}).text
    assert "関連度 高" in html and "score " not in html


def test_deadline_filters(client: TestClient) -> None:
    overdue = _json(client, "/search.json", q="量子", overdue="true", as_of="2025-01-01")
    hits = overdue["results"]["hits"]
    assert hits and all(h["due"] is not None and h["due"] < "2025-01-01" for h in hits)
    due_by = _json(client, "/search.json", q="量子", due_by="2024-03-31")["results"]["hits"]
    assert due_by and all(h["due"] <= "2024-03-31" for h in due_by)


def test_section_facets_carry_titles(client: TestClient) -> None:
    facets = _json(client, "/search.json", q="量子")["facet_links"]["section"]
    labels = {f["value"]: f["label"] for f in facets}
    assert labels["2.4"].startswith("2.4 ") and len(labels["2.4"]) > 6


def test_chapter_one_is_searchable_and_readable(client: TestClient, doc: Document) -> None:
    """広島AIプロセス appears only in the 総論: before body text was indexed, its search found
    only unrelated rows."""
    hits = _json(client, "/search.json", q="広島AIプロセス")["results"]["hits"]
    assert hits[0]["kind"] == "text" and hits[0]["section"].startswith("1.")
    page = _json(client, f"/sections/{hits[0]['section']}.json")
    assert hits[0]["id"] in {p["id"] for p in page["text"]}
    html = client.get(f"/sections/{hits[0]['section']}").text
    assert f'id="{hits[0]["id"]}"' in html and "広島AIプロセス" in re.sub(
        r"<[^>]+>", "", html
    )  # AI is glossed


def test_passages_cover_the_body_text_once(doc: Document, lines: list[str]) -> None:
    """Every prose line is in exactly one paragraph, under its own heading, and a page break
    (a footnote between two lines of a paragraph) does not cut the paragraph."""
    found = passages(doc, lines)
    covered = [n for p in found for n in p.lines]
    prose = [n for n, element in doc.coverage.items() if element.startswith("text:")]
    assert sorted(covered) == sorted(prose) and len(covered) == len(set(covered))
    assert all(doc.coverage[n] == f"text:{p.section}" for p in found for n in p.lines)
    across = [p for p in found if any(b - a > 1 for a, b in zip(p.lines, p.lines[1:], strict=False))]
    assert across  # paragraphs read whole across a page break
    assert len({p.id for p in found}) == len(found)


def test_measure_page_shows_actions_budget_and_indicators(client: TestClient) -> None:
    data = _json(client, "/measures/2.2.1.1.m1.json", as_of="2025-01-01")
    assert data["actions"] and all(
        a["measure_id"] == "2.2.1.1.m1" or "2.2.1.1.m1" in a["also_in"] for a in data["actions"]
    )
    assert "projects" in data["budget"] and data["indicators"]
    html = client.get("/measures/2.2.1.1.m1", params={"as_of": "2025-01-01"}).text
    assert "今後の取組と期限" in html and "対応する予算事業" in html and "この節の指標" in html


def test_the_hits_on_screen_download(client: TestClient) -> None:
    second = _json(client, "/search.json", q="女性研究者", page=2)
    response = client.get("/search.csv", params={"q": "女性研究者", "page": 2})
    assert response.status_code == 200
    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("順位,種類,ID") and len(lines) - 1 == len(second["results"]["hits"])
    assert lines[1].startswith("21,")
    assert client.get("/search.xlsx").status_code == 200  # no query: an empty table, not an error
