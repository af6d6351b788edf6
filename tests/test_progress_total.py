"""Progress is total (issue 15, defect 2): whatever the observations and the target, a series
gets a status and never an exception; a target write is checked before it is committed."""

from __future__ import annotations

import math
from datetime import date, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from ebpm.indicators.periods import Period, parse_period
from ebpm.indicators.progress import STATUS_LABELS, Point, Target, assess, projection
from ebpm.model import Document
from ebpm.store import monitoring
from ebpm.store.monitoring import open_store
from tests.conftest import Invoke
from tests.web_client import client_for, store_with

# 2.1.4.kpi.1 has a target in the document (570 億円 by FY2025) and no observation there
SERIES = "2.1.4.kpi.1"
TOKEN = "test-token-1234"
AUTH = {"authorization": f"Bearer {TOKEN}"}


def pts(*pairs: tuple[str, float]) -> list[Point]:
    return [Point(parse_period(p), v) for p, v in pairs]


def target(value: float, period: str, direction: str = "up") -> Target:
    return Target(value, parse_period(period), direction)


# the progress function itself


def test_one_day_apart_is_insufficient_data() -> None:
    # 1 → 10 in a day is a growth of 10^365 a year: it used to overflow
    a = assess(pts(("2023-03-30", 1), ("2023-03-31", 10)), target(570, "FY2025"))
    assert a.status == "insufficient_data"
    assert "less than a year" in a.reason
    assert a.actual_rate is None and a.ratio is None


def test_less_than_a_year_is_not_an_annual_rate() -> None:
    a = assess(pts(("2022-01", 100), ("2022-11", 104)), target(150, "2030"))
    assert a.status == "insufficient_data" and "less than a year" in a.reason


def test_a_year_across_a_leap_day_is_a_year() -> None:
    # FY2023 ends 2024-03-31 and FY2024 ends 2025-03-31: 365 days, 0.998 decimal years
    a = assess(pts(("FY2023", 100), ("FY2024", 110)), target(161.051, "FY2028"))
    assert a.status == "on_track" and a.ratio == pytest.approx(1.0, rel=0.01)


def test_an_overflowing_rate_is_not_computable() -> None:
    # a growth of 10^315 in one year is not a float
    a = assess(pts(("2021", 1e-300), ("2022", 1e15)), target(1e16, "2030"))
    assert a.status == "not_computable" and STATUS_LABELS[a.status] == "算出不能"
    assert a.actual_rate is None and a.ratio is None


def test_an_overflowing_required_rate_is_the_targets_fault() -> None:
    a = assess(pts(("2022-12-30", 1e-300), ("2023-12-30", 2e-300)), target(1e15, "2022-12-31"))
    assert a.status == "not_computable" and a.target_fault


def test_non_finite_values_are_not_computable() -> None:
    for points, goal in (
        (pts(("2020", 1), ("2022", math.nan)), target(10, "2030")),
        (pts(("2020", 1), ("2022", 2)), target(math.inf, "2030")),
        (pts(("2020", -math.inf), ("2022", 2)), target(10, "2030")),
    ):
        a = assess(points, goal)
        assert a.status == "not_computable", (points, goal)
        assert a.projected_value is None or math.isfinite(a.projected_value)


def test_projection_of_absurd_values_is_none() -> None:
    points = pts(("2020", -1e308), ("2022", 1e308))  # the least-squares sums overflow
    assert projection(points, parse_period("2030")) is None
    a = assess(points, target(1.7e308, "2030"))
    assert a.projected_value is None and a.projected_met is None


def _is_finite_or_none(x: float | None) -> bool:
    return x is None or math.isfinite(x)


DAY0 = date(1990, 1, 1)
values = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([0.0, -0.0, 1.0, -1.0, 1e-300, 1e300, 5e-324, 1.7976931348623157e308]),
)
# days since DAY0: clustered (same day, one day apart) and spread over decades
days = st.one_of(st.integers(0, 3), st.integers(0, 40 * 366))


@given(
    observations=st.lists(st.tuples(days, values), max_size=6),
    target_value=values,
    target_day=days,
    direction=st.sampled_from(["up", "down"]),
    base=st.booleans(),
)
@settings(max_examples=400, deadline=None)
def test_progress_is_total(
    observations: list[tuple[int, float]], target_value: float, target_day: int, direction: str, base: bool
) -> None:
    points = [
        Point(Period(DAY0 + timedelta(d), (DAY0 + timedelta(d)).isoformat()), v) for d, v in observations
    ]
    when = DAY0 + timedelta(target_day)
    base_period = points[0].period.label if base and points else None
    goal = Target(target_value, Period(when, when.isoformat()), direction, base_period)
    for a in (assess(points, goal), assess(points, None)):
        assert a.status in STATUS_LABELS
        assert isinstance(a.reason, str) and a.reason
        for figure in (a.actual_rate, a.required_rate, a.ratio, a.projected_value):
            assert _is_finite_or_none(figure)


