"""The JSON export validates against schemas/policy-graph.schema.json (Draft 2020-12)."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from typer.testing import CliRunner

from ebpm.cli import app
from ebpm.export.graph_json import to_json
from ebpm.model import Document
from ebpm.parser.document import parse_document
from ebpm.store import knowledge_base

SCHEMA_PATH = Path(__file__).resolve().parents[1] / "schemas" / "policy-graph.schema.json"


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def validator(schema: dict[str, Any]) -> Draft202012Validator:
    return Draft202012Validator(schema)


@pytest.fixture(scope="module")
def exported(doc: Document) -> dict[str, Any]:
    # through a JSON round trip, as a consumer of the export sees it
    return json.loads(json.dumps(to_json(doc), ensure_ascii=False))


def errors(validator: Draft202012Validator, instance: Any) -> list[str]:
    return [f"{list(e.absolute_path)}: {e.message[:200]}" for e in validator.iter_errors(instance)]


def test_schema_is_valid_draft_2020_12(schema: dict[str, Any]) -> None:
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(schema)


def test_to_json_validates(validator: Draft202012Validator, exported: dict[str, Any]) -> None:
    assert errors(validator, exported) == []


def test_to_json_of_a_partial_document_validates(validator: Draft202012Validator, lines: list[str]) -> None:
    part = parse_document("\n".join(lines[:6000]) + "\n", "part.txt", "b" * 64)
    assert part.missing
    assert errors(validator, json.loads(json.dumps(to_json(part)))) == []


def test_stored_document_validates(validator: Draft202012Validator, kb_file: Path) -> None:
    assert errors(validator, to_json(knowledge_base.read(kb_file))) == []


def test_cli_export_validates(
    validator: Draft202012Validator, kb_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("EBPM_DB", raising=False)
    out = tmp_path / "graph.json"
    args = ["export", "--format", "json", "--output", str(out), "--db", str(kb_file)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    payload = json.loads(out.read_text(encoding="utf-8"))
    assert errors(validator, payload) == []
    assert len(payload["measures"]) == 218


def test_real_cli_export_validates(validator: Draft202012Validator, kb_file: Path, tmp_path: Path) -> None:
    exe = Path(sys.executable).parent / "ebpm"
    if not exe.exists():
        pytest.skip("the ebpm console script is not installed in this environment")
    out = tmp_path / "graph.json"
    proc = subprocess.run(
        [str(exe), "export", "--format", "json", "--output", str(out), "--db", str(kb_file)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=tmp_path,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert errors(validator, json.loads(out.read_text(encoding="utf-8"))) == []


# the schema is strict enough to catch a broken export


def test_schema_rejects_missing_measure_key(
    validator: Draft202012Validator, exported: dict[str, Any]
) -> None:
    broken = copy.deepcopy(exported)
    del broken["measures"][0]["commitment"]
    assert errors(validator, broken)


def test_schema_rejects_wrong_types(validator: Draft202012Validator, exported: dict[str, Any]) -> None:
    broken = copy.deepcopy(exported)
    broken["measures"][0]["confidence"] = "high"
    assert errors(validator, broken)
    broken = copy.deepcopy(exported)
    broken["indicators"][0]["values"] = [{"text": "1", "number": "one", "unit": None}]
    assert errors(validator, broken)
    broken = copy.deepcopy(exported)
    broken["source"]["sha256"] = "not-a-hash"
    assert errors(validator, broken)


def test_schema_rejects_unknown_top_level_key(
    validator: Draft202012Validator, exported: dict[str, Any]
) -> None:
    broken = copy.deepcopy(exported)
    broken["extra"] = 1
    assert errors(validator, broken)
