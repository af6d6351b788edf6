"""The ``ebpm`` command line: ingest, export (JSON and CSV), about."""

from __future__ import annotations

import csv
import json
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import Result

from ebpm.model import Document
from ebpm.sources.corpus import BUNDLED_LICENCE, BUNDLED_SOURCE
from ebpm.store import knowledge_base

MEASURE_KEYS = {
    "id",
    "section",
    "marker_line",
    "line_start",
    "line_end",
    "crosses_page",
    "confidence",
    "reposted",
    "commitment",
    "status",
    "actions",
}
INDICATOR_KEYS = {"id", "block", "line", "name", "values", "date", "footnotes"}
Invoke = Callable[..., Result]
CSV_TABLES = {
    "headings",
    "goals",
    "indicators",
    "indicator_values",
    "measures",
    "cells",
    "footnotes",
    "glossary",
    "ministries",
}


def flat(text: str) -> str:
    """``text`` without whitespace: rich wraps long messages at the console width."""
    return re.sub(r"\s+", "", text)


def summary_count(output: str, label: str) -> int:
    m = re.search(rf"{re.escape(label)}\s*│\s*(\d+)", output)
    assert m, f"{label!r} not in the summary:\n{output}"
    return int(m.group(1))


def check_export_shape(payload: dict[str, Any], doc: Document) -> None:
    assert payload["source"]["sha256"] == doc.sha256
    assert len(payload["measures"]) == len(doc.measures) == 218
    for m in payload["measures"]:
        assert m.keys() >= MEASURE_KEYS, m["id"]
        assert isinstance(m["confidence"], float)
        assert isinstance(m["crosses_page"], bool)
        assert isinstance(m["reposted"], bool)
        assert {"text", "ministries"} <= m["commitment"].keys()
        assert isinstance(m["commitment"]["text"], str) and m["commitment"]["text"]
        assert isinstance(m["commitment"]["ministries"], list)
        for s in m["status"]:
            assert isinstance(s["text"], str)
        for a in m["actions"]:
            assert {"text", "ministries", "reposted"} <= a.keys()
            assert isinstance(a["ministries"], list)
            assert isinstance(a["reposted"], bool)
        assert m["line_start"] <= m["marker_line"] <= m["line_end"]
    assert len(payload["indicators"]) == len(doc.indicators) == 121
    for i in payload["indicators"]:
        assert i.keys() >= INDICATOR_KEYS, i["id"]
        assert i["block"] in {"kpi", "reference", "grand_goal"}
        assert all(isinstance(n, int) for n in i["footnotes"])
        for v in i["values"]:
            assert {"text", "number", "unit"} <= v.keys()
            assert v["number"] is None or isinstance(v["number"], int | float)
    ids = [m["id"] for m in payload["measures"]]
    assert len(set(ids)) == len(ids)


# --------------------------------------------------------------------------- ingest


def test_ingest_zero_config_writes_default_kb_and_prints_summary(invoke: Invoke, tmp_path: Path) -> None:
    result = invoke("ingest")
    assert result.exit_code == 0, result.output
    kb = tmp_path / "ebpm.sqlite"
    assert kb.is_file()
    out = result.stdout
    assert "unassigned non-blank lines: 0" in out
    assert summary_count(out, "sections (chapter 2)") == 6
    assert summary_count(out, "subsections (chapter 2)") == 22
    assert summary_count(out, "items (chapter 2)") == 57
    assert summary_count(out, "measure rows") == 218
    assert summary_count(out, "footnotes") == 188
    assert summary_count(out, "glossary entries") == 178
    assert summary_count(out, "ministries") == 41
    assert "knowledge base written to" in out
    assert "missing:" not in out
    doc = knowledge_base.read(kb)
    assert len(doc.measures) == 218
    assert doc.missing == []


def test_ingest_db_option(invoke: Invoke, tmp_path: Path) -> None:
    db = tmp_path / "sub" / "dir" / "kb.sqlite"
    result = invoke("ingest", "--db", str(db))
    assert result.exit_code == 0, result.output
    assert db.is_file()
    assert not (tmp_path / "ebpm.sqlite").exists()
    assert flat(str(db)) in flat(result.stdout)
    # the atomic replace leaves nothing but the knowledge base behind
    assert [p.name for p in db.parent.iterdir()] == ["kb.sqlite"]


def test_ingest_honours_env_var(invoke: Invoke, tmp_path: Path) -> None:
    db = tmp_path / "from-env.sqlite"
    result = invoke("ingest", env={"EBPM_DB": str(db)})
    assert result.exit_code == 0, result.output
    assert db.is_file()
    assert not (tmp_path / "ebpm.sqlite").exists()
    exported = invoke("export", env={"EBPM_DB": str(db)})
    assert exported.exit_code == 0, exported.output
    assert len(json.loads(exported.stdout)["measures"]) == 218


