"""The research pages' data: service answers combined and shaped for a table, a chart and its twin.

Everything here is plain JSON-ready data; the JSON twins serve it as it is and the templates only
format it. The API and the pages read their parameters the same way (:func:`years_param`,
:func:`make_query`), so that a page's CSV link gives exactly the rows the page shows.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlencode

from fastapi import HTTPException

from ebpm.research.analytics import LABELS, YEN_UNIT
from ebpm.research.methods import Query
from ebpm.research.service import ResearchService
from ebpm.web.i18n import N_

NO_STORE = (
    "no research data loaded — run `ebpm research sample --load` or `ebpm research import …` "
    "(研究データが読み込まれていません)"
)
EMPTY_STORE = "the research store holds no works yet — run `ebpm research import …` (論文データがありません)"
YEARS_PATTERN = r"^[1-9][0-9]{3}(-[1-9][0-9]{3})?$"  # for the spec; the same rule as _YEARS
_YEARS = re.compile(r"[1-9][0-9]{3}(?:-[1-9][0-9]{3})?")
SAMPLE_BANNER = {
    "ja": "SAMPLE（合成データ）: 実在の統計ではありません",
    "en": "SAMPLE synthetic data — not real statistics",
}
# The labels below are UI text in Japanese (N_): the pages show them translated, the JSON twins as
# they are. OpenAlex institution types (https://docs.openalex.org: Institution.type), in order shown
INSTITUTION_TYPES = {
    "education": N_("大学等"),
    "facility": N_("研究施設"),
    "government": N_("政府機関"),
    "company": N_("企業"),
    "healthcare": N_("医療機関"),
    "nonprofit": N_("非営利団体"),
    "archive": N_("アーカイブ"),
    "other": N_("その他"),
}
COUNTINGS = {"whole": N_("整数カウント"), "fractional": N_("分数カウント")}
UNKNOWN_INSTITUTION = N_("機関不明")  # the name of the funding whose institution is not resolved


def years_param(text: str | None, default: tuple[int, int] | None) -> tuple[int, int]:
    """``2018-2020`` or ``2020`` (one year); blank means ``default``. A 422 says what is wrong.

    A range written backwards (2020-2018) is read in order: every text the spec's pattern
    allows is then a valid range, which is what the API promises.
    """
    if not text:
        if default is None:
            raise HTTPException(404, EMPTY_STORE)
        return default
    if _YEARS.fullmatch(text) is None:
        raise HTTPException(422, f"years: {text!r} is not a year (2020) or a range of years (2018-2020)")
    first, _, last = text.partition("-")
    a, b = int(first), int(last or first)
    return min(a, b), max(a, b)


def make_query(years: tuple[int, int], **options: Any) -> Query:
    """A checked :class:`Query`; its ValueError (a bad country, code or range) becomes a 422."""
    try:
        return Query(years[0], years[1], **options)
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from None


def years_text(years: tuple[int, int]) -> str:
    return str(years[0]) if years[0] == years[1] else f"{years[0]}-{years[1]}"


def api_url(path: str, **params: Any) -> str:
    """An API URL with the given filters; empty ones are left out (the API reads no blanks)."""
    query = {k: v for k, v in params.items() if v not in (None, "")}
    return f"/api/research/{path}?{urlencode(query)}"


def oku(yen: float | None) -> float | None:
    """Yen in 億円 (100 million yen), the unit of Japanese research budgets."""
    return None if yen is None else yen / YEN_UNIT


def chart(
    labels: list[Any], datasets: list[tuple[str, list[Any]]], unit: str, digits: int = 0
) -> dict[str, Any]:
    """A chart and its table twin, from the same numbers: ``digits`` is how the table rounds them."""
    return {
        "labels": labels,
        "datasets": [{"label": label, "data": data} for label, data in datasets],
        "unit": unit,
        "digits": digits,
    }


def percent(value: float | None) -> float | None:
    return None if value is None else value * 100


def base(service: ResearchService) -> dict[str, Any]:
    """What every research page carries: the SAMPLE flag and the loaded years."""
    status = service.status()
    return {
        "sample": bool(status["sample"]),
        "sample_banner": SAMPLE_BANNER if status["sample"] else None,
        "store_years": status["years"],
    }


def funding_types(service: ResearchService) -> list[dict[str, Any]]:
    """The store's funding-type code list (the filter's choices)."""
    return list(service.status()["funding_types"])


def institutions(
    service: ResearchService,
    years: tuple[int, int],
    counting: str,
    country: str | None,
    institution_type: str | None,
    funding_type: str | None,
    fiscal_years: tuple[int, int] | None,
) -> dict[str, Any]:
    """/research: output indicators and funding input per institution, one row each.

    Funding is counted for the fiscal years asked for, else for the years of the papers: money
    of every year set against three years of papers would make every ratio meaningless.
    """
    fiscal_years = fiscal_years or years
    q = make_query(years, counting=counting, country=country, institution_type=institution_type)
    q_io = make_query(
        years,
        counting=counting,
        country=country,
        institution_type=institution_type,
        funding_type=funding_type,
        fiscal_years=fiscal_years,
    )
    ind = service.indicators("institution", q)
    io = service.inputs_outputs("institution", q_io)
    rows: dict[str, dict[str, Any]] = {}
    for i in ind["items"]:
        rows[i["id"]] = {
            **{k: i.get(k) for k in ("id", "name", "type", "country")},
            **{k: i[k] for k in ("p", "p_top10", "pp_top10", "p_top1", "mncs", "world_share")},
            "funding_oku": None,
            "linked_papers": None,
            "linked_top10": None,
            "papers_per_oku": None,
            "top10_per_oku": None,
        }
    for o in io["items"]:
        row = rows.get(o["id"])
        if row is None:  # funded, but no counted paper in the window
            row = rows[o["id"]] = {
                **{k: o.get(k) for k in ("id", "name", "type", "country")},
                **dict.fromkeys(("p", "p_top10", "pp_top10", "p_top1", "mncs", "world_share")),
            }
            if o["id"] == "unknown":  # funding whose institution the store cannot resolve
                row["name"] = UNKNOWN_INSTITUTION
        row.update(
            funding_oku=oku(o["amount_yen"]),
            linked_papers=o["papers"],
            linked_top10=o["p_top10"],
            papers_per_oku=o["papers_per_100m_yen"],
            top10_per_oku=o["top10_per_100m_yen"],
        )
    table = list(rows.values())
    # one dataset per institution type, so that the legend names the colours
    by_type: dict[str, list[dict[str, Any]]] = {}
    for r in table:
        if r["funding_oku"]:
            by_type.setdefault(r["type"] or "other", []).append(
                {
                    "x": r["funding_oku"],
                    "papers": r["linked_papers"],
                    "top10": r["linked_top10"],
                    "name": r["name"],
                }
            )
    order = list(INSTITUTION_TYPES)
    scatter = [
        {"type": t, "label": INSTITUTION_TYPES.get(t, t), "points": points}
        for t, points in sorted(by_type.items(), key=lambda kv: order.index(kv[0]) if kv[0] in order else 99)
    ]
    filters = {
        "years": years_text(years),
        "counting": counting,
        "country": country or "",
        "type": institution_type or "",
        "funding_type": funding_type or "",
        "fiscal_years": years_text(fiscal_years) if fiscal_years else "",
    }
    return {
        "filters": filters,
        "query": {"indicators": ind["query"], "inputs_outputs": io["query"]},
        "indicator_totals": ind["totals"],
        "io_totals": io["totals"]
        | {"amount_oku": oku(io["totals"]["amount_yen"]), "unlinked_oku": oku(io["totals"]["unlinked_yen"])},
        "institutions": table,
        "scatter": scatter,
        "csv": {
            "indicators": api_url(
                "indicators",
                by="institution",
                years=filters["years"],
                counting=counting,
                country=country,
                type=institution_type,
                format="csv",
            ),
            "inputs_outputs": api_url(
                "inputs-outputs",
                by="institution",
                years=filters["years"],
                counting=counting,
                country=country,
                type=institution_type,
                funding_type=funding_type,
                fiscal_years=filters["fiscal_years"],
                format="csv",
            ),
        },
    }


def trends(
    service: ResearchService, years: tuple[int, int], counting: str, country: str, window: int, top: int
) -> dict[str, Any]:
    """/research/trends: the country's share of world output by field over moving windows."""
    q = make_query(years, counting=counting, country=country)
    fields = service.trends("field", q, window)
    subfields = service.trends("subfield", q, window)
    patents = service.patent_cited(q)
    labels = fields["windows"]
    # the largest fields (by the country's papers in the last window) and all fields together
    largest = sorted(fields["fields"], key=lambda f: (-f["p_last"], str(f["id"])))[:top]
    series = {s["id"]: {w["window"]: w for w in s["windows"]} for s in fields["series"]}
    overall = {w["window"]: w for w in fields["overall"]}

    def lines(key: str) -> list[tuple[str, list[Any]]]:
        out = [(N_("全分野"), [percent(overall.get(w, {}).get(key)) for w in labels])]
        for f in largest:
            points = series.get(f["id"], {})
            out.append(
                (
                    f["name"] or str(f["id"]),
                    [percent(points[w][key]) if w in points else None for w in labels],
                )
            )
        return out

    spec = [f for f in fields["fields"] if f["specialisation"] is not None]
    filters = {"years": years_text(years), "counting": counting, "country": country, "window": window}
    return {
        "filters": filters,
        "query": fields["query"],
        "share_chart": chart(labels, lines("share"), "%", 1),
        "top10_chart": chart(labels, lines("top10_share"), "%", 1),
        "specialisation_chart": chart(
            [f["name"] for f in spec],
            [(N_("特化係数"), [f["specialisation"] for f in spec])],
            "",
            2,
        ),
        "fastest_growing_subfields": subfields["fastest_growing"],
        "top10_share_falling": fields["top10_share_falling"],
        "patents": patents,
        "csv": {
            "trends": api_url("trends", by="field", format="csv", **filters),
            "subfields": api_url("trends", by="subfield", format="csv", **filters),
            "patents": api_url(
                "patents", years=filters["years"], counting=counting, country=country, format="csv"
            ),
        },
    }


