"""The monitoring store: what users add (observations, targets, imports, budgets, progress
reports, accounts, the audit log), kept apart from the knowledge base.

The knowledge base is derived: every ingest rebuilds it from the document. What users add is
primary data that exists nowhere else, so it lives in its own database, which an ingest never
touches and whose schema evolves through Alembic migrations: a SQLite file by default, or a
PostgreSQL database (``$EBPM_DATABASE_URL``) where several people and server processes share it.
Nothing here is ever updated in place: a revised value or target supersedes the old row,
which keeps its values and gets ``superseded_at``. The budget tables are defined on the same
``metadata`` in ``budget_tables``.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
import weakref
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote

from sqlalchemy import (
    Column,
    Connection,
    Engine,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    event,
    inspect,
    text,
)
from sqlalchemy.engine import URL, ExceptionContext, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.pool import QueuePool, StaticPool

ENV_VAR = "EBPM_MONITORING_DB"
URL_VAR = "EBPM_DATABASE_URL"  # postgresql+psycopg://… : the shared store on PostgreSQL
DEFAULT_NAME = "ebpm-monitoring.sqlite"
MIGRATIONS = Path(__file__).parent / "migrations"
BUSY_ENV = "EBPM_BUSY_TIMEOUT"
DEFAULT_BUSY_TIMEOUT = 30.0
SQLITE_BUSY, SQLITE_LOCKED, SQLITE_READONLY = 5, 6, 8  # primary result codes
LOCK_HELD = "ebpm_write_lock"  # in Connection.info: this connection's transaction holds the lock
# PostgreSQL: the advisory lock importers take instead of SQLite's BEGIN IMMEDIATE ("ebpm" in ASCII)
IMPORT_LOCK = 0x6562706D

metadata = MetaData()

imports = Table(
    "imports",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("file", Text, nullable=False),
    Column("format", String, nullable=False),
    Column("sha256", String, nullable=False),
    Column("rows", Integer, nullable=False),
    Column("added", Integer, nullable=False),
    Column("revised", Integer, nullable=False),
    Column("unchanged", Integer, nullable=False),
    Column("imported_at", String, nullable=False),  # ISO 8601, UTC
    Column("imported_by", String, nullable=False),
)

observations = Table(
    "observations",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("series_id", String, nullable=False),
    Column("period", String, nullable=False),  # canonical label: 2022, FY2022, 2022-03
    Column("period_end", String, nullable=False),  # ISO date the period ends on
    Column("value", Float, nullable=False),
    Column("unit", String),
    Column("source", Text, nullable=False),
    Column("note", Text),
    Column("import_id", Integer, ForeignKey("imports.id"), nullable=False),
    Column("line", Integer),  # the line or row of the imported file
    Column("imported_at", String, nullable=False),
    Column("superseded_at", String),
    Column("superseded_by", Integer),
    # one current value per series and period; superseded rows are history
    Index(
        "observations_current",
        "series_id",
        "period",
        unique=True,
        sqlite_where=text("superseded_at IS NULL"),
        postgresql_where=text("superseded_at IS NULL"),
    ),
)

targets = Table(
    "targets",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("series_id", String, nullable=False, index=True),
    Column("value", Float, nullable=False),
    Column("period", String, nullable=False),
    Column("period_end", String, nullable=False),
    Column("direction", String, nullable=False),  # up | down
    Column("base_period", String),  # the baseline observation's period, if chosen
    Column("note", Text),
    Column("author", String, nullable=False),
    Column("created_at", String, nullable=False),
    Column("superseded_at", String),
)


def now() -> str:
    """The time rows are stamped with: UTC, ISO 8601, to the second."""
    return datetime.now(UTC).isoformat(timespec="seconds")


# Where a store is: a SQLite file, or a PostgreSQL database (its URL; printed without the password)
Location = Path | URL


def resolve_path(option: Location | None) -> Location:
    """``--monitoring-db`` wins, then ``$EBPM_DATABASE_URL`` (PostgreSQL), then
    ``$EBPM_MONITORING_DB``, then ``./ebpm-monitoring.sqlite``."""
    if option is not None:
        return option
    url = os.environ.get(URL_VAR, "").strip()
    if url:
        return parse_url(url)
    env = os.environ.get(ENV_VAR)
    return Path(env) if env else Path(DEFAULT_NAME)


def parse_url(raw: str) -> URL:
    """``$EBPM_DATABASE_URL`` as a SQLAlchemy URL; only PostgreSQL through psycopg is supported."""
    try:
        url = make_url(raw)
    except ArgumentError:
        raise MonitoringStoreError(
            f"${URL_VAR}: not a database URL; write postgresql+psycopg://USER@HOST:5432/DATABASE"
        ) from None
    if url.get_backend_name() != "postgresql":
        raise MonitoringStoreError(
            f"${URL_VAR}: {url.get_backend_name()} is not supported; write postgresql+psycopg://USER@HOST/DB "
            "(or unset it for the SQLite file)"
        )
    return url.set(drivername="postgresql+psycopg")


def describe_location(where: Location) -> str:
    """The store as messages name it: the file, or the URL without its password."""
    return where.render_as_string(hide_password=True) if isinstance(where, URL) else str(where)


Access = Literal["read", "write", "shared"]


def busy_timeout() -> float:
    """Seconds a write waits for another writer's lock: ``$EBPM_BUSY_TIMEOUT``, else 30."""
    raw = os.environ.get(BUSY_ENV, "").strip()
    if not raw:
        return DEFAULT_BUSY_TIMEOUT
    try:
        seconds = float(raw)
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds < 1e6:  # also rejects nan
        raise MonitoringStoreError(f"${BUSY_ENV}: {raw!r} is not a number of seconds, e.g. 30")
    return seconds


