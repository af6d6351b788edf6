"""Every GET route of the API and the pages, with ids taken from the document and random junk:
no request may answer 5xx.

The routes and their parameters are read from the routers, so a new route is fuzzed without
anyone listing it. Each route gets every id of the document for its path parameter (pages: a
seeded sample), then each query parameter with every value of its pool and junk, then seeded
random combinations. Schemathesis (test_web_schemathesis.py) checks the spec's shapes; this test
checks the values only the document knows (issue 15: 22 section ids answered 500).
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from ebpm.budget.projects import import_projects
from ebpm.budget.service import BudgetService
from ebpm.model import Document
from ebpm.store.monitoring import open_store
from ebpm.web import api, pages, research_api, research_pages
from ebpm.web.app import create_app

BUDGET_SAMPLE = (
    Path(__file__).resolve().parents[1] / "src" / "ebpm" / "data" / "budget_sample" / "projects.csv"
)
JUNK = [
    "",
    " ",
    "0",
    "-1",
    "99999999999999999999",
    "1e309",
    "NaN",
    "../../etc/passwd",
    "%00",
    "'; DROP TABLE measures;--",
    "<script>alert(1)</script>",
    "第２章",
    "ｘ" * 3000,
]
DATES = ["2024-03-31", "2024-02-30", "0001-01-01", "9999-12-31", "令和6年度", "FY2024", "2024"]
PAGE_IDS = 10  # values a page route gets of each pool (rendering a page costs far more than an API call)
COMBINATIONS = 30  # random combinations of query values a route gets
MAX_QUERY = 60_000  # characters: httpx's limit on a URL is 65,536


def _routes() -> Iterator[tuple[str, APIRoute]]:
    for module in (api, pages, research_api, research_pages):
        for route in module.router.routes:  # a route's path includes its router's prefix
            if isinstance(route, APIRoute) and "GET" in (route.methods or ()):
                yield route.path, route


def _query_names(route: APIRoute) -> list[str]:
    """The names a client sends (aliases included) of a route's query parameters, dependencies' too."""
    names: list[str] = []
    stack = [route.dependant]
    while stack:
        dependant = stack.pop()
        names += [p.alias or p.name for p in dependant.query_params]
        stack += dependant.dependencies
    return list(dict.fromkeys(names))


@pytest.fixture(scope="module")
def client(
    ingested_kb: Path, research_db: Path, doc: Document, tmp_path_factory: pytest.TempPathFactory
) -> TestClient:
    monitoring = tmp_path_factory.mktemp("fuzz") / "monitoring.sqlite"
    service = BudgetService(doc, open_store(monitoring))
    import_projects(service.store, BUDGET_SAMPLE)
    service.recompute()

    return TestClient(
        create_app(ingested_kb, monitoring, research_db=research_db), raise_server_exceptions=False
    )


def _section_ids(nodes: list[dict[str, Any]]) -> Iterator[str]:
    for node in nodes:
        yield node["id"]
        yield from _section_ids(node.get("children", []))


@pytest.fixture(scope="module")
def pools(client: TestClient) -> dict[str, list[str]]:
    """The document's ids by parameter name, read through the API itself."""

    def items(path: str) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        while True:  # page through: a list answers at most its maximum limit
            body = client.get(path, params={"limit": 500, "offset": len(found)}).json()
            found += body["items"]
            if len(found) >= body["total"] or not body["items"]:
                return found

    sections = list(_section_ids(client.get("/api/sections").json()))
    measures = [m["id"] for m in items("/api/measures")]
    ministries = [m["abbreviation"] for m in items("/api/ministries")]
    series = [s["id"] for s in items("/api/indicators/series")]
    goals = sorted(
        {g["id"] for s in sections for g in client.get(f"/api/sections/{s}").json().get("goals", [])}
    )
    projects = [p["project_id"] for p in items("/api/budget/projects")]
    footnotes = [str(f["number"]) for f in items("/api/footnotes")]
    assert sections and measures and ministries and series and goals and projects and footnotes
    return {
        "section_id": sections,
        "section": sections,
        "measure_id": measures,
        "abbreviation": ministries,
        "ministry": ministries,
        "series_id": series,
        "goal_id": goals,
        "project_id": projects,
        "item_id": sections + measures[:50] + goals,
        "number": footnotes,
        "q": ["AI", "女性研究者を増やす取組は", "広島AIプロセス", "((", '"', "*", "OR", "NEAR(", "a" * 2000],
        "kind": ["measure", "action", "indicator", "goal", "footnote", "glossary"],
        "due_by": DATES,
        "as_of": DATES,
        "overdue_as_of": DATES,
        "limit": ["1", "100000", "1.5"],
        "offset": ["5", "100000000"],
        "format": ["json", "csv", "xml"],
        "min_confidence": ["0", "1", "2", "inf"],
        "max_confidence": ["0", "0.5", "-3"],
        "reposted": ["true", "false", "maybe"],
        "unmatched": ["true", "false", "maybe"],
        "block": ["kpi", "reference", "goal"],
        "status": ["achieved", "on_track", "off_track", "worsening", "insufficient_data"],
        "start": ["1", "18000", "100000000"],
        "end": ["2", "5", "100000000"],
        "threshold": ["0.05", "1", "2", "0.01"],
        "years": ["2018-2020", "2020-2018", "1000-3000", "2019", "x-y"],
        "fiscal_years": ["2016-2020", "2020-2016", "2019"],
        "counting": ["whole", "fractional", "half"],
        "country": ["JP", "jp", "US", "XX", "JPN"],
        "type": ["education", "facility", "company", "nope"],
        "by": [
            "institution",
            "country",
            "field",
            "subfield",
            "funding_type",
            "gender",
            "career_stage",
            "nope",
        ],
        "funding_type": ["kakenhi", "nope"],
        "researcher_window": ["0", "3", "99"],
        "window": ["1", "3", "50"],
        "top": ["1", "10", "100000"],
        # editions: the one here, one that is not, malformed ones
        "edition": ["2023", "2024", "２０２３", "99"],
        "old": ["2023", "2022"],
        "new": ["2023", "2030"],
        "change": ["changed", "new", "dropped", "continued", "nope"],
        "unsure": ["true", "maybe"],
    }


