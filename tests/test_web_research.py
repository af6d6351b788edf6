"""Research analytics on the web: the /api/research routes (JSON and CSV), the three pages with their
JSON twins and CSV links, the SAMPLE banner, errors (422, 404 without a store) and escaping."""

from __future__ import annotations

import csv
import io
import json
import re
from html import unescape
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook  # type: ignore[import-untyped]

from ebpm.research.methods import GROUPINGS, IO_GROUPINGS, Query
from ebpm.research.openalex import import_works
from ebpm.research.service import ResearchService
from ebpm.research.store import open_store
from ebpm.web.app import create_app

BANNER_JA = "SAMPLE（合成データ）: 実在の統計ではありません"
BANNER_EN = "SAMPLE synthetic data — not real statistics"
PAGES = ["/research", "/research/trends", "/research/breakdowns"]
PAYLOAD = '<script>alert("x")</script>'


def make_client(kb: Path, research: Path) -> TestClient:
    app = create_app(kb, kb.with_name(kb.stem + "-research-monitoring.sqlite"), "", research_db=research)
    return TestClient(app, raise_server_exceptions=False)  # a server error must show as a 500


@pytest.fixture(scope="module")
def client(ingested_kb: Path, research_db: Path) -> TestClient:
    return make_client(ingested_kb, research_db)


@pytest.fixture(scope="module")
def service(research_db: Path) -> ResearchService:
    return ResearchService(research_db)


def csv_rows(text: str) -> list[dict[str, str]]:
    assert text.startswith("\ufeff")  # a BOM, for Excel
    return list(csv.DictReader(io.StringIO(text[1:])))


def test_status(client: TestClient) -> None:
    body = client.get("/api/research/status").json()
    assert body["sample"] is True
    assert body["years"][0] <= body["years"][1]
    assert {d["kind"] for d in body["datasets"]} >= {"openalex", "funding", "researchers"}


@pytest.mark.parametrize("by", GROUPINGS)
def test_indicators_json_and_csv(client: TestClient, by: str) -> None:
    params = {"by": by, "years": "2018-2020", "counting": "fractional"}
    body = client.get("/api/research/indicators", params=params).json()
    assert set(body) == {"query", "years", "totals", "items"}
    assert body["query"]["by"] == by and body["query"]["counting"] == "fractional"
    assert body["years"] == 3 and body["items"]
    r = client.get("/api/research/indicators", params=params | {"format": "csv"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = csv_rows(r.text)
    assert len(rows) == len(body["items"])
    assert float(rows[0]["p"]) == pytest.approx(body["items"][0]["p"])


@pytest.mark.parametrize("by", IO_GROUPINGS)
def test_inputs_outputs_json_and_csv(client: TestClient, by: str) -> None:
    params = {"by": by, "years": "2018-2020", "fiscal_years": "2015-2020", "researcher_window": "2"}
    body = client.get("/api/research/inputs-outputs", params=params).json()
    assert set(body) == {"query", "totals", "items"}
    assert body["query"]["fiscal_years"] == [2015, 2020] and body["query"]["researcher_window"] == 2
    assert body["totals"]["records"] == sum(i["records"] for i in body["items"])
    rows = csv_rows(client.get("/api/research/inputs-outputs", params=params | {"format": "csv"}).text)
    assert len(rows) == len(body["items"]) and "papers_per_100m_yen" in rows[0]


def test_funding_defaults_to_the_years_of_the_papers(client: TestClient) -> None:
    body = client.get("/api/research/inputs-outputs", params={"years": "2018-2020"}).json()
    assert body["query"]["fiscal_years"] == [2018, 2020]
    page = client.get("/research.json", params={"years": "2018-2020"}).json()
    assert page["io_totals"]["amount_yen"] == pytest.approx(body["totals"]["amount_yen"])


def test_a_range_written_backwards_is_read_in_order(client: TestClient) -> None:
    body = client.get("/api/research/indicators", params={"years": "2020-2018"}).json()
    assert (body["query"]["first_year"], body["query"]["last_year"]) == (2018, 2020)


def test_inputs_outputs_filters(client: TestClient) -> None:
    body = client.get(
        "/api/research/inputs-outputs", params={"by": "funding_type", "funding_type": "kakenhi"}
    ).json()
    assert [i["id"] for i in body["items"]] == ["kakenhi"]
    body = client.get("/api/research/indicators", params={"country": "JP", "type": "education"}).json()
    assert body["items"] and all(i["country"] == "JP" and i["type"] == "education" for i in body["items"])


@pytest.mark.parametrize("by", ["field", "subfield"])
def test_trends_json_and_csv(client: TestClient, by: str) -> None:
    body = client.get("/api/research/trends", params={"by": by, "country": "JP", "window": 3}).json()
    assert body["query"]["window"] == 3 and body["windows"] and body["series"]
    rows = csv_rows(client.get("/api/research/trends", params={"by": by, "format": "csv"}).text)
    # one row per series and window
    assert len(rows) == sum(len(s["windows"]) for s in body["series"])
    assert {"id", "name", "window", "share", "top10_share"} <= set(rows[0])


def test_patents_json_and_csv(client: TestClient) -> None:
    body = client.get("/api/research/patents", params={"country": "JP", "counting": "whole"}).json()
    assert set(body) == {"query", "totals", "items"} and body["items"]
    rows = csv_rows(client.get("/api/research/patents", params={"format": "csv"}).text)
    assert len(rows) == len(body["items"])


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("indicators", {"by": "ministry"}),
        ("indicators", {"years": "0999"}),
        ("indicators", {"years": "20"}),
        ("indicators", {"years": "2018-2020-2022"}),
        ("indicators", {"counting": "half"}),
        ("indicators", {"country": "jp"}),
        ("indicators", {"type": "Education!"}),
        ("inputs-outputs", {"by": "country"}),
        ("inputs-outputs", {"fiscal_years": "2020-"}),
        ("inputs-outputs", {"researcher_window": "21"}),
        ("trends", {"by": "institution"}),
        ("trends", {"window": "0"}),
        ("patents", {"years": "２０２０"}),  # full-width digits
    ],
)
def test_bad_parameters_are_422(client: TestClient, path: str, params: dict[str, str]) -> None:
    r = client.get(f"/api/research/{path}", params=params)
    assert r.status_code == 422, r.text
    assert r.json()["detail"]


