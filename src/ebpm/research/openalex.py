"""OpenAlex works from JSON Lines (plain or gzip), as the snapshot and the API write them.

Each line is one Work. The import reads it once, checks it, and flattens it into the store's
tables (``store.TABLES``); memory holds one batch of rows and the distinct institutions seen,
whatever the file size. A work id given more than once keeps the record with the latest
``updated_date`` (then the later line), whatever the order of the lines and of the imports.

Only ``article`` and ``review`` works with a publication year and a primary field are counted
by the analysis; the others are stored with the reason and counted in the summary.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import sys
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import IO, Any, cast

import duckdb
import pyarrow as pa
from isal import isal_zlib

from ebpm.research import heap
from ebpm.research import identifiers as ids
from ebpm.research import openalex_schema as schema
from ebpm.research.methods import work_metrics_sql
from ebpm.research.staging import (
    MAX_ERRORS,
    ImportSummary,
    Progress,
    ResearchImportError,
    Rows,
    Stage,
    all_or_nothing,
    record_dataset,
)
from ebpm.sources.tabular import ReadError

COUNTED_TYPES = ("article", "review")
CHUNK_BYTES = 8 << 20  # bytes of whole lines checked at a time (by one worker)
BLOCK = 1 << 20  # bytes read at a time
PARALLEL_FROM = 16 << 20  # bytes: smaller files are checked in this process
MAX_CITES = 10_000_000  # more than the most cited paper ever: a typing or export error


# isal's stub declares IsalError as an instance, not a class
_DAMAGED: tuple[type[Exception], ...] = (EOFError, cast("type[Exception]", isal_zlib.IsalError))


def _blocks(raw: IO[bytes], gz: bool) -> Iterator[bytes]:
    """The file's bytes in large blocks, gunzipped (members one after another, as gzip allows)."""
    if not gz:
        yield from iter(lambda: raw.read(BLOCK), b"")
        return
    # ISA-L inflates in under half zlib's time, and inflating runs in the process that also
    # stores every row: on two cores its time is the import's
    inflate = isal_zlib.decompressobj(wbits=31)
    while block := raw.read(BLOCK):
        while block:
            yield inflate.decompress(block)
            block = inflate.unused_data  # a next gzip member starts here
            if block:
                inflate = isal_zlib.decompressobj(wbits=31)
    yield inflate.flush()
    if not inflate.eof:
        raise EOFError("the gzip stream ends before its end marker")


def _chunks(path: Path, progress: Progress | None) -> Iterator[tuple[int, bytes]]:
    """The file's text in blocks of whole lines, each with the number of its first line.

    Inflated in blocks of a megabyte: reading line by line through GzipFile would cost a quarter of
    the import. The blocks are split into lines by whoever checks them, so that this process,
    which also decompresses and stores, does the least. A damaged file is a ReadError.
    """
    total = path.stat().st_size
    with path.open("rb") as raw:
        gz = raw.read(2) == b"\x1f\x8b"
        raw.seek(0)
        pending: list[bytes] = []
        start, size, rest = 1, 0, b""
        try:
            for block in _blocks(raw, gz):
                end = block.rfind(b"\n")
                if end < 0:
                    rest += block
                    continue
                pending += (rest, block[: end + 1])
                size += len(rest) + end + 1
                rest = block[end + 1 :]
                if size >= CHUNK_BYTES:
                    text = b"".join(pending)
                    yield start, text
                    start, size = start + text.count(b"\n"), 0
                    pending = []
                    if progress:
                        progress(raw.tell(), total)
        except _DAMAGED as exc:
            lines = start + b"".join(pending).count(b"\n")
            raise ReadError(
                f"{path}: the gzip data is damaged or cut short after line {lines - 1} ({exc})"
            ) from None
        text = b"".join((*pending, rest))
        if text:
            yield start, text
        if progress:
            progress(total, total)


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