def breakdowns(service: ResearchService, years: tuple[int, int], counting: str) -> dict[str, Any]:
    """/research/breakdowns: output and input by researchers' gender and career stage."""
    q = make_query(years, counting=counting)
    filters = {"years": years_text(years), "counting": counting}
    groups = []
    for by, title in (("gender", N_("性別")), ("career_stage", N_("キャリア段階"))):
        # the categories in their natural order (female, male …; early, mid, senior), on every chart
        order = {code: k for k, code in enumerate(LABELS[by])}
        ind = service.indicators(by, q)
        io = service.inputs_outputs(by, q)
        items = sorted(ind["items"], key=lambda i: order.get(i["id"], len(order)))
        # "unknown" funding is money with no researcher attached (block grants): it would dwarf
        # the rest of the chart, so it is said beside the chart, not drawn in it
        unknown = next((i for i in io["items"] if i["id"] == "unknown"), None)
        funded = sorted(
            (i for i in io["items"] if i["id"] != "unknown"), key=lambda i: order.get(i["id"], len(order))
        )
        groups.append(
            {
                "by": by,
                "title": title,
                "charts": _output_charts(by, items) + _input_charts(by, funded),
                "unknown_funding_oku": oku(unknown["amount_yen"]) if unknown else None,
                "indicator_totals": ind["totals"],
                "io_totals": io["totals"],
                "csv": {
                    "indicators": api_url("indicators", by=by, format="csv", **filters),
                    "inputs_outputs": api_url("inputs-outputs", by=by, format="csv", **filters),
                },
            }
        )
    return {"filters": filters, "groups": groups}


