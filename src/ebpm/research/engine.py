"""Where the methods run: DuckDB (the research store itself) or Apache Spark.

The SQL of ``methods.py`` is written once, in DuckDB's dialect. On Spark it is transpiled by
SQLGlot and run over the same tables as Parquet files: ``ebpm research export-parquet`` writes
them from a store, and at national scale a Spark job writes them from the OpenAlex snapshot
(README: "Running on Spark"). Both engines answer with plain rows, so everything above this
module is engine-blind; CI runs the same indicators on both and compares them.
"""

from __future__ import annotations

import decimal
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

import duckdb
import sqlglot

from ebpm.research.store import ANALYTIC_TABLES, TABLES

Row = dict[str, Any]


class EngineError(RuntimeError):
    """The engine cannot run: Spark missing, a Parquet table missing, Java absent."""


class Engine(Protocol):
    name: str

    def rows(self, sql: str) -> list[Row]: ...


def _plain(value: Any) -> Any:
    # Spark returns DECIMAL sums where DuckDB returns doubles; compare numbers, not types
    return float(value) if isinstance(value, decimal.Decimal) else value


class DuckDBEngine:
    name = "duckdb"

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con

    def rows(self, sql: str) -> list[Row]:
        cur = self.con.execute(sql)
        names = [d[0] for d in cur.description or []]
        return [dict(zip(names, map(_plain, r), strict=True)) for r in cur.fetchall()]


def to_spark(sql: str) -> str:
    """The DuckDB SQL of ``methods.py`` in Spark's dialect."""
    return sqlglot.transpile(sql, read="duckdb", write="spark")[0]


class SparkEngine:
    """Spark SQL over the store's tables as Parquet (one ``TABLE.parquet`` each in a folder).

    A table missing from the folder is an empty one of the store's schema: a folder flattened from
    the OpenAlex snapshot (``snapshot.py``) holds no funding until it is exported there.
    """

    name = "spark"

    def __init__(self, parquet_dir: str | None, master: str = "local[2]") -> None:
        try:
            from pyspark.sql import SparkSession
        except ImportError:
            raise EngineError(
                "--engine spark needs pyspark: install ebpm with the spark extra (pip install 'ebpm[spark]')"
            ) from None
        try:
            self.spark = (
                SparkSession.builder.master(master)
                .appName("ebpm-research")
                .config("spark.sql.shuffle.partitions", "8")
                .config("spark.ui.enabled", "false")
                .config("spark.sql.session.timeZone", "UTC")
                .config("spark.driver.bindAddress", "127.0.0.1")
                .config("spark.driver.host", "127.0.0.1")
                .getOrCreate()
            )
        except Exception as exc:  # Py4J and Java raise many kinds when the JVM cannot start
            raise EngineError(f"Spark did not start ({exc}); Java 17 or newer must be installed") from None
        self.spark.sparkContext.setLogLevel("ERROR")
        if parquet_dir is not None:
            self.register(parquet_dir)

    def register(self, parquet_dir: str) -> None:
        from pyspark.errors import AnalysisException

        base = parquet_dir.rstrip("/")
        for table in ANALYTIC_TABLES:
            try:
                frame = self.spark.read.parquet(f"{base}/{table}.parquet")
            except AnalysisException as exc:
                if "PATH_NOT_FOUND" not in str(exc):
                    raise EngineError(f"{base}/{table}.parquet cannot be read by Spark ({exc})") from None
                frame = self.spark.createDataFrame([], spark_schema(table))
            frame.createOrReplaceTempView(table)

    def rows(self, sql: str) -> list[Row]:
        return [
            {k: _plain(v) for k, v in r.asDict().items()} for r in self.spark.sql(to_spark(sql)).collect()
        ]

    def stop(self) -> None:
        self.spark.stop()


def spark_schema(table: str) -> str:
    """A store table's columns in Spark's DDL."""
    return TABLES[table].replace("VARCHAR", "STRING").replace("INTEGER", "INT")


def export_parquet(
    con: duckdb.DuckDBPyConnection, directory: Path, tables: tuple[str, ...] = ANALYTIC_TABLES
) -> list[Path]:
    """Analytic tables of the store as ``directory/TABLE.parquet`` (what Spark reads)."""
    unknown = [t for t in tables if t not in ANALYTIC_TABLES]
    if unknown:
        raise ValueError(
            f"unknown table(s) {', '.join(unknown)}; the tables are {', '.join(ANALYTIC_TABLES)}"
        )
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for table in tables:
        target = directory / f"{table}.parquet"
        # a path literal cannot be a prepared parameter in COPY; quote it as SQL does
        con.execute(f"COPY {table} TO '{str(target).replace(chr(39), chr(39) * 2)}' (FORMAT parquet)")
        written.append(target)
    return written


@contextmanager
def spark_over_store(
    con: duckdb.DuckDBPyConnection, master: str = "local[2]", parquet_dir: str | None = None
) -> Iterator[SparkEngine]:
    """A Spark engine over ``parquet_dir``, or over a Parquet copy of the store made for the run."""
    if parquet_dir is not None:
        engine = SparkEngine(parquet_dir, master)
        try:
            yield engine
        finally:
            engine.stop()
        return
    with tempfile.TemporaryDirectory(prefix="ebpm-spark-") as tmp:
        export_parquet(con, Path(tmp))
        engine = SparkEngine(tmp, master)
        try:
            yield engine
        finally:
            engine.stop()
