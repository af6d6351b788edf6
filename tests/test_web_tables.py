"""List pages as tables (the ministry pages and the all-ministries list): filters, sorting, paging
and downloads that hold exactly the rows on screen, from one code path."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook  # type: ignore[import-untyped]

from ebpm.commitments.reposts import link_reposts
from ebpm.export.workbook import workbook
from ebpm.model import Document
from ebpm.services.tables import Column, TableState, export_rows, view
from ebpm.services.tables import fold as tables_fold
from ebpm.store.monitoring import open_store
from ebpm.web.app import create_app

AS_OF = "2025-01-01"


@pytest.fixture(scope="module")
def client(ingested_kb: Path, tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    store = tmp_path_factory.mktemp("tables") / "monitoring.sqlite"
    open_store(store).dispose()
    return TestClient(create_app(ingested_kb, store))


def _json(client: TestClient, url: str, **params: Any) -> dict[str, Any]:
    response = client.get(url, params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _csv(client: TestClient, url: str, **params: Any) -> list[list[str]]:
    response = client.get(url, params=params)
    assert response.status_code == 200, response.text
    assert response.content.startswith("\ufeff".encode())  # a BOM: Excel reads the file as UTF-8
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def _xlsx(client: TestClient, url: str, **params: Any) -> Any:
    response = client.get(url, params=params)
    assert response.status_code == 200, response.text
    assert "attachment" in response.headers["content-disposition"]
    return load_workbook(io.BytesIO(response.content)).worksheets[0]


def test_downloads_hold_exactly_the_rows_on_screen(client: TestClient) -> None:
    params = {"year": "FY2024", "as_of": AS_OF}
    page = _json(client, "/ministries/経.json", **params)
    ids = [r["id"] for r in page["table"]["rows"]]
    assert ids and all(r["fiscal_year"] == 2024 for r in page["table"]["rows"])
    html = client.get("/ministries/経", params=params).text
    assert all(f'id="{i}"' in html for i in ids) and html.count('<li class="') == len(ids)
    rows = _csv(client, "/ministries/経.csv", **params)
    assert rows[0][:5] == [
        "ID",
        "節",
        "見出し",
        "具体的な取組",
        "今後の取組方針",
    ]  # Japanese headers by default
    assert [r[0] for r in rows[1:]] == ids
    overdue = rows[0].index("期限切れ")
    assert {r[overdue] for r in rows[1:]} <= {"○", "–"}  # no true/false for Excel users
    sheet = _xlsx(client, "/ministries/経.xlsx", **params)
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref
    assert [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)] == ids
    english = _csv(client, "/ministries/経.csv", lang="en", **params)
    assert english[0][:3] == ["ID", "Section", "Heading"] and {r[overdue] for r in english[1:]} <= {
        "yes",
        "no",
    }
    client.cookies.delete("lang")  # ?lang=en chose English for this client: the pages after are Japanese


def test_downloads_of_a_later_page_and_of_all_rows(client: TestClient) -> None:
    first = _json(client, "/ministries/文.json", size=20)
    second = _json(client, "/ministries/文.json", size=20, page=2)
    assert first["table"]["total"] == second["table"]["total"] > 40
    assert second["table"]["first"] == 21 and second["table"]["last"] == 40
    assert not {r["id"] for r in first["table"]["rows"]} & {r["id"] for r in second["table"]["rows"]}
    rows = _csv(client, "/ministries/文.csv", size=20, page=2)
    assert [r[0] for r in rows[1:]] == [r["id"] for r in second["table"]["rows"]]
    everything = _csv(client, "/ministries/文.csv", size=first["table"]["total"])
    assert len(everything) - 1 == first["table"]["total"]


def test_exported_text_is_folded_for_excel_search(client: TestClient) -> None:
    """The document writes 高 as the Kangxi radical ⾼ in places: a search for 女性 or 高 in Excel
    must find the rows that show it."""
    rows = _csv(client, "/commitments.csv", size=5000)
    text = "".join("".join(r) for r in rows)
    assert "⾼" not in text and "⽂" not in text and "ＡＩ" not in text
    assert "高" in text and "女性" in text


def test_filters_combine_and_count_distinct_actions(client: TestClient, doc: Document) -> None:
    data = _json(client, "/ministries/文.json", q="女性研究者", overdue="true", as_of=AS_OF, size=500)
    rows = data["table"]["rows"]
    assert rows and len(rows) == data["counts"]["actions"] == data["counts"]["overdue"]
    for r in rows:
        assert "文" in r["ministries"] and r["overdue"] and r["due"] < AS_OF
        assert "女性研究者" in r["text"] + r["commitment"] + r["section_title"]
    everything = _json(client, "/ministries/文.json", size=1000)["table"]["rows"]
    ids = [r["id"] for r in everything]
    assert len(ids) == len(set(ids))  # one row an action
    assert any(r["also_in"] for r in everything)  # re-posted copies folded into their original
    listed = set(ids)
    for link in link_reposts(doc):
        (copy_row, copy_column, copy_pos), original = link.copy, link.original
        if original is None or copy_column != "action" or original[1] != "action":
            continue
        if f"{original[0]}.a{original[2] + 1}" in listed:  # the original is listed: its copy is not
            assert f"{copy_row}.a{copy_pos + 1}" not in listed


def test_section_filter_finds_an_original_through_its_copy(client: TestClient) -> None:
    everything = _json(client, "/commitments.json", size=5000)["table"]["rows"]
    r = next(
        r
        for r in everything
        if r["also_in_sections"] and r["also_in_sections"][0].split(".")[:2] != r["section"].split(".")[:2]
    )
    section = ".".join(r["also_in_sections"][0].split(".")[:2])
    found = _json(client, "/commitments.json", section=section, size=5000)["table"]["rows"]
    assert r["id"] in {x["id"] for x in found}


def test_sorting_paging_and_bad_parameters(client: TestClient) -> None:
    by_section = _json(client, "/commitments.json", sort="section", size=5000)["table"]["rows"]
    sections = [r["section"] for r in by_section]
    assert sections == sorted(sections)
    reverse = _json(client, "/commitments.json", sort="section", desc="true", size=5000)["table"]["rows"]
    assert [r["section"] for r in reverse] == sorted(sections, reverse=True)
    assert client.get("/commitments.json", params={"sort": "nope"}).status_code == 422
    assert client.get("/commitments.csv", params={"status": "nope"}).status_code == 422
    assert client.get("/commitments", params={"year": "2024"}).status_code == 422
    assert client.get("/ministries/nobody.xlsx").status_code == 404


def test_all_ministries_page_counts_agree_with_ministry_pages(client: TestClient) -> None:
    board = _json(client, "/commitments.json", as_of=AS_OF)
    mext = next(m for m in board["by_ministry"] if m["ministry"] == "文")
    page = _json(client, "/ministries/文.json", as_of=AS_OF)
    assert mext["actions"] == page["counts"]["actions"] and mext["overdue"] == page["counts"]["overdue"]
    html = client.get("/commitments", params={"as_of": AS_OF}).text
    assert "府省庁別の期限切れ" in html and 'rel="next"' in html


def test_pages_stay_light(client: TestClient) -> None:
    """No list page over 1.5 MB of HTML: the long lists are paged."""
    for url in (
        "/ministries/文",
        "/commitments",
        "/commitments?size=5000",  # every action on one page: the most a URL can ask for
        "/ministries/科技",
        "/sections/2",
        "/sections/2.1",
        "/search?q=研究&limit=200",
    ):
        assert len(client.get(url).content) < 1_500_000, url


def test_view_and_writers_on_their_own() -> None:
    columns = [
        Column("name", "名称", "Name"),
        Column("n", "件数", "Count", "number"),
        Column("ok", "済", "Done", "flag"),
    ]
    rows = [{"name": '=HYPERLINK("x")', "n": 3, "ok": True}, {"name": "⾼齢者", "n": None, "ok": False}]
    t = view(rows, columns, TableState(sort="n", desc=True))
    assert [r["n"] for r in t["rows"]] == [3, None]  # empty values last either way
    header, body = export_rows(t, "ja")
    assert header == ["名称", "件数", "済"] and body[1] == ["高齢者", "", "–"]
    sheet = load_workbook(io.BytesIO(workbook(header, body, "t"))).worksheets[0]
    assert sheet["A2"].value == '\'=HYPERLINK("x")' and sheet["A2"].data_type == "s"  # never a formula
    assert sheet["B2"].value == 3  # numbers stay numbers


def test_a_submitted_form_with_empty_fields_is_no_error(client: TestClient) -> None:
    """The filter form sends every field, the empty ones as ``name=``: they mean "any"."""
    params = {"ministry": "", "section": "", "q": "", "year": "", "status": "", "as_of": "", "sort": ""}
    response = client.get("/commitments", params=params)
    assert response.status_code == 200
    assert client.get("/search", params={"q": "量子", "due_by": "", "as_of": ""}).status_code == 200


def test_the_home_charts_download_as_tables(client: TestClient) -> None:
    """Every chart has its numbers as a download: the home page's two, by ``?table=``."""
    home = _json(client, "/index.json")
    years = _csv(client, "/index.csv", table="year_chart")
    assert years[0] == ["年度", "期限", "今後の取組（件）"]
    assert [int(r[2]) for r in years[1:]] == [y["actions"] for y in home["deadlines_per_year"]]
    sheet = _xlsx(client, "/index.xlsx", table="ministry_chart")
    assert sheet.max_row - 1 == len(home["actions_per_ministry"])
    assert _csv(client, "/index.csv")[0][0] == "府省庁"  # the first table by default


