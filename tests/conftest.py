"""Shared fixtures: the bundled document is read and parsed once per test session."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from ebpm.cli import app
from ebpm.model import Document
from ebpm.parser.document import parse_document
from ebpm.services.ingest import ingest
from ebpm.sources.corpus import SourceText, read_source
from ebpm.store import knowledge_base
from ebpm.store.monitoring import Location

REPO_ROOT = Path(__file__).resolve().parents[1]

Invoke = Callable[..., Result]


@pytest.fixture(scope="session")
def source() -> SourceText:
    return read_source()


@pytest.fixture(scope="session")
def doc(source: SourceText) -> Document:
    return parse_document(source.text, source.path, source.sha256)


@pytest.fixture(scope="session")
def lines(source: SourceText) -> list[str]:
    """The lines of the bundled file; ``lines[n - 1]`` is 1-based line ``n``."""
    out = source.text.split("\n")
    if out and out[-1] == "":
        out.pop()
    return out


@pytest.fixture(scope="session")
def kb_file(tmp_path_factory: pytest.TempPathFactory, doc: Document) -> Path:
    """A knowledge base of the bundled document, written once; tests must not modify it."""
    path = tmp_path_factory.mktemp("kb") / "shared.sqlite"
    knowledge_base.write(doc, path)
    return path


@pytest.fixture(scope="session")
def ingested_kb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A knowledge base built by the real ingest (search index and source lines included);
    tests must not modify it."""
    path = tmp_path_factory.mktemp("ingested") / "kb.sqlite"
    ingest(None, path)
    return path


@pytest.fixture
def invoke(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Invoke:
    """Run the CLI in-process, in ``tmp_path``, with ``$EBPM_DB`` unset unless ``env`` sets it."""
    monkeypatch.delenv(knowledge_base.ENV_VAR, raising=False)
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()

    def run(*args: str, env: Mapping[str, str] | None = None) -> Result:
        return runner.invoke(app, list(args), env=dict(env) if env else None)

    return run


@pytest.fixture(scope="session")
def research_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A research store loaded with a small SAMPLE world (all four files); tests must not modify it."""
    from ebpm.research.openalex import import_works
    from ebpm.research.records import import_records
    from ebpm.research.sample import generate
    from ebpm.research.store import open_store

    base = tmp_path_factory.mktemp("research")
    files = generate(base / "sample", works=3000, seed=7)
    path = base / "research.duckdb"
    with open_store(path) as con:
        import_works(con, files.works, label="SAMPLE test world", sample=True)
        for kind, file in (
            ("funding", files.funding),
            ("researchers", files.researchers),
            ("patents", files.patents),
        ):
            import_records(con, kind, file, label="SAMPLE test world", sample=True)
    return path


# The PostgreSQL every machine runs (trust auth); $EBPM_TEST_POSTGRES_URL points elsewhere.
POSTGRES_URL = os.environ.get("EBPM_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def postgres_schema() -> Iterator[str]:
    """A URL of a new, empty schema in the test database, dropped afterwards: each test gets a
    store of its own. A database that cannot be reached fails the test, never skips it."""
    import psycopg
    from sqlalchemy.engine import make_url

    url = make_url(POSTGRES_URL)
    conninfo = url.set(drivername="postgresql").render_as_string(hide_password=False)
    schema = f"t_{uuid.uuid4().hex[:16]}"
    try:
        admin = psycopg.connect(conninfo, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        pytest.fail(
            f"PostgreSQL is needed at {POSTGRES_URL} (set $EBPM_TEST_POSTGRES_URL) "
            f"and cannot be reached: {exc}"
        )
    with admin:
        admin.execute(f"CREATE SCHEMA {schema}")
        try:
            query = {"options": f"-csearch_path={schema}", "application_name": schema}
            yield url.update_query_dict(query).render_as_string(hide_password=False)
        finally:
            # a test's server may still hold connections: end them, then drop everything
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE pid <> pg_backend_pid() AND application_name = %s",
                (schema,),
            )
            admin.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture(params=["sqlite", "postgresql"])
def store_location(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Location]:
    """Where a test's monitoring store lives: a SQLite file, and again a PostgreSQL schema."""
    if request.param == "sqlite":
        yield tmp_path / "monitoring.sqlite"
        return
    from ebpm.store.monitoring import parse_url

    for url in postgres_schema():
        yield parse_url(url)
