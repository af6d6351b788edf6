"""Several editions in one knowledge base: ingest adds or replaces one, the others are left alone;
the CLI, the API and the pages pick one with --edition, edition= or /e/YEAR/, the latest by default."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from ebpm.cli import app as cli
from ebpm.errors import EditionFormatError, UnknownEditionError
from ebpm.parser.edition import edition_of_text
from ebpm.services.ingest import ingest
from ebpm.sources.corpus import bundled_path
from ebpm.store.editions import Editions, check, sibling
from ebpm.web.app import create_app

runner = CliRunner()


def next_edition_text() -> str:
    """The bundled text as if it were the 2024 edition: it names itself 統合戦略2024 (the space some
    mentions have is kept), and one commitment is reworded so the two editions differ."""
    text = bundled_path().read_text(encoding="utf-8")
    text = re.sub(r"(戦略\s?)2023", r"\g<1>2024", text)
    return text


@pytest.fixture(scope="module")
def two_editions(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("editions")
    db = folder / "kb.sqlite"
    ingest(None, db)
    source = folder / "strategy-2024.txt"
    source.write_text(next_edition_text(), encoding="utf-8")
    ingest(source, db)
    return db


def test_the_edition_is_read_from_the_text() -> None:
    assert edition_of_text(bundled_path().read_text(encoding="utf-8")) == "2023"
    assert edition_of_text(next_edition_text()) == "2024"
    assert (
        edition_of_text("統合イノベーション戦略２０２５\n\n第１章 総論\n") == "2025"
    )  # the title, full width
    assert edition_of_text("第１章 総論\n本文のみ\n") is None
    # an edition cites earlier ones, never a later one: the latest named twice wins
    assert edition_of_text("統合戦略2022を踏まえ…\n統合戦略2024では…\n統合戦略2024において") == "2024"


def test_an_edition_is_a_year() -> None:
    assert check("２０２４") == "2024"
    for bad in ("24", "abcd", "2024a", "3024"):
        with pytest.raises(EditionFormatError, match="year"):
            check(bad)


def test_ingest_adds_an_edition_beside_the_first_and_leaves_it_alone(two_editions: Path) -> None:
    found = Editions.of(two_editions)
    assert found.names() == ["2023", "2024"]
    assert found.latest == "2024"
    assert found.files["2023"] == two_editions
    assert found.files["2024"] == sibling(two_editions, "2024")
    assert found.previous("2024") == "2023"
    with pytest.raises(UnknownEditionError, match=r"editions: 2023, 2024"):
        found.path("2021")


def test_reingesting_one_edition_does_not_touch_the_other(tmp_path: Path) -> None:
    db = tmp_path / "kb.sqlite"
    ingest(None, db)
    source = tmp_path / "s.txt"
    source.write_text(next_edition_text(), encoding="utf-8")
    ingest(source, db)
    first = db.read_bytes()
    _, summary = ingest(source, db)  # the 2024 edition again
    assert summary.edition == "2024" and summary.path == sibling(db, "2024")
    assert db.read_bytes() == first


def test_a_given_edition_wins_over_the_title_and_says_so(tmp_path: Path) -> None:
    db = tmp_path / "kb.sqlite"
    doc, summary = ingest(None, db, edition="2022")
    assert doc.edition == "2022" and summary.edition == "2022"
    assert any("names the 2023 edition; stored as 2022" in w for w in summary.warnings)
    assert Editions.of(db).names() == ["2022"]


def test_a_text_without_an_edition_is_stored_as_the_latest_with_a_warning(tmp_path: Path) -> None:
    db = tmp_path / "kb.sqlite"
    ingest(None, db)
    text = bundled_path().read_text(encoding="utf-8")
    anonymous = tmp_path / "anon.txt"
    anonymous.write_text(re.sub(r"統合(イノベーション)?戦略\s?2023", "統合戦略", text), encoding="utf-8")
    _, summary = ingest(anonymous, db)
    assert summary.edition == "2023"
    assert any("names no edition" in w for w in summary.warnings)


def test_cli_picks_an_edition(two_editions: Path) -> None:
    result = runner.invoke(cli, ["editions", "--db", str(two_editions), "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert [(r["edition"], r["default"], r["rows"]) for r in rows] == [
        ("2023", False, 218),
        ("2024", True, 218),
    ]
    result = runner.invoke(cli, ["commitments", "--db", str(two_editions), "--edition", "2023", "--json"])
    assert result.exit_code == 0
    assert json.loads(result.output)["commitments"]
    result = runner.invoke(
        cli, ["search", "女性研究者", "--db", str(two_editions), "--edition", "2023", "--json"]
    )
    assert result.exit_code == 0 and json.loads(result.output)["hits"]
    result = runner.invoke(cli, ["export", "--db", str(two_editions), "--edition", "2019"])
    assert result.exit_code == 1
    assert "edition 2019 is not in the knowledge base" in result.output
    assert "Traceback" not in result.output


@pytest.fixture(scope="module")
def client(two_editions: Path, tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    store = tmp_path_factory.mktemp("mon") / "m.sqlite"
    return TestClient(create_app(two_editions, monitoring_db=store), follow_redirects=False)


def test_the_latest_edition_is_the_default_and_others_are_picked(client: TestClient) -> None:
    assert client.get("/index.json").json()["title"] == "統合イノベーション戦略2024"
    assert client.get("/index.json?edition=2023").json()["title"] == "統合イノベーション戦略2023"
    assert client.get("/e/2023/index.json").json()["title"] == "統合イノベーション戦略2023"
    assert client.get("/api/measures?edition=2023&limit=1").json()["total"] == 218


def test_pages_under_an_edition_prefix_link_within_it(client: TestClient) -> None:
    page = client.get("/e/2023/sections/2.1")
    assert page.status_code == 200
    assert "統合イノベーション戦略2023" in page.text
    internal = re.findall(r'(?:href|action)="(/[^"]*)"', page.text)
    outside = [u for u in internal if not u.startswith(("/e/2023/", "/static/", "/e/2024/"))]
    assert internal and not outside
    # the switcher offers every edition, the one shown marked
    assert 'href="/e/2024/sections/2.1"' in page.text
    assert re.search(r'href="/e/2023/sections/2\.1" aria-current="page"', page.text)


def test_a_page_asked_with_edition_moves_to_its_prefix(client: TestClient) -> None:
    moved = client.get("/sections/2.1?edition=2023&page=1")
    assert moved.status_code == 307
    assert moved.headers["location"] == "/e/2023/sections/2.1?page=1"


def test_an_unknown_or_malformed_edition_is_a_clear_error(client: TestClient) -> None:
    missing = client.get("/api/measures?edition=2019")
    assert missing.status_code == 404
    assert "editions: 2023, 2024" in missing.json()["detail"]
    assert client.get("/e/2019/").status_code == 404
    assert client.get("/api/measures?edition=20x4").status_code == 422


def test_head_under_a_prefix_answers_the_gets_headers(client: TestClient) -> None:
    get = client.get("/e/2023/sections/2.1")
    head = client.head("/e/2023/sections/2.1")
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-length"] == get.headers["content-length"] == str(len(get.content))


def test_a_sample_edition_is_written_labelled(tmp_path: Path) -> None:
    target = tmp_path / "s.txt"
    result = runner.invoke(cli, ["sample-edition", "-o", str(target), "--seed", "2"])
    assert result.exit_code == 0, result.output
    text = target.read_text(encoding="utf-8")
    assert "SAMPLE" in text.split("\n", 1)[0]
    assert edition_of_text(text) == "2024"
    assert "ebpm diff 2023 2024" in result.output