STAGES = {
    "s_works": (
        "work_id VARCHAR, doi VARCHAR, work_type VARCHAR, pub_year INTEGER, field_id VARCHAR, "
        "field_name VARCHAR, subfield_id VARCHAR, subfield_name VARCHAR, cites BIGINT, "
        "updated_date VARCHAR, n_auth INTEGER, excluded VARCHAR, line INTEGER"
    ),
    # a work's rows in the other tables carry its line, not its id: the line is a key within one
    # file, and an integer costs a third of a string to build, convert and store. A work's lists
    # (its citations by year, references) and an authorship's (institutions, countries) stay
    # one row, unnested in SQL when written: a Python tuple per element was a third of the import.
    # Lists of ids are joined with SEP into one text, which Arrow converts in a sixth of a list's time
    "s_cby": "line INTEGER, cite_years INTEGER[], cites BIGINT[]",
    # an authorship's counts come along: splitting the joined lists again in SQL only to count
    # them was a quarter of writing the tables
    "s_auth": (
        "line INTEGER, pos INTEGER, author_id VARCHAR, orcid VARCHAR, insts VARCHAR, countries VARCHAR, "
        "n_inst INTEGER, n_ctry INTEGER"
    ),
    "s_grants": "line INTEGER, funder_id VARCHAR, funder_name VARCHAR, award_id VARCHAR, award_key VARCHAR",
    "s_refs": "line INTEGER, referenced_ids VARCHAR",
}
SEP = "\x1f"  # joins a staged list of ids: no id, and no country code, holds it
Institution = tuple[str | None, str | None, str | None, str | None]  # ror, name, country, type
_WORK_URL = "https://openalex.org/W"
_AUTHOR_URL = "https://openalex.org/A"


