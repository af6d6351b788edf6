"""The one import-staging helper of the research store.

Every research import streams its rows into temporary tables, in column batches handed to DuckDB
through Arrow (a Python row loop into SQL would dominate the import time). Nothing reaches the
store's tables until every row has been checked; then one transaction applies the whole file,
or, on an error or a dry run, nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import orjson
import pyarrow as pa

from ebpm.research.store import add_dataset
from ebpm.sources.digest import sha256
from ebpm.sources.tabular import RowErrors

BATCH = 50_000
INSERT_ROWS = 500_000  # rows gathered before one write into DuckDB
MAX_ERRORS = 20
Progress = Callable[[int, int], None]  # (done, total) in bytes or rows


class ResearchImportError(RowErrors):
    """Records that cannot be imported; each error names the file, line and field."""


@dataclass(slots=True)
class ImportSummary:
    kind: str
    file: str
    records: int = 0  # lines or rows read
    added: int = 0
    replaced: int = 0
    unchanged: int = 0
    duplicates: int = 0  # records whose key appeared again in the same file
    excluded: dict[str, int] = field(default_factory=dict)  # reason → works left out of the analysis
    dry_run: bool = False
    dataset_id: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "file": self.file,
            "records": self.records,
            "added": self.added,
            "replaced": self.replaced,
            "unchanged": self.unchanged,
            "duplicates": self.duplicates,
            "excluded": dict(sorted(self.excluded.items())),
            "dry_run": self.dry_run,
            "dataset_id": self.dataset_id,
        }


class Rows:
    """Rows of one table collected as tuples and handed over as one Arrow table.

    Pure Python and Arrow, no database: worker processes fill these and send the tables back.
    """

    def __init__(self, columns: str) -> None:
        self.columns = columns
        self.names = [c.split()[0] for c in columns.split(",")]
        types = [c.split()[1] for c in columns.split(",")]
        self.struct = pa.struct([(n, _ARROW[t]) for n, t in zip(self.names, types, strict=True)])
        self.rows: list[tuple[Any, ...]] = []

    def take(self) -> pa.Table | None:
        """The rows so far as an Arrow table (None when there are none); the list starts again."""
        if not self.rows:
            return None
        # one conversion of the whole batch as a struct array: far faster than a column at a time
        array = pa.array(self.rows, type=self.struct)
        self.rows = []
        return pa.Table.from_batches([pa.RecordBatch.from_struct_array(array)])


class Stage:
    """A temporary table filled with Arrow tables (``insert``), or row by row (``add``); ``flush``
    writes what is pending, and must be called before the table is read."""

    def __init__(self, con: duckdb.DuckDBPyConnection, name: str, columns: str) -> None:
        self.con = con
        self.name = name
        con.execute(f"CREATE OR REPLACE TEMP TABLE {name} ({columns})")
        self.pending = Rows(columns)
        self.tables: list[pa.Table] = []
        self.table_rows = 0

    def add(self, row: tuple[Any, ...]) -> None:
        self.pending.rows.append(row)
        if len(self.pending.rows) >= BATCH:
            self.insert(self.pending.take())

    def insert(self, table: pa.Table | None) -> None:
        # tables are gathered and written together: each write into DuckDB has a fixed cost that,
        # paid once a chunk, took twice as long as the rows themselves
        if table is not None:
            self.tables.append(table)
            self.table_rows += table.num_rows
        if self.table_rows >= INSERT_ROWS:
            self._write()

    def flush(self) -> None:
        self.insert(self.pending.take())
        self._write()

    def _write(self) -> None:
        if self.tables:
            # through a relation: a registered view keeps memory that the memory limit does not bound
            self.con.from_arrow(pa.concat_tables(self.tables)).insert_into(self.name)
            self.tables, self.table_rows = [], 0


_SCALARS = {"VARCHAR": pa.string(), "INTEGER": pa.int32(), "BIGINT": pa.int64(), "DOUBLE": pa.float64()}
_ARROW = {**_SCALARS, **{f"{name}[]": pa.list_(kind) for name, kind in _SCALARS.items()}}


@contextmanager
def all_or_nothing(con: duckdb.DuckDBPyConnection, dry_run: bool) -> Iterator[None]:
    """One transaction for a whole import: rolled back on any error, and after a dry run."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("ROLLBACK" if dry_run else "COMMIT")


