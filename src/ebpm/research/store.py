"""The research store: one DuckDB file of works, authorships, funding, researchers and patents.

It is separate from the knowledge base (an ingest never touches it) and from the monitoring
store: bibliographic data is large, analytical and append-mostly, which is what DuckDB is for.
Column names avoid words that are reserved or functions in Spark SQL (``year``, ``position``),
because the same queries also run there (``engine.py``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb

ENV = "EBPM_RESEARCH_DB"
DEFAULT = "ebpm-research.duckdb"
SCHEMA_VERSION = "2"  # 2: work_metrics

# table → column definitions; the analytics read these tables and nothing else
TABLES: dict[str, str] = {
    "datasets": (
        "dataset_id INTEGER, kind VARCHAR, label VARCHAR, file VARCHAR, sha256 VARCHAR, rows BIGINT, "
        "summary VARCHAR, imported_at TIMESTAMP, sample BOOLEAN"
    ),
    "works": (
        "work_id VARCHAR, doi VARCHAR, work_type VARCHAR, pub_year INTEGER, field_id VARCHAR, "
        "field_name VARCHAR, subfield_id VARCHAR, subfield_name VARCHAR, cites BIGINT, "
        "updated_date VARCHAR, n_auth INTEGER, excluded VARCHAR, dataset_id INTEGER"
    ),
    # derived from works and authorship_countries after every import of works (methods.work_metrics_sql)
    "work_metrics": (
        "work_id VARCHAR, field_id VARCHAR, field_name VARCHAR, subfield_id VARCHAR, subfield_name VARCHAR, "
        "pub_year INTEGER, n_auth INTEGER, cites DOUBLE, w10 DOUBLE, w1 DOUBLE, ncs DOUBLE, is_intl DOUBLE"
    ),
    "citations_by_year": "work_id VARCHAR, cite_year INTEGER, cites BIGINT",
    "authorships": (
        "work_id VARCHAR, pos INTEGER, author_id VARCHAR, orcid VARCHAR, n_inst INTEGER, n_ctry INTEGER"
    ),
    "authorship_institutions": "work_id VARCHAR, pos INTEGER, institution_id VARCHAR",
    "authorship_countries": "work_id VARCHAR, pos INTEGER, country_code VARCHAR",
    "institutions": (
        "institution_id VARCHAR, ror VARCHAR, name VARCHAR, country_code VARCHAR, inst_type VARCHAR"
    ),
    "work_grants": (
        "work_id VARCHAR, funder_id VARCHAR, funder_name VARCHAR, award_id VARCHAR, award_key VARCHAR"
    ),
    "referenced_works": "work_id VARCHAR, referenced_id VARCHAR",
    "funding_types": "code VARCHAR, name_ja VARCHAR, name_en VARCHAR, description VARCHAR, ord INTEGER",
    "funding": (
        "record_id VARCHAR, award_id VARCHAR, award_key VARCHAR, funder VARCHAR, program VARCHAR, "
        "funding_type VARCHAR, institution_ref VARCHAR, researcher_id VARCHAR, fiscal_year INTEGER, "
        "amount_yen BIGINT, dataset_id INTEGER, line INTEGER"
    ),
    "researchers": (
        "researcher_id VARCHAR, author_id VARCHAR, orcid VARCHAR, gender VARCHAR, birth_year INTEGER, "
        "career_stage VARCHAR, research_field VARCHAR, institution_ref VARCHAR, dataset_id INTEGER, "
        "line INTEGER"
    ),
    "patent_citations": "family_id VARCHAR, cited_key VARCHAR, dataset_id INTEGER, line INTEGER",
}
# the tables a Spark run needs (datasets and meta are bookkeeping)
ANALYTIC_TABLES = tuple(t for t in TABLES if t != "datasets")


class ResearchStoreError(RuntimeError):
    """The research store cannot be opened or used; the message names the file."""


@dataclass(frozen=True, slots=True)
class Dataset:
    dataset_id: int
    kind: str
    label: str
    file: str
    rows: int
    imported_at: str
    sample: bool


def resolve_path(path: Path | None) -> Path:
    """``--research-db``, else ``$EBPM_RESEARCH_DB``, else ``./ebpm-research.duckdb``."""
    if path is not None:
        return path
    return Path(os.environ.get(ENV) or DEFAULT)


def _connect(path: Path, read_only: bool) -> duckdb.DuckDBPyConnection:
    if read_only and not path.exists():
        raise ResearchStoreError(
            f"{path}: no research store; load data with `ebpm research import …` "
            "or `ebpm research sample --load`"
        )
    try:
        con = duckdb.connect(str(path), read_only=read_only)
    except duckdb.IOException as exc:
        text = str(exc)
        if "lock" in text.lower():
            raise ResearchStoreError(
                f"{path}: the research store is in use by another process (an import or a server); "
                "try again when it has finished"
            ) from None
        raise ResearchStoreError(f"{path}: cannot open the research store ({text})") from None
    except duckdb.Error as exc:
        raise ResearchStoreError(f"{path}: not a research store ({exc})") from None
    # bounded memory whatever the data size: DuckDB spills to disk beyond this
    con.execute("SET memory_limit = '1GB'")
    con.execute("SET preserve_insertion_order = false")
    return con


def _check_version(path: Path, con: duckdb.DuckDBPyConnection) -> bool:
    """True for a store of this schema, False for a new file; an error for any other file."""
    has_meta = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'meta'"
    ).fetchone()
    if not has_meta or not has_meta[0]:
        return False
    version = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    if version is None:
        return False
    if version[0] != SCHEMA_VERSION:
        raise ResearchStoreError(
            f"{path}: research store schema {version[0]} is not {SCHEMA_VERSION}; "
            "import the data into a new file"
        )
    return True


def _create(path: Path, con: duckdb.DuckDBPyConnection) -> None:
    from ebpm.research.funding_types import DEFAULT_TYPES

    current = _check_version(path, con)
    con.execute("CREATE TABLE IF NOT EXISTS meta (key VARCHAR, value VARCHAR)")
    for name, columns in TABLES.items():
        con.execute(f"CREATE TABLE IF NOT EXISTS {name} ({columns})")
    if not current:
        con.execute("INSERT INTO meta VALUES ('schema_version', ?)", [SCHEMA_VERSION])
        con.executemany(
            "INSERT INTO funding_types VALUES (?, ?, ?, ?, ?)",
            [(t.code, t.name_ja, t.name_en, t.description, k) for k, t in enumerate(DEFAULT_TYPES)],
        )


@contextmanager
def open_store(path: Path, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection to the store at ``path``; created with its schema when written to."""
    con = _connect(path, read_only)
    try:
        if not read_only:
            _create(path, con)
        elif not _check_version(path, con):
            raise ResearchStoreError(f"{path}: not a research store")
        yield con
    finally:
        con.close()