def test_db_option_wins_over_env_var(invoke: Invoke, tmp_path: Path) -> None:
    env_db, opt_db = tmp_path / "env.sqlite", tmp_path / "opt.sqlite"
    result = invoke("ingest", "--db", str(opt_db), env={"EBPM_DB": str(env_db)})
    assert result.exit_code == 0, result.output
    assert opt_db.is_file()
    assert not env_db.exists()


def test_second_ingest_replaces_kb(invoke: Invoke, tmp_path: Path, lines: list[str]) -> None:
    db = tmp_path / "kb.sqlite"
    assert invoke("ingest", "--db", str(db)).exit_code == 0
    first = knowledge_base.read(db)
    assert len(first.measures) == 218
    partial = tmp_path / "partial.txt"
    partial.write_text("\n".join(lines[:9000]) + "\n", encoding="utf-8")
    kept = invoke("ingest", str(partial), "--db", str(db))
    assert kept.exit_code == 2, kept.output  # incomplete: the complete knowledge base is kept
    assert knowledge_base.read(db).source == first.source
    result = invoke("ingest", str(partial), "--db", str(db), "--allow-partial")
    assert result.exit_code == 2, result.output  # incomplete, but written, as asked
    second = knowledge_base.read(db)
    assert second.source == str(partial)
    assert 0 < len(second.measures) < len(first.measures)
    assert second.missing
    assert all(m.line_end <= 9000 for m in second.measures)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kb.sqlite", "partial.txt"]


# --------------------------------------------------------------------------- export JSON


def test_export_json_to_stdout(invoke: Invoke, kb_file: Path, doc: Document) -> None:
    result = invoke("export", "--db", str(kb_file))
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    check_export_shape(payload, doc)


def test_export_json_to_file(invoke: Invoke, kb_file: Path, doc: Document, tmp_path: Path) -> None:
    out = tmp_path / "graph.json"
    result = invoke("export", "--format", "json", "--output", str(out), "--db", str(kb_file))
    assert result.exit_code == 0, result.output
    assert result.stdout == ""  # the note goes to stderr
    assert "wrote" in result.stderr
    payload = json.loads(out.read_text(encoding="utf-8"))
    check_export_shape(payload, doc)
    assert not list(tmp_path.glob(".*.tmp"))


def test_export_json_measure_content(invoke: Invoke, kb_file: Path, doc: Document) -> None:
    payload = json.loads(invoke("export", "--db", str(kb_file)).stdout)
    by_id = {m["id"]: m for m in payload["measures"]}
    for m in doc.measures:
        got = by_id[m.id]
        assert got["section"] == m.section
        assert got["marker_line"] == m.marker_line
        assert got["commitment"]["text"] == m.commitment.text
        assert got["commitment"]["ministries"] == m.commitment.ministries
        assert [s["text"] for s in got["status"]] == [s.text for s in m.status]
        assert [a["text"] for a in got["actions"]] == [a.text for a in m.actions]
        assert got["reposted"] == m.reposted


def test_export_without_kb_fails_with_hint(invoke: Invoke, tmp_path: Path) -> None:
    result = invoke("export", "--db", str(tmp_path / "nothing.sqlite"))
    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit)
    assert "ebpm ingest" in result.output
    assert "nothing.sqlite" in flat(result.output)


def test_export_without_any_config_fails_with_hint(invoke: Invoke) -> None:
    result = invoke("export")
    assert result.exit_code == 1
    assert "ebpm ingest" in result.output
    assert "ebpm.sqlite" in flat(result.output)


def test_export_rejects_unknown_encoding(invoke: Invoke, kb_file: Path, tmp_path: Path) -> None:
    result = invoke(
        "export",
        "--format",
        "csv",
        "--encoding",
        "latin-1",
        "--output",
        str(tmp_path / "out"),
        "--db",
        str(kb_file),
    )
    assert result.exit_code == 1
    assert "latin-1" in result.output
    assert not (tmp_path / "out").exists()


# --------------------------------------------------------------------------- export CSV


def read_csv(path: Path, encoding: str) -> list[dict[str, str]]:
    with path.open(encoding=encoding, newline="") as fh:
        return list(csv.DictReader(fh))


