"""The bibliometric methods, written once as SQL (DuckDB dialect; ``engine.py`` transpiles it for Spark).

**Counted works.** ``article`` and ``review`` works with a publication year and a primary field.

**Cells and the world baseline.** A cell is a field (``primary_topic.field``) and a publication
year; the baseline is every counted work in the store.

**Top 10% and Top 1% with ties shared** (Waltman & Schreiber 2013; NISTEP's 補正論文数). In a
cell of N works let k = N/10. Sort by citations, highest first; t is the count of the work at
position ceil(k). Works cited more than t weigh 1; works cited exactly t weigh
(k − n_above) / n_tied each; the rest 0. The weights of a cell sum to exactly N/10. Top 1% uses
N/100. ceil(k) is computed in integers, floor((N + 9) / 10), never as ceil(0.1·N) in floating
point (0.1·30 is 3.0000000000000004, whose ceiling is 4).

**MNCS.** Each work's citations divided by the mean of its cell (0 where that mean is 0),
averaged over the group's works with their counting weights.

**Whole counting** (整数カウント): a work counts 1 for each distinct institution (or country)
among its authorships. **Fractional counting** (分数カウント, author level as in the CWTS Leiden
Ranking): on a work with A authorships each authorship carries 1/A; an authorship with m
institutions gives 1/(A·m) to each; for countries, each authorship's 1/A is split equally over
the distinct countries of its institutions. An authorship with no institution (no country)
gives its share to no one; totals report that share as unaffiliated.

**Researcher attributes.** An authorship is a researcher's when its OpenAlex author id or its
ORCID matches the researcher file. Career stage is the file's where given, else the age in the
year of the paper (or of the funding): under 40 early (若手, as MEXT and JSPS define it),
40–54 mid, 55 and over senior.

**Input and output.** A work is linked to a funding record when one of its grants' award ids
equals the record's, both normalised (width, case, spaces, hyphens); optionally also when one
of its authors is the record's researcher and it appeared within ``window`` years of the
record's fiscal year. Every link says which rule made it (``award_id`` wins over
``researcher``). A work linked to L records gives 1/L of itself (and of its Top10% weight) to
each. Funding and works that stay unlinked are counted, not dropped.

Every literal put into SQL here is a checked int or a value matched against a closed pattern
(``Query``), never raw user text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ebpm.research.identifiers import EARLY_BELOW, SENIOR_FROM

GROUPINGS = ("institution", "country", "field", "subfield", "funding_type", "gender", "career_stage")
IO_GROUPINGS = ("institution", "funding_type", "gender", "career_stage", "field")
COUNTINGS = ("whole", "fractional")
_COUNTRY = re.compile(r"^[A-Z]{2}$")
_WORD = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
ONE = "CAST(1 AS DOUBLE)"
ZERO = "CAST(0 AS DOUBLE)"


@dataclass(frozen=True, slots=True)
class Query:
    """What an analysis asks for; checked on construction, so it is safe to put into SQL."""

    first_year: int
    last_year: int
    counting: str = "whole"
    country: str | None = None  # a scope: institutions of, or works with authors in, this country
    institution_type: str | None = None
    funding_type: str | None = None
    fiscal_years: tuple[int, int] | None = None
    researcher_window: int | None = None  # years after the fiscal year; None: award ids only

    def __post_init__(self) -> None:
        if not 1000 <= self.first_year <= self.last_year <= 9999:
            raise ValueError(f"years: {self.first_year}–{self.last_year} is not a range of years")
        if self.counting not in COUNTINGS:
            raise ValueError(f"counting: {self.counting!r} is not one of {', '.join(COUNTINGS)}")
        if self.country is not None and not _COUNTRY.match(self.country):
            raise ValueError(f"country: {self.country!r} is not an ISO 3166 code such as JP")
        for name in ("institution_type", "funding_type"):
            value = getattr(self, name)
            if value is not None and not _WORD.match(value):
                raise ValueError(f"{name}: {value!r} is not a code such as education or kakenhi")
        if self.fiscal_years is not None and not 1000 <= self.fiscal_years[0] <= self.fiscal_years[1] <= 9999:
            raise ValueError(f"fiscal years: {self.fiscal_years} is not a range of years")
        if self.researcher_window is not None and not 0 <= self.researcher_window <= 20:
            raise ValueError("researcher window: give 0 to 20 years")


def work_metrics_sql() -> str:
    """Every counted work with its cell's Top10%/Top1% weights, normalised citations and
    co-authorship: the ``work_metrics`` table, computed after every import of works.

    A cell is a field and a year, so a window of years holds whole cells: the weights of a work
    do not depend on the window asked for, and are computed once, not at every question.
    """
    return f"""WITH