def test_no_store_is_a_404_that_says_how_to_load_one(ingested_kb: Path, tmp_path: Path) -> None:
    client = make_client(ingested_kb, tmp_path / "missing.duckdb")
    for path in ("status", "indicators", "inputs-outputs", "trends", "patents", "indicators?format=csv"):
        r = client.get(f"/api/research/{path}")
        assert r.status_code == 404 and "ebpm research sample --load" in r.json()["detail"], path
    for page in PAGES:
        r = client.get(page)
        assert r.status_code == 404 and "ebpm research sample --load" in r.text and "<html" in r.text
        assert "no research data loaded" in client.get(f"{page}.json").json()["detail"]
    assert client.get("/").status_code == 200  # the rest of the dashboard is unaffected


def test_a_file_that_is_not_a_store_is_a_clear_error(ingested_kb: Path, tmp_path: Path) -> None:
    bad = tmp_path / "not-a-store.duckdb"
    bad.write_text("hello")
    r = make_client(ingested_kb, bad).get("/api/research/status")
    assert r.status_code == 503 and "not-a-store.duckdb" in r.json()["detail"]


@pytest.mark.parametrize("page", PAGES)
def test_pages_show_the_sample_banner_and_have_twins(client: TestClient, page: str) -> None:
    r = client.get(page)
    assert r.status_code == 200, r.text
    assert BANNER_JA in r.text and BANNER_EN in client.get(page, headers={"cookie": "lang=en"}).text
    assert f'href="{page}.json"' in r.text
    twin = client.get(f"{page}.json").json()
    assert twin["sample"] is True
    # no inline script or style: the CSP forbids them
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", r.text) and " style=" not in r.text
    # every chart has a table twin
    assert r.text.count("<canvas") == r.text.count("表で見る")
    links = {unescape(h) for h in re.findall(r'href="(/api/research/[^"]+format=csv[^"]*)"', r.text)}
    assert links, "no CSV download link"
    for link in links:
        csv_r = client.get(link)
        assert csv_r.status_code == 200 and csv_r.headers["content-type"].startswith("text/csv"), link


def test_nav_links_the_research_pages(client: TestClient) -> None:
    assert 'href="/research"' in client.get("/").text


