"""The research analytics over REST, under /api/research/: JSON by default, the items as CSV.

Every parameter is bounded in the spec (enums, patterns, ranges), and what the spec cannot say
(a range that runs backwards) is checked by :class:`ebpm.research.methods.Query` and answered
with a 422. Without a research store every route is a 404 that says how to load one.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from ebpm.research.service import ResearchService
from ebpm.web.deps import Format, ResearchDep
from ebpm.web.models import ErrorOut
from ebpm.web.models import research as m
from ebpm.web.research_views import YEARS_PATTERN, make_query, trend_rows, years_param
from ebpm.web.tabular import CSV_RESPONSE, table_response

router = APIRouter(
    prefix="/api/research",
    tags=["research"],
    responses={404: {"model": ErrorOut}, 422: {"model": ErrorOut}, 503: {"model": ErrorOut}},
)

By = Literal["institution", "country", "field", "subfield", "funding_type", "gender", "career_stage"]
IoBy = Literal["institution", "funding_type", "gender", "career_stage", "field"]
Years = Annotated[
    str | None,
    Query(
        max_length=9,
        pattern=YEARS_PATTERN,
        description="Publication years, 2018-2020 or 2020 (default: the last three years loaded).",
    ),
]
FiscalYears = Annotated[
    str | None,
    Query(
        max_length=9,
        pattern=YEARS_PATTERN,
        description="Fiscal years of the funding (default: the publication years).",
    ),
]
Counting = Annotated[
    Literal["whole", "fractional"], Query(description="whole (整数カウント) or fractional (分数カウント).")
]
Country = Annotated[
    str | None, Query(max_length=2, pattern=r"^[A-Z]{2}$", description="ISO 3166 code, e.g. JP.")
]
# trends and patent counts: a country is required, and the default span is every loaded year
ScopeCountry = Annotated[str, Query(max_length=2, pattern=r"^[A-Z]{2}$", description="ISO 3166 code.")]
AllYears = Annotated[
    str | None,
    Query(max_length=9, pattern=YEARS_PATTERN, description="Publication years (default: all loaded)."),
]
Code = r"^[a-z][a-z0-9_]{0,31}$"
InstitutionType = Annotated[
    str | None,
    Query(alias="type", max_length=32, pattern=Code, description="Institution type, e.g. education."),
]
FundingType = Annotated[
    str | None, Query(max_length=32, pattern=Code, description="Funding type code, e.g. kakenhi.")
]


@router.get(
    "/status", response_model=m.ResearchStatus, summary="The research store: data sets, years, SAMPLE"
)
def status(service: ResearchDep) -> Any:
    return service.status()


@router.get(
    "/indicators",
    response_model=m.IndicatorsOut,
    responses=CSV_RESPONSE,
    summary="P, Top10%/Top1% papers (ties shared), MNCS and world share per group",
)
def indicators(
    service: ResearchDep,
    by: Annotated[By, Query()] = "institution",
    years: Years = None,
    counting: Counting = "whole",
    country: Country = None,
    institution_type: InstitutionType = None,
    format: Format = "json",
) -> Any:
    span = years_param(years, service.default_years())
    q = make_query(span, counting=counting, country=country, institution_type=institution_type)
    result = service.indicators(by, q)
    return (
        table_response(result["items"], f"research-indicators-{by}", format) if format != "json" else result
    )


@router.get(
    "/inputs-outputs",
    response_model=m.InputsOutputsOut,
    responses=CSV_RESPONSE,
    summary="Funding in (yen) against linked papers and Top10% papers out, per 100 million yen",
)
def inputs_outputs(
    service: ResearchDep,
    by: Annotated[IoBy, Query()] = "institution",
    years: Years = None,
    fiscal_years: FiscalYears = None,
    funding_type: FundingType = None,
    counting: Counting = "whole",
    country: Country = None,
    institution_type: InstitutionType = None,
    researcher_window: Annotated[
        int | None,
        Query(
            ge=0, le=20, description="Also link a researcher's papers up to this many years after the grant."
        ),
    ] = None,
    format: Format = "json",
) -> Any:
    span = years_param(years, service.default_years())
    q = make_query(
        span,
        counting=counting,
        country=country,
        institution_type=institution_type,
        funding_type=funding_type,
        # funding of the papers' own years unless asked otherwise, as on /research: money of every
        # year against three years of papers makes every ratio meaningless
        fiscal_years=years_param(fiscal_years, None) if fiscal_years else span,
        researcher_window=researcher_window,
    )
    result = service.inputs_outputs(by, q)
    return (
        table_response(result["items"], f"research-inputs-outputs-{by}", format)
        if format != "json"
        else result
    )


@router.get(
    "/trends",
    response_model=m.TrendsOut,
    responses=CSV_RESPONSE,
    summary="A country's share of world papers and Top10% papers by field over moving windows",
)
def trends(
    service: ResearchDep,
    by: Annotated[Literal["field", "subfield"], Query()] = "field",
    country: ScopeCountry = "JP",
    years: AllYears = None,
    counting: Counting = "whole",
    window: Annotated[int, Query(ge=1, le=20, description="Width of the moving window in years.")] = 3,
    format: Format = "json",
) -> Any:
    span = years_param(years, _all_years(service))
    result = service.trends(by, make_query(span, counting=counting, country=country), window)
    return table_response(trend_rows(result), f"research-trends-{by}", format) if format != "json" else result


@router.get(
    "/patents",
    response_model=m.PatentsOut,
    responses=CSV_RESPONSE,
    summary="Papers cited by patent families, per field, for a country and the world",
)
def patents(
    service: ResearchDep,
    country: ScopeCountry = "JP",
    years: AllYears = None,
    counting: Counting = "whole",
    format: Format = "json",
) -> Any:
    span = years_param(years, _all_years(service))
    result = service.patent_cited(make_query(span, counting=counting, country=country))
    return table_response(result["items"], "research-patents", format) if format != "json" else result


def _all_years(service: ResearchService) -> tuple[int, int] | None:
    """Trends need the whole span: a moving window over three years would be a single point."""
    span = service.status()["years"]
    return (int(span[0]), int(span[1])) if span else None