counted AS (
  SELECT work_id, field_id, field_name, subfield_id, subfield_name, pub_year, n_auth,
         CAST(cites AS DOUBLE) AS cites
  FROM works WHERE excluded IS NULL
),
ranked AS (
  SELECT c.*,
    COUNT(*) OVER (PARTITION BY field_id, pub_year) AS n_cell,
    AVG(cites) OVER (PARTITION BY field_id, pub_year) AS mean_cell,
    ROW_NUMBER() OVER (PARTITION BY field_id, pub_year ORDER BY cites DESC, work_id) AS rn
  FROM counted c
),
cut AS (
  SELECT field_id, pub_year,
    MAX(CASE WHEN rn = CAST(FLOOR((CAST(n_cell AS DOUBLE) + 9) / 10) AS BIGINT) THEN cites END) AS t10,
    MAX(CASE WHEN rn = CAST(FLOOR((CAST(n_cell AS DOUBLE) + 99) / 100) AS BIGINT) THEN cites END) AS t1
  FROM ranked GROUP BY field_id, pub_year
),
tally AS (
  SELECT r.field_id, r.pub_year,
    SUM(CASE WHEN r.cites > k.t10 THEN 1 ELSE 0 END) AS above10,
    SUM(CASE WHEN r.cites = k.t10 THEN 1 ELSE 0 END) AS tied10,
    SUM(CASE WHEN r.cites > k.t1 THEN 1 ELSE 0 END) AS above1,
    SUM(CASE WHEN r.cites = k.t1 THEN 1 ELSE 0 END) AS tied1
  FROM ranked r JOIN cut k ON r.field_id = k.field_id AND r.pub_year = k.pub_year
  GROUP BY r.field_id, r.pub_year
),
intl AS (
  SELECT work_id, CASE WHEN COUNT(DISTINCT country_code) > 1 THEN {ONE} ELSE {ZERO} END AS is_intl
  FROM authorship_countries GROUP BY work_id
),
metrics AS (
  SELECT r.work_id, r.field_id, r.field_name, r.subfield_id, r.subfield_name, r.pub_year, r.n_auth, r.cites,
    CASE WHEN r.cites > k.t10 THEN {ONE}
         WHEN r.cites = k.t10
           THEN (CAST(r.n_cell AS DOUBLE) - 10 * t.above10) / (10 * CAST(t.tied10 AS DOUBLE))
         ELSE {ZERO} END AS w10,
    CASE WHEN r.cites > k.t1 THEN {ONE}
         WHEN r.cites = k.t1
           THEN (CAST(r.n_cell AS DOUBLE) - 100 * t.above1) / (100 * CAST(t.tied1 AS DOUBLE))
         ELSE {ZERO} END AS w1,
    CASE WHEN r.mean_cell > 0 THEN r.cites / r.mean_cell ELSE {ZERO} END AS ncs,
    COALESCE(i.is_intl, {ZERO}) AS is_intl
  FROM ranked r
  JOIN cut k ON r.field_id = k.field_id AND r.pub_year = k.pub_year
  JOIN tally t ON r.field_id = t.field_id AND r.pub_year = t.pub_year
  LEFT JOIN intl i ON r.work_id = i.work_id
)
SELECT work_id, field_id, field_name, subfield_id, subfield_name, pub_year, n_auth, cites,
  w10, w1, ncs, is_intl
FROM metrics"""


def metrics(q: Query) -> str:
    """The ``metrics`` CTE: the counted works of the query's window with their weights."""
    return f"""
metrics AS (SELECT * FROM work_metrics WHERE pub_year BETWEEN {q.first_year} AND {q.last_year})"""


def _share(table: str, column: str, count: str, q: Query, where: str = "") -> str:
    """(work_id, gid, wt) for institutions or countries under the query's counting."""
    if q.counting == "whole":
        return f"SELECT DISTINCT x.work_id, x.{column} AS gid, {ONE} AS wt FROM {table} x {where}"
    return (
        f"SELECT x.work_id, x.{column} AS gid, SUM({ONE} / (a.{count} * w.n_auth)) AS wt FROM {table} x "
        f"JOIN authorships a ON a.work_id = x.work_id AND a.pos = x.pos "
        f"JOIN works w ON w.work_id = x.work_id {where} GROUP BY x.work_id, x.{column}"
    )


