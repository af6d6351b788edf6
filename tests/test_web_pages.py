"""HTML pages: Japanese first, each with a JSON twin carrying the same data; offline assets."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from urllib.parse import parse_qsl, urlencode

import pytest
from fastapi.testclient import TestClient

from ebpm.model import Document
from ebpm.services.ingest import ingest
from ebpm.sources.corpus import SourceText
from tests.web_client import client_for

WEB = Path(__file__).resolve().parents[1] / "src" / "ebpm" / "web"
PAGES = [
    "/",
    "/sections/2.2",
    "/sections/2.2.1.1",
    "/measures/2.1.1.1.m1",
    "/ministries",
    "/ministries/文",
    "/commitments?overdue=true",
    "/diagnostics",
    "/sections/1.1",
    "/search?q=女性研究者",
    "/indicators",
    "/indicators/2.1.ref.3.s1",
    "/goals/2.2.1.goal.1",
    "/glossary",
    "/source?start=1420&end=1450",
]


@pytest.fixture(scope="module")
def client(ingested_kb: Path) -> TestClient:
    return client_for(ingested_kb)


def twin(path: str) -> str:
    base, _, query = path.partition("?")
    base = "/index" if base == "/" else base
    return f"{base}.json" + (f"?{urlencode(parse_qsl(query))}" if query else "")


@pytest.mark.parametrize("path", PAGES)
def test_page_and_its_json_twin(client: TestClient, path: str) -> None:
    page = client.get(path)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert '<html lang="ja">' in page.text
    assert page.text.count("<h1") == 1
    data = client.get(twin(path))
    assert data.status_code == 200
    assert data.headers["content-type"] == "application/json"
    assert f'href="{twin(path).replace("&", "&amp;")}"' in page.text  # the page links its twin
    assert isinstance(data.json(), dict) and data.json()


def test_home_at_a_glance(client: TestClient, doc: Document) -> None:
    data = client.get("/index.json").json()
    assert [s["id"] for s in data["sections"]] == ["2.1", "2.2", "2.3", "2.4", "2.5", "2.6"]
    assert sum(s["counts"]["measures"] for s in data["sections"]) == len(doc.measures)
    assert data["actions_per_ministry"][0]["actions"] >= data["actions_per_ministry"][-1]["actions"]
    # one unit for every action count on the page: the totals, the sections and the deadline chart agree
    total = data["totals"]["actions"]
    assert sum(s["counts"]["actions"] for s in data["sections"]) == total
    assert sum(y["actions"] for y in data["deadlines_per_year"]) == total
    html = client.get("/").text
    assert html.count("<canvas") == 2 and "data-chart=" in html
    for href in ("/commitments", "/search", "/indicators", "/budget", "/research"):  # the five tasks
        assert f'<a href="{href}"><strong>' in html
    assert "信頼度" not in html and 'href="/diagnostics"' in html  # the parser's diagnostics have a page


def test_diagnostics_page_lists_the_uncertain_rows(client: TestClient) -> None:
    data = client.get("/diagnostics.json").json()
    assert data["low_confidence"] and all(m["confidence"] < data["threshold"] for m in data["low_confidence"])
    html = client.get("/diagnostics").text
    for m in data["low_confidence"][:5]:
        assert f'href="/measures/{m["id"]}"' in html


def test_section_page_shows_the_table_and_goals(client: TestClient) -> None:
    html = client.get("/sections/2.2.1").text
    assert "具体的な取組" in html and "実施状況・現状分析" in html and "今後の取組方針" in html
    assert html.index('id="h-goals"') < html.index('class="measures"')  # goals sit above the table
    assert 'class="breadcrumbs"' in html and 'href="/sections/2.2"' in html
    assert 'class="badge" href="/ministries/%E6%96%87"' in html  # 文, percent-encoded


def test_measure_page_shows_source_lines_verbatim(client: TestClient, lines: list[str]) -> None:
    data = client.get("/measures/2.1.1.1.m1.json").json()
    html = client.get("/measures/2.1.1.1.m1").text
    for src in data["source"][:10]:
        assert f'<tr id="L{src["line"]}"><th scope="row">{src["line"]}</th>' in html
    first = data["source"][0]
    assert first["text"] == lines[first["line"] - 1]


def test_measure_page_shows_cited_footnotes(client: TestClient, doc: Document) -> None:
    m = next(
        m
        for m in doc.measures
        if any(m.line_start <= line <= m.line_end for f in doc.footnotes for line in f.references)
    )
    data = client.get(f"/measures/{m.id}.json").json()
    assert data["footnotes"]
    assert f'id="fn{data["footnotes"][0]["number"]}"' in client.get(f"/measures/{m.id}").text


def test_glossary_abbreviations_get_tooltips(client: TestClient) -> None:
    html = client.get("/search?q=ＳＢＩＲ").text
    assert re.search(r'<abbr title="[^"]+">SBIR</abbr>', html) or "<mark>SBIR</mark>" in html  # folded
    section = client.get("/sections/2.1.1").text
    # shown folded (ＡＩ as AI), as people search it
    assert '<abbr title="人工知能 (Artificial Intelligence)">AI</abbr>' in section


def test_ministry_page_lists_years_and_highlights_overdue(client: TestClient) -> None:
    data = client.get("/ministries/文.json?as_of=2025-01-01&size=1000").json()
    years = [y["key"] for y in data["years"]]
    dated = [y for y in years if y.startswith("FY")]
    assert dated == sorted(dated) and years[: len(dated)] == dated
    html = client.get("/ministries/文?as_of=2025-01-01&size=1000").text
    overdue = sum(r["overdue"] for r in data["table"]["rows"])
    assert html.count('<li class="overdue"') == overdue == data["counts"]["overdue"] > 0


def test_search_page_facets_are_shareable_links(client: TestClient) -> None:
    data = client.get("/search.json?q=量子").json()
    link = data["facet_links"]["kind"][0]
    assert link["href"].startswith("/search?q=") and f"kind={link['value']}" in link["href"]
    filtered = client.get(link["href"].replace("/search?", "/search.json?")).json()
    assert filtered["results"]["total"] == link["count"]
    assert filtered["filters"]["kind"] == link["value"]


def test_search_page_shows_query_errors(client: TestClient) -> None:
    html = client.get("/search?q=%22%22").text
    assert 'role="alert"' in html


def test_bad_ids_are_404_pages(client: TestClient) -> None:
    r = client.get("/measures/nope")
    assert r.status_code == 404 and "no measure" in r.text and "<html" in r.text
    assert client.get("/measures/nope.json").json()["detail"].startswith("no measure")
    r = client.get("/source?start=abc")
    assert r.status_code == 422 and "<html" in r.text


def test_assets_are_served_from_the_package(client: TestClient) -> None:
    """No page or asset refers to another host: the dashboard works with no network."""
    for path in PAGES:
        html = client.get(path).text
        assert not re.search(r"""(src|href)=["']?(https?:)?//""", html), path
    for template in (WEB / "templates").glob("*.html"):
        assert "http://" not in template.read_text() and "https://" not in template.read_text()
    for asset in ("/static/app.css", "/static/app.js", "/static/vendor/chart.js/chart.umd.min.js"):
        assert client.get(asset).status_code == 200


