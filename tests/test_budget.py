"""Budget projects: import rules, the mapping engine, reviews, aggregations and duplicates."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from openpyxl import Workbook

from ebpm.budget.amounts import header_unit, parse_amount
from ebpm.budget.engine import MappingEngine, Project
from ebpm.budget.projects import BudgetImportError, import_projects
from ebpm.budget.service import BudgetService
from ebpm.model import Document
from ebpm.sources.tabular import ReadError
from ebpm.store.monitoring import Location, open_store
from tests.conftest import Invoke

SAMPLE = Path(__file__).resolve().parents[1] / "src" / "ebpm" / "data" / "budget_sample"
JA = "事業番号,年度,事業名,府省庁,部局,事業の目的,事業概要,当初予算額（百万円）,執行額（百万円）\n"
EN = "project_id,fiscal_year,name,ministry,bureau,purpose,summary,budget,executed\n"
QUANTUM = (
    "重ね合わせ状態を用いた次世代計算機の基盤研究開発事業,"
    "従来の計算機では解けない規模の最適化や材料設計の計算を可能にするため、重ね合わせ状態を用いる計算機の基盤技術を確立する。,"
    "量子ビットの集積化と誤り訂正の研究開発を大学・研究機関と企業の共同で行い、試作機を研究者や企業に提供する。"
)


@pytest.fixture(scope="module")
def engine(doc: Document) -> MappingEngine:
    return MappingEngine(doc)


@pytest.fixture
def service(doc: Document, store_location: Location, engine: MappingEngine) -> BudgetService:
    """On SQLite and on PostgreSQL."""
    return BudgetService(doc, open_store(store_location), engine)


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


@pytest.mark.parametrize(
    ("raw", "unit", "yen"),
    [
        ("1,234", 1_000_000, 1_234_000_000),
        ("12.5億円", 1, 1_250_000_000),
        ("500千円", 1_000_000, 500_000),
        ("１，２３４", 1_000, 1_234_000),
        ("￥3,000,000", 1, 3_000_000),
        ("", 1, None),
        ("-", 1, None),
    ],
)
def test_amounts(raw: str, unit: int, yen: int | None) -> None:
    assert parse_amount(raw, unit) == yen


def test_amount_errors_and_header_units() -> None:
    for bad in ("abc", "-5", "1e20", "999999999999百万円"):
        with pytest.raises(ValueError):
            parse_amount(bad, 1)
    assert header_unit("当初予算額（百万円）") == 1_000_000
    assert header_unit("執行額(千円)") == 1_000
    assert header_unit("budget") is None


def test_sample_imports_in_japanese_headers(service: BudgetService) -> None:
    result = import_projects(service.store, SAMPLE / "projects.csv")
    assert (result.rows, result.added) == (192, 192)
    years = service.years()
    assert {y.fiscal_year for y in years} == {2022, 2023}
    first = next(y for y in years if y.project_id == "SAMPLE-21-01" and y.fiscal_year == 2022)
    assert first.budget_yen == 1_840_000_000  # 1,840 百万円
    again = import_projects(service.store, SAMPLE / "projects.csv")
    assert (again.added, again.unchanged) == (0, 192)


@pytest.mark.parametrize("encoding", ["utf-8", "cp932"])
def test_english_headers_any_encoding(service: BudgetService, tmp_path: Path, encoding: str) -> None:
    name, purpose, _ = QUANTUM.split(",")
    body = EN + f'P-1,令和5年度,{name},文部科学省,研究振興局,{purpose},,"1,200",980\n'
    result = import_projects(service.store, write(tmp_path, "en.csv", body, encoding))
    assert result.added == 1
    y = service.years()[0]
    assert (y.fiscal_year, y.budget_yen, y.executed_yen) == (2023, 1_200_000_000, 980_000_000)


def test_excel_and_column_mapping(service: BudgetService, tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["ID", "FY", "Title", "Dept", "Amount (千円)"])
    sheet.append(["X-9", 2023, "衛星データの利用拡大", "内閣府", 50000])
    path = tmp_path / "other.xlsx"
    book.save(path)
    with pytest.raises(ReadError, match="missing column"):
        import_projects(service.store, path)
    mapping = "ID=project_id,FY=fiscal_year,Title=name,Dept=ministry,Amount (千円)=budget"
    result = import_projects(service.store, path, columns=mapping)
    assert result.added == 1 and service.years()[0].budget_yen == 50_000_000


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (JA + "S-1,2023,名前,,,,,1,\n", "line 2: ministry: empty"),
        (JA + "S-1,いつか,名前,内閣府,,,,1,\n", "line 2: fiscal_year"),
        (JA + "S-1,2099,名前,内閣府,,,,1,\n", "fiscal year 2099 is out of range"),
        (JA + "S-1,2023,名前,内閣府,,,,たくさん,\n", "line 2: budget: 'たくさん' is not an amount"),
        (JA + "S-1,2023,名前,内閣府,,,,-3,\n", "budget: '-3' is negative"),
        (
            JA + "S-1,2023,名前,内閣府,,,,1,\nS-1,2023,名前,内閣府,,,,2,\n",
            "lines 2 and 3: project S-1 FY2023",
        ),
        ("名前,金額\nx,1\n", "missing column(s) for project_id, fiscal_year, name, ministry"),
        (JA, "no data rows"),
    ],
)
def test_bad_input(service: BudgetService, tmp_path: Path, body: str, message: str) -> None:
    with pytest.raises((BudgetImportError, ReadError)) as info:
        import_projects(service.store, write(tmp_path, "bad.csv", body))
    assert message in str(info.value) and "bad.csv" in str(info.value)


def test_all_or_nothing_and_history(service: BudgetService, tmp_path: Path) -> None:
    good = JA + "S-1,2023,名前,内閣府,,,,100,\nS-2,2023,別の名前,総務省,,,,200,\n"
    import_projects(service.store, write(tmp_path, "a.csv", good))
    mixed = JA + "S-1,2023,名前,内閣府,,,,150,\nS-3,2023,三つ目,総務省,,,,x,\n"
    with pytest.raises(BudgetImportError):
        import_projects(service.store, write(tmp_path, "b.csv", mixed))
    assert {(y.project_id, y.budget_yen) for y in service.years()} == {
        ("S-1", 100_000_000),
        ("S-2", 200_000_000),
    }
    revised = import_projects(service.store, write(tmp_path, "c.csv", JA + "S-1,2023,名前,内閣府,,,,150,\n"))
    assert revised.revised == 1
    from sqlalchemy import text

    with service.store.connect() as conn:
        history = conn.execute(
            text(
                "SELECT budget_yen, superseded_at IS NOT NULL FROM budget_projects "
                "WHERE project_id = 'S-1' ORDER BY id"
            )
        ).all()
    assert [(r[0], bool(r[1])) for r in history] == [(100_000_000, True), (150_000_000, False)]


def test_engine_matches_a_differently_worded_project(engine: MappingEngine) -> None:
    name, purpose, summary = QUANTUM.split(",")
    result = engine.match_explained(Project("Q", name, purpose, summary))
    assert not result.unmatched
    measures = [m for m in result.items if m.kind == "measure"]
    assert "2.4.3.m1" in [m.item_id for m in measures[:3]]  # 量子技術
    fields = [m.item_id for m in result.items if m.kind == "field"]
    assert "2.4.3" in fields[:2]
    why = measures[0].explanation
    assert why["shared_terms"] and why["project_sentence"] and why["item_sentence"]


def test_engine_flags_ordinary_administration(engine: MappingEngine) -> None:
    result = engine.match(
        Project("N", "国民年金の給付事務", "年金の裁定と支払を確実に行う。", "受給者への支払通知を送付する。")
    )
    assert result.unmatched
    assert [m for m in result.items if m.kind == "measure"]  # the best candidates are still shown


def test_reviews_survive_recompute(service: BudgetService) -> None:
    import_projects(service.store, SAMPLE / "projects.csv")
    service.recompute()
    service.review("SAMPLE-24-05", "2.4.3.m1", "confirm", "山田")
    service.review("SAMPLE-24-05", "2.1.3.3.m1", "add", "山田", "also a security project")
    first = next(i for i in service.matches("SAMPLE-24-05")[0]["items"] if i["item_id"] == "2.4.3.m1")
    assert first["review"]["decision"] == "confirm" and first["review"]["reviewer"] == "山田"
    service.recompute()
    after = service.matches("SAMPLE-24-05")[0]["items"]
    assert any(i["item_id"] == "2.4.3.m1" and i["review"]["decision"] == "confirm" for i in after)
    assert any(i["item_id"] == "2.1.3.3.m1" and i["review"]["decision"] == "add" for i in after)
    assert set(service.accepted()["SAMPLE-24-05"]) == {"2.4.3.m1", "2.1.3.3.m1"}
    with pytest.raises(ValueError):
        service.review("SAMPLE-24-05", "2.4.3.m1", "maybe", "山田")


def test_aggregations(service: BudgetService) -> None:
    import_projects(service.store, SAMPLE / "projects.csv")
    service.recompute()
    data = service.aggregate()
    assert data["fiscal_years"] == [2022, 2023]
    sections = {r["id"]: r for r in data["by_section"]}
    assert set(sections) == {"2.1", "2.2", "2.3", "2.4", "2.5", "2.6"}
    years = sections["2.4"]["years"]
    expected = (years[1]["budget_yen"] - years[0]["budget_yen"]) / years[0]["budget_yen"]
    assert years[1]["change"] == pytest.approx(expected, abs=1e-4)  # rounded to 4 places
    fields = {r["id"] for r in data["by_field"]}
    assert fields <= {f"2.4.{k}" for k in range(1, 10)} and len(fields) >= 8
    total_2022 = sum(y.budget_yen or 0 for y in service.years() if y.fiscal_year == 2022)
    mapped = sum(r["years"][0]["budget_yen"] for r in data["by_section"]) + data["unmatched"][0]["budget_yen"]
    assert mapped == pytest.approx(total_2022, abs=10)  # every yen is either mapped or unmatched


def test_similar_pairs_across_ministries(service: BudgetService, tmp_path: Path) -> None:
    body = JA + (
        "A-1,2023,衛星画像を用いた農地の作付状況把握,農林水産省,,人工衛星の観測画像から作付状況を自動判読する。,,100,\n"
        "B-1,2023,衛星画像による農地の作付状況の把握,総務省,,人工衛星の観測画像で作付状況を自動判読する。,,120,\n"
        "C-1,2023,国道の舗装補修,国土交通省,,老朽化した舗装を補修する。,,300,\n"
    )
    import_projects(service.store, write(tmp_path, "dup.csv", body))
    pairs = service.similar_pairs()
    assert [(p["a"], p["b"]) for p in pairs] == [("A-1", "B-1")]
    assert pairs[0]["score"] > 0.45 and pairs[0]["shared_terms"]


def test_cli(invoke: Invoke, kb_file: Path, tmp_path: Path) -> None:
    store = ["--db", str(kb_file), "--monitoring-db", str(tmp_path / "m.sqlite")]
    out = invoke("budget", "load-sample", *store)
    assert out.exit_code == 0, out.output
    assert "SAMPLE data" in out.output and "mapped 96 projects" in out.output
    out = invoke("budget", "matches", "--project", "SAMPLE-24-05", "--top", "3", "--json", *store)
    rows = json.loads(out.output)
    assert rows[0]["project_id"] == "SAMPLE-24-05" and rows[0]["unmatched"] is False
    item = rows[0]["items"][0]
    assert {"item_id", "kind", "line_start", "line_end", "score", "explanation"} <= set(item)
    out = invoke(
        "budget", "review", "SAMPLE-24-05", "2.4.3.m1", "--decision", "confirm", "--by", "山田", *store
    )
    assert out.exit_code == 0 and "confirm" in out.output
    out = invoke("budget", "review", "NOPE", "2.4.3.m1", "--decision", "confirm", "--by", "山田", *store)
    assert out.exit_code == 1 and "no project 'NOPE'" in out.output
    out = invoke("budget", "summary", "--level", "field", *store)
    assert out.exit_code == 0 and "2.4.3" in out.output
    bad = write(tmp_path, "bad.csv", JA + "S-1,2023,名前,内閣府,,,,x,\n")
    out = invoke("budget", "import", str(bad), *store)
    assert out.exit_code == 1 and "line 2: budget" in out.output


def test_an_interrupted_map_leaves_projects_visibly_not_yet_mapped(
    service: BudgetService, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ebpm.budget import service as service_module
    from ebpm.budget.service import unmapped

    import_projects(service.store, SAMPLE / "projects.csv")
    assert len(unmapped(service.store)) == 96 and not any(p["mapped"] for p in service.matches())
    monkeypatch.setattr(service_module, "BATCH", 10)

    def killed(n: int, total: int) -> None:
        if n == 25:
            raise KeyboardInterrupt  # as a kill in the middle of the third batch

    with pytest.raises(KeyboardInterrupt):
        service.recompute(progress=killed)
    states = {p["project_id"]: p["mapped"] for p in service.matches()}
    assert sum(states.values()) == 20  # two batches were written, the rest waits
    assert sorted(unmapped(service.store)) == sorted(pid for pid, done in states.items() if not done)
    assert service.recompute(pending_only=True) == 76
    assert unmapped(service.store) == [] and all(p["mapped"] for p in service.matches())


def test_a_revised_project_is_not_yet_mapped_until_the_next_map(
    service: BudgetService, tmp_path: Path
) -> None:
    from ebpm.budget.service import unmapped

    body = JA + f"Q-1,2023,{QUANTUM},100,\nQ-2,2023,国民年金の給付事務,厚生労働省,,年金を支払う。,,5,\n"
    import_projects(service.store, write(tmp_path, "a.csv", body))
    service.recompute()
    assert unmapped(service.store) == []
    import_projects(service.store, write(tmp_path, "b.csv", body.replace(",100,", ",120,")))
    q1 = service.matches("Q-1")[0]
    assert (q1["mapped"], q1["computed"]) == (False, True) and q1["items"]  # the older matches, labelled
    assert service.matches("Q-2")[0]["mapped"] is True
    assert unmapped(service.store) == ["Q-1"]
    assert service.recompute(pending_only=True) == 1 and service.matches("Q-1")[0]["mapped"] is True


def test_the_next_import_or_serve_start_finishes_the_mapping(
    invoke: Invoke, ingested_kb: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import socket

    import uvicorn

    from ebpm.cli import budget as budget_cli

    m = tmp_path / "m.sqlite"
    store = ["--db", str(ingested_kb), "--monitoring-db", str(m)]
    out = invoke("budget", "import", str(SAMPLE / "projects.csv"), "--no-map", *store)
    assert out.exit_code == 0, out.output
    rows = json.loads(invoke("budget", "matches", "--json", *store).output)
    assert len(rows) == 96 and not any(p["mapped"] for p in rows)
    text_out = invoke("budget", "matches", "--project", "SAMPLE-24-05", *store).output
    assert "SAMPLE-24-05" in text_out and "not yet mapped" in text_out
    # the next import maps them, even though it changes no row
    out = invoke("budget", "import", str(SAMPLE / "projects.csv"), *store)
    assert out.exit_code == 0 and "0 added" in out.output and "mapped 96 projects" in out.output
    assert all(p["mapped"] for p in json.loads(invoke("budget", "matches", "--json", *store).output))

    # serve start: a store it may not write is served as it is, with a note
    other = tmp_path / "other.sqlite"
    store = ["--db", str(ingested_kb), "--monitoring-db", str(other)]
    assert invoke("budget", "import", str(SAMPLE / "projects.csv"), "--no-map", *store).exit_code == 0
    monkeypatch.setattr(uvicorn.Server, "run", lambda self, sockets=None: None)

    def free_port() -> str:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            return str(s.getsockname()[1])

    def read_only(path: Path | None, access: str) -> None:
        raise budget_cli.MonitoringStoreError(f"{path}: the monitoring store is read-only here")

    with monkeypatch.context() as patch:  # as root, permissions would not make it read-only
        patch.setattr(budget_cli, "open_monitoring", read_only)
        out = invoke("serve", "--port", free_port(), *store)
    assert out.exit_code == 0, out.output
    assert "96 budget projects stay not yet mapped" in " ".join(out.output.split())
    assert not any(p["mapped"] for p in json.loads(invoke("budget", "matches", "--json", *store).output))
    out = invoke("serve", "--port", free_port(), *store)
    assert out.exit_code == 0, out.output
    assert "96 budget projects are not yet mapped: mapping them" in out.output
    assert "mapped 96 projects" in out.output
    assert all(p["mapped"] for p in json.loads(invoke("budget", "matches", "--json", *store).output))


def test_the_migrations_match_the_tables(store_location: Location) -> None:
    """The budget tables moved to their own module: one metadata, which the migrations build."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from ebpm.store import budget_tables
    from ebpm.store.monitoring import metadata

    assert budget_tables.budget_projects.metadata is metadata
    engine = open_store(store_location, "write")
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    engine.dispose()
    assert diff == []