def _output_charts(by: str, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    names = [i["name"] for i in items]
    papers = [
        (N_("論文数 (P)"), [i["p"] for i in items]),
        (N_("Top10%論文数"), [i["p_top10"] for i in items]),
    ]
    pp_top10 = [(N_("Top10%論文割合 (%)"), [percent(i["pp_top10"]) for i in items])]
    return [
        {
            "id": f"{by}-papers",
            "title": N_("論文数とTop10%論文数"),
            "chart": chart(names, papers, N_("件"), 1),
        },
        {
            "id": f"{by}-pp-top10",
            "title": N_("Top10%論文割合"),
            "chart": chart(names, pp_top10, "%", 1),
        },
        {
            "id": f"{by}-mncs",
            "title": N_("平均相対被引用度 (MNCS)"),
            "chart": chart(names, [("MNCS", [i["mncs"] for i in items])], "", 2),
        },
    ]


def _input_charts(by: str, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    names = [i["name"] for i in items]
    funding = [(N_("研究費（億円）"), [oku(i["amount_yen"]) for i in items])]
    per_oku = [
        (N_("1億円あたり論文数"), [i["papers_per_100m_yen"] for i in items]),
        (N_("1億円あたりTop10%論文数"), [i["top10_per_100m_yen"] for i in items]),
    ]
    return [
        {"id": f"{by}-funding", "title": N_("研究費"), "chart": chart(names, funding, N_("億円"), 1)},
        {
            "id": f"{by}-per-oku",
            "title": N_("1億円あたりの論文数"),
            "chart": chart(names, per_oku, N_("件/億円"), 3),
        },
    ]


def trend_rows(result: dict[str, Any]) -> list[dict[str, Any]]:
    """A trends answer as CSV rows: one per series and window."""
    return [{"id": s["id"], "name": s["name"], **point} for s in result["series"] for point in s["windows"]]