class MonitoringStoreError(RuntimeError):
    """The monitoring store cannot be opened, migrated or written; the message names the file.

    ``reason`` is SQLite's own message where the store is damaged or not a store at all.
    """

    def __init__(self, message: str, reason: str | None = None) -> None:
        super().__init__(message)
        self.reason = reason


def engine_for(where: Location, access: Access = "shared") -> Engine:
    """An engine on the store at ``where``, without migrating it.

    ``read``: nothing is written, not even SQLite's journal mode (the file is opened read-only;
    PostgreSQL transactions are read-only).
    ``write`` (the importers and other CLI writers): a transaction takes the store's write lock
    before it reads, ``BEGIN IMMEDIATE`` on SQLite and an advisory lock on PostgreSQL, so a second
    importer waits for the first (up to :func:`busy_timeout`) instead of failing when its snapshot
    goes stale (see :func:`_take_the_write_lock_first`).
    ``shared`` (the server): transactions start deferred, so its readers never wait for an
    importer; its writes begin with a write statement, which waits.
    """
    if isinstance(where, URL):
        return _postgres_engine(where, access)
    path = where
    timeout = busy_timeout()
    if access == "read":
        engine = create_engine(
            f"sqlite:///{path}", creator=lambda: _connect_read_only(path, timeout), poolclass=QueuePool
        )
    else:
        engine = create_engine(f"sqlite:///{path}", connect_args={"timeout": timeout})

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: object) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        if access != "read":
            _wal(cursor, timeout)  # readers (the web server) never block an import
        cursor.close()
        if access == "write":
            dbapi_connection.isolation_level = None  # the driver emits no BEGIN of its own: _begin does

    if access == "write":
        _take_the_write_lock_first(engine, "BEGIN IMMEDIATE", "BEGIN")

    @event.listens_for(engine, "handle_error")
    def _named(context: ExceptionContext) -> None:
        # a lock held too long, a read-only file, a full disk: one line naming the store
        exc = context.original_exception
        if isinstance(exc, sqlite3.DatabaseError) and not isinstance(
            exc, sqlite3.IntegrityError | sqlite3.ProgrammingError
        ):
            code = getattr(exc, "sqlite_errorcode", 0) & 0xFF
            reason = None if code in (SQLITE_BUSY, SQLITE_LOCKED, SQLITE_READONLY) else str(exc)
            raise MonitoringStoreError(_explain(path, exc, timeout), reason) from None

    return engine


def _postgres_engine(url: URL, access: Access) -> Engine:
    import psycopg
    from psycopg import errors as pg_errors

    timeout = busy_timeout()
    # pre-ping: a pooled connection the server closed (a restart) is replaced, not handed out
    engine = create_engine(url, pool_pre_ping=True, connect_args={"connect_timeout": 10})

    @event.listens_for(engine, "connect")
    def _settings(dbapi_connection: Any, _record: object) -> None:
        with dbapi_connection.cursor() as cursor:
            # a write waits for another writer's lock as long as on SQLite, then fails clearly
            cursor.execute(f"SET lock_timeout = {int(timeout * 1000)}")
            if access == "read":
                cursor.execute("SET default_transaction_read_only = on")
        dbapi_connection.commit()

    if access == "write":
        _take_the_write_lock_first(engine, f"SELECT pg_advisory_xact_lock({IMPORT_LOCK})", None)

    where = describe_location(url)

    @event.listens_for(engine, "handle_error")
    def _named(context: ExceptionContext) -> None:
        exc = context.original_exception
        if isinstance(exc, pg_errors.LockNotAvailable):
            raise MonitoringStoreError(
                f"{where}: the monitoring store is locked by another writer (an import?) for more than "
                f"{timeout:g} s; try again when it has finished, or wait longer with ${BUSY_ENV}=SECONDS"
            ) from None
        if isinstance(exc, pg_errors.ReadOnlySqlTransaction):
            raise MonitoringStoreError(f"{where}: the monitoring store was opened read-only here") from None
        if isinstance(exc, psycopg.OperationalError):
            reason = " ".join(str(exc).split())
            message = f"{where}: cannot reach the PostgreSQL store ({reason})"
            raise MonitoringStoreError(message, reason) from None

    return engine


