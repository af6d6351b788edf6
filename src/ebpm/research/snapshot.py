"""The OpenAlex snapshot flattened into the research store's tables, as Parquet, by Spark.

At national scale (the whole snapshot, about 250 million works) the one-machine import
(``openalex.py``) is the wrong tool: this job does the same flattening in Spark SQL on a cluster
and writes one ``TABLE.parquet`` per table of ``store.TABLES``, which ``--engine spark --parquet``
then reads. The rules are those of the import: ids without their URL prefix, award numbers
folded (width, case, spaces, hyphens), the latest ``updated_date`` of a work id kept, only
articles and reviews with a year and a field counted. Where the import stops at a bad line, a
snapshot job cannot: records it cannot use (no id, negative citations) are counted and left
out, and the counts are returned.

CI checks it against the import: the SAMPLE world flattened here and imported there gives the
same indicators (``tests/test_research_spark.py``).
"""

from __future__ import annotations

from typing import Any

from ebpm.research.engine import SparkEngine, to_spark
from ebpm.research.methods import work_metrics_sql

SCHEMA = (
    "id STRING, doi STRING, type STRING, publication_year BIGINT, cited_by_count BIGINT, "
    "updated_date STRING, "
    "counts_by_year ARRAY<STRUCT<year: BIGINT, cited_by_count: BIGINT>>, "
    "primary_topic STRUCT<field: STRUCT<id: STRING, display_name: STRING>, "
    "subfield: STRUCT<id: STRING, display_name: STRING>>, "
    "authorships ARRAY<STRUCT<author: STRUCT<id: STRING, orcid: STRING>, "
    "institutions: ARRAY<STRUCT<id: STRING, ror: STRING, display_name: STRING, country_code: STRING, "
    "type: STRING>>, countries: ARRAY<STRING>>>, "
    "grants ARRAY<STRUCT<funder: STRING, funder_display_name: STRING, award_id: STRING>>, "
    "referenced_works ARRAY<STRING>"
)
# full-width ASCII → ASCII, for award numbers (Spark SQL has no NFKC)
# (the quote and the backslash are left out: they would end the SQL literal, and no award has them)
_PAIRS = [(chr(c + 0xFEE0), chr(c)) for c in range(0x21, 0x7F) if chr(c) not in "'\\"]
_FULL = "".join(full for full, _ in _PAIRS)
_HALF = "".join(half for _, half in _PAIRS)


def _short(column: str) -> str:
    """``https://openalex.org/W123`` → ``W123`` (upper case), NULL when it is not an id."""
    return f"NULLIF(UPPER(REGEXP_EXTRACT({column}, '([WAISFwaisf][0-9]+)$', 1)), '')"


def _award_key(column: str) -> str:
    return f"REGEXP_REPLACE(LOWER(TRANSLATE({column}, '{_FULL}', '{_HALF}')), '[-‐‑‒–—―−ｰ_\\\\s]', '')"


def _orcid(column: str) -> str:
    pattern = "([0-9]{4}-[0-9]{4}-[0-9]{4}-[0-9]{3}[0-9Xx])$"
    return f"NULLIF(UPPER(REGEXP_EXTRACT({column}, '{pattern}', 1)), '')"