def _fill(template: str, values: dict[str, str]) -> str:
    for name, value in values.items():
        template = template.replace("{" + name + "}", value)
    return template


def _requests(pools: dict[str, list[str]]) -> Iterator[tuple[str, dict[str, str]]]:
    rng = random.Random(15)
    for template, route in _routes():
        names = _query_names(route)
        path_params = [p.name for p in route.dependant.path_params]
        is_page = not template.startswith("/api/")

        first = {name: pools[name][0] for name in path_params}
        for name in path_params:
            values = pools[name]
            chosen = rng.sample(values, min(PAGE_IDS, len(values))) if is_page else values
            for value in [*chosen, *JUNK]:
                if "/" in value or (value.strip() == "" and name in path_params):
                    continue  # a slash or an empty segment is another route, not a value
                yield _fill(template, first | {name: value}), {}
        for name in names:
            pool = pools.get(name, [])
            chosen = rng.sample(pool, min(PAGE_IDS, len(pool))) if is_page else pool
            for value in [*chosen, *JUNK]:
                yield _fill(template, first), {name: value}
        for _ in range(COMBINATIONS if names else 0):
            chosen_names = rng.sample(names, rng.randint(1, len(names)))
            params = {n: rng.choice([*pools.get(n, []), *JUNK]) for n in chosen_names}
            if len(urlencode(params)) > MAX_QUERY:
                continue  # no client sends it: httpx refuses to build the URL (and servers cap far lower)
            yield _fill(template, first), params


def test_no_route_answers_5xx(client: TestClient, pools: dict[str, list[str]]) -> None:
    failures = []
    count = 0
    for path, params in _requests(pools):
        count += 1
        response = client.get(path, params=params)
        if response.status_code >= 500:
            failures.append(f"{response.status_code} GET {path} {params}"[:300])
    print(f"\nfuzz: {count} requests over {len(list(_routes()))} GET routes, {len(failures)} answered 5xx")
    assert count > 3000
    assert not failures, "\n".join(failures[:40]) + f"\n… {len(failures)} in all of {count} requests"