def is_postgres(engine: Engine | Connection) -> bool:
    return engine.dialect.name == "postgresql"


def _take_the_write_lock_first(engine: Engine, lock: str, plain: str | None) -> None:
    """Start each transaction by taking the write lock (``lock``), unless another connection of
    this process holds it already: a read it makes meanwhile (a series' unit, during an import)
    would otherwise wait for its own process. Such a read begins with ``plain`` (deferred on
    SQLite, where in WAL it never blocks; PostgreSQL begins by itself)."""
    held = [0]  # transactions of this engine holding the write lock
    guard = threading.Lock()

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        with guard:
            immediate = held[0] == 0
            if immediate:
                held[0] += 1
        if not immediate:
            if plain:
                conn.exec_driver_sql(plain)
            return
        try:
            conn.exec_driver_sql(lock)
        except BaseException:
            with guard:
                held[0] -= 1
            raise
        conn.info[LOCK_HELD] = True

    def _end(conn: Connection) -> None:
        if conn.info.pop(LOCK_HELD, False):
            with guard:
                held[0] -= 1

    event.listen(engine, "commit", _end)
    event.listen(engine, "rollback", _end)


def _wal(cursor: sqlite3.Cursor, timeout: float) -> None:
    """Put the store in WAL mode. Switching a new file's journal mode needs a moment's exclusive
    lock, and SQLite answers SQLITE_BUSY at once, without its busy handler, while another
    connection (a second importer creating the same store) holds any lock: so retry until the
    busy timeout, as a write would wait."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            busy = getattr(exc, "sqlite_errorcode", 0) & 0xFF in (SQLITE_BUSY, SQLITE_LOCKED)
            if not busy or time.monotonic() >= deadline:
                raise
            time.sleep(0.02)


def _explain(path: Path, exc: sqlite3.Error, timeout: float) -> str:
    code = getattr(exc, "sqlite_errorcode", 0) & 0xFF
    if code in (SQLITE_BUSY, SQLITE_LOCKED):
        return (
            f"{path}: the monitoring store is locked by another writer (an import?) for more than "
            f"{timeout:g} s; try again when it has finished, or wait longer with ${BUSY_ENV}=SECONDS"
        )
    if code == SQLITE_READONLY:
        return f"{path}: the monitoring store is read-only here ({exc}); give another with --monitoring-db"
    return f"{path}: monitoring store error ({exc})"


def _connect_read_only(path: Path, timeout: float) -> sqlite3.Connection:
    uri = f"file:{quote(str(path.resolve()))}?mode=ro"
    con = sqlite3.connect(uri, uri=True, timeout=timeout, check_same_thread=False)
    try:
        con.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
    except sqlite3.OperationalError as exc:
        if getattr(exc, "sqlite_errorcode", 0) & 0xFF != SQLITE_READONLY:
            con.close()
            raise
        # A WAL store in a folder we may not write has no -shm file and cannot get one: SQLite
        # reads it only as immutable, which is what a store nobody here can write is.
        con.close()
        con = sqlite3.connect(uri + "&immutable=1", uri=True, timeout=timeout, check_same_thread=False)
    return con


def _empty() -> Engine:
    """An empty store in memory: what a read finds where no store has been written yet."""
    engine = create_engine(
        "sqlite://",
        creator=lambda: sqlite3.connect(":memory:", check_same_thread=False),
        poolclass=StaticPool,
    )
    from ebpm.store import (
        budget_tables,  # noqa: F401  # its tables are on ``metadata`` once imported
        follow_tables,  # noqa: F401
        lineage_tables,  # noqa: F401
    )

    metadata.create_all(engine)
    return engine


def _config(conn: Connection | None = None) -> Any:
    # imported here: Alembic is slow to import and only opening the store needs it
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = conn
    return cfg


def head_revision() -> str:
    """The schema revision this version of ebpm reads and writes."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None  # the package ships its migrations
    return head


