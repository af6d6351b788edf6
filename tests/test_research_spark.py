"""The same analyses on DuckDB and on Apache Spark (local mode) give the same answers.

The SQL is written once (methods.py) and transpiled for Spark by SQLGlot; this runs it on both
over the SAMPLE test world. Sums of floating-point weights may be added in a different order
on each engine, so numbers are compared to 1e-9 relative; everything else must be equal.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ebpm.research import analytics
from ebpm.research.engine import DuckDBEngine, SparkEngine, export_parquet
from ebpm.research.methods import Query, work_metrics_sql
from ebpm.research.snapshot import flatten
from ebpm.research.store import open_store

pytestmark = pytest.mark.skipif(shutil.which("java") is None, reason="Spark needs Java 17")


@pytest.fixture(scope="module")
def parquet(research_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("parquet")
    with open_store(research_db, read_only=True) as con:
        export_parquet(con, folder)
    return folder


@pytest.fixture(scope="module")
def engines(research_db: Path, parquet: Path) -> Iterator[tuple[DuckDBEngine, SparkEngine]]:
    spark = SparkEngine(str(parquet), "local[2]")
    try:
        with open_store(research_db, read_only=True) as con:
            yield DuckDBEngine(con), spark
    finally:
        spark.stop()


def same(a: Any, b: Any, path: str = "") -> None:
    """Equal structures; floats equal to 1e-9 relative."""
    if isinstance(a, dict):
        assert isinstance(b, dict) and set(a) == set(b), path
        for k in a:
            if k != "engine":
                same(a[k], b[k], f"{path}.{k}")
    elif isinstance(a, list):
        assert isinstance(b, list) and len(a) == len(b), path
        for k, (x, y) in enumerate(zip(a, b, strict=True)):
            same(x, y, f"{path}[{k}]")
    elif isinstance(a, float) or isinstance(b, float):
        assert a == pytest.approx(b, rel=1e-9, abs=1e-12), path
    else:
        assert a == b, path


@pytest.mark.parametrize(
    ("by", "counting"),
    [("institution", "whole"), ("institution", "fractional"), ("country", "fractional"), ("field", "whole"),
     ("gender", "fractional"), ("funding_type", "whole")],
)  # fmt: skip
def test_indicators_are_identical(engines: tuple[DuckDBEngine, SparkEngine], by: str, counting: str) -> None:
    duck, spark = engines
    q = Query(2016, 2020, counting)
    expected = analytics.indicators(duck, by, q)
    assert expected["items"], "the test world must give groups"
    same(expected, analytics.indicators(spark, by, q))


def test_work_metrics_computed_by_spark_are_duckdbs(engines: tuple[DuckDBEngine, SparkEngine]) -> None:
    """The weights themselves (stored by the import) computed again by Spark from the same tables."""
    duck, spark = engines
    order = "ORDER BY work_id"
    expected = duck.rows(f"SELECT * FROM work_metrics {order}")
    computed = spark.rows(f"SELECT * FROM ({work_metrics_sql()}) {order}")
    assert len(expected) > 1000
    same(expected, computed)


def test_inputs_outputs_trends_and_patents_are_identical(engines: tuple[DuckDBEngine, SparkEngine]) -> None:
    duck, spark = engines
    q = Query(2011, 2022, researcher_window=3)
    same(analytics.inputs_outputs(duck, "institution", q), analytics.inputs_outputs(spark, "institution", q))
    t = Query(2011, 2022, country="JP")
    same(analytics.trends(duck, "field", t), analytics.trends(spark, "field", t))
    same(analytics.patent_cited(duck, t), analytics.patent_cited(spark, t))


def test_the_snapshot_flattened_by_spark_gives_what_the_import_gives(
    engines: tuple[DuckDBEngine, SparkEngine], research_db: Path, parquet: Path, tmp_path: Path
) -> None:
    duck, spark = engines
    works = research_db.parent / "sample" / "sample-works.jsonl.gz"
    queries = [
        ("institution", Query(2011, 2022, "fractional")),
        ("country", Query(2016, 2020)),
        ("field", Query(2020, 2022)),
    ]
    expected = [analytics.indicators(duck, by, q) for by, q in queries]
    result = flatten(spark, str(works), str(tmp_path / "flat"), 2026)
    stored = duck.rows("SELECT count(*) AS n FROM works")[0]["n"]
    assert result["tables"]["works"] == stored
    assert result["left_out"]["older_duplicates"] > 0
    spark.register(str(tmp_path / "flat"))
    try:
        for (by, q), want in zip(queries, expected, strict=True):
            same(want, analytics.indicators(spark, by, q))
    finally:
        spark.register(str(parquet))