def test_glossary_filters_sorts_and_downloads(client: TestClient) -> None:
    found = _json(client, "/glossary.json", q="ai")["table"]
    assert found["rows"] and all(
        "ai" in (r["abbreviation"] + r["name_ja"] + (r["name_en"] or "")).lower().replace("ａｉ", "ai")
        for r in found["rows"]
    )
    ordered = _json(client, "/glossary.json", sort="abbreviation", size=1000)["table"]["rows"]
    assert [r["abbreviation"] for r in ordered] == sorted(r["abbreviation"] for r in ordered)
    rows = _csv(client, "/glossary.csv", q="ai")
    assert [r[0] for r in rows[1:]] == [tables_fold(r["abbreviation"]) for r in found["rows"]]


def test_a_section_page_downloads_its_rows(client: TestClient) -> None:
    page = _json(client, "/sections/2.2.json", page=2)
    shown = [m["id"] for g in page["tables"] for m in g["measures"]]
    rows = _csv(client, "/sections/2.2.csv", page=2)
    assert rows[0][:3] == ["ID", "節", "具体的な取組"] and [r[0] for r in rows[1:]] == shown
    sheet = _xlsx(client, "/sections/2.2.xlsx", page=2)
    assert [r[0] for r in sheet.iter_rows(min_row=2, values_only=True)] == shown
    assert client.get("/sections/1.xlsx").status_code == 200  # a heading without rows: an empty table