def test_export_csv_utf8_sig(invoke: Invoke, kb_file: Path, doc: Document, tmp_path: Path) -> None:
    out = tmp_path / "tables"
    result = invoke("export", "--format", "csv", "--output", str(out), "--db", str(kb_file))
    assert result.exit_code == 0, result.output
    assert {p.stem for p in out.glob("*.csv")} == CSV_TABLES
    assert (out / "measures.csv").read_bytes().startswith(b"\xef\xbb\xbf")  # BOM for Excel

    measures = read_csv(out / "measures.csv", "utf-8-sig")
    assert [r["id"] for r in measures] == [m.id for m in doc.measures]
    assert measures[0].keys() >= {"id", "section", "marker_line", "confidence"}
    assert [int(r["marker_line"]) for r in measures] == [m.marker_line for m in doc.measures]

    cells = read_csv(out / "cells.csv", "utf-8-sig")
    assert len(cells) == sum(1 + len(m.status) + len(m.actions) for m in doc.measures)
    first = doc.measures[0]
    assert cells[0]["measure_id"] == first.id
    assert cells[0]["column"] == "commitment"
    assert cells[0]["text"] == first.commitment.text

    footnotes = read_csv(out / "footnotes.csv", "utf-8-sig")
    assert [int(r["number"]) for r in footnotes] == list(range(1, 189))
    assert footnotes[17]["text"] == doc.footnotes[17].text
    assert len(read_csv(out / "glossary.csv", "utf-8-sig")) == 178
    assert len(read_csv(out / "ministries.csv", "utf-8-sig")) == 41
    headings = read_csv(out / "headings.csv", "utf-8-sig")
    assert [r["title"] for r in headings] == [h.title for h in doc.headings]
    values = read_csv(out / "indicator_values.csv", "utf-8-sig")
    assert len(values) == sum(len(i.values) for i in doc.indicators)


def test_export_csv_cp932(invoke: Invoke, kb_file: Path, doc: Document, tmp_path: Path) -> None:
    out = tmp_path / "sjis"
    result = invoke(
        "export", "--format", "csv", "--encoding", "cp932", "--output", str(out), "--db", str(kb_file)
    )
    assert result.exit_code == 0, result.output
    assert {p.stem for p in out.glob("*.csv")} == CSV_TABLES

    def as_cp932(s: str) -> str:
        return s.encode("cp932", errors="replace").decode("cp932")

    headings = read_csv(out / "headings.csv", "cp932")
    assert [r["title"] for r in headings] == [as_cp932(h.title) for h in doc.headings]
    ministries = read_csv(out / "ministries.csv", "cp932")
    assert [r["abbreviation"] for r in ministries] == [as_cp932(m.abbreviation) for m in doc.ministries]
    assert [r["name"] for r in ministries] == [as_cp932(m.name) for m in doc.ministries]
    cells = read_csv(out / "cells.csv", "cp932")
    assert [r["text"] for r in cells[:50]] == [
        as_cp932(c.text) for m in doc.measures for c in [m.commitment, *m.status, *m.actions]
    ][:50]


def test_export_csv_onto_a_file_fails(invoke: Invoke, kb_file: Path, tmp_path: Path) -> None:
    target = tmp_path / "a-file.csv"
    target.write_text("keep me", encoding="utf-8")
    result = invoke("export", "--format", "csv", "--output", str(target), "--db", str(kb_file))
    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit)
    assert "a-file.csv" in flat(result.output)
    assert target.read_text(encoding="utf-8") == "keep me"


# --------------------------------------------------------------------------- misc


def test_about(invoke: Invoke) -> None:
    result = invoke("about")
    assert result.exit_code == 0
    assert flat(BUNDLED_SOURCE) in flat(result.stdout)
    assert flat(BUNDLED_LICENCE) in flat(result.stdout)


def test_no_args_shows_help(invoke: Invoke) -> None:
    result = invoke()
    assert "ingest" in result.output
    assert "export" in result.output


@pytest.fixture(scope="module")
def ebpm_exe() -> Path:
    exe = Path(sys.executable).parent / "ebpm"
    if not exe.exists():
        pytest.skip("the ebpm console script is not installed in this environment")
    return exe


def test_end_to_end_subprocess(ebpm_exe: Path, tmp_path: Path) -> None:
    db = tmp_path / "kb.sqlite"
    ingest = subprocess.run(
        [str(ebpm_exe), "ingest", "--db", str(db)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=tmp_path,
        check=False,
    )
    assert ingest.returncode == 0, ingest.stderr
    assert "unassigned non-blank lines: 0" in ingest.stdout
    assert "Traceback" not in ingest.stderr
    out = tmp_path / "graph.json"
    export = subprocess.run(
        [str(ebpm_exe), "export", "--format", "json", "--output", str(out), "--db", str(db)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=tmp_path,
        check=False,
    )
    assert export.returncode == 0, export.stderr
    payload = json.loads(out.read_text(encoding="utf-8"))
    assert len(payload["measures"]) == 218
    assert len(payload["footnotes"]) == 188
    assert payload["missing"] == []
