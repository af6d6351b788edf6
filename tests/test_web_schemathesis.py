"""Schemathesis against the OpenAPI spec: generated requests to every operation get no 5xx,
and every response matches the schema the spec promises.

Random strings almost never hit a real id, so every section and ministry id of the document is
added to the spec as explicit examples of the parameters that take one: a valid filter such as
a chapter-1 section, under which there are no rows, is tried as surely as junk is.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import schemathesis
from hypothesis import HealthCheck, settings

from ebpm.commitments.listing import owners
from ebpm.research.openalex import import_works
from ebpm.research.records import import_records
from ebpm.research.sample import generate
from ebpm.research.store import open_store
from ebpm.services.ingest import ingest
from ebpm.sources.normalize import compact
from ebpm.store import knowledge_base
from ebpm.web.app import create_app

# Schemathesis reads the spec when the module is collected, so the knowledge base is built here
# (schemathesis.pytest.from_fixture would defer it, but it does not work with pytest 9.2).
_folder = tempfile.TemporaryDirectory(prefix="ebpm-schemathesis-")
_db = Path(_folder.name) / "kb.sqlite"
ingest(None, _db)
_doc = knowledge_base.read(_db)
_sections = [h.id for h in _doc.headings]
_ministries = sorted(owners(_doc) | {compact(m.abbreviation) for m in _doc.ministries})
# each parameter that takes a section or ministry id, with every such id in the document
DOCUMENT_IDS = {
    "section": _sections,
    "section_id": _sections,
    "ministry": _ministries,
    "abbreviation": _ministries,
}


@schemathesis.hook
def before_load_schema(context: schemathesis.HookContext, raw_schema: dict[str, Any]) -> None:
    """The document's ids as named examples of every parameter that takes one."""
    for operations in raw_schema["paths"].values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                name = parameter["name"]
                if name in DOCUMENT_IDS:
                    named = {f"{name}-{n}": {"value": v} for n, v in enumerate(DOCUMENT_IDS[name])}
                    parameter["examples"] = parameter.get("examples", {}) | named


def _research_store(folder: Path) -> Path:
    """A small SAMPLE research store, built as the ``research_db`` fixture builds its own (which
    cannot be used here: the app is made at collection), so the /api/research routes answer.
    Patent citations are left out: the patents route has the same shape with none loaded."""
    files = generate(folder / "sample", works=600, seed=7)
    path = folder / "research.duckdb"
    with open_store(path) as con:
        import_works(con, files.works, label="SAMPLE schemathesis", sample=True)
        for kind, file in (("funding", files.funding), ("researchers", files.researchers)):
            import_records(con, kind, file, label="SAMPLE schemathesis", sample=True)
    return path


schema = schemathesis.openapi.from_asgi(
    "/api/openapi.json",
    create_app(
        _db, Path(_folder.name) / "monitoring.sqlite", research_db=_research_store(Path(_folder.name))
    ),
)


@schema.parametrize()
@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_spec(case: schemathesis.Case) -> None:
    case.call_and_validate()