class _Flattener:
    """The check of one Work and its flattening into the rows of the staging tables.

    Pure Python: it runs in worker processes, and what it collects goes back as Arrow tables.
    The record's shape (objects, lists) was checked when it was decoded (``openalex_schema``);
    the values are checked here, each error naming its field.
    """

    def __init__(self, this_year: int) -> None:
        self.this_year = this_year
        self.stages = {name: Rows(columns) for name, columns in STAGES.items()}
        self.works, self.cby, self.auth, self.grants, self.refs = self.stages.values()
        self.institutions: dict[str, Institution] = {}
        self.seen: dict[str, str] = {}  # an institution's id as written → its short id
        self.topics: dict[str, str | None] = {}  # a field's or subfield's id as written → its number

    def add(self, rec: schema.Work, line: int) -> None:
        """Check one Work and stage its rows; a ValueError names the field at fault."""
        work_id = ids.openalex_id(rec.id)
        if work_id is None or not work_id.startswith("W"):
            raise ValueError(
                "id: missing" if rec.id in (None, "") else f"id: {rec.id!r} is not an OpenAlex work id"
            )
        year = rec.publication_year
        if year is not None:
            year = _int(year, "publication_year", minimum=1000)
            if year > self.this_year:
                raise ValueError(f"publication_year: {year} is in the future")
        cites = _int(rec.cited_by_count or 0, "cited_by_count", maximum=MAX_CITES)
        work_type = _str(rec.type, "type")
        updated = _str(rec.updated_date, "updated_date")
        if updated is not None and not _iso_date(updated):
            raise ValueError(
                f"updated_date: {updated!r} is not an ISO date (2024-01-31 or 2024-01-31T10:00:00)"
            )
        topic = rec.primary_topic or _NO_TOPIC
        fld = topic.field or _NO_NAME
        sub = topic.subfield or _NO_NAME
        field_id = self._topic(fld.id)
        subfield_id = self._topic(sub.id)
        if work_type not in COUNTED_TYPES:
            excluded: str | None = f"type {work_type}" if work_type else "no type"
        elif year is None:
            excluded = "no publication year"
        elif field_id is None:
            excluded = "no primary field"
        else:
            excluded = None

        if rec.counts_by_year:
            cite_years: list[int] = []
            cites_in: list[int] = []
            for k, entry in enumerate(rec.counts_by_year):
                # the common case checked inline; the helpers name the field only when it is wrong
                year_k, cites_k = entry.year, entry.cited_by_count
                if not (
                    type(year_k) is int
                    and year_k >= 1000
                    and type(cites_k) is int
                    and 0 <= cites_k <= MAX_CITES
                ):
                    year_k = _int(year_k, f"counts_by_year[{k}].year", minimum=1000)
                    cites_k = _int(cites_k or 0, f"counts_by_year[{k}].cited_by_count", maximum=MAX_CITES)
                cite_years.append(year_k)
                cites_in.append(cites_k)
            self.cby.rows.append((line, cite_years, cites_in))
        authorships = rec.authorships or ()
        authorship = self._authorship
        for pos, a in enumerate(authorships):
            authorship(pos, a, line)
        for k, g in enumerate(rec.grants or ()):
            award = _str(g.award_id, f"grants[{k}].award_id")
            self.grants.rows.append(
                (
                    line,
                    ids.openalex_id(g.funder),
                    _str(g.funder_display_name, f"grants[{k}].funder_display_name"),
                    award,
                    ids.award_key(award) if award else None,
                )
            )
        if rec.referenced_works:
            refs: list[str] = []
            for k, ref in enumerate(rec.referenced_works):
                if type(ref) is str and ref.startswith(_WORK_URL) and ref[22:].isdigit():
                    refs.append(ref[21:])  # the form of nearly every reference
                    continue
                ref_id = ids.openalex_id(ref)
                if ref_id is None:
                    raise ValueError(f"referenced_works[{k}]: {ref!r} is not an OpenAlex work id")
                refs.append(ref_id)
            self.refs.rows.append((line, SEP.join(refs)))
        self.works.rows.append(
            (
                work_id,
                ids.doi(rec.doi),
                work_type,
                year,
                field_id,
                _str(fld.display_name, "primary_topic.field.display_name"),
                subfield_id,
                _str(sub.display_name, "primary_topic.subfield.display_name"),
                cites,
                updated,
                len(authorships),
                excluded,
                line,
            )
        )

    def _topic(self, raw: Any) -> str | None:
        # a few hundred fields and subfields, each named on thousands of works
        if type(raw) is not str:
            return ids.topic_id(raw)
        try:
            return self.topics[raw]
        except KeyError:
            found = self.topics[raw] = ids.topic_id(raw)
            return found

    def _authorship(self, pos: int, a: schema.Authorship, line: int) -> None:
        # the hot loop of the import (several authorships a work): names of fields at fault are
        # only built when something is wrong, and an institution is checked once, when first seen
        insts: list[str] = []
        countries: list[str] = []
        for k, inst in enumerate(a.institutions or ()):
            raw_id = inst.id
            inst_id = self.seen.get(raw_id) if type(raw_id) is str else None
            if inst_id is None:
                inst_id = self._institution(inst, f"authorships[{pos}].institutions[{k}]")
                self.seen[raw_id] = inst_id  # _institution accepted it: the id is text
            if inst_id not in insts:
                insts.append(inst_id)
            country = inst.country_code
            if country:
                if type(country) is not str or SEP in country:
                    where = f"authorships[{pos}].institutions[{k}].country_code"
                    raise ValueError(f"{where}: {country!r} is not a country code")
                countries.append(country.upper())
        for code in a.countries or ():
            if code:
                if type(code) is not str or SEP in code:
                    raise ValueError(f"authorships[{pos}].countries: {code!r} is not a country code")
                countries.append(code.upper())
        author = a.author or _NO_AUTHOR
        raw_author = author.id
        if type(raw_author) is str and raw_author.startswith(_AUTHOR_URL) and raw_author[22:].isdigit():
            author_id: str | None = raw_author[21:]  # the form of nearly every author id
        else:
            author_id = ids.openalex_id(raw_author)
        orcid = author.orcid
        if len(countries) > 1:
            # an institution's country is usually listed again: two equal codes need no sort
            if len(countries) > 2 or countries[0] != countries[1]:
                countries = sorted(set(countries))
            else:
                del countries[1]
        orcid = ids.orcid(orcid) if orcid else None
        self.auth.rows.append(
            (line, pos, author_id, orcid, SEP.join(insts), SEP.join(countries), len(insts), len(countries))
        )

    def _institution(self, inst: schema.Institution, where: str) -> str:
        """The short id of an institution seen for the first time, its details kept."""
        inst_id = ids.openalex_id(inst.id)
        if inst_id is None or not inst_id.startswith("I"):
            raise ValueError(f"{where}.id: {inst.id!r} is not an OpenAlex institution id")
        country = _str(inst.country_code, f"{where}.country_code")
        self.institutions[inst_id] = (
            ids.ror_id(inst.ror),
            _str(inst.display_name, f"{where}.display_name"),
            country.upper() if country else None,
            _str(inst.type, f"{where}.type"),
        )
        return inst_id


