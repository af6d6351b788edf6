"""A test client over the web app for one knowledge base (shared by the web tests)."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from ebpm.web.app import create_app


def client_for(db: Path) -> TestClient:
    # a server error must show up as a 500 response, as a user would see it
    return TestClient(create_app(db), raise_server_exceptions=False)
