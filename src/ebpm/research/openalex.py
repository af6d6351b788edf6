"""OpenAlex works from JSON Lines (plain or gzip), as the snapshot and the API write them.

Each line is one Work. The import reads it once, checks it, and flattens it into the store's
tables (``store.TABLES``); memory holds one batch of rows and the distinct institutions seen,
whatever the file size. A work id given more than once keeps the record with the latest
``updated_date`` (then the later line), whatever the order of the lines and of the imports.

Only ``article`` and ``review`` works with a publication year and a primary field are counted
by the analysis; the others are stored with the reason and counted in the summary.
"""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import IO, Any

import duckdb
import orjson

from ebpm.research import identifiers as ids
from ebpm.research.staging import (
    MAX_ERRORS,
    ImportSummary,
    Progress,
    ResearchImportError,
    Stage,
    sha256,
)
from ebpm.research.store import add_dataset
from ebpm.sources.tabular import ReadError

COUNTED_TYPES = ("article", "review")
FLUSH_EVERY = 10_000  # works staged between batches handed to DuckDB
MAX_CITES = 10_000_000  # more than the most cited paper ever: a typing or export error


def _lines(path: Path, progress: Progress | None) -> Iterator[tuple[int, bytes]]:
    """Numbered non-blank lines of a plain or gzip file; a damaged file is a ReadError."""
    if not path.exists():
        raise ReadError(f"{path}: no such file")
    raw = path.open("rb")
    total = path.stat().st_size
    try:
        gz = raw.read(2) == b"\x1f\x8b"
        raw.seek(0)
        # GzipFile buffers its own reads; a plain file is buffered by open()
        reader: IO[bytes] = gzip.GzipFile(fileobj=raw, mode="rb") if gz else raw  # type: ignore[assignment]
        n = 0
        try:
            for n, line in enumerate(reader, start=1):
                if line.strip():
                    yield n, line
                if progress and n % 20_000 == 0:
                    progress(raw.tell(), total)
        except (EOFError, gzip.BadGzipFile, zlib.error, OSError) as exc:
            raise ReadError(f"{path}: the gzip data is damaged or cut short after line {n} ({exc})") from None
        if progress:
            progress(total, total)
    finally:
        raw.close()


