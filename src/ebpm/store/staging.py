"""The one staging path of the monitoring store's imports (observations, budget projects).

Checked rows go in batches into a temporary table kept on disk, so a file of any size is read
with bounded memory. The table is keyed: a key given again is counted, not stored twice, and a
key given again with different values is marked with the line that differs, so duplicates and
conflicts need no grouping of the staged rows afterwards (two sorts of every row, which took a
third of an import). The importer then compares the staged rows with the stored ones and applies
the difference in SQL. The whole import is one transaction: an error anywhere, or a dry run,
leaves the store as it was.

The SQL is the same on SQLite and PostgreSQL; where their spelling differs (the temporary
schema's name, the driver's placeholders), :func:`temp` and :func:`placeholder` say which.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine

BATCH = 5000
MAX_ERRORS = 20
Progress = Callable[[int], None]
T = TypeVar("T")


def temp(conn: Connection, table: str) -> str:
    """``table`` in the temporary schema: a staging table never shadows or drops a stored one."""
    return f"{'pg_temp' if conn.dialect.name == 'postgresql' else 'temp'}.{table}"


def placeholder(conn: Connection) -> str:
    """The driver's positional placeholder, for statements sent as plain tuples."""
    return "?" if conn.dialect.paramstyle == "qmark" else "%s"


@contextmanager
def staging_transaction(store: Engine, dry_run: bool = False) -> Iterator[Connection]:
    """A connection in one transaction, committed at the end unless ``dry_run`` (then rolled back);
    rolled back on any error. Temporary tables go to disk, not memory."""
    with store.connect() as conn:
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("PRAGMA temp_store=FILE")  # PostgreSQL spills to disk by itself
            conn.commit()
        trans = conn.begin()
        try:
            yield conn
        except BaseException:
            trans.rollback()
            raise
        if dry_run:
            trans.rollback()
        else:
            trans.commit()


@dataclass(slots=True)
class Staged:
    """What :func:`stage` read: rows, and the errors (file, line, field) of those it refused."""

    rows: int = 0
    errors: list[str] = field(default_factory=list)


def stage(
    conn: Connection,
    table: str,
    columns: Sequence[str],
    rows: Iterable[tuple[int, T]],
    check: Callable[[T], tuple[Any, ...]],
    file: str,
    progress: Progress | None = None,
    *,
    key: Sequence[str],
    values: Sequence[str],
) -> Staged:
    """Check each ``(line, row)`` and stage what ``check`` returns (the values of ``columns``, in
    order; one of them is ``line``) in a new temporary ``table`` keyed by ``key``; a ValueError
    from ``check`` is an error naming the line. Stops after MAX_ERRORS errors; an input without
    rows is an error too.

    The first row of a key is kept; each later one adds to its ``copies``, and the first later
    one whose ``values`` differ (NULLs equal) sets its ``conflict_line``.
    """
    names = [c.split()[0] for c in columns]
    keys = ", ".join(key)
    conn.exec_driver_sql(f"DROP TABLE IF EXISTS {temp(conn, table)}")
    conn.exec_driver_sql(
        f"CREATE TEMP TABLE {table} ({', '.join(columns)}, copies INTEGER NOT NULL DEFAULT 1, "
        f"conflict_line INTEGER, PRIMARY KEY ({keys}))"
    )
    same = " AND ".join(f"{table}.{v} IS NOT DISTINCT FROM excluded.{v}" for v in values)
    mark = placeholder(conn)
    # plain tuples through the driver: SQLAlchemy's per-row parameter handling would double the time
    insert = (
        f"INSERT INTO {temp(conn, table)} AS {table} ({', '.join(names)}) "
        f"VALUES ({', '.join(mark for _ in names)}) "
        f"ON CONFLICT ({keys}) DO UPDATE SET copies = {table}.copies + 1, "
        f"conflict_line = COALESCE({table}.conflict_line, CASE WHEN NOT ({same}) THEN excluded.line END)"
    )
    staged = Staged()
    batch: list[tuple[Any, ...]] = []
    for line, row in rows:
        staged.rows += 1
        try:
            batch.append(check(row))
        except ValueError as exc:
            staged.errors.append(f"{file}: line {line}: {exc}")
            if len(staged.errors) >= MAX_ERRORS:
                staged.errors.append(f"{file}: stopped after {MAX_ERRORS} errors")
                break
        if len(batch) >= BATCH:
            conn.exec_driver_sql(insert, batch)
            batch = []
            if progress:
                progress(staged.rows)
    if batch:
        conn.exec_driver_sql(insert, batch)
    if progress:
        progress(staged.rows)
    if not staged.errors and staged.rows == 0:
        staged.errors.append(f"{file}: no data rows")
    return staged


@dataclass(frozen=True, slots=True)
class Conflict:
    """A key given again with different values: the line of its first row and of the first that differs."""

    key: tuple[Any, ...]
    first: int
    second: int


def conflicts(conn: Connection, table: str, key: Sequence[str]) -> list[Conflict]:
    """Keys of the staged ``table`` given again with different values, in file order."""
    rows = conn.exec_driver_sql(
        f"SELECT {', '.join(key)}, line, conflict_line FROM {temp(conn, table)} "
        f"WHERE conflict_line IS NOT NULL ORDER BY conflict_line LIMIT {MAX_ERRORS}"
    ).all()
    n = len(key)
    return [Conflict(tuple(r[:n]), r[n], r[n + 1]) for r in rows]


def duplicates(conn: Connection, table: str) -> int:
    """Rows of the staged ``table`` that repeated a key (counted once)."""
    query = f"SELECT COALESCE(SUM(copies - 1), 0) FROM {temp(conn, table)}"
    return int(conn.exec_driver_sql(query).scalar_one())