# the routes and the command that a bad series took down


@pytest.fixture
def store(tmp_path: Path, doc: Document) -> Path:
    """SERIES with two observations a day apart: 1, then 10."""
    return store_with(tmp_path, doc, f"{SERIES},2023-03-30,1,億円,x\n{SERIES},2023-03-31,10,億円,x\n")


@pytest.fixture
def client(ingested_kb: Path, store: Path) -> TestClient:
    return client_for(ingested_kb, store, token=TOKEN)


def test_routes_survive_observations_a_day_apart(client: TestClient) -> None:
    for url in (
        "/api/indicators/series?limit=500",
        "/api/indicators/series?status=not_computable",
        "/api/indicators/status",
        f"/api/indicators/series/{SERIES}",
        "/indicators",
        f"/indicators/{SERIES}",
        f"/indicators/{SERIES}.json",
        "/goals/2.1.4.goal.1",
    ):
        response = client.get(url)
        assert response.status_code in (200, 404), (url, response.status_code)
    detail = client.get(f"/api/indicators/series/{SERIES}").json()
    assert detail["status"] == "insufficient_data" and "less than a year" in detail["reason"]
    assert "データ不足" in client.get(f"/indicators/{SERIES}").text


def _targets(store: Path) -> int:
    with open_store(store).connect() as conn:
        return int(conn.execute(select(func.count()).select_from(monitoring.targets)).scalar_one())


def test_target_put_on_a_bad_series_answers(client: TestClient, store: Path) -> None:
    url = f"/api/indicators/series/{SERIES}/target"
    ok = client.put(url, json={"value": 600, "period": "FY2030"}, headers=AUTH)
    assert ok.status_code == 200 and ok.json()["status"] == "insufficient_data"
    assert _targets(store) == 1


def test_absurd_target_is_rejected_before_it_is_written(client: TestClient, store: Path) -> None:
    url = f"/api/indicators/series/{SERIES}/target"
    for value in (1e300, -1e16, True):
        bad = client.put(url, json={"value": value, "period": "FY2030"}, headers=AUTH)
        assert bad.status_code == 422, (value, bad.text)
    big = client.put(url, json={"value": 1e300, "period": "FY2030"}, headers=AUTH)
    assert "value" in big.json()["detail"] and "10^15" in big.json()["detail"]
    assert _targets(store) == 0
    assert client.get(f"/api/indicators/series/{SERIES}").json()["target"]["origin"] == "document"


def test_target_that_makes_progress_uncomputable_is_rejected(
    tmp_path: Path, doc: Document, ingested_kb: Path
) -> None:
    path = store_with(
        tmp_path, doc, f"{SERIES},2021-12-30,1e-300,億円,x\n{SERIES},2022-12-30,2e-300,億円,x\n"
    )
    client = client_for(ingested_kb, path, token=TOKEN)
    # 1e-300 → 1e15 by the next day needs a growth of 10^(315 × 365) a year
    url = f"/api/indicators/series/{SERIES}/target"
    bad = client.put(url, json={"value": 1e15, "period": "2021-12-31"}, headers=AUTH)
    assert bad.status_code == 422 and "cannot be computed" in bad.json()["detail"]
    assert _targets(path) == 0


def test_status_command_prints_no_traceback(invoke: Invoke, ingested_kb: Path, store: Path) -> None:
    out = invoke("indicators", "status", "--db", str(ingested_kb), "--monitoring-db", str(store))
    assert out.exit_code == 0, out.output
    assert out.exception is None and "Traceback" not in out.output
    assert "データ不足" in out.output
    one = invoke(
        "indicators",
        "status",
        "--series",
        SERIES,
        "--json",
        "--db",
        str(ingested_kb),
        "--monitoring-db",
        str(store),
    )
    assert one.exit_code == 0 and '"status": "insufficient_data"' in one.output


def test_target_command_rejects_absurd_values(invoke: Invoke, ingested_kb: Path, store: Path) -> None:
    for value in ("1e300", "nan", "inf"):
        out = invoke(
            "indicators", "target", SERIES, "--value", value, "--period", "FY2030",
            "--db", str(ingested_kb), "--monitoring-db", str(store),
        )  # fmt: skip
        # fail() exits 1 with one line; an uncaught exception would be the result's exception
        assert out.exit_code == 1 and isinstance(out.exception, SystemExit), (value, out.output)
        assert "Traceback" not in out.output and "error: value" in out.output, (value, out.output)
    assert _targets(store) == 0
