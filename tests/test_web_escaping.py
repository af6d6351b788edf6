"""Output escaping: a corpus whose measure text carries markup must show it as text, everywhere."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from ebpm.services.ingest import ingest
from ebpm.sources.corpus import SourceText
from tests.web_client import client_for

PAYLOAD = '<script>alert("xss")</script><img src=x onerror=alert(1)>'
ESCAPED = "&lt;script&gt;alert(&#34;xss&#34;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;"
LINE = 1428  # the first line of the first measure row's commitment (2.1.1.1.m1)


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory, source: SourceText) -> TestClient:
    folder = tmp_path_factory.mktemp("hostile")
    lines = source.text.split("\n")
    assert lines[LINE - 1].startswith("○「デジタル社会")
    lines[LINE - 1] = lines[LINE - 1].replace("デジタル社会", f"デジタル{PAYLOAD}社会")
    corpus = folder / "strategy-with-markup.txt"
    corpus.write_text("\n".join(lines), encoding="utf-8")
    db = folder / "kb.sqlite"
    doc, _ = ingest(corpus, db)
    assert PAYLOAD in doc.measures[0].commitment.text  # the parser kept the text as it is
    return client_for(db)


@pytest.mark.parametrize(
    "path",
    [
        "/sections/2.1.1.1",
        "/sections/2.1",
        "/measures/2.1.1.1.m1",
        "/source?start=1420&end=1440",
        "/search?q=alert",
        "/ministries/IT",
    ],
)
def test_markup_in_the_text_is_escaped(client: TestClient, path: str) -> None:
    html = client.get(path).text
    assert "<script>alert" not in html and "<img src=x" not in html, path
    assert "alert(" in html or "<mark>alert</mark>(" in html  # the text itself is shown
    if path != "/search?q=alert":  # the snippet may cut the text; its pieces are escaped one by one
        assert ESCAPED in html or "&lt;script&gt;" in html


def test_search_snippets_escape_markup(client: TestClient) -> None:
    hits = client.get("/api/search", params={"q": "alert xss"}).json()["hits"]
    snippet = next(h["snippet"] for h in hits if h["id"] == "2.1.1.1.m1")
    assert "<script>" not in snippet and "&lt;script&gt;" in snippet
    assert "<mark>" in snippet


def test_json_keeps_the_raw_text(client: TestClient) -> None:
    data = client.get("/api/measures/2.1.1.1.m1").json()
    assert PAYLOAD in data["measure"]["commitment"]["text"]