_NO_TOPIC = schema.Topic()
_NO_NAME = schema.Named()
_NO_AUTHOR = schema.Author()


@lru_cache(maxsize=4096)  # a snapshot's works share a few hundred update dates
def _iso_date(text: str) -> bool:
    try:
        date.fromisoformat(text[:10])
    except ValueError:
        return False
    return True


@dataclass(slots=True)
class Checked:
    """What checking one chunk of lines gave: its records, errors, rows and institutions."""

    records: int
    errors: list[str]
    tables: dict[str, pa.Table]
    institutions: dict[str, Institution]


@contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """Pause Python's cycle collector while a chunk is flattened.

    Flattening allocates millions of small tuples that live until the chunk is sent; each
    allocation burst triggers a collection that scans them all again, which halved the import's
    speed. Parsed JSON and the rows made from it hold no reference cycles, so reference counting
    alone frees them: nothing accumulates while the collector is paused.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


_JSONL_HINT = "; is this a JSON Lines file of OpenAlex works, one object a line?"


def check_chunk(name: str, this_year: int, start: int, text: bytes) -> Checked:
    """Check and flatten the lines of ``text`` (the first is line ``start`` of file ``name``)."""
    with _no_cycle_collection():
        return _check_chunk(name, this_year, start, text)


def _check_chunk(name: str, this_year: int, start: int, text: bytes) -> Checked:
    flat = _Flattener(this_year)
    errors: list[str] = []
    records = 0
    for n, raw in enumerate(text.split(b"\n"), start=start):
        if not raw.strip():
            continue
        records += 1
        try:
            flat.add(schema.DECODER.decode(raw), n)
        except schema.ShapeError as exc:  # a DecodeError too: caught first
            message = schema.shape_error(exc)
            hint = _JSONL_HINT if n == 1 and message.startswith("expected a Work") else ""
            errors.append(f"{name}: line {n}: {message}{hint}")
        except schema.DecodeError as exc:
            hint = _JSONL_HINT if n == 1 else ""
            errors.append(f"{name}: line {n}: not valid JSON ({exc}){hint}")
        except ValueError as exc:
            errors.append(f"{name}: line {n}: {exc}")
        if len(errors) >= MAX_ERRORS:
            break
    tables = {stage: table for stage, rows in flat.stages.items() if (table := rows.take()) is not None}
    return Checked(records, errors, tables, flat.institutions)


def workers() -> int:
    """Processes that check lines: one a core (at most 4), or ``$EBPM_IMPORT_WORKERS``."""
    configured = os.environ.get("EBPM_IMPORT_WORKERS", "")
    return int(configured) if configured.isdigit() and int(configured) > 0 else min(os.cpu_count() or 1, 4)


def _checked(path: Path, this_year: int, progress: Progress | None) -> Iterator[Checked]:
    """Every chunk of the file checked, in file order: in worker processes for a large file.

    Checking is Python and takes most of an import; DuckDB's own JSON reader uses every core,
    so the import does too. At most two chunks a worker are in flight, so memory stays bounded.
    """
    chunks = _chunks(path, progress)
    count = workers()
    # a spawned worker re-imports the __main__ module by its path: a script read from standard
    # input has none, so such a caller checks in its own process
    main_file = getattr(sys.modules["__main__"], "__file__", None)
    spawnable = main_file is None or Path(main_file).is_file()
    if count == 1 or not spawnable or path.stat().st_size < PARALLEL_FROM:
        for start, text in chunks:
            yield check_chunk(path.name, this_year, start, text)
        return
    # spawn, not fork: the parent holds DuckDB's threads, and a forked child could inherit a held lock
    pool = ProcessPoolExecutor(
        count, mp_context=multiprocessing.get_context("spawn"), initializer=heap.keep_freed_memory
    )
    try:
        pending: deque[Future[Checked]] = deque()
        for start, text in chunks:
            pending.append(pool.submit(check_chunk, path.name, this_year, start, text))
            if len(pending) >= 2 * count:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    except BrokenProcessPool as exc:
        raise ReadError(
            f"{path}: a worker process checking the file stopped ({exc}); nothing was imported"
        ) from None
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


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
    if not path.is_file():
        raise ReadError(f"{path}: no such file")
    name = path.name
    summary = ImportSummary("openalex", str(path), dry_run=dry_run)
    errors: list[str] = []
    institutions: dict[str, Institution] = {}
    with heap.freed_memory_kept(), all_or_nothing(con, dry_run):
        stages = {stage: Stage(con, stage, columns) for stage, columns in STAGES.items()}
        for chunk in _checked(path, (today or date.today()).year, progress):
            summary.records += chunk.records
            errors += chunk.errors
            if len(errors) >= MAX_ERRORS:
                errors = [*errors[:MAX_ERRORS], f"{name}: stopped after {MAX_ERRORS} errors"]
                break
            if not errors:
                for stage, table in chunk.tables.items():
                    stages[stage].insert(table)
                for inst_id, details in chunk.institutions.items():
                    institutions.setdefault(inst_id, details)
        for pending in stages.values():
            pending.flush()
        if not errors and summary.records == 0:
            errors.append(f"{name}: no works (the file is empty)")
        if errors:
            raise ResearchImportError(errors)
        _apply(con, institutions, summary)
        if not dry_run and summary.added + summary.replaced:
            # every cell a new work joins changes its weights: recompute them all, once
            con.execute("DELETE FROM work_metrics")
            con.execute(f"INSERT INTO work_metrics {work_metrics_sql()}")
        record_dataset(con, summary, "works", path, label, sample)
    return summary


def _split(column: str) -> str:
    """SQL for the list a staged column joined with SEP holds (none for an empty text)."""
    return f"string_split(NULLIF({column}, ''), chr({ord(SEP)}))"


# each table written from the staged rows of the lines kept (``s_write``), lists unnested
_CHILDREN = {
    "citations_by_year": ("s_cby", "unnest(cite_years), unnest(cites)"),
    "authorships": ("s_auth", "pos, author_id, orcid, n_inst, n_ctry"),
    "authorship_institutions": ("s_auth", f"pos, unnest({_split('insts')})"),
    "authorship_countries": ("s_auth", f"pos, unnest({_split('countries')})"),
    "work_grants": ("s_grants", "funder_id, funder_name, award_id, award_key"),
    "referenced_works": ("s_refs", f"unnest({_split('referenced_ids')})"),
}


def _apply(
    con: duckdb.DuckDBPyConnection, institutions: dict[str, Institution], summary: ImportSummary
) -> None:
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
    # the lines to write: the newest version of each work the store lacks or holds older
    con.execute(
        "CREATE OR REPLACE TEMP TABLE s_write AS "
        "SELECT line, work_id FROM s_action WHERE action <> 'unchanged'"
    )
    replaced = "SELECT work_id FROM s_action WHERE action = 'replaced'"
    if summary.replaced:
        for table in _CHILDREN:
            con.execute(f"DELETE FROM {table} WHERE work_id IN ({replaced})")
        con.execute(f"DELETE FROM works WHERE work_id IN ({replaced})")
    for table, (stage, cols) in _CHILDREN.items():
        con.execute(f"INSERT INTO {table} SELECT w.work_id, {cols} FROM {stage} JOIN s_write w USING (line)")
    con.execute(
        "INSERT INTO works SELECT work_id, doi, work_type, pub_year, field_id, field_name, subfield_id, "
        "subfield_name, cites, updated_date, n_auth, excluded, -1 "
        "FROM s_works SEMI JOIN s_write USING (line)"
    )
    inst = Stage(
        con,
        "s_inst",
        "institution_id VARCHAR, ror VARCHAR, name VARCHAR, country_code VARCHAR, inst_type VARCHAR",
    )
    for inst_id, (ror, display, country, kind) in sorted(institutions.items()):
        inst.add((inst_id, ror, display, country, kind))
    inst.flush()
    con.execute("DELETE FROM institutions WHERE institution_id IN (SELECT institution_id FROM s_inst)")
    con.execute("INSERT INTO institutions SELECT * FROM s_inst")
