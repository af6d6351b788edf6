"""Schemathesis against the OpenAPI spec: generated requests to every operation get no 5xx,
and every response matches the schema the spec promises."""

from __future__ import annotations

import tempfile
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, settings

from ebpm.services.ingest import ingest
from ebpm.web.app import create_app

# Schemathesis reads the spec when the module is collected, so the knowledge base is built here
# (schemathesis.pytest.from_fixture would defer it, but it does not work with pytest 9.2).
_folder = tempfile.TemporaryDirectory(prefix="ebpm-schemathesis-")
_db = Path(_folder.name) / "kb.sqlite"
ingest(None, _db)
schema = schemathesis.openapi.from_asgi(
    "/api/openapi.json", create_app(_db, Path(_folder.name) / "monitoring.sqlite")
)


@schema.parametrize()
@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_spec(case: schemathesis.Case) -> None:
    case.call_and_validate()