def datasets(con: duckdb.DuckDBPyConnection) -> list[Dataset]:
    rows = con.execute(
        "SELECT dataset_id, kind, label, file, rows, CAST(imported_at AS VARCHAR), sample "
        "FROM datasets ORDER BY dataset_id"
    ).fetchall()
    return [Dataset(int(r[0]), r[1], r[2], r[3], int(r[4]), r[5], bool(r[6])) for r in rows]


def is_sample(con: duckdb.DuckDBPyConnection) -> bool:
    """True when any loaded data set is SAMPLE data: every page and command then says so."""
    row = con.execute("SELECT count(*) FROM datasets WHERE sample").fetchone()
    return bool(row and row[0])


def add_dataset(
    con: duckdb.DuckDBPyConnection,
    kind: str,
    label: str,
    file: str,
    sha256: str,
    rows: int,
    summary: str,
    sample: bool,
) -> int:
    row = con.execute("SELECT coalesce(max(dataset_id), 0) + 1 FROM datasets").fetchone()
    dataset_id = int(row[0]) if row else 1
    con.execute(
        "INSERT INTO datasets VALUES (?, ?, ?, ?, ?, ?, ?, now()::TIMESTAMP, ?)",
        [dataset_id, kind, label, file, sha256, rows, summary, sample],
    )
    return dataset_id
