"""The REST API under /api/: resources, filters, pagination, CSV, errors and headers."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from ebpm.model import Document
from tests.conftest import Invoke
from tests.web_client import client_for


@pytest.fixture(scope="module")
def client(ingested_kb: Path) -> TestClient:
    return client_for(ingested_kb)


def test_sections_tree_follows_the_document(client: TestClient, doc: Document) -> None:
    tree = client.get("/api/sections").json()
    assert [n["id"] for n in tree] == ["1", "2"]
    chapter2 = tree[1]
    assert [s["id"] for s in chapter2["children"]][:2] == ["2.1", "2.2"]
    assert chapter2["counts"]["measures"] == len(doc.measures)
    section = chapter2["children"][0]
    assert section["counts"]["measures"] == sum(m.section.startswith("2.1.") for m in doc.measures)


def test_section_detail(client: TestClient) -> None:
    body = client.get("/api/sections/2.2.1").json()
    assert body["heading"]["id"] == "2.2.1"
    assert [b["id"] for b in body["breadcrumbs"]] == ["2", "2.2", "2.2.1"]
    assert body["tables"] and all(
        m["section"].startswith("2.2.1") for t in body["tables"] for m in t["measures"]
    )
    assert body["goals"], "subsection 2.2.1 has goal blocks"


def test_measures_pagination_is_stable(client: TestClient, doc: Document) -> None:
    first = client.get("/api/measures", params={"limit": 50}).json()
    second = client.get("/api/measures", params={"limit": 50, "offset": 50}).json()
    assert first["total"] == len(doc.measures)
    assert len(first["items"]) == 50
    ids = [m["id"] for m in first["items"] + second["items"]]
    assert ids == [m.id for m in doc.measures[:100]]


def test_measures_filters(client: TestClient, doc: Document) -> None:
    by_section = client.get("/api/measures", params={"section": "2.3", "limit": 500}).json()
    assert by_section["total"] == sum(m.section.startswith("2.3.") for m in doc.measures)
    reposted = client.get("/api/measures", params={"reposted": "true", "limit": 500}).json()
    assert reposted["total"] == sum(m.reposted for m in doc.measures) > 0
    low = client.get("/api/measures", params={"max_confidence": 0.89, "limit": 500}).json()
    assert low["total"] == sum(m.confidence <= 0.89 for m in doc.measures) > 0
    ministry = client.get("/api/measures", params={"ministry": "文", "limit": 500}).json()
    assert ministry["total"] > 0
    assert all(
        "文" in {o for c in [m.commitment, *m.actions] for o in c.ministries}
        for m in doc.measures
        if m.id in {i["id"] for i in ministry["items"]}
    )


def test_measure_detail_has_provenance(client: TestClient, lines: list[str]) -> None:
    body = client.get("/api/measures/2.1.1.1.m1").json()
    m = body["measure"]
    assert [s["line"] for s in body["source"]] == list(range(m["line_start"], m["line_end"] + 1))
    assert all(s["text"] == lines[s["line"] - 1] for s in body["source"])


def test_reposts_link_both_ways(client: TestClient, doc: Document) -> None:
    copy = next(m for m in doc.measures if m.commitment.reposted)
    body = client.get(f"/api/measures/{copy.id}").json()
    link = next(r for r in body["reposts"] if r["column"] == "commitment")
    original = link["original"]
    assert original is not None
    back = client.get(f"/api/measures/{original['measure_id']}").json()
    assert any(c["measure_id"] == copy.id for r in back["reposts"] for c in r["copies"])


def test_actions_and_commitments(client: TestClient) -> None:
    actions = client.get(
        "/api/actions", params={"ministry": "文", "due_by": "2024-03-31", "limit": 500}
    ).json()
    assert actions["total"] > 0
    assert all(a["due"] <= "2024-03-31" and "文" in a["ministries"] for a in actions["items"])
    commitments = client.get("/api/commitments", params={"ministry": "文"}).json()
    assert set(commitments["counts_by_ministry"]) == {"文"}
    dues = [c["due"] for c in commitments["items"] if c["due"]]
    assert dues == sorted(dues)


def test_ministry_detail_marks_overdue(client: TestClient) -> None:
    body = client.get("/api/ministries/文", params={"as_of": "2025-01-01"}).json()
    assert body["ministry"]["name"].startswith("文部科学省")
    overdue = [i for g in body["by_year"] for i in g["items"] if i["overdue"]]
    assert len(overdue) == body["overdue_count"] > 0
    assert all(i["due"] < "2025-01-01" for i in overdue)


def test_indicators_footnotes_glossary(client: TestClient, doc: Document) -> None:
    assert client.get("/api/indicators", params={"limit": 500}).json()["total"] == len(doc.indicators)
    kpi = client.get("/api/indicators", params={"block": "kpi", "limit": 500}).json()
    assert kpi["total"] == sum(i.block == "kpi" for i in doc.indicators)
    assert client.get("/api/footnotes/1").json()["number"] == 1
    glossary = client.get("/api/glossary", params={"limit": 500}).json()
    assert any(e["abbreviation"] == "ＡＩ" and e["name_ja"] == "人工知能" for e in glossary["items"])


def test_search_with_facets(client: TestClient) -> None:
    body = client.get("/api/search", params={"q": "ＳＢＩＲ", "kind": "action"}).json()
    assert body["total"] > 0
    assert all(h["kind"] == "action" and h["measure_id"] for h in body["hits"])
    assert set(body["facets"]) == {"kind", "section", "ministry"}
    assert "<mark>" in body["hits"][0]["snippet"]


@pytest.mark.parametrize(
    "path",
    [
        "/api/sections",
        "/api/measures",
        "/api/actions",
        "/api/ministries",
        "/api/indicators",
        "/api/footnotes",
        "/api/glossary",
        "/api/commitments",
        "/api/search?q=AI",
    ],
)
def test_every_list_downloads_as_csv(client: TestClient, path: str) -> None:
    sep = "&" if "?" in path else "?"
    r = client.get(f"{path}{sep}format=csv")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/csv")
    assert r.text.startswith("\ufeff")  # Excel reads UTF-8 with a BOM
    rows = list(csv.reader(io.StringIO(r.text.lstrip("\ufeff"))))
    assert len(rows) > 1 and len({len(row) for row in rows}) == 1


@pytest.mark.parametrize(
    ("path", "status", "message"),
    [
        ("/api/measures/2.9.9.m9", 404, "no measure"),
        ("/api/sections/9.9", 404, "no section"),
        ("/api/ministries/存在しない省", 404, "unknown ministry"),
        ("/api/footnotes/9999", 404, "no footnote"),
        ("/api/measures?section=9.9", 404, "unknown section"),
        ("/api/measures?limit=0", 422, "greater than or equal"),
        ("/api/measures?limit=abc", 422, "valid integer"),
        ("/api/measures?min_confidence=2", 422, "less than or equal"),
        ("/api/actions?due_by=tomorrow", 422, "date"),
        ("/api/search?q=", 422, "empty"),
        ("/api/search?q=AI&kind=poem", 422, "Input should be"),
        ("/api/nothing-here", 404, "Not Found"),
    ],
)
def test_bad_input_is_a_json_error(client: TestClient, path: str, status: int, message: str) -> None:
    r = client.get(path)
    assert r.status_code == status
    assert r.headers["content-type"] == "application/json"
    assert message in str(r.json()["detail"])


def test_query_syntax_is_searched_as_text(client: TestClient) -> None:
    r = client.get("/api/search", params={"q": 'NEAR OR "*'})
    assert r.status_code == 200
    assert all(h["segments"] for h in r.json()["hits"])


def test_read_only(client: TestClient) -> None:
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        r = client.request(method, "/api/measures")
        assert r.status_code == 405
        assert r.headers["content-type"] == "application/json"


def test_security_headers(client: TestClient) -> None:
    for path in ("/", "/api/measures", "/static/app.css"):
        headers = client.get(path).headers
        csp = headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert "frame-ancestors 'none'" in csp
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["server-timing"].startswith("app;dur=")


def test_openapi_spec_lists_the_resources(client: TestClient) -> None:
    spec = client.get("/api/openapi.json").json()
    paths = set(spec["paths"])
    for path in (
        "/api/sections",
        "/api/sections/{section_id}",
        "/api/measures",
        "/api/measures/{measure_id}",
        "/api/actions",
        "/api/ministries",
        "/api/indicators",
        "/api/footnotes",
        "/api/glossary",
        "/api/search",
        "/api/commitments",
    ):
        assert path in paths
    writes = {p for p, ops in spec["paths"].items() if set(ops) != {"get"}}
    # the only writes, each behind a login or token
    assert writes == {
        "/api/indicators/series/{series_id}/target",
        "/api/budget/projects/{project_id}/reviews",
        "/api/actions/{action_id}/progress",
        "/api/progress/reports/{report_id}/review",
    }
    for path in writes:
        ops = spec["paths"][path]
        assert "401" in ops.get("put", ops.get("post", {}))["responses"]
    assert not any(p for p in paths if not p.startswith("/api/"))


def test_missing_knowledge_base_is_a_clear_503(tmp_path: Path) -> None:
    client = client_for(tmp_path / "absent.sqlite")
    r = client.get("/api/measures")
    assert r.status_code == 503
    assert "run `ebpm ingest`" in r.json()["detail"]
    page = client.get("/")
    assert page.status_code == 503 and "ebpm ingest" in page.text


def test_serve_reports_a_port_in_use(invoke: Invoke, ingested_kb: Path, tmp_path: Path) -> None:
    import socket

    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = str(taken.getsockname()[1])
        out = invoke(
            "serve", "--port", port, "--db", str(ingested_kb), "--monitoring-db", str(tmp_path / "m.sqlite")
        )
    assert out.exit_code == 1
    assert "cannot listen on 127.0.0.1" in out.output and "choose another --port" in out.output


def test_serve_without_a_knowledge_base(invoke: Invoke, tmp_path: Path) -> None:
    out = invoke("serve", "--db", str(tmp_path / "none.sqlite"))
    assert out.exit_code == 1 and "run `ebpm ingest` first" in out.output