def test_current_issues_are_imported_and_read_by_the_mapping(service: BudgetService, tmp_path: Path) -> None:
    body = JA.replace("事業概要,", "事業概要,現状・課題,") + (
        "B-1,2023,計算基盤の整備,文部科学省,,計算機を整備する。,試作機を作る。,誤り訂正が課題である。,100,\n"
    )
    import_projects(service.store, write(tmp_path, "issues.csv", body))
    year = service.latest()["B-1"]
    assert year.background == "誤り訂正が課題である。"
    assert "誤り訂正が課題" in service.project(year).text


def test_cli_evaluate_scores_against_the_reviews(invoke: Invoke, kb_file: Path, tmp_path: Path) -> None:
    store = ["--db", str(kb_file), "--monitoring-db", str(tmp_path / "m.sqlite")]
    assert invoke("budget", "load-sample", *store).exit_code == 0
    out = invoke("budget", "evaluate", *store)
    assert out.exit_code == 0 and "no reviews yet" in out.output
    labels = json.loads((SAMPLE / "labels.json").read_text(encoding="utf-8"))["projects"]
    reviewed = list(labels.items())[:12]
    for pid, lab in reviewed:
        if lab["relevant"]:
            args = [pid, lab["relevant"][0], "--decision", "add"]
        else:
            top = json.loads(
                invoke("budget", "matches", "--project", pid, "--top", "1", "--json", *store).output
            )
            args = [pid, top[0]["items"][0]["item_id"], "--decision", "reject"]
        assert invoke("budget", "review", *args, "--by", "山田", *store).exit_code == 0
    out = invoke("budget", "evaluate", "--json", "--folds", "3", *store)
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    positives = sum(1 for _, lab in reviewed if lab["relevant"])
    assert data["without"]["positives"] == positives
    assert data["without"]["negatives"] == len(reviewed) - positives
    assert 0.0 <= data["with_confirmed_texts"]["top1"] <= data["with_confirmed_texts"]["top3"] <= 1.0
    out = invoke("budget", "evaluate", *store)
    assert out.exit_code == 0 and "top-1" in out.output