def _revision(conn: Connection) -> str | None:
    """The store's schema revision; None for a store no migration has run on yet."""
    if not inspect(conn).has_table("alembic_version"):
        return None
    return conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()


def _cannot_open(where: Location, exc: BaseException) -> MonitoringStoreError:
    """The error for a store that cannot be opened at all: the file's fault, not a busy writer's."""
    if isinstance(exc, MonitoringStoreError):
        if exc.reason is None:
            return exc
        reason: object = exc.reason
    else:
        reason = getattr(exc, "orig", None) or getattr(exc, "strerror", None) or exc
    if isinstance(where, URL):
        return MonitoringStoreError(
            f"{describe_location(where)}: cannot open the monitoring store ({reason}); check ${URL_VAR}"
        )
    return MonitoringStoreError(
        f"{where}: cannot open the monitoring store ({reason}); give another file with --monitoring-db"
    )


def migrate(where: Location) -> tuple[str | None, str]:
    """Create the store at ``where`` or migrate it to the current schema; (before, after) revisions.
    Two processes migrating at once take turns: the write lock is taken first."""
    from alembic import command

    engine = engine_for(where, "write")
    try:
        if isinstance(where, Path):
            where.parent.mkdir(parents=True, exist_ok=True)
        with engine.begin() as conn:
            before = _revision(conn)
            command.upgrade(_config(conn), "head")
            after = _revision(conn)
    except (OSError, SQLAlchemyError, MonitoringStoreError) as exc:
        raise _cannot_open(where, exc) from None
    finally:
        engine.dispose()
    assert after is not None
    return before, after


def open_store(where: Location, access: Access = "shared") -> Engine:
    """The store at ``where``.

    ``write`` and ``shared`` create it or migrate it to the current schema first, ``shared``
    falls back to ``read`` where the file exists but may not be written. ``read`` never writes:
    a store not written yet reads as empty, and one at an older schema is an error that says to
    run ``ebpm migrate``.
    """
    if access == "shared" and isinstance(where, Path) and where.exists() and not _writable(where):
        access = "read"
    if access == "read":
        return _open_read_only(where)
    migrate(where)
    return engine_for(where, access)


def _writable(path: Path) -> bool:
    # SQLite writes the -wal and -shm files next to the store, so its folder must be writable too
    return os.access(path, os.W_OK) and os.access(path.parent, os.W_OK)


def _open_read_only(where: Location) -> Engine:
    if isinstance(where, Path) and not where.exists():
        return _empty()
    engine = engine_for(where, "read")
    try:
        with engine.connect() as conn:
            current = _revision(conn)
    except (OSError, SQLAlchemyError, MonitoringStoreError) as exc:
        engine.dispose()
        raise _cannot_open(where, exc) from None
    if current is None:
        engine.dispose()
        return _empty()  # an empty file: no store written yet
    head = head_revision()
    if current != head:
        engine.dispose()
        raise MonitoringStoreError(
            f"{describe_location(where)}: the monitoring store has schema {current}, this ebpm needs {head}; "
            "run `ebpm migrate` to upgrade it"
        )
    return engine


# per engine, the connection version() reads on (dropped with its engine)
_watchers: weakref.WeakKeyDictionary[Engine, Any] = weakref.WeakKeyDictionary()
_watchers_lock = threading.Lock()
WAL_POSITION = "SELECT pg_current_wal_insert_lsn() - '0/0'"  # bytes written to the log, ever


def version(engine: Engine) -> int:
    """Changes whenever anything is committed to the store, by this process or another: a key for
    caches of what is read from it (observations, targets, budget projects, matches and reviews,
    and whatever a later table holds), so no write is missed by a list of tables to watch.

    SQLite's ``data_version`` moves whenever another connection commits. It is read on one
    connection kept for the purpose, which never writes, so every write is another's.
    On PostgreSQL, the position in the write-ahead log moves with every write of any process
    (a commit writes a record too): a cache may be dropped without need, never kept too long.
    """
    postgres = is_postgres(engine)
    with _watchers_lock:  # one connection, asked by every request thread in turn
        watcher = _watchers.get(engine)
        if watcher is None:
            watcher = _watchers[engine] = engine.raw_connection()
            if postgres:
                watcher.driver_connection.autocommit = True  # type: ignore[union-attr]  # no open transaction
        cursor = watcher.cursor()
        try:
            cursor.execute(WAL_POSITION if postgres else "PRAGMA data_version")
            row = cursor.fetchall()
        finally:
            cursor.close()  # no statement left open: it would hold a read snapshot
    return int(row[0][0])