def _matched() -> str:
    """Authorships that are researchers of the researcher file (by author id or ORCID)."""
    return """
matched AS (
  SELECT a.work_id, a.pos, r.researcher_id, r.gender, r.birth_year, r.career_stage
  FROM authorships a JOIN researchers r ON a.author_id = r.author_id
  UNION
  SELECT a.work_id, a.pos, r.researcher_id, r.gender, r.birth_year, r.career_stage
  FROM authorships a JOIN researchers r ON a.orcid = r.orcid
)"""


def stage_expr(stage: str, birth_year: str, year: str) -> str:
    """A career stage: as given, else from the age in ``year``."""
    return (
        f"COALESCE({stage}, CASE WHEN {birth_year} IS NULL THEN 'unknown' "
        f"WHEN {year} - {birth_year} < {EARLY_BELOW} THEN 'early' "
        f"WHEN {year} - {birth_year} < {SENIOR_FROM} THEN 'mid' ELSE 'senior' END)"
    )


def links(q: Query) -> str:
    """CTEs ending in ``linked``: (work_id, record_id, rule, share) for counted works of the window."""
    researcher = ""
    if q.researcher_window is not None:
        for column in ("author_id", "orcid"):
            researcher += f"""
  UNION ALL
  SELECT a.work_id, f.record_id, 'researcher' AS rule
  FROM funding f JOIN researchers r ON f.researcher_id = r.researcher_id
  JOIN authorships a ON a.{column} = r.{column}
  JOIN works w ON w.work_id = a.work_id
  WHERE w.pub_year BETWEEN f.fiscal_year AND f.fiscal_year + {q.researcher_window}"""
    return f"""
link_rules AS (
  SELECT g.work_id, f.record_id, 'award_id' AS rule
  FROM work_grants g JOIN funding f ON g.award_key = f.award_key{researcher}
),
work_links AS (
  SELECT work_id, record_id, MIN(rule) AS rule FROM link_rules GROUP BY work_id, record_id
),
linked AS (
  SELECT l.work_id, l.record_id, l.rule,
    {ONE} / COUNT(*) OVER (PARTITION BY l.work_id) AS share
  FROM work_links l JOIN metrics m ON l.work_id = m.work_id
)"""


def assignment(by: str, q: Query) -> tuple[str, str]:
    """Extra CTEs and the ``assign`` CTE (work_id, gid, wt) for a grouping."""
    if by == "institution":
        return "", f"assign AS ({_share('authorship_institutions', 'institution_id', 'n_inst', q)})"
    if by == "country":
        return "", f"assign AS ({_share('authorship_countries', 'country_code', 'n_ctry', q)})"
    if by in ("field", "subfield"):
        # a work weighs what the country's authorships give it (0: the country has no share)
        scope_cte, scope_join, wt = _scope(q)
        return (
            scope_cte,
            f"assign AS (SELECT m.work_id, m.{by}_id AS gid, {wt} AS wt FROM metrics m {scope_join}"
            + (" WHERE s.work_id IS NOT NULL)" if q.country else ")"),
        )
    if by in ("gender", "career_stage"):
        expr = "x.gender" if by == "gender" else stage_expr("x.career_stage", "x.birth_year", "w.pub_year")
        if q.counting == "whole":
            body = (
                f"SELECT DISTINCT x.work_id, {expr} AS gid, {ONE} AS wt FROM matched x "
                "JOIN works w ON w.work_id = x.work_id"
            )
        else:
            body = (
                f"SELECT x.work_id, {expr} AS gid, SUM({ONE} / w.n_auth) AS wt FROM matched x "
                f"JOIN works w ON w.work_id = x.work_id GROUP BY x.work_id, {expr}"
            )
        return f"{_matched()},", f"assign AS ({body})"
    if by == "funding_type":
        if q.counting == "whole":
            body = (
                f"SELECT DISTINCT l.work_id, f.funding_type AS gid, {ONE} AS wt FROM linked l "
                "JOIN funding f ON f.record_id = l.record_id"
            )
        else:
            body = (
                "SELECT l.work_id, f.funding_type AS gid, SUM(l.share) AS wt FROM linked l "
                "JOIN funding f ON f.record_id = l.record_id GROUP BY l.work_id, f.funding_type"
            )
        return f"{links(q)},", f"assign AS ({body})"
    raise ValueError(f"by: {by!r} is not one of {', '.join(GROUPINGS)}")