def record_dataset(
    con: duckdb.DuckDBPyConnection,
    summary: ImportSummary,
    table: str,
    path: Path,
    label: str | None,
    sample: bool,
) -> None:
    """Name the rows an import wrote (dataset_id -1 until now) after a new data set; an import
    that changed nothing (the same file again, a dry run) records none."""
    if summary.dry_run or not summary.added + summary.replaced:
        return
    summary.dataset_id = add_dataset(
        con, summary.kind, label or path.name, str(path), sha256(path), summary.records,
        orjson.dumps(summary.as_dict()).decode(), sample,
    )  # fmt: skip
    con.execute(f"UPDATE {table} SET dataset_id = ? WHERE dataset_id = -1", [summary.dataset_id])


def merge_keyed(
    con: duckdb.DuckDBPyConnection, stage: str, target: str, key: list[str], values: list[str]
) -> tuple[int, int, int]:
    """Apply ``stage`` onto ``target`` by ``key``: (added, replaced, unchanged).

    A staged row whose key is stored with other ``values`` replaces the stored row; one with the
    same values changes nothing, so importing the same file twice is a no-op.
    """
    keys = ", ".join(key)
    on = " AND ".join(f"s.{k} IS NOT DISTINCT FROM t.{k}" for k in key)
    # a record that is all key (a patent citation) is either stored or not
    same = " AND ".join(f"s.{v} IS NOT DISTINCT FROM t.{v}" for v in values) or "TRUE"
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE _decision AS SELECT s.*, CASE WHEN NOT EXISTS "
        f"(SELECT 1 FROM {target} t WHERE {on}) THEN 'added' WHEN EXISTS "
        f"(SELECT 1 FROM {target} t WHERE {on} AND {same}) THEN 'unchanged' ELSE 'replaced' END AS _action "
        f"FROM (SELECT DISTINCT ON ({keys}) * FROM {stage} ORDER BY {keys}, line) s"
    )
    counts = dict(con.execute("SELECT _action, count(*) FROM _decision GROUP BY 1").fetchall())
    con.execute(
        f"DELETE FROM {target} t "
        f"WHERE EXISTS (SELECT 1 FROM _decision s WHERE {on} AND s._action = 'replaced')"
    )
    cols = ", ".join(key + values + ["dataset_id", "line"])
    con.execute(
        f"INSERT INTO {target} ({cols}) "
        f"SELECT {cols} FROM _decision WHERE _action <> 'unchanged' ORDER BY {keys}"
    )
    return counts.get("added", 0), counts.get("replaced", 0), counts.get("unchanged", 0)


def conflicts(
    con: duckdb.DuckDBPyConnection, stage: str, key: list[str], values: list[str], file: str
) -> list[str]:
    """Errors for keys given twice in one file with different values (naming both lines)."""
    keys = ", ".join(key)
    vals = ", ".join(key + values)
    rows = con.execute(
        f"SELECT {keys}, list(line ORDER BY line) FROM (SELECT DISTINCT ON ({vals}) * FROM {stage}) "
        f"GROUP BY {keys} HAVING count(*) > 1 ORDER BY 1 LIMIT {MAX_ERRORS}"
    ).fetchall()
    errors = []
    for row in rows:
        lines = row[-1]
        what = ", ".join(f"{k}={v}" for k, v in zip(key, row[:-1], strict=True) if v is not None)
        errors.append(
            f"{file}: line {lines[-1]}: {what} is given again with other values (line {lines[0]}); "
            "keep one row per record"
        )
    return errors


def count_duplicates(con: duckdb.DuckDBPyConnection, stage: str, key: list[str]) -> int:
    keys = ", ".join(key)
    row = con.execute(f"SELECT count(*) - count(DISTINCT ({keys})) FROM {stage}").fetchone()
    return int(row[0]) if row else 0