def test_vendored_assets_match_their_record() -> None:
    record = json.loads((WEB / "static" / "vendor" / "assets.json").read_text())
    for asset in record["assets"]:
        data = (WEB / "static" / "vendor" / asset["file"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == asset["sha256"], asset["file"]


def test_no_inline_scripts_or_styles(client: TestClient) -> None:
    for path in PAGES:
        html = client.get(path).text
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), path
        assert " style=" not in html and "<style" not in html, path
        assert not re.search(r"\son[a-z]+=", html), path


def test_pages_are_cached_and_revalidated(client: TestClient) -> None:
    first = client.get("/sections/2.2.1")
    etag = first.headers["etag"]
    assert first.headers["cache-control"] == "no-cache"
    assert client.get("/sections/2.2.1").content == first.content
    not_modified = client.get("/sections/2.2.1", headers={"if-none-match": etag})
    assert not_modified.status_code == 304 and not not_modified.content


def test_a_reingest_is_served_at_once(tmp_path: Path, source: SourceText) -> None:
    """The server keeps no stale page: a new knowledge base replaces the old one's pages."""
    db = tmp_path / "kb.sqlite"
    ingest(None, db)
    client = client_for(db)
    before = client.get("/measures/2.1.1.1.m1")
    assert "改訂版" not in before.text
    edited = tmp_path / "edited.txt"
    lines = source.text.split("\n")
    lines[1427] = lines[1427].replace("デジタル社会", "デジタル社会（改訂版）")  # line 1428: 2.1.1.1.m1
    edited.write_text("\n".join(lines), encoding="utf-8")
    ingest(edited, db)
    after = client.get("/measures/2.1.1.1.m1")
    assert "改訂版" in after.text and after.headers["etag"] != before.headers["etag"]


def test_search_page_says_when_a_hit_matched_a_phrasing_not_the_text(tmp_path: Path) -> None:
    kb = tmp_path / "extras.sqlite"
    ingest(None, kb, search_extras=True)  # the phrasings are an extra for the 2023 text
    client = client_for(kb)
    html = client.get("/search?q=和製LLM").text
    assert "言い換えで一致" in html
    data = client.get("/search.json?q=和製LLM").json()
    # (found first by words; the sentence vectors put other hits beside it)
    assert any(h["via"] for h in data["results"]["hits"][:5])
    # the best hits for words the text uses are found through the text itself
    assert not client.get("/search.json?q=量子コンピュータ").json()["results"]["hits"][0]["via"]


def test_search_page_says_when_a_hit_was_found_by_meaning(client: TestClient, ingested_kb: Path) -> None:
    """A hit with no highlighted word says why it is there: its text means what was asked."""
    query = "外国から荷物に紛れて来る毒蟻を防ぐ"
    hits = client.get("/search.json", params={"q": query}).json()["results"]["hits"]
    fire_ants = next(h for h in hits if h["id"] == "2.1.2.3.m5.a3")
    assert fire_ants["by_meaning"] and "<mark>" not in fire_ants["snippet"]
    assert "意味の近さで一致" in client.get("/search", params={"q": query}).text
    # a client of its own: ?lang=en sets the language cookie, which the shared client must not keep
    english = client_for(ingested_kb).get("/search", params={"q": query, "lang": "en"}).text
    assert "Found by meaning" in english


def test_badges_name_the_ministry_and_generic_owners_are_merged(client: TestClient) -> None:
    html = client.get("/measures/2.2.1.1.m1").text
    badge = r'<a class="badge" href="/ministries/%E6%96%87" lang="ja" title="文部科学省[^"]*">文'
    assert re.search(badge, html)
    owners = {m["abbreviation"] for m in client.get("/ministries.json").json()["ministries"]}
    assert "関係府省" in owners and "全府省" in owners
    assert not owners & {"関係府省庁", "関係省庁", "全省庁"}  # one name each, as the tag parser gives it
    assert 'title="関係する府省庁' in client.get("/ministries/関係府省").text
