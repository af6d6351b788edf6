"""Hardening of the web app (issue 15): valid filters never give a 500, errors map to one status,
HEAD on every GET route, a case-insensitive bearer scheme, no server paths in answers."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from ebpm.budget.service import UnknownProjectError
from ebpm.commitments.listing import list_commitments, owners
from ebpm.errors import NotFoundError, UnknownMinistryError, UnknownSectionError
from ebpm.indicators.monitor import UnknownSeriesError
from ebpm.model import Document
from ebpm.services.browse import under
from ebpm.sources.normalize import compact
from ebpm.web import api, pages, research_api, research_pages
from ebpm.web import app as web_app
from ebpm.web.app import status_of
from ebpm.web.auth import bearer_matches
from tests.web_client import client_for

SRC = Path(__file__).resolve().parents[1] / "src" / "ebpm"
TOKEN = "hardening-token"


@pytest.fixture(scope="module")
def client(ingested_kb: Path, tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    store = tmp_path_factory.mktemp("hardening") / "monitoring.sqlite"
    return client_for(ingested_kb, store, token=TOKEN)


def _empty_sections(doc: Document) -> list[str]:
    """Headings without a measure row under them: every chapter-1 id, 2.4.g1, 2.4.g2."""
    return [
        h.id
        for h in doc.headings
        if not any(m.section == h.id or m.section.startswith(h.id + ".") for m in doc.measures)
    ]


def test_every_heading_is_a_section_filter(client: TestClient, doc: Document) -> None:
    """A heading without rows is a valid filter with nothing under it, on every list (it was a 500
    on /api/commitments and a 422 'unknown section' on search)."""
    empty = _empty_sections(doc)
    assert "1" in empty and "2.4.g1" in empty and len(empty) == 22
    for h in doc.headings:
        answer = client.get("/api/commitments", params={"section": h.id})
        assert answer.status_code == 200, (h.id, answer.text)
    for section in empty:
        for url in ("/api/commitments", "/api/measures", "/api/actions", "/api/indicators/series"):
            answer = client.get(url, params={"section": section})
            assert answer.status_code == 200 and answer.json()["total"] == 0, (url, section, answer.text)
        # search finds the body text (総論) under such a heading, and nothing from elsewhere
        search = client.get("/api/search", params={"q": "研究", "section": section})
        assert search.status_code == 200, (section, search.text)
        assert all(under(h["section"], section) and h["kind"] == "text" for h in search.json()["hits"])
        page = client.get("/search.json", params={"q": "研究", "section": section}).json()
        assert page["error"] is None
        assert all(under(h["section"], section) for h in page["results"]["hits"])
        assert client.get(f"/sections/{section}").status_code == 200


def test_listing_takes_a_heading_without_rows(doc: Document) -> None:
    """``ebpm commitments --section 1`` lists nothing; an id that is no heading is an error."""
    assert list_commitments(doc, section="1") == [] and list_commitments(doc, section="2.4.g1") == []
    with pytest.raises(UnknownSectionError, match=r"unknown section '9\.9'"):
        list_commitments(doc, section="9.9")


def test_unknown_filter_values_are_a_clear_404(client: TestClient) -> None:
    for url in ("/api/commitments", "/api/measures", "/api/actions"):
        section = client.get(url, params={"section": "9.9"})
        assert section.status_code == 404 and "unknown section '9.9'" in section.json()["detail"]
        ministry = client.get(url, params={"ministry": "XYZ"})
        assert ministry.status_code == 404 and "unknown ministry 'XYZ'" in ministry.json()["detail"]
    search = client.get("/api/search", params={"q": "研究", "section": "9.9"})
    assert search.status_code == 404 and "unknown section" in search.json()["detail"]
    page = client.get("/search.json", params={"q": "研究", "section": "9.9"}).json()
    assert "unknown section '9.9'" in page["error"]


def test_every_ministry_is_a_filter(client: TestClient, doc: Document) -> None:
    """Every owner in the tables and every ministry of the strategy's list answers, never a 5xx."""
    for ministry in sorted(owners(doc) | {compact(m.abbreviation) for m in doc.ministries}):
        for url, params in (
            ("/api/commitments", {"ministry": ministry}),
            ("/api/measures", {"ministry": ministry}),
            (f"/api/ministries/{ministry}", {}),
            (f"/ministries/{ministry}.json", {}),
        ):
            assert client.get(url, params=params).status_code == 200, (url, ministry)


def test_each_error_maps_to_one_status() -> None:
    for error in (
        NotFoundError,
        UnknownSectionError,
        UnknownMinistryError,
        UnknownSeriesError,
        UnknownProjectError,
    ):
        assert status_of(error("x")) == 404


