"""A test client over the web app for one knowledge base (shared by the web tests)."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from ebpm.web.app import create_app


def client_for(db: Path, monitoring_db: Path | None = None, token: str = "") -> TestClient:
    # a server error must show up as a 500 response, as a user would see it
    store = monitoring_db or db.with_name(db.stem + "-monitoring.sqlite")
    return TestClient(create_app(db, store, token), raise_server_exceptions=False)
