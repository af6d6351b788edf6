"""The research pages (研究分析), Japanese first, each with its JSON twin at the same path plus ``.json``.

They are not put in the page cache of ``pages.py``, whose key is the loaded knowledge base: the
research service caches its answers by the research store's state instead, so a new import is
seen at once. Pages still carry an ETag, so a browser revalidates without the body.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from functools import wraps
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from jinja2 import pass_context
from jinja2.runtime import Context

from ebpm.web import i18n
from ebpm.web import research_views as views
from ebpm.web.deps import ResearchDep
from ebpm.web.render import templates

router = APIRouter(include_in_schema=False)

PageFn = Callable[..., dict[str, Any]]
# form fields arrive as text, blank when the user chose "all": they are checked by the views
Text = Annotated[str, Query(max_length=32)]
Counting = Annotated[Literal["whole", "fractional"], Query()]


def research_page(path: str, template: str) -> Callable[[PageFn], PageFn]:
    """Register ``fn`` as the HTML page at ``path`` and its JSON twin at ``path.json``."""

    def register(fn: PageFn) -> PageFn:
        @wraps(fn)
        def as_json(*args: Any, **kwargs: Any) -> Response:
            body = json.dumps(fn(*args, **kwargs), ensure_ascii=False, separators=(",", ":"))
            return _respond(kwargs["request"], body.encode(), "application/json")

        @wraps(fn)
        def as_html(*args: Any, **kwargs: Any) -> Response:
            request: Request = kwargs["request"]
            query = f"?{request.url.query}" if request.url.query else ""
            context = {
                "request": request,
                "data": fn(*args, **kwargs),
                "json_url": f"{path}.json{query}",
                **i18n.template_context(request),
            }
            body = templates.env.get_template(template).render(context)
            return _respond(request, body.encode(), "text/html; charset=utf-8")

        router.add_api_route(f"{path}.json", as_json, methods=["GET"])
        router.add_api_route(path, as_html, methods=["GET"])
        return fn

    return register


def _respond(request: Request, body: bytes, media_type: str) -> Response:
    etag = '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"'
    headers = {"etag": etag, "cache-control": "no-cache"}  # revalidate: an import changes the page
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=media_type, headers=headers)


def _optional(value: str) -> str | None:
    return value.strip() or None


@research_page("/research", "research.html")
def research(
    request: Request,
    service: ResearchDep,
    years: Text = "",
    counting: Counting = "whole",
    country: Text = "JP",
    type: Text = "",
    funding_type: Text = "",
    fiscal_years: Text = "",
) -> dict[str, Any]:
    """Institutions compared: output indicators, funding input, and output per 億円."""
    span = views.years_param(years.strip(), service.default_years())
    fiscal = views.years_param(fiscal_years.strip(), None) if fiscal_years.strip() else None
    scope = (_optional(country) or "").upper() or None
    data = views.base(service) | views.institutions(
        service, span, counting, scope, _optional(type), _optional(funding_type), fiscal
    )
    countries = service.indicators("country", views.make_query(span))["items"]
    data["options"] = {
        "counting": views.COUNTINGS,
        "institution_types": views.INSTITUTION_TYPES,
        "funding_types": views.funding_types(service),
        "countries": [c["id"] for c in countries if c["id"]],
    }
    return data


@research_page("/research/trends", "research_trends.html")
def research_trends(
    request: Request,
    service: ResearchDep,
    years: Text = "",
    counting: Counting = "whole",
    country: Annotated[str, Query(max_length=2)] = "JP",
    window: Annotated[int, Query(ge=1, le=20)] = 3,
    top: Annotated[int, Query(ge=1, le=30)] = 6,
) -> dict[str, Any]:
    """Japan's (or ``country``'s) share of world output by field, specialisation, growth, patents."""
    span = service.status()["years"]
    default = (int(span[0]), int(span[1])) if span else None
    years_ = views.years_param(years.strip(), default)
    return views.base(service) | views.trends(service, years_, counting, country.upper(), window, top)


@research_page("/research/breakdowns", "research_breakdowns.html")
def research_breakdowns(
    request: Request, service: ResearchDep, years: Text = "", counting: Counting = "whole"
) -> dict[str, Any]:
    """Output and input by researchers' gender and career stage."""
    span = views.years_param(years.strip(), service.default_years())
    return views.base(service) | views.breakdowns(service, span, counting)


def number(value: float | None, digits: int = 0) -> str:
    """Thousands separators and fixed decimals; a dash where there is no value (0/0)."""
    return "–" if value is None else f"{value:,.{digits}f}"


def share(value: float | None) -> str:
    """A share (0–1) in percent with one decimal."""
    return "–" if value is None else f"{value * 100:,.1f}%"


def _gettext(context: Context) -> i18n.Gettext:
    found: i18n.Gettext | None = context.get("_")
    return found or i18n.gettext(i18n.SOURCE)


@pass_context
def translated_chart(context: Context, spec: dict[str, Any]) -> dict[str, Any]:
    """A chart's spec (:func:`research_views.chart`) with its UI words in the page's language:
    dataset labels, unit, and category labels such as 女性 or 若手; names from the data (fields,
    institutions) are no msgids and stay as they are."""
    _ = _gettext(context)
    return spec | {
        "labels": [_(label) if isinstance(label, str) else label for label in spec["labels"]],
        "datasets": [d | {"label": _(d["label"])} for d in spec["datasets"]],
        "unit": _(spec["unit"]),
    }


@pass_context
def translated_scatter(context: Context, groups: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The scatter's groups with their labels (institution types) in the page's language."""
    _ = _gettext(context)

    def point(p: dict[str, Any]) -> dict[str, Any]:
        return p | {"name": _(p["name"])} if p["name"] == views.UNKNOWN_INSTITUTION else p

    return [g | {"label": _(g["label"]), "points": [point(p) for p in g["points"]]} for g in groups]


templates.env.filters["number"] = number
templates.env.filters["share"] = share
templates.env.filters["translated_chart"] = translated_chart
templates.env.filters["translated_scatter"] = translated_scatter
templates.env.globals["RESEARCH_COUNTINGS"] = views.COUNTINGS
templates.env.globals["RESEARCH_UNKNOWN_INSTITUTION"] = views.UNKNOWN_INSTITUTION