def test_no_lower_layer_imports_a_service() -> None:
    """Errors are shared from ebpm.errors: budget, indicators, commitments, search and the stores
    never import a service (budget/service.py and indicators/monitor.py took NotFoundError from
    services/browse.py)."""
    for package in ("budget", "indicators", "commitments", "search", "store", "parser", "sources"):
        for file in (SRC / package).rglob("*.py"):
            for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
                if isinstance(node, ast.ImportFrom) and node.module:
                    assert not node.module.startswith("ebpm.services"), f"{file}: imports {node.module}"


def test_index_json_names_the_source_file_only(client: TestClient) -> None:
    source = client.get("/index.json").json()["source"]
    assert source["path"] == "strategy-2023.txt"
    assert str(SRC) not in client.get("/index.json").text


def test_head_answers_every_get_route(client: TestClient) -> None:
    """HEAD gives the GET's status and headers without a body (it was a 405 everywhere)."""
    plain = [
        r.path
        for router in (api.router, pages.router, research_api.router, research_pages.router)
        for r in router.routes
        if isinstance(r, APIRoute) and "GET" in r.methods and "{" not in r.path
    ]
    assert "/api/measures" in plain and "/" in plain and "/index.json" in plain
    urls = [*plain, "/sections/2.2.1", "/api/measures/2.1.1.1.m1", "/static/app.css", "/nope"]
    for url in urls:
        get, head = client.get(url), client.head(url)
        assert head.status_code == get.status_code != 405, url
        assert head.content == b"", url
        assert head.headers.get("content-type") == get.headers.get("content-type"), url
        if get.status_code == 200:
            assert head.headers["content-length"] == str(len(get.content)), url
    assert client.head("/api/budget/projects/X/reviews").status_code == 405  # a PUT-only route


def test_bearer_scheme_is_case_insensitive(client: TestClient) -> None:
    assert bearer_matches(f"Bearer {TOKEN}", TOKEN)
    assert bearer_matches(f"bearer {TOKEN}", TOKEN)
    assert bearer_matches(f"BEARER  {TOKEN}", TOKEN)
    for header in (
        f"Basic {TOKEN}",
        "Bearer",
        f"Bearer{TOKEN}",
        f"Bearer {TOKEN}x",
        f"Bearer {TOKEN.upper()}",
        "",
    ):
        assert not bearer_matches(header, TOKEN), header
    url = "/api/budget/projects/NOPE/reviews"
    body = {"item_id": "2.1.1.2.m1", "decision": "confirm", "reviewer": "佐藤"}
    # past the token check, the unknown project is what is refused
    assert client.put(url, json=body, headers={"authorization": f"bearer {TOKEN}"}).status_code == 404
    assert client.put(url, json=body, headers={"authorization": "bearer wrong"}).status_code == 401


def test_the_spec_says_which_routes_write(client: TestClient) -> None:
    spec = client.get("/api/openapi.json").json()
    writes = [path for path, ops in spec["paths"].items() if "put" in ops]
    assert writes, "the API has PUT routes"
    assert "Read-only" not in spec["info"]["description"] and "PUT" in spec["info"]["description"]
    assert web_app.__doc__ is not None and "every route is a GET" not in web_app.__doc__


def test_a_repeated_query_parameter_is_refused(client: TestClient) -> None:
    """Every parameter takes one value: ``limit`` given four times was answered with the last
    one (schemathesis's finding), now a 422 naming the parameter, on the API and on pages."""
    answer = client.get("/api/footnotes?limit=5&limit=-3&limit=18.0&limit=2")
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["loc"] == ["query", "limit"]
    page = client.get("/search?q=AI&q=DX")
    assert page.status_code == 422 and "q" in page.text
    assert client.get("/api/footnotes?limit=5").status_code == 200


def test_a_whole_number_must_be_written_as_one(client: TestClient) -> None:
    """Pydantic reads ``5.0`` as 5; the OpenAPI contract says integer, so anything but digits is a
    422 naming the parameter (schemathesis's finding on ``researcher_window=0.0``), on every route
    and page, the parameters of shared dependencies (a page size) included."""
    answer = client.get("/api/footnotes?limit=5.0")
    assert answer.status_code == 422
    assert answer.json()["detail"] == [
        {
            "loc": ["query", "limit"],
            "msg": "Input should be a valid integer, written in digits",
            "type": "int_parsing",
        }
    ]
    assert client.get("/api/research/inputs-outputs?researcher_window=0.0").status_code == 422
    assert client.get("/search?q=AI&page=1e1").status_code == 422
    assert client.get("/api/footnotes?limit=+5").status_code == 200
    assert client.get("/api/research/inputs-outputs?researcher_window=2").status_code != 422
    assert client.get("/api/budget/similar?threshold=0.50").status_code != 422  # a float stays a float
    assert client.get("/api/budget/similar?threshold=x").status_code == 422