def indicators_sql(by: str, q: Query) -> str:
    """One row per group: p, Top10%/Top1% weights, the sum of normalised citations, co-authorship."""
    extra, assign = assignment(by, q)
    return f"""WITH {metrics(q)},
{extra}
{assign}
SELECT g.gid AS id, SUM(g.wt) AS p, SUM(g.wt * m.w10) AS p_top10, SUM(g.wt * m.w1) AS p_top1,
  SUM(g.wt * m.ncs) AS sum_ncs, SUM(g.wt * m.is_intl) AS p_intl, SUM(g.wt * m.w1 * m.is_intl) AS p_top1_intl,
  COUNT(*) AS n_works
FROM assign g JOIN metrics m ON g.work_id = m.work_id
GROUP BY g.gid"""


def world_sql(by: str, q: Query) -> str:
    """The world in the window, and the works no group of ``by`` takes (whole) or their share."""
    extra, assign = assignment(by, q)
    return f"""WITH {metrics(q)},
{extra}
{assign},
taken AS (SELECT work_id, SUM(wt) AS wt FROM assign GROUP BY work_id)
SELECT COUNT(*) AS p, SUM(m.w10) AS p_top10, SUM(m.w1) AS p_top1, SUM(m.is_intl) AS p_intl,
  SUM(CASE WHEN t.work_id IS NULL THEN 1 ELSE 0 END) AS works_ungrouped,
  SUM(COALESCE(t.wt, 0)) AS p_grouped
FROM metrics m LEFT JOIN taken t ON t.work_id = m.work_id"""


def weights_sql(q: Query) -> str:
    """Every counted work with its cell and weights (for checks and exports)."""
    return f"""WITH {metrics(q)}
SELECT work_id, field_id, pub_year, cites, w10, w1, ncs, is_intl FROM metrics"""


def _scope(q: Query) -> tuple[str, str, str]:
    """A CTE, a join and a weight expression: each work's weight for the query's country under
    its counting (1 for every work when the query names no country)."""
    if q.country is None:
        return "", "", ONE
    where = f"WHERE x.country_code = '{q.country}'"
    scope = _share("authorship_countries", "country_code", "n_ctry", q, where)
    return f"scope AS ({scope}),", "LEFT JOIN scope s ON s.work_id = m.work_id", f"COALESCE(s.wt, {ZERO})"


def windows_sql(by: str, q: Query, windows: list[tuple[int, int]]) -> str:
    """World and scope papers and Top10% weights per (window, field or subfield)."""
    values = ", ".join(f"({a}, {b})" for a, b in windows)
    scope_cte, scope_join, wt = _scope(q)
    return f"""WITH {metrics(q)},
{scope_cte}
wins AS (SELECT * FROM (VALUES {values}) AS v(w_start, w_end))
SELECT v.w_start, v.w_end, m.{by}_id AS id, MAX(m.{by}_name) AS name,
  COUNT(*) AS world_p, SUM(m.w10) AS world_top10, SUM({wt}) AS p, SUM({wt} * m.w10) AS p_top10
FROM metrics m JOIN wins v ON m.pub_year BETWEEN v.w_start AND v.w_end {scope_join}
GROUP BY v.w_start, v.w_end, m.{by}_id"""


def patent_sql(q: Query) -> str:
    """Per field: world and scope papers, and those cited by at least one patent family."""
    # the strategy counts patent-cited papers whole (整数カウント), whatever the query says
    scope_cte, scope_join, wt = _scope(Query(q.first_year, q.last_year, "whole", q.country))
    return f"""WITH {metrics(q)},
{scope_cte}
cited_keys AS (
  SELECT w.work_id, pc.family_id FROM patent_citations pc JOIN works w ON pc.cited_key = w.work_id
  UNION
  SELECT w.work_id, pc.family_id FROM patent_citations pc JOIN works w ON pc.cited_key = w.doi
),
cited AS (SELECT work_id, COUNT(DISTINCT family_id) AS families FROM cited_keys GROUP BY work_id)
SELECT m.field_id AS id, MAX(m.field_name) AS name, COUNT(*) AS world_p,
  SUM(CASE WHEN c.work_id IS NULL THEN 0 ELSE 1 END) AS world_cited,
  SUM({wt}) AS p, SUM(CASE WHEN c.work_id IS NULL THEN {ZERO} ELSE {wt} END) AS p_cited
FROM metrics m LEFT JOIN cited c ON c.work_id = m.work_id {scope_join}
GROUP BY m.field_id"""