def flatten(engine: SparkEngine, snapshot: str, output: str, this_year: int) -> dict[str, Any]:
    """Flatten the works under ``snapshot`` (JSON Lines, .gz too) into Parquet tables under ``output``."""
    spark = engine.spark
    spark.read.schema(SCHEMA).json(snapshot).createOrReplaceTempView("raw")
    spark.sql(
        f"""SELECT *, {_short("id")} AS work_id,
          ROW_NUMBER() OVER (PARTITION BY {_short("id")} ORDER BY updated_date DESC NULLS LAST) AS version
        FROM raw"""
    ).createOrReplaceTempView("versions")
    bad = spark.sql(
        f"""SELECT
          SUM(CASE WHEN work_id IS NULL OR NOT work_id LIKE 'W%' THEN 1 ELSE 0 END) AS no_id,
          SUM(CASE WHEN cited_by_count < 0 THEN 1 ELSE 0 END) AS negative_citations,
          SUM(CASE WHEN publication_year > {this_year} THEN 1 ELSE 0 END) AS future_year,
          SUM(CASE WHEN version > 1 THEN 1 ELSE 0 END) AS older_duplicates
        FROM versions"""
    ).collect()[0]
    spark.sql(
        f"""SELECT * FROM versions WHERE version = 1 AND work_id LIKE 'W%'
          AND COALESCE(cited_by_count, 0) >= 0 AND COALESCE(publication_year, 0) <= {this_year}"""
    ).createOrReplaceTempView("w")
    field = "REGEXP_EXTRACT(primary_topic.field.id, '([0-9]+)$', 1)"
    subfield = "REGEXP_EXTRACT(primary_topic.subfield.id, '([0-9]+)$', 1)"
    # one row per authorship with its distinct institutions and countries
    spark.sql(
        f"""SELECT work_id, pos, {_short("a.author.id")} AS author_id, {_orcid("a.author.orcid")} AS orcid,
          ARRAY_DISTINCT(TRANSFORM(FILTER(COALESCE(a.institutions, ARRAY()), i -> i.id IS NOT NULL),
                                   i -> {_short("i.id")})) AS insts,
          ARRAY_DISTINCT(FILTER(CONCAT(
            TRANSFORM(COALESCE(a.institutions, ARRAY()), i -> UPPER(i.country_code)),
            TRANSFORM(COALESCE(a.countries, ARRAY()), c -> UPPER(c))),
            c -> c IS NOT NULL AND c <> '')) AS ctrys
        FROM w LATERAL VIEW POSEXPLODE(authorships) t AS pos, a"""
    ).createOrReplaceTempView("auth")
    tables = {
        "works": f"""SELECT work_id,
            LOWER(NULLIF(REGEXP_EXTRACT(doi, '(10\\\\.[0-9]{{4,9}}/\\\\S+)$', 1), '')) AS doi,
            type AS work_type, CAST(publication_year AS INT) AS pub_year,
            NULLIF({field}, '') AS field_id, primary_topic.field.display_name AS field_name,
            NULLIF({subfield}, '') AS subfield_id, primary_topic.subfield.display_name AS subfield_name,
            COALESCE(cited_by_count, 0) AS cites, updated_date,
            CAST(COALESCE(SIZE(authorships), 0) AS INT) AS n_auth,
            CASE WHEN type IS NULL THEN 'no type'
                 WHEN type NOT IN ('article', 'review') THEN CONCAT('type ', type)
                 WHEN publication_year IS NULL THEN 'no publication year'
                 WHEN NULLIF({field}, '') IS NULL THEN 'no primary field' END AS excluded,
            0 AS dataset_id
          FROM w""",
        "citations_by_year": """SELECT work_id, CAST(c.year AS INT) AS cite_year, c.cited_by_count AS cites
          FROM w LATERAL VIEW EXPLODE(counts_by_year) t AS c""",
        "authorships": """SELECT work_id, CAST(pos AS INT) AS pos, author_id, orcid,
            CAST(SIZE(insts) AS INT) AS n_inst, CAST(SIZE(ctrys) AS INT) AS n_ctry FROM auth""",
        "authorship_institutions": """SELECT work_id, CAST(pos AS INT) AS pos, institution_id
          FROM auth LATERAL VIEW EXPLODE(insts) t AS institution_id""",
        "authorship_countries": """SELECT work_id, CAST(pos AS INT) AS pos, country_code
          FROM auth LATERAL VIEW EXPLODE(ctrys) t AS country_code""",
        "institutions": f"""SELECT institution_id, MAX(ror) AS ror, MAX(name) AS name,
            MAX(country_code) AS country_code, MAX(inst_type) AS inst_type FROM (
              SELECT {_short("i.id")} AS institution_id,
                NULLIF(LOWER(REGEXP_EXTRACT(i.ror, '(0[a-z0-9]{{6}}[0-9]{{2}})$', 1)), '') AS ror,
                i.display_name AS name, UPPER(i.country_code) AS country_code, i.type AS inst_type
              FROM w LATERAL VIEW EXPLODE(authorships) t AS a LATERAL VIEW EXPLODE(a.institutions) u AS i
            ) WHERE institution_id IS NOT NULL GROUP BY institution_id""",
        "work_grants": f"""SELECT work_id, {_short("g.funder")} AS funder_id,
            g.funder_display_name AS funder_name,
            g.award_id, {_award_key("g.award_id")} AS award_key
          FROM w LATERAL VIEW EXPLODE(grants) t AS g""",
        "referenced_works": f"""SELECT work_id, {_short("r")} AS referenced_id
          FROM w LATERAL VIEW EXPLODE(referenced_works) t AS r""",
    }
    base = output.rstrip("/")
    counts: dict[str, Any] = {}
    for table, sql in tables.items():
        frame = spark.sql(sql)
        frame.write.mode("overwrite").parquet(f"{base}/{table}.parquet")
        counts[table] = spark.read.parquet(f"{base}/{table}.parquet").count()
    # the weights of every work, by the same SQL as the one-machine import
    engine.register(base)
    spark.sql(to_spark(work_metrics_sql())).write.mode("overwrite").parquet(f"{base}/work_metrics.parquet")
    counts["work_metrics"] = spark.read.parquet(f"{base}/work_metrics.parquet").count()
    engine.register(base)
    return {"tables": counts, "left_out": {k: int(v or 0) for k, v in bad.asDict().items()}}