def _int(value: Any, name: str, *, minimum: int = 0, maximum: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        else:
            raise ValueError(f"{name}: {value!r} is not a whole number")
    if value < minimum:
        raise ValueError(
            f"{name}: {value} is negative" if minimum == 0 else f"{name}: {value} is below {minimum}"
        )
    if maximum is not None and value > maximum:
        raise ValueError(f"{name}: {value} is implausibly large (more than {maximum:,})")
    return int(value)


def _str(value: Any, name: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError(f"{name}: {value!r} is not text")
    return value


def _list(value: Any, name: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise ValueError(f"{name}: expected a list, got {type(value).__name__}")
    return value


def _dict(value: Any, name: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ValueError(f"{name}: expected an object, got {type(value).__name__}")
    return value


class _Tables:
    """The staging tables of one import and the flattening of one Work into them."""

    def __init__(self, con: duckdb.DuckDBPyConnection, this_year: int) -> None:
        self.this_year = this_year
        self.works = Stage(
            con,
            "s_works",
            "work_id VARCHAR, doi VARCHAR, work_type VARCHAR, pub_year INTEGER, field_id VARCHAR, "
            "field_name VARCHAR, subfield_id VARCHAR, subfield_name VARCHAR, cites BIGINT, "
            "updated_date VARCHAR, n_auth INTEGER, excluded VARCHAR, line INTEGER",
        )
        self.cby = Stage(con, "s_cby", "work_id VARCHAR, cite_year INTEGER, cites BIGINT, line INTEGER")
        self.auth = Stage(
            con,
            "s_auth",
            "work_id VARCHAR, pos INTEGER, author_id VARCHAR, orcid VARCHAR, n_inst INTEGER, "
            "n_ctry INTEGER, line INTEGER",
        )
        self.ainst = Stage(
            con, "s_ainst", "work_id VARCHAR, pos INTEGER, institution_id VARCHAR, line INTEGER"
        )
        self.actry = Stage(con, "s_actry", "work_id VARCHAR, pos INTEGER, country_code VARCHAR, line INTEGER")
        self.grants = Stage(
            con,
            "s_grants",
            "work_id VARCHAR, funder_id VARCHAR, funder_name VARCHAR, award_id VARCHAR, award_key VARCHAR, "
            "line INTEGER",
        )
        self.refs = Stage(con, "s_refs", "work_id VARCHAR, referenced_id VARCHAR, line INTEGER")
        self.institutions: dict[str, tuple[str | None, str | None, str | None, str | None]] = {}
        self.seen: dict[str, str] = {}  # an institution's id as written → its short id
        self.stages = (self.works, self.cby, self.auth, self.ainst, self.actry, self.grants, self.refs)

    def flush(self) -> None:
        for stage in self.stages:
            stage.flush()

    def add(self, rec: dict[str, Any], line: int) -> None:
        """Check one Work and stage its rows; a ValueError names the field at fault."""
        work_id = ids.openalex_id(rec.get("id"))
        if work_id is None or not work_id.startswith("W"):
            raise ValueError(
                "id: missing"
                if rec.get("id") in (None, "")
                else f"id: {rec.get('id')!r} is not an OpenAlex work id"
            )
        year = rec.get("publication_year")
        if year is not None:
            year = _int(year, "publication_year", minimum=1000)
            if year > self.this_year:
                raise ValueError(f"publication_year: {year} is in the future")
        cites = _int(rec.get("cited_by_count", 0) or 0, "cited_by_count", maximum=MAX_CITES)
        work_type = _str(rec.get("type"), "type")
        updated = _str(rec.get("updated_date"), "updated_date")
        if updated is not None and not _iso_date(updated):
            raise ValueError(
                f"updated_date: {updated!r} is not an ISO date (2024-01-31 or 2024-01-31T10:00:00)"
            )
        topic = _dict(rec.get("primary_topic"), "primary_topic")
        fld = _dict(topic.get("field"), "primary_topic.field")
        sub = _dict(topic.get("subfield"), "primary_topic.subfield")
        field_id = ids.topic_id(fld.get("id"))
        subfield_id = ids.topic_id(sub.get("id"))
        if work_type not in COUNTED_TYPES:
            excluded: str | None = f"type {work_type}" if work_type else "no type"
        elif year is None:
            excluded = "no publication year"
        elif field_id is None:
            excluded = "no primary field"
        else:
            excluded = None

        for k, entry in enumerate(_list(rec.get("counts_by_year"), "counts_by_year")):
            e = _dict(entry, f"counts_by_year[{k}]")
            self.cby.rows.append(
                (
                    work_id,
                    _int(e.get("year"), f"counts_by_year[{k}].year", minimum=1000),
                    _int(
                        e.get("cited_by_count", 0), f"counts_by_year[{k}].cited_by_count", maximum=MAX_CITES
                    ),
                    line,
                )
            )
        authorships = _list(rec.get("authorships"), "authorships")
        for pos, a in enumerate(authorships):
            self._authorship(work_id, pos, a, line)
        for k, g in enumerate(_list(rec.get("grants"), "grants")):
            g = _dict(g, f"grants[{k}]")
            award = _str(g.get("award_id"), f"grants[{k}].award_id")
            self.grants.rows.append(
                (
                    work_id,
                    ids.openalex_id(g.get("funder")),
                    _str(g.get("funder_display_name"), f"grants[{k}].funder_display_name"),
                    award,
                    ids.award_key(award) if award else None,
                    line,
                )
            )
        for k, ref in enumerate(_list(rec.get("referenced_works"), "referenced_works")):
            ref_id = ids.openalex_id(ref)
            if ref_id is None:
                raise ValueError(f"referenced_works[{k}]: {ref!r} is not an OpenAlex work id")
            self.refs.rows.append((work_id, ref_id, line))
        self.works.rows.append(
            (
                work_id,
                ids.doi(rec.get("doi")),
                work_type,
                year,
                field_id,
                _str(fld.get("display_name"), "primary_topic.field.display_name"),
                subfield_id,
                _str(sub.get("display_name"), "primary_topic.subfield.display_name"),
                cites,
                updated,
                len(authorships),
                excluded,
                line,
            )
        )

    def _authorship(self, work_id: str, pos: int, a: Any, line: int) -> None:
        # the hot loop of the import (several authorships a work): names of fields at fault are
        # only built when something is wrong, and an institution is checked once, when first seen
        if not isinstance(a, dict):
            raise ValueError(f"authorships[{pos}]: expected an object, got {type(a).__name__}")
        author = _dict(a.get("author"), f"authorships[{pos}].author")
        raw_insts = a.get("institutions") or ()
        if not isinstance(raw_insts, (list, tuple)):
            raise ValueError(f"authorships[{pos}].institutions: expected a list")
        insts: list[str] = []
        countries: set[str] = set()
        for k, inst in enumerate(raw_insts):
            raw_id = inst.get("id") if isinstance(inst, dict) else None
            inst_id = self.seen.get(raw_id) if isinstance(raw_id, str) else None
            if inst_id is None:
                inst_id = self._institution(inst, f"authorships[{pos}].institutions[{k}]")
                self.seen[str(raw_id)] = inst_id  # _institution accepted it: the id is text
            if inst_id not in insts:
                insts.append(inst_id)
            country = inst.get("country_code")
            if country:
                if not isinstance(country, str):
                    where = f"authorships[{pos}].institutions[{k}].country_code"
                    raise ValueError(f"{where}: {country!r} is not text")
                countries.add(country.upper())
        for code in a.get("countries") or ():
            if code:
                if not isinstance(code, str):
                    raise ValueError(f"authorships[{pos}].countries: {code!r} is not a country code")
                countries.add(code.upper())
        self.auth.rows.append(
            (work_id, pos, ids.openalex_id(author.get("id")), ids.orcid(author.get("orcid")), len(insts),
             len(countries), line)
        )  # fmt: skip
        for inst_id in insts:
            self.ainst.rows.append((work_id, pos, inst_id, line))
        for code in sorted(countries):
            self.actry.rows.append((work_id, pos, code, line))

    def _institution(self, inst: Any, where: str) -> str:
        """The short id of an institution seen for the first time, its details kept."""
        inst = _dict(inst, where)
        inst_id = ids.openalex_id(inst.get("id"))
        if inst_id is None or not inst_id.startswith("I"):
            raise ValueError(f"{where}.id: {inst.get('id')!r} is not an OpenAlex institution id")
        country = _str(inst.get("country_code"), f"{where}.country_code")
        self.institutions[inst_id] = (
            ids.ror_id(inst.get("ror")),
            _str(inst.get("display_name"), f"{where}.display_name"),
            country.upper() if country else None,
            _str(inst.get("type"), f"{where}.type"),
        )
        return inst_id


def _iso_date(text: str) -> bool:
    try:
        date.fromisoformat(text[:10])
    except ValueError:
        return False
    return True


def import_works(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    *,
    dry_run: bool = False,
    label: str | None = None,
    sample: bool = False,
    today: date | None = None,
    progress: Progress | None = None,
) -> ImportSummary:
    """Check every line of ``path``, then store all works or none (nothing with ``dry_run``)."""
    name = path.name
    summary = ImportSummary("openalex", str(path), dry_run=dry_run)
    errors: list[str] = []
    con.execute("BEGIN TRANSACTION")
    try:
        tables = _Tables(con, (today or date.today()).year)
        for n, raw in _lines(path, progress):
            summary.records += 1
            try:
                rec = orjson.loads(raw)
            except orjson.JSONDecodeError as exc:
                hint = "; is this a JSON Lines file of OpenAlex works, one object a line?" if n == 1 else ""
                errors.append(f"{name}: line {n}: not valid JSON ({exc}){hint}")
            else:
                try:
                    if not isinstance(rec, dict):
                        raise ValueError(f"expected a Work object, got {type(rec).__name__}")
                    tables.add(rec, n)
                except ValueError as exc:
                    errors.append(f"{name}: line {n}: {exc}")
            if summary.records % FLUSH_EVERY == 0:
                tables.flush()
            if len(errors) >= MAX_ERRORS:
                errors.append(f"{name}: stopped after {MAX_ERRORS} errors")
                break
        if not errors and summary.records == 0:
            errors.append(f"{name}: no works (the file is empty)")
        if errors:
            raise ResearchImportError(errors)
        tables.flush()
        _apply(con, tables, summary)
        if not dry_run and summary.added + summary.replaced:
            summary.dataset_id = add_dataset(
                con, "openalex", label or name, str(path), sha256(path), summary.records,
                orjson.dumps(summary.as_dict()).decode(), sample,
            )  # fmt: skip
            con.execute("UPDATE works SET dataset_id = ? WHERE dataset_id = -1", [summary.dataset_id])
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("ROLLBACK" if dry_run else "COMMIT")
    return summary


_CHILDREN = {
    "citations_by_year": ("s_cby", "work_id, cite_year, cites"),
    "authorships": ("s_auth", "work_id, pos, author_id, orcid, n_inst, n_ctry"),
    "authorship_institutions": ("s_ainst", "work_id, pos, institution_id"),
    "authorship_countries": ("s_actry", "work_id, pos, country_code"),
    "work_grants": ("s_grants", "work_id, funder_id, funder_name, award_id, award_key"),
    "referenced_works": ("s_refs", "work_id, referenced_id"),
}


def _apply(con: duckdb.DuckDBPyConnection, tables: _Tables, summary: ImportSummary) -> None:
    """Keep the newest version of each work, compare it with the store, write what changed."""
    con.execute(
        "CREATE OR REPLACE TEMP TABLE s_keep AS SELECT work_id, line, updated_date, excluded FROM ("
        " SELECT work_id, line, updated_date, excluded, row_number() OVER ("
        "  PARTITION BY work_id ORDER BY updated_date DESC NULLS LAST, line DESC) AS rn FROM s_works"
        ") WHERE rn = 1"
    )
    # a stored version replaced only by a newer one: re-importing a file, or an older file, is a no-op
    con.execute(
        "CREATE OR REPLACE TEMP TABLE s_action AS SELECT k.work_id, k.line, CASE"
        " WHEN w.work_id IS NULL THEN 'added'"
        " WHEN coalesce(k.updated_date, '') > coalesce(w.updated_date, '') THEN 'replaced'"
        " ELSE 'unchanged' END AS action FROM s_keep k LEFT JOIN works w USING (work_id)"
    )
    counts = dict(con.execute("SELECT action, count(*) FROM s_action GROUP BY 1").fetchall())
    summary.added = counts.get("added", 0)
    summary.replaced = counts.get("replaced", 0)
    summary.unchanged = counts.get("unchanged", 0)
    row = con.execute("SELECT (SELECT count(*) FROM s_works) - (SELECT count(*) FROM s_keep)").fetchone()
    summary.duplicates = int(row[0]) if row else 0
    summary.excluded = {
        reason: int(count)
        for reason, count in con.execute(
            "SELECT excluded, count(*) FROM s_keep WHERE excluded IS NOT NULL GROUP BY 1 ORDER BY 1"
        ).fetchall()
    }
    if summary.duplicates:
        summary.excluded["duplicate id (older version)"] = summary.duplicates
    con.execute(
        "CREATE OR REPLACE TEMP TABLE s_write AS "
        "SELECT work_id, line FROM s_action WHERE action <> 'unchanged'"
    )
    replaced = "SELECT work_id FROM s_action WHERE action = 'replaced'"
    for table, (stage, cols) in _CHILDREN.items():
        con.execute(f"DELETE FROM {table} WHERE work_id IN ({replaced})")
        con.execute(f"INSERT INTO {table} SELECT {cols} FROM {stage} JOIN s_write USING (work_id, line)")
    con.execute(f"DELETE FROM works WHERE work_id IN ({replaced})")
    con.execute(
        "INSERT INTO works SELECT work_id, doi, work_type, pub_year, field_id, field_name, subfield_id, "
        "subfield_name, cites, updated_date, n_auth, excluded, -1 "
        "FROM s_works JOIN s_write USING (work_id, line)"
    )
    inst = Stage(
        con,
        "s_inst",
        "institution_id VARCHAR, ror VARCHAR, name VARCHAR, country_code VARCHAR, inst_type VARCHAR",
    )
    for inst_id, (ror, display, country, kind) in sorted(tables.institutions.items()):
        inst.add((inst_id, ror, display, country, kind))
    inst.flush()
    con.execute("DELETE FROM institutions WHERE institution_id IN (SELECT institution_id FROM s_inst)")
    con.execute("INSERT INTO institutions SELECT * FROM s_inst")