def funding_dimension(by: str) -> str:
    if by == "institution":
        return "COALESCE(ia.institution_id, ib.institution_id, f.institution_ref, 'unknown')"
    if by == "funding_type":
        return "f.funding_type"
    if by == "gender":
        return "COALESCE(r.gender, 'unknown')"
    if by == "career_stage":
        return (
            "CASE WHEN r.researcher_id IS NULL THEN 'unknown' ELSE "
            + stage_expr("r.career_stage", "r.birth_year", "f.fiscal_year")
            + " END"
        )
    if by == "field":
        return "COALESCE(r.research_field, 'unknown')"
    raise ValueError(f"by: {by!r} is not one of {', '.join(IO_GROUPINGS)}")


def inputs_outputs_sql(by: str, q: Query) -> str:
    """Per group of funding records: money in, and the linked papers and Top10% weights out."""
    where = []
    if q.fiscal_years is not None:
        where.append(f"f.fiscal_year BETWEEN {q.fiscal_years[0]} AND {q.fiscal_years[1]}")
    if q.funding_type is not None:
        where.append(f"f.funding_type = '{q.funding_type}'")
    if q.country is not None:
        where.append(f"COALESCE(ia.country_code, ib.country_code) = '{q.country}'")
    if q.institution_type is not None:
        where.append(f"COALESCE(ia.inst_type, ib.inst_type) = '{q.institution_type}'")
    filters = ("WHERE " + " AND ".join(where)) if where else ""
    return f"""WITH {metrics(q)},
{links(q)},
record_out AS (
  SELECT l.record_id, SUM(l.share) AS papers, SUM(l.share * m.w10) AS p_top10, SUM(l.share * m.w1) AS p_top1,
    SUM(CASE WHEN l.rule = 'award_id' THEN l.share ELSE 0 END) AS papers_by_award
  FROM linked l JOIN metrics m ON m.work_id = l.work_id GROUP BY l.record_id
)
SELECT {funding_dimension(by)} AS id, SUM(f.amount_yen) AS amount_yen, COUNT(*) AS records,
  SUM(COALESCE(o.papers, 0)) AS papers, SUM(COALESCE(o.p_top10, 0)) AS p_top10,
  SUM(COALESCE(o.p_top1, 0)) AS p_top1, SUM(COALESCE(o.papers_by_award, 0)) AS papers_by_award,
  SUM(CASE WHEN o.record_id IS NULL THEN 1 ELSE 0 END) AS unlinked_records,
  SUM(CASE WHEN o.record_id IS NULL THEN f.amount_yen ELSE 0 END) AS unlinked_yen
FROM funding f
LEFT JOIN record_out o ON o.record_id = f.record_id
LEFT JOIN researchers r ON r.researcher_id = f.researcher_id
LEFT JOIN institutions ia ON ia.institution_id = f.institution_ref
LEFT JOIN institutions ib ON CONCAT('ror:', ib.ror) = f.institution_ref
{filters}
GROUP BY {funding_dimension(by)}"""


def link_totals_sql(q: Query) -> str:
    """Counted works of the window: linked to funding, with grants but unlinked, without grants."""
    return f"""WITH {metrics(q)},
{links(q)},
per_work AS (SELECT work_id, MIN(rule) AS rule FROM linked GROUP BY work_id),
granted AS (SELECT DISTINCT work_id FROM work_grants)
SELECT COUNT(*) AS works,
  SUM(CASE WHEN p.work_id IS NOT NULL THEN 1 ELSE 0 END) AS linked,
  SUM(CASE WHEN p.rule = 'award_id' THEN 1 ELSE 0 END) AS linked_by_award,
  SUM(CASE WHEN p.rule = 'researcher' THEN 1 ELSE 0 END) AS linked_by_researcher_only,
  SUM(CASE WHEN p.work_id IS NULL AND g.work_id IS NOT NULL THEN 1 ELSE 0 END) AS granted_unlinked
FROM metrics m LEFT JOIN per_work p ON p.work_id = m.work_id LEFT JOIN granted g ON g.work_id = m.work_id"""
