"""Importing observations: formats, validation, all-or-nothing, history, targets, exports."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import sdmx
from openpyxl import Workbook

from ebpm.indicators.exports import write_datapackage, write_open_sdg
from ebpm.indicators.monitor import Monitor
from ebpm.indicators.sdmx_io import structure, write_sdmx_csv, write_sdmx_ml
from ebpm.model import Document
from ebpm.store.monitoring import Location, open_store
from tests.conftest import Invoke

SERIES = "2.2.1.ref.6"  # 民間企業を含めた全研究者に占める女性研究者の割合: 17.8% (FY2021) in the document
HEADER = "indicator_id,period,value,unit,source,note\n"
GOOD = HEADER + f"{SERIES},FY2017,16.2,%,科学技術研究調査,\n{SERIES},令和元年度,16.9,％,科学技術研究調査,\n"


@pytest.fixture
def monitor(doc: Document, store_location: Location) -> Monitor:
    """On SQLite and on PostgreSQL."""
    return Monitor(doc, open_store(store_location))


def run(invoke: Invoke, kb: Path, tmp_path: Path, *args: str) -> tuple[int, str]:
    out = invoke("indicators", *args, "--db", str(kb), "--monitoring-db", str(tmp_path / "m.sqlite"))
    return out.exit_code, out.output


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def test_registry_seeded_from_the_document(monitor: Monitor, doc: Document) -> None:
    items = {s.indicator_id for s in monitor.series.values()}
    assert items == {i.id for i in doc.indicators}
    men, women = monitor.series["2.1.ref.3.s1"], monitor.series["2.1.ref.3.s2"]
    assert (men.label, women.label) == ("男性", "女性") and men.unit == "歳"
    first = monitor.observations("2.1.ref.3.s1")[0]
    assert (first.value, first.period, first.origin) == (72.68, "2019", "document")
    assert str(men.line) in first.source  # the document line is the source


def test_list_json(invoke: Invoke, kb_file: Path, tmp_path: Path) -> None:
    code, output = run(invoke, kb_file, tmp_path, "list", "--json")
    assert code == 0
    rows = json.loads(output)
    assert {"id", "name", "unit", "line", "section"} <= set(rows[0])
    assert any(r["id"] == SERIES and r["unit"] == "%" for r in rows)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp932"])
def test_csv_import_in_any_encoding(invoke: Invoke, kb_file: Path, tmp_path: Path, encoding: str) -> None:
    path = write(tmp_path, "obs.csv", GOOD, encoding)
    code, output = run(invoke, kb_file, tmp_path, "import", str(path))
    assert code == 0, output
    assert "2 added" in output
    code, output = run(invoke, kb_file, tmp_path, "observations", SERIES, "--json")
    rows = json.loads(output)
    assert [(r["period"], r["value"]) for r in rows] == [("FY2017", 16.2), ("FY2019", 16.9), ("FY2021", 17.8)]
    assert rows[0]["source"] == "科学技術研究調査" and rows[0]["imported_at"]


def test_excel_import(invoke: Invoke, kb_file: Path, tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["indicator_id", "period", "value", "unit", "source", "note"])
    sheet.append([SERIES, "FY2017", 16.2, "%", "科学技術研究調査", None])
    sheet.append([SERIES, "2019年度", 16.9, "%", "科学技術研究調査", "速報"])
    path = tmp_path / "obs.xlsx"
    book.save(path)
    code, output = run(invoke, kb_file, tmp_path, "import", str(path))
    assert code == 0, output
    assert "2 added" in output


def test_dry_run_writes_nothing(invoke: Invoke, kb_file: Path, tmp_path: Path) -> None:
    path = write(tmp_path, "obs.csv", GOOD)
    code, output = run(invoke, kb_file, tmp_path, "import", str(path), "--dry-run")
    assert code == 0 and "would import" in output and "FY2017: new 16.2" in output
    code, output = run(invoke, kb_file, tmp_path, "observations", SERIES, "--json")
    assert [r["period"] for r in json.loads(output)] == ["FY2021"]


def test_revision_keeps_history(invoke: Invoke, kb_file: Path, tmp_path: Path) -> None:
    run(invoke, kb_file, tmp_path, "import", str(write(tmp_path, "a.csv", GOOD)))
    revised = write(
        tmp_path, "b.csv", HEADER + f"{SERIES},FY2017,16.4,%,改訂値,\n{SERIES},FY2021,17.9,%,確報,\n"
    )
    code, output = run(invoke, kb_file, tmp_path, "import", str(revised))
    assert code == 0 and "2 revised" in output and "16.2 → 16.4" in output
    code, output = run(invoke, kb_file, tmp_path, "observations", SERIES, "--history", "--json")
    history = [(r["period"], r["value"], r["superseded_at"] is not None) for r in json.loads(output)]
    assert ("FY2017", 16.2, True) in history and ("FY2017", 16.4, False) in history
    assert ("FY2021", 17.8, True) in history and ("FY2021", 17.9, False) in history  # the document value too
    code, output = run(invoke, kb_file, tmp_path, "import", str(revised))
    assert "2 unchanged" in output


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (HEADER + "nope,FY2020,1,%,,\n", "line 2: indicator_id: unknown indicator 'nope'"),
        (
            HEADER + f"{SERIES},FY2020,1,人,,\n",
            "line 2: unit: '人' does not match the unit of 2.2.1.ref.6, '%'",
        ),
        (HEADER + f"{SERIES},2020年13月,1,%,,\n", "line 2: period: '2020年13月': month 13 does not exist"),
        (HEADER + f"{SERIES},someday,1,%,,\n", "line 2: period: 'someday' is not a period"),
        (HEADER + f"{SERIES},FY2020,十七,%,,\n", "line 2: value: '十七' is not a number"),
        (HEADER + f"{SERIES},FY2020,,%,,\n", "line 2: value: '' is not a number"),
        (HEADER + f"{SERIES},FY2020,1e400,%,,\n", "line 2: value: '1e400' is not a finite number"),
        (HEADER + f"{SERIES},FY2020,1e20,%,,\n", "implausibly large"),
        (HEADER + f"{SERIES},2099,1,%,,\n", "line 2: period: 2099 ends on 2099-12-31, after today"),
        (
            HEADER + f"{SERIES},FY2018,1,%,,\n{SERIES},2018年度,2,%,,\n",
            "lines 2 and 3: 2.2.1.ref.6 FY2018 is given different values",
        ),
        ("indicator,period,valu\nx,2020,1\n", "line 1: missing column(s) indicator_id, value"),
        ("indicator_id,period,value,extra\nx,2020,1,2\n", "unknown column(s) extra"),
        ("", "the file is empty"),
        (HEADER, "no data rows"),
    ],
)
def test_bad_input_names_file_line_and_field(
    invoke: Invoke, kb_file: Path, tmp_path: Path, body: str, message: str
) -> None:
    path = write(tmp_path, "bad.csv", body)
    code, output = run(invoke, kb_file, tmp_path, "import", str(path))
    assert code == 1
    assert "bad.csv" in output and message in output, output
    assert "Traceback" not in output


def test_repeated_rows_keep_the_first_and_name_the_first_line_that_differs(
    invoke: Invoke, kb_file: Path, tmp_path: Path
) -> None:
    # the same row three times is one observation; the first row a later one contradicts is named
    same = write(tmp_path, "same.csv", HEADER + f"{SERIES},FY2018,1,%,a,\n" * 3 + f"{SERIES},FY2019,2,%,,\n")
    code, output = run(invoke, kb_file, tmp_path, "import", str(same), "--dry-run")
    assert code == 0 and "2 added" in output and "2 identical duplicate rows counted once" in output, output
    body = (
        HEADER
        + f"{SERIES},FY2018,1,%,,\n{SERIES},FY2018,1,%,,\n{SERIES},FY2018,3,%,,\n{SERIES},FY2018,2,%,,\n"
    )
    code, output = run(invoke, kb_file, tmp_path, "import", str(write(tmp_path, "three.csv", body)))
    assert code == 1 and "three.csv: lines 2 and 4: 2.2.1.ref.6 FY2018 is given different values" in output


def test_wrong_encoding(invoke: Invoke, kb_file: Path, tmp_path: Path) -> None:
    utf16 = write(tmp_path, "utf16.csv", GOOD, "utf-16")
    code, output = run(invoke, kb_file, tmp_path, "import", str(utf16))
    assert code == 1 and "UTF-16 or binary" in output
    latin = tmp_path / "latin.csv"
    latin.write_bytes(HEADER.encode() + f"{SERIES},FY2020,1,%,caf\xe9\xff\xfe,\n".encode("latin-1"))
    code, output = run(invoke, kb_file, tmp_path, "import", str(latin))
    assert code == 1 and "neither UTF-8 nor CP932" in output


def test_duplicate_identical_rows_count_once(invoke: Invoke, kb_file: Path, tmp_path: Path) -> None:
    path = write(tmp_path, "dup.csv", GOOD + f"{SERIES},FY2017,16.2,%,科学技術研究調査,\n")
    code, output = run(invoke, kb_file, tmp_path, "import", str(path))
    assert code == 0 and "2 added" in output and "1 identical duplicate rows counted once" in output


def test_all_or_nothing(invoke: Invoke, kb_file: Path, tmp_path: Path) -> None:
    body = (
        GOOD + "".join(f"{SERIES},FY{2000 + k},{k},%,x,\n" for k in range(10)) + f"{SERIES},FY2010,abc,%,,\n"
    )
    code, output = run(invoke, kb_file, tmp_path, "import", str(write(tmp_path, "mixed.csv", body)))
    assert code == 1 and "line 14: value" in output
    code, output = run(invoke, kb_file, tmp_path, "observations", SERIES, "--json")
    assert [r["period"] for r in json.loads(output)] == ["FY2021"]  # nothing of the file was written


def test_targets_from_document_and_user(
    invoke: Invoke, kb_file: Path, tmp_path: Path, monitor: Monitor
) -> None:
    doc_target = monitor.target("2.2.1.kpi.5.s2")
    assert doc_target is not None and doc_target[0].value == 20.0 and doc_target[0].period.label == "FY2025"
    run(invoke, kb_file, tmp_path, "import", str(write(tmp_path, "a.csv", GOOD)))
    code, output = run(invoke, kb_file, tmp_path, "target", SERIES, "--value", "30", "--period", "FY2030")
    assert code == 0, output
    code, output = run(invoke, kb_file, tmp_path, "status", "--series", SERIES, "--json")
    status = json.loads(output)["series"][0]
    assert status["target"]["value"] == 30 and status["target"]["origin"] == "user"
    # 16.2 (FY2017) → 17.8 (FY2021), four years: (17.8/16.2)^(1/4) − 1 = 2.38 %/year;
    # 30 by FY2030, thirteen years from the base: (30/16.2)^(1/13) − 1 = 4.85 %/year; ratio 0.49
    assert status["method"] == "cagr"
    assert status["actual_rate"] == pytest.approx(0.02382, abs=1e-4)
    assert status["required_rate"] == pytest.approx(0.04854, abs=1e-4)
    assert status["ratio"] == pytest.approx(0.491, abs=0.002)
    assert status["status"] == "limited_progress"
    code, output = run(invoke, kb_file, tmp_path, "target", SERIES, "--value", "30", "--period", "いつか")
    assert code == 1 and "is not a period" in output


def test_status_rolls_up_to_goals_and_sections(invoke: Invoke, kb_file: Path, tmp_path: Path) -> None:
    code, output = run(invoke, kb_file, tmp_path, "status", "--json")
    assert code == 0
    body = json.loads(output)
    assert {s["id"] for s in body["sections"]} >= {"2.1", "2.2"}
    assert body["goals"] and all("counts" in g for g in body["goals"])


def test_sdmx_ml_round_trip(monitor: Monitor, tmp_path: Path, doc: Document) -> None:
    path = tmp_path / "data.xml"
    written = write_sdmx_ml(monitor, path)
    message = sdmx.read_sdmx(path, structure=structure())
    assert sum(len(ds.obs) for ds in message.data) == written > 100
    fresh = Monitor(doc, open_store(tmp_path / "fresh.sqlite"))
    from ebpm.indicators.importing import run_import
    from ebpm.indicators.readers import read_rows

    result = run_import(fresh, read_rows(path, "sdmx-ml"), path, "sdmx-ml")
    assert result.rows == written and result.unchanged == written and result.added == 0


def test_sdmx_csv_round_trip(monitor: Monitor, tmp_path: Path, doc: Document) -> None:
    from ebpm.indicators.importing import run_import
    from ebpm.indicators.readers import detect_format, read_rows

    run_import(monitor, read_rows(write(tmp_path, "a.csv", GOOD), "csv"), tmp_path / "a.csv", "csv")
    path = tmp_path / "data-sdmx.csv"
    written = write_sdmx_csv(monitor, path)
    assert detect_format(path) == "sdmx-csv"
    fresh = Monitor(doc, open_store(tmp_path / "fresh.sqlite"))
    result = run_import(fresh, read_rows(path, "sdmx-csv"), path, "sdmx-csv")
    assert (
        result.rows == written and result.added == 2
    )  # the two imported values; the rest are the document's
    assert [o.value for o in fresh.observations(SERIES)] == [16.2, 16.9, 17.8]


def test_datapackage_validates(monitor: Monitor, tmp_path: Path) -> None:
    descriptor = write_datapackage(monitor, tmp_path / "package")
    done = subprocess.run(
        [str(Path(sys.executable).with_name("frictionless")), "validate", "--json", str(descriptor)],
        capture_output=True,
        text=True,
        check=False,
    )
    report = json.loads(done.stdout)
    assert report["valid"] is True, done.stdout[:2000]
    assert done.returncode == 0


def test_open_sdg_csv(monitor: Monitor, tmp_path: Path) -> None:
    files = write_open_sdg(monitor, tmp_path / "open-sdg")
    health = tmp_path / "open-sdg" / "indicator_2-1-ref-3.csv"
    assert health in files
    lines = health.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "Year,Period,Series,Units,Value"
    assert "2019,2019,男性,歳,72.68" in lines and "2019,2019,女性,歳,75.38" in lines


def test_csv_export_round_trip(invoke: Invoke, kb_file: Path, tmp_path: Path) -> None:
    run(invoke, kb_file, tmp_path, "import", str(write(tmp_path, "a.csv", GOOD)))
    out = tmp_path / "export.csv"
    code, output = run(invoke, kb_file, tmp_path, "export", "--format", "csv", "-o", str(out))
    assert code == 0, output
    other = tmp_path / "other"
    other.mkdir()
    done = invoke(
        "indicators", "import", str(out), "--db", str(kb_file), "--monitoring-db", str(other / "m.sqlite")
    )
    assert done.exit_code == 0, done.output
    assert "2 added" in done.output  # the two imported values; the document's are unchanged
    listed = invoke(
        "indicators",
        "observations",
        SERIES,
        "--json",
        "--db",
        str(kb_file),
        "--monitoring-db",
        str(other / "m.sqlite"),
    )
    assert [(o["period"], o["value"]) for o in json.loads(listed.output)] == [
        ("FY2017", 16.2),
        ("FY2019", 16.9),
        ("FY2021", 17.8),
    ]


def test_datapackage_round_trip(monitor: Monitor, tmp_path: Path) -> None:
    from frictionless import Package

    package = Package(str(write_datapackage(monitor, tmp_path / "package")))
    rows = package.get_resource("observations").read_rows()
    expected = [(o.series_id, o.period, o.value) for sid in monitor.series for o in monitor.observations(sid)]
    assert [(r["series_id"], r["period"], float(r["value"])) for r in rows] == expected


def test_open_sdg_round_trip(monitor: Monitor, tmp_path: Path) -> None:
    import csv

    write_open_sdg(monitor, tmp_path / "osdg")
    with (tmp_path / "osdg" / "indicator_2-1-ref-3.csv").open(encoding="utf-8") as fh:
        back = {(r["Series"], r["Period"]): float(r["Value"]) for r in csv.DictReader(fh)}
    for sid in ("2.1.ref.3.s1", "2.1.ref.3.s2"):
        label = monitor.series[sid].label
        for o in monitor.observations(sid):
            assert back[(label, o.period)] == o.value


def test_export_command(invoke: Invoke, kb_file: Path, tmp_path: Path) -> None:
    for fmt, out in (
        ("sdmx-ml", "x.xml"),
        ("sdmx-csv", "x.csv"),
        ("datapackage", "dp"),
        ("open-sdg", "osdg"),
    ):
        code, output = run(invoke, kb_file, tmp_path, "export", "--format", fmt, "-o", str(tmp_path / out))
        assert code == 0, output
        assert (tmp_path / out).exists()
    code, output = run(invoke, kb_file, tmp_path, "export", "--format", "pdf", "-o", str(tmp_path / "x"))
    assert code == 1 and "use csv, sdmx-ml" in output


def test_unusable_monitoring_store_is_a_clear_error(invoke: Invoke, kb_file: Path, tmp_path: Path) -> None:
    not_a_db = tmp_path / "notes.sqlite"
    not_a_db.write_text("these are my notes, not a database", encoding="utf-8")
    for args in (("indicators", "list"), ("budget", "summary")):
        out = invoke(*args, "--db", str(kb_file), "--monitoring-db", str(not_a_db))
        assert out.exit_code == 1
        assert "cannot open the monitoring store (file is not a database)" in out.output
    assert not_a_db.read_text(encoding="utf-8") == "these are my notes, not a database"  # untouched
