"""The app for a process manager: ``uvicorn --factory ebpm.web.server:app --workers N``.

Each worker builds its app from the environment, as ``ebpm serve`` does from its options:
``$EBPM_DB`` (the knowledge base), ``$EBPM_DATABASE_URL`` or ``$EBPM_MONITORING_DB`` (the
monitoring store), ``$EBPM_RESEARCH_DB`` and ``$EBPM_API_TOKEN``. With several workers the
monitoring store must be PostgreSQL or a SQLite file on a local disk (SQLite's locks).
"""

from __future__ import annotations

from fastapi import FastAPI

from ebpm.research.store import resolve_path as research_path
from ebpm.store import knowledge_base
from ebpm.web.app import create_app


def app() -> FastAPI:
    return create_app(knowledge_base.resolve_path(None).resolve(), research_db=research_path(None).resolve())
