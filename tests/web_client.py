"""A test client over the web app for one knowledge base (shared by the web tests)."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from ebpm.indicators.importing import run_import
from ebpm.indicators.monitor import Monitor
from ebpm.indicators.readers import read_rows
from ebpm.model import Document
from ebpm.store.monitoring import open_store
from ebpm.web.app import create_app


def client_for(db: Path, monitoring_db: Path | None = None, token: str = "") -> TestClient:
    # a server error must show up as a 500 response, as a user would see it
    store = monitoring_db or db.with_name(db.stem + "-monitoring.sqlite")
    return TestClient(create_app(db, store, token), raise_server_exceptions=False)


def store_with(folder: Path, doc: Document, rows: str) -> Path:
    """A monitoring store in ``folder`` holding the observations of ``rows`` (CSV lines after the
    header ``indicator_id,period,value,unit,source``), imported as a user would."""
    path = folder / "monitoring.sqlite"
    csv = folder / "obs.csv"
    csv.write_text("indicator_id,period,value,unit,source\n" + rows, encoding="utf-8")
    run_import(Monitor(doc, open_store(path)), read_rows(csv, "csv"), csv, "csv")
    return path
