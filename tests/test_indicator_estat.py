"""The e-Stat connector against recorded getStatsData answers (tests/data/estat/), no network."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from ebpm.cli import indicators as cli_indicators
from ebpm.indicators import estat
from ebpm.indicators.estat import EStatClient, EStatError
from tests.conftest import Invoke

RECORDED = Path(__file__).parent / "data" / "estat"
SERIES = "2.2.1.ref.6"


def replay(requests: list[httpx.Request], error: bool = False) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        if error:
            name = "getStatsData_error.json"
        else:
            name = (
                "getStatsData_page2.json"
                if request.url.params.get("startPosition")
                else "getStatsData_page1.json"
            )
        return httpx.Response(
            200, content=(RECORDED / name).read_bytes(), headers={"content-type": "application/json"}
        )

    return httpx.MockTransport(handler)


def test_fetch_pages_through_the_table() -> None:
    requests: list[httpx.Request] = []
    client = EStatClient("APPID", transport=replay(requests))
    table = client.fetch("0003190436", SERIES, {"cdCat01": "100"})
    assert [r.url.params.get("startPosition") for r in requests] == [None, "5"]
    assert requests[0].url.path.endswith("/getStatsData")
    assert requests[0].url.params["appId"] == "APPID" and requests[0].url.params["cdCat01"] == "100"
    assert [(r["period"], r["value"]) for r in table.rows] == [
        ("2016年度", "15.7"),
        ("2017年度", "16.2"),
        ("2018年度", "16.6"),
        ("2020年度", "17.5"),
        ("2021年度", "17.8"),
        ("2022年度", "18.3"),
    ]
    assert table.skipped == 1  # 2019年度 is "-"
    assert table.title == "研究者に占める女性の割合"
    assert all(r["unit"] == "%" and r["source"].startswith("e-Stat 0003190436") for r in table.rows)


def test_error_status_is_a_clear_error() -> None:
    client = EStatClient("WRONG", transport=replay([], error=True))
    with pytest.raises(EStatError, match="e-Stat error 100: 認証に失敗しました"):
        client.fetch("0003190436", SERIES)


def test_http_failure_and_bad_body() -> None:
    down = EStatClient("APPID", transport=httpx.MockTransport(lambda r: httpx.Response(503)))
    with pytest.raises(EStatError, match="HTTP 503"):
        down.fetch("1", SERIES)
    html = EStatClient("APPID", transport=httpx.MockTransport(lambda r: httpx.Response(200, text="<html>")))
    with pytest.raises(EStatError, match="not a getStatsData JSON"):
        html.fetch("1", SERIES)
    with pytest.raises(EStatError, match="application id"):
        EStatClient("")


def test_cli_fetch_imports_the_table(
    invoke: Invoke, kb_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    requests: list[httpx.Request] = []
    monkeypatch.setattr(
        cli_indicators, "EStatClient", lambda app_id: estat.EStatClient(app_id, transport=replay(requests))
    )
    store = str(tmp_path / "m.sqlite")
    out = invoke(
        "indicators",
        "fetch-estat",
        "0003190436",
        "--indicator",
        SERIES,
        "--app-id",
        "APPID",
        "--filter",
        "cdCat01=100",
        "--db",
        str(kb_file),
        "--monitoring-db",
        store,
    )
    assert out.exit_code == 0, out.output
    assert "5 added" in out.output and "1 unchanged" in out.output  # FY2021 17.8 is the document's value
    assert "1 cells marked missing" in out.output
    listed = invoke(
        "indicators", "observations", SERIES, "--json", "--db", str(kb_file), "--monitoring-db", store
    )
    periods = [o["period"] for o in json.loads(listed.output)]
    assert periods == ["FY2016", "FY2017", "FY2018", "FY2020", "FY2021", "FY2022"]
    bad = invoke(
        "indicators",
        "fetch-estat",
        "1",
        "--indicator",
        SERIES,
        "--app-id",
        "x",
        "--filter",
        "cdCat01",
        "--db",
        str(kb_file),
        "--monitoring-db",
        store,
    )
    assert bad.exit_code == 1 and "NAME=VALUE" in bad.output