def test_research_numbers_are_the_services(client: TestClient, service: ResearchService) -> None:
    data = client.get("/research.json", params={"counting": "fractional"}).json()
    first, last = service.default_years() or (0, 0)
    assert data["filters"]["years"] == f"{first}-{last}" and data["filters"]["country"] == "JP"
    expected = service.indicators("institution", Query(first, last, "fractional", "JP"))
    rows = {r["id"]: r for r in data["institutions"]}
    for item in expected["items"]:
        row = rows[item["id"]]
        for key in ("p", "p_top10", "pp_top10", "p_top1", "mncs", "world_share"):
            # approx: DuckDB sums fractional weights in parallel, so the last bits vary per run
            assert row[key] == pytest.approx(item[key], rel=1e-12), (item["id"], key)
    assert data["indicator_totals"] == pytest.approx(expected["totals"], rel=1e-12)
    # funding is counted for the years of the papers unless fiscal years are given
    io_expected = service.inputs_outputs(
        "institution", Query(first, last, "fractional", "JP", fiscal_years=(first, last))
    )
    assert data["io_totals"]["unlinked_yen"] == pytest.approx(io_expected["totals"]["unlinked_yen"])
    for item in io_expected["items"]:
        assert rows[item["id"]]["funding_oku"] == pytest.approx(item["amount_yen"] / 1e8)
        assert rows[item["id"]]["papers_per_oku"] == pytest.approx(item["papers_per_100m_yen"], rel=1e-12)
    # the page shows the same numbers, formatted for reading
    html = client.get("/research", params={"counting": "fractional"}).text
    top = expected["items"][0]
    assert f"{top['p']:,.1f}" in html and f"{top['world_share'] * 100:.1f}%" in html


def test_research_filters(client: TestClient) -> None:
    data = client.get(
        "/research.json", params={"type": "education", "years": "2019", "funding_type": "kakenhi"}
    ).json()
    assert data["filters"]["counting"] == "whole"
    assert data["filters"]["years"] == "2019" and data["filters"]["funding_type"] == "kakenhi"
    assert all(r["type"] == "education" for r in data["institutions"])
    assert "kakenhi" in {t["id"] for t in data["options"]["funding_types"]}
    everywhere = client.get("/research.json", params={"country": ""}).json()
    assert len({r["country"] for r in everywhere["institutions"]}) > 1
    assert client.get("/research", params={"years": "20x"}).status_code == 422
    assert client.get("/research", params={"country": "J1"}).status_code == 422
    assert client.get("/research/trends", params={"window": "99"}).status_code == 422


def test_trends_and_breakdowns_twins(client: TestClient) -> None:
    trends = client.get("/research/trends.json", params={"country": "JP", "window": 3, "top": 4}).json()
    assert len(trends["share_chart"]["datasets"]) == 5  # all fields and the four largest
    assert trends["share_chart"]["labels"] == trends["top10_chart"]["labels"]
    breakdowns = client.get("/research/breakdowns.json").json()
    assert [g["by"] for g in breakdowns["groups"]] == ["gender", "career_stage"]
    stages = breakdowns["groups"][1]["charts"][0]["chart"]["labels"]
    assert stages[0].startswith("若手")  # early, mid, senior: in their natural order


def test_pages_are_revalidated(client: TestClient) -> None:
    first = client.get("/research/breakdowns")
    again = client.get("/research/breakdowns", headers={"if-none-match": first.headers["etag"]})
    assert again.status_code == 304


def test_institution_names_are_escaped(ingested_kb: Path, tmp_path: Path) -> None:
    work = {
        "id": "https://openalex.org/W1",
        "type": "article",
        "publication_year": 2020,
        "cited_by_count": 3,
        "updated_date": "2024-01-01T00:00:00",
        "primary_topic": {
            "field": {"id": "https://openalex.org/fields/17", "display_name": "Computer Science"},
            "subfield": {"id": "https://openalex.org/subfields/1702", "display_name": "AI"},
        },
        "authorships": [
            {
                "author": {"id": "https://openalex.org/A1"},
                "institutions": [
                    {
                        "id": "https://openalex.org/I1",
                        "display_name": PAYLOAD,
                        "country_code": "JP",
                        "type": "education",
                    }
                ],
                "countries": ["JP"],
            }
        ],
    }
    source = tmp_path / "works.jsonl"
    source.write_text(json.dumps(work) + "\n", encoding="utf-8")
    store = tmp_path / "hostile.duckdb"
    with open_store(store) as con:
        import_works(con, source, label="hostile")
    client = make_client(ingested_kb, store)
    html = client.get("/research").text
    assert PAYLOAD not in html and "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    assert "SAMPLE（合成データ）" not in html  # not SAMPLE data: no banner
    assert client.get("/research.json").json()["institutions"][0]["name"] == PAYLOAD


def test_every_research_download_is_also_an_excel_workbook(client: TestClient) -> None:
    """The research pages link an Excel twin of each CSV: the same rows, a frozen, filtered header."""
    params = {"by": "institution", "years": "2018-2020"}
    body = client.get("/api/research/indicators", params=params).json()
    r = client.get("/api/research/indicators", params=params | {"format": "xlsx"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(r.content)).worksheets[0]
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref
    assert sheet.max_row - 1 == len(body["items"])
    header = [c.value for c in sheet[1]]
    assert sheet.cell(2, header.index("p") + 1).value == pytest.approx(body["items"][0]["p"])
    html = client.get("/research").text
    assert "format=xlsx" in html
