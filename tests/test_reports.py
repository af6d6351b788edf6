"""`ebpm report …`: the follow-up sheet (read back with openpyxl and imported again), the
three-column table (python-docx, pypdf), the annual report (pypdf, its HTML), reproducibility,
and the one-line errors. The first page of each PDF is drawn into test-artifacts/ for a person
to look at."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import docx
import pypdf
import pytest
from openpyxl import load_workbook  # type: ignore[import-untyped]
from sqlalchemy import Engine

from ebpm.accounts import service as accounts
from ebpm.accounts.principal import Principal
from ebpm.export.workbook import XLSX_MEDIA_TYPE
from ebpm.progress.service import ProgressService
from ebpm.reports import followup, table
from ebpm.services import action_table
from ebpm.services.knowledge import Knowledge
from ebpm.store.monitoring import open_store
from tests.conftest import REPO_ROOT, Invoke

MON = "2.1.1.4.m1.a11"  # owned by 文 alone
BOTH = "2.1.1.2.m5.a1"  # owned by 文 and 経 (among others)
TODAY = date.today().isoformat()
EDITOR = Principal("mext", "editor", frozenset({"文"}))
ADMIN = Principal("sec", "admin", frozenset())
PASSWORD = "correct horse battery"
ARTIFACTS = REPO_ROOT / "test-artifacts"
NOTE = '=HYPERLINK("x") 概算要求に計上 <script>alert(1)</script>'


@dataclass
class Setup:
    kb: Path
    store: Path
    args: list[str]


@pytest.fixture(scope="module")
def knowledge(ingested_kb: Path) -> Iterator[Knowledge]:
    k = Knowledge.load(ingested_kb)
    yield k
    k.close()


@pytest.fixture
def setup(ingested_kb: Path, tmp_path: Path, knowledge: Knowledge) -> Iterator[Setup]:
    """A monitoring store with a 文 editor, a report on MON (its note formula-like and with
    markup) returned by the secretariat, and observations of one series."""
    where = tmp_path / "monitoring.sqlite"
    engine: Engine = open_store(where, "write")
    accounts.add_user(engine, "mext", "editor", ["文"], PASSWORD, actor="test")
    service = ProgressService(knowledge.doc, engine)
    state = service.report(EDITOR, MON, 0, {"status": "in_progress", "note": NOTE, "as_of": TODAY})
    service.review(ADMIN, state["report"]["id"], "returned", "根拠を添えてください")
    engine.dispose()
    yield Setup(ingested_kb, where, ["--db", str(ingested_kb), "--monitoring-db", str(where)])


def pdf_text(path: Path) -> str:
    return "\n".join(p.extract_text() for p in pypdf.PdfReader(path).pages)


def snapshot(pdf: Path, name: str) -> Path:
    """The first page as a PNG in test-artifacts/, for a person to look at."""
    ARTIFACTS.mkdir(exist_ok=True)
    assert shutil.which("pdftoppm"), "pdftoppm (poppler-utils) is needed"
    prefix = ARTIFACTS / name
    subprocess.run(
        ["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", "-singlefile", str(pdf), str(prefix)],
        check=True,
    )
    png = prefix.with_suffix(".png")
    assert png.stat().st_size > 1000
    return png


# ---- the follow-up sheet ------------------------------------------------------------------------


def test_followup_sheet_reads_back_and_round_trips(
    invoke: Invoke, setup: Setup, tmp_path: Path, knowledge: Knowledge
) -> None:
    out = tmp_path / "followup.xlsx"
    made = invoke("report", "followup", "--ministry", "文", "--format", "xlsx", "-o", str(out), *setup.args)
    assert made.exit_code == 0, made.output
    expected = [
        r["id"] for r in action_table.all_rows(knowledge, {}, date.today()) if "文" in r["ministries"]
    ]

    book = load_workbook(out)
    sheet = book.worksheets[0]
    header = [c.value for c in sheet[1]]
    assert header == list(followup.HEADER)
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == f"A1:N{len(expected) + 1}"
    ids = [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert ids == expected and MON in ids and BOTH in ids  # one line per distinct action
    (rule,) = sheet.data_validations.dataValidation
    assert rule.type == "list" and all(
        label in rule.formula1 for label in ("未着手", "実施中", "完了", "遅延", "中止")
    )
    assert str(rule.sqref) == f"H2:H{len(expected) + 1}"
    line = {row[0]: row for row in sheet.iter_rows(min_row=2, values_only=True)}[MON]
    cells = dict(zip(header, line, strict=True))
    assert cells["状況"] == "実施中" and cells["時点"] == TODAY
    assert cells["実施状況"] == "'" + NOTE  # neutralised as the shared writer does
    assert (cells["審査結果"], cells["審査コメント"]) == ("差戻し", "根拠を添えてください")
    assert cells["担当"].startswith("文") and cells["期限"]
    assert "統合イノベーション戦略2023" in "\n".join(str(c.value) for c in book["about"]["A"])

    # a ministry fills in two lines and imports the sheet with its scope
    column = {name: n + 1 for n, name in enumerate(header)}
    filled = [n for n, i in enumerate(ids, start=2) if i in (BOTH, expected[0]) and i != MON]
    for n, status in zip(filled, ("完了", "遅延"), strict=True):
        sheet.cell(n, column["状況"], status)
        sheet.cell(n, column["実施状況"], f"{status}の報告")
        sheet.cell(n, column["時点"], TODAY)
    book.save(out)
    imported = invoke("progress", "import", str(out), "--user", "mext", *setup.args)
    assert imported.exit_code == 0, imported.output
    assert "wrote 2 reports, 1 unchanged" in imported.output  # MON's line repeats its report
    engine = open_store(setup.store, "read")
    current = ProgressService(knowledge.doc, engine).current()
    assert current[BOTH]["status"] in ("done", "delayed") and current[BOTH]["author"] == "mext"
    assert current[MON]["note"] == NOTE  # the quote the writer added is not imported
    engine.dispose()
    again = invoke("progress", "import", str(out), "--user", "mext", *setup.args)
    assert again.exit_code == 0 and "wrote 0 reports, 3 unchanged" in again.output, again.output

    # the sheet exported now holds the new reports, and imports as nothing
    fresh = tmp_path / "again.xlsx"
    assert invoke("report", "followup", "--ministry", "文", "-o", str(fresh), *setup.args).exit_code == 0
    assert "wrote 0 reports" in invoke("progress", "import", str(fresh), "--user", "mext", *setup.args).output


def test_followup_sheet_is_reproducible_and_whole(setup: Setup, knowledge: Knowledge) -> None:
    from ebpm.reports.context import Provenance

    engine = open_store(setup.store, "read")
    reports = ProgressService(knowledge.doc, engine).current()
    provenance = Provenance.of("2023", setup.kb, engine)
    first = followup.followup_xlsx(knowledge, reports, provenance)
    assert first == followup.followup_xlsx(knowledge, reports, provenance)
    rows = load_workbook(io.BytesIO(first)).worksheets[0].max_row - 1
    assert rows == len(action_table.all_rows(knowledge, reports, date.today())) == 809
    engine.dispose()


def test_clear_one_line_errors(invoke: Invoke, setup: Setup, tmp_path: Path) -> None:
    out = str(tmp_path / "x.xlsx")
    cases = [
        (["report", "followup", "--ministry", "火星", "-o", out], "unknown ministry '火星'"),
        (["report", "table", "--section", "9.9", "-o", str(tmp_path / "t.docx")], "unknown section '9.9'"),
        (["report", "annual", "--edition", "2019", "-o", str(tmp_path / "a.html")], "edition 2019 is not in"),
        (["report", "table", "-o", str(tmp_path / "t.odt")], "--format"),
        (["report", "followup", "-o", str(tmp_path / "missing" / "x.xlsx")], "does not exist"),
        (["report", "table", "--format", "docx", "-o", str(tmp_path)], "is a folder"),
    ]
    for args, message in cases:
        result = invoke(*args, *setup.args)
        assert result.exit_code == 1, (args, result.output)
        assert message in result.output and len(result.output.strip().splitlines()) == 1, result.output
        assert "Traceback" not in result.output
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    # root writes anywhere a mode forbids: /proc refuses even root a new file
    target = Path("/proc/ebpm-report.xlsx") if os.geteuid() == 0 else locked / "x.xlsx"
    try:
        result = invoke("report", "followup", "-o", str(target), *setup.args)
        assert result.exit_code == 1 and str(target) in result.output, result.output
        assert len(result.output.strip().splitlines()) == 1 and "Traceback" not in result.output
    finally:
        locked.chmod(0o700)


# ---- the three-column table --------------------------------------------------------------------


def test_table_word_holds_the_rows_tags_and_progress(
    invoke: Invoke, setup: Setup, tmp_path: Path, knowledge: Knowledge
) -> None:
    out = tmp_path / "table.docx"
    args = ["report", "table", "--section", "2.1.1", "--with-progress", "--format", "docx", *setup.args]
    made = invoke(*args, "-o", str(out))
    assert made.exit_code == 0, made.output
    document = docx.Document(str(out))
    expected = [m for m in knowledge.doc.measures if m.section.startswith("2.1.1.")]
    assert len(document.tables) == len({m.section for m in expected})
    header = [c.text for c in document.tables[0].rows[0].cells]
    assert header == ["具体的な取組", table.DRAFT_COLUMN, "今後の取組方針"]
    rows = [r for t in document.tables for r in t.rows[1:]]
    assert len(rows) == len(expected)
    headings = [
        p.text for p in document.paragraphs if p.style is not None and p.style.name.startswith("Heading")
    ]
    assert any("サイバー空間を構築するための戦略、組織" in h for h in headings)
    text = "\n".join(c.text for r in rows for c in r.cells)
    assert "デジタル社会" in text and "【デジ】" in text  # Japanese and the tags as the document writes them
    assert "【進捗報告 取組11・実施中・" in text and NOTE in text  # MON's report, marked as such
    assert "【2023年版の記載】" in text
    assert document.core_properties.created is not None
    second = tmp_path / "again.docx"
    assert invoke(*args, "-o", str(second)).exit_code == 0
    assert out.read_bytes() == second.read_bytes()  # same data, same bytes


def test_table_pdf_text_and_first_page(invoke: Invoke, setup: Setup, tmp_path: Path) -> None:
    out = tmp_path / "table.pdf"
    args = ["report", "table", "--section", "2.1.1", "--ministry", "文", "--with-progress", *setup.args]
    made = invoke(*args, "-o", str(out))
    assert made.exit_code == 0, made.output
    text = pdf_text(out)
    for expected in (
        "統合イノベーション戦略2023",
        "具体的な取組",
        "今後の取組方針",
        "サイバー空間とフィジカル空間の融合による新たな価値の創出",
        "【進捗報告",
        "<script>alert(1)</script>",  # escaped in the HTML: shown as text, never run
        "ebpm 0.1.0",
    ):
        assert expected in text.replace("\n", ""), expected
    meta = pypdf.PdfReader(out).metadata
    assert meta is not None and meta["/CreationDate"] == meta["/ModDate"]
    again = tmp_path / "again.pdf"
    assert invoke(*args, "-o", str(again)).exit_code == 0
    assert out.read_bytes() == again.read_bytes()
    snapshot(out, "report-table")
    html = tmp_path / "table.html"
    assert invoke(*args, "-o", str(html)).exit_code == 0
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html.read_text(encoding="utf-8")


# ---- the annual report -------------------------------------------------------------------------


def test_annual_pdf_with_charts_and_research(
    invoke: Invoke, setup: Setup, tmp_path: Path, research_db: Path
) -> None:
    observations = tmp_path / "obs.csv"
    observations.write_text(
        "indicator_id,period,value,unit,source\n"
        + "".join(f"2.2.ref.2,{y},{1000 + 40 * k},本,test\n" for k, y in enumerate(range(2015, 2022))),
        encoding="utf-8",
    )
    assert (
        invoke("indicators", "import", str(observations), *setup.args[2:], "--db", str(setup.kb)).exit_code
        == 0
    )
    out = tmp_path / "annual.pdf"
    args = ["report", "annual", "--research-db", str(research_db), *setup.args]
    made = invoke(*args, "-o", str(out))
    assert made.exit_code == 0, made.output
    text = pdf_text(out).replace("\n", "")
    for expected in (
        "年次進捗報告",
        "1. 指標の状況",
        "系列の推移",
        "特許に引用される論文数",
        "2. 府省庁別の取組の状況",
        "文部科学省",
        "3. 節ごとの予算",
        "予算データ（行政事業レビューシート）が取り込まれていない",
        "4. 研究の投入と成果",
        "SAMPLE",
    ):
        assert expected in text, expected
    again = tmp_path / "again.pdf"
    assert invoke(*args, "-o", str(again)).exit_code == 0
    assert out.read_bytes() == again.read_bytes()
    snapshot(out, "report-annual")


def test_annual_html_draws_svg_and_notes_a_missing_research_store(
    invoke: Invoke, setup: Setup, tmp_path: Path
) -> None:
    out = tmp_path / "annual.html"
    made = invoke(
        "report",
        "annual",
        "--format",
        "html",
        "--research-db",
        str(tmp_path / "none.duckdb"),
        *setup.args,
        "-o",
        str(out),
    )
    assert made.exit_code == 0, made.output
    page = out.read_text(encoding="utf-8")
    assert page.count("<svg") >= 2 and "<script" not in page
    assert "研究データストア（none.duckdb）がない" in page
    assert 'name="dcterms.created"' in page


def test_the_reports_page_downloads_the_same_files(ingested_kb: Path, tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from ebpm.web.app import create_app

    client = TestClient(create_app(ingested_kb, monitoring_db=tmp_path / "m.sqlite"))
    page = client.get("/reports")
    assert page.status_code == 200
    assert 'action="/reports/followup.xlsx"' in page.text and 'formaction="/reports/table.pdf"' in page.text
    sheet = client.get("/reports/followup.xlsx?ministry=文")
    assert sheet.status_code == 200 and sheet.headers["content-type"] == XLSX_MEDIA_TYPE
    book = load_workbook(io.BytesIO(sheet.content))
    assert book.worksheets[0].max_row > 1
    assert client.get("/reports/followup.xlsx?ministry=文").content == sheet.content  # kept, the same bytes
    word_file = client.get("/reports/table.docx?section=2.1.1")
    assert word_file.status_code == 200 and docx.Document(io.BytesIO(word_file.content)).tables
    assert "attachment" in word_file.headers["content-disposition"]
    assert client.get("/reports/table.docx?ministry=存在しない").status_code == 404
    assert client.get("/reports/table.exe").status_code == 422
