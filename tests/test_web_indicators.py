"""Indicator monitoring on the web: series with statuses, a series page with its chart, goal
roll-ups, and target edits that need the API token."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook  # type: ignore[import-untyped]

from ebpm.indicators.registry import build_registry, goal_links
from ebpm.model import Document
from ebpm.store.monitoring import open_store
from tests.web_client import client_for, store_with

SERIES = "2.2.1.ref.6"
TOKEN = "test-token-1234"


@pytest.fixture
def store(tmp_path: Path, doc: Document) -> Path:
    """A monitoring store with three imported observations of SERIES."""
    return store_with(
        tmp_path,
        doc,
        f"{SERIES},FY2017,16.2,%,科学技術研究調査\n{SERIES},FY2019,16.9,%,科学技術研究調査\n"
        f"{SERIES},FY2022,18.3,%,科学技術研究調査\n",
    )


@pytest.fixture
def client(ingested_kb: Path, store: Path) -> TestClient:
    return client_for(ingested_kb, store, token=TOKEN)


def test_series_list_with_status(client: TestClient) -> None:
    body = client.get("/api/indicators/series", params={"limit": 500}).json()
    assert body["total"] > 150
    one = next(s for s in body["items"] if s["id"] == SERIES)
    assert one["latest"] == {"period": "FY2022", "value": 18.3}
    # observations and no target: said as such (現状値のみ), not lumped into データ不足
    assert one["status"] == "no_target" and one["reason"] == "no target"
    kpi = next(s for s in body["items"] if s["id"] == "2.2.1.kpi.5.s2")
    assert kpi["target"]["origin"] == "document" and kpi["target"]["value"] == 20.0


def test_series_detail_has_chart_and_sources(client: TestClient) -> None:
    body = client.get(f"/api/indicators/series/{SERIES}").json()
    assert [o["period"] for o in body["observations"]] == ["FY2017", "FY2019", "FY2021", "FY2022"]
    assert body["observations"][2]["origin"] == "document" and "9672行" in body["observations"][2]["source"]
    assert len(body["chart"]["points"]) == 4 and all(p["source"] for p in body["chart"]["points"])
    assert body["chart"]["target"] is None


def test_target_needs_the_token(client: TestClient, ingested_kb: Path, store: Path) -> None:
    url = f"/api/indicators/series/{SERIES}/target"
    payload = {"value": 30, "period": "FY2030", "direction": "up"}
    assert client.put(url, json=payload).status_code == 401
    assert client.put(url, json=payload, headers={"authorization": "Bearer wrong"}).status_code == 401
    read_only = client_for(ingested_kb, store, token="")
    denied = read_only.put(url, json=payload, headers={"authorization": f"Bearer {TOKEN}"})
    assert denied.status_code == 403 and "read-only" in denied.json()["detail"]
    ok = client.put(url, json=payload, headers={"authorization": f"Bearer {TOKEN}"})
    assert ok.status_code == 200
    assert ok.json()["target"]["origin"] == "user" and ok.json()["status"] != "insufficient_data"
    detail = client.get(f"/api/indicators/series/{SERIES}").json()
    assert detail["chart"]["target"]["y"] == 30 and len(detail["chart"]["projection"]) == 2
    bad = client.put(
        url, json={"value": 30, "period": "someday"}, headers={"authorization": f"Bearer {TOKEN}"}
    )
    assert bad.status_code == 422 and "is not a period" in bad.json()["detail"]
    missing = client.put(
        "/api/indicators/series/nope/target", json=payload, headers={"authorization": f"Bearer {TOKEN}"}
    )
    assert missing.status_code == 404


def test_pages(client: TestClient) -> None:
    listing = client.get("/indicators", params={"section": "2.2.1"}).text  # the list is paged
    assert 'class="status status-no_target"' in listing and 'class="status status-target_only"' in listing
    assert f'href="/indicators/{SERIES}"' in listing
    page = client.get(f"/indicators/{SERIES}").text
    assert 'data-series="' in page and "FY2019" in page and "科学技術研究調査" in page
    goal = client.get("/goals/2.2.1.goal.1")
    assert goal.status_code == 200 and "指標の状況" in goal.text
    assert client.get("/goals/nope").status_code == 404
    assert client.get(f"/indicators/{SERIES}.json").json()["id"] == SERIES


def test_pages_follow_new_data(client: TestClient) -> None:
    before = client.get(f"/indicators/{SERIES}").text
    assert "目標は未設定です" in before
    client.put(
        f"/api/indicators/series/{SERIES}/target",
        json={"value": 30, "period": "FY2030"},
        headers={"authorization": f"Bearer {TOKEN}"},
    )
    after = client.get(f"/indicators/{SERIES}").text
    assert "目標は未設定です" not in after and "利用者設定" in after


def test_roll_ups(client: TestClient) -> None:
    body = client.get("/api/indicators/status").json()
    assert {s["id"] for s in body["sections"]} >= {"2.1", "2.2", "2.3"}
    assert all(sum(g["counts"].values()) > 0 for g in body["goals"])


# the reporting-status list, the verdict, the chart's axis and categories, and the roll-ups


@pytest.fixture
def fresh(ingested_kb: Path, tmp_path: Path) -> TestClient:
    """A fresh install: the document and an empty monitoring store."""
    path = tmp_path / "fresh.sqlite"
    open_store(path).dispose()
    return client_for(ingested_kb, path)


def _csv_ids(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    return [r[0] for r in rows[1:]]


def _xlsx_ids(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    return [str(row[0]) for row in sheet.iter_rows(min_row=2, values_only=True)]


def test_fresh_install_says_what_each_series_has(fresh: TestClient) -> None:
    data = fresh.get("/indicators.json").json()
    counts = {s["status"]: s["count"] for s in data["summary"]}
    assert data["total"] == sum(counts.values()) > 150
    # the document's own values are observations; what is missing is said, not lumped as データ不足
    assert counts.get("insufficient_data", 0) < data["total"] / 10
    assert counts["no_target"] > 100 and counts["target_only"] >= 15 and counts["no_data"] > 0
    html = fresh.get("/indicators", params={"section": "2.2.1"}).text
    assert (
        ">目標のみ<" in html and ">現状値のみ<" in html and 'class="origin origin-document">文書の値<' in html
    )
    # a reference value: the parsed value with its period and its source line
    one = next(
        r
        for r in fresh.get("/indicators.json", params={"size": 500}).json()["table"]["rows"]
        if r["id"] == SERIES
    )
    assert (one["latest"]["value"], one["latest_label"], one["latest_origin"]) == (
        17.8,
        "2021年度",
        "document",
    )
    assert one["latest_line"] == 9672 and one["latest_origin_label"] == "文書の値"
    # a key indicator's stated baseline (（2020 年度時点、17.7％）) is an observation too
    kpi = fresh.get("/indicators/2.2.1.kpi.6.s2.json").json()
    assert kpi["latest"] == {"period": "FY2020", "value": 17.7} and kpi["target"]["value"] == 23.0
    assert kpi["status"] == "insufficient_data" and "1時点" in kpi["verdict"]
    target_only = fresh.get("/indicators/2.1.4.kpi.1").text
    assert "目標のみ" in target_only and "観測値はまだありません" in target_only


def test_list_filters_sorts_and_summarizes_by_status(fresh: TestClient) -> None:
    everything = fresh.get("/indicators.json", params={"size": 500}).json()["table"]["rows"]
    only = fresh.get("/indicators.json", params={"status": "target_only", "size": 500}).json()
    assert only["table"]["rows"] and {r["status"] for r in only["table"]["rows"]} == {"target_only"}
    assert only["table"]["total"] == sum(r["status"] == "target_only" for r in everything)
    # the summary counts the other filters' rows, so that every status stays a link
    assert {s["status"] for s in only["summary"]} >= {"target_only", "no_target"}
    html = fresh.get("/indicators", params={"block": "kpi"}).text
    assert 'href="/indicators?block=kpi&amp;status=target_only"' in html
    kpi = fresh.get("/indicators.json", params={"block": "kpi", "size": 500}).json()["table"]["rows"]
    assert kpi and all(r["block"] == "kpi" and r["block_label"] == "主要指標" for r in kpi)
    grand = fresh.get("/indicators.json", params={"block": "grand_goal", "size": 500}).json()["table"]["rows"]
    assert grand and all(
        "2.1.grand_goal.1" in r["goal_ids"] or "2.2.grand_goal.1" in r["goal_ids"] for r in grand
    )
    section = fresh.get("/indicators.json", params={"section": "2.2.1", "size": 500}).json()["table"]["rows"]
    assert len(section) == 34 and all(r["section"] == "2.2.1" for r in section)
    goal = fresh.get("/indicators.json", params={"goal": "2.2.1.goal.3", "size": 500}).json()["table"]["rows"]
    assert goal and len(goal) < len(section) and all("2.2.1.goal.3" in r["goal_ids"] for r in goal)
    # status sorts in the order of progress, not by the characters of its label
    order = ["target_only", "no_target", "no_data"]  # the unrated ones, in progress.UNRATED's order
    by_status = fresh.get("/indicators.json", params={"sort": "status_label", "size": 500}).json()["table"]
    ranks = [order.index(r["status"]) if r["status"] in order else -1 for r in by_status["rows"]]
    assert ranks == sorted(ranks) and by_status["sort"] == "status_label"
    desc = fresh.get("/indicators.json", params={"sort": "latest_value", "desc": "true", "size": 500}).json()
    values = [r["latest_value"] for r in desc["table"]["rows"] if r["latest_value"] is not None]
    assert values == sorted(values, reverse=True)


def test_list_downloads_hold_exactly_the_rows_of_the_page(fresh: TestClient) -> None:
    params = {"status": "no_target", "sort": "latest_value", "desc": "true", "size": "20", "page": "2"}
    page = fresh.get("/indicators.json", params=params).json()["table"]
    ids = [r["id"] for r in page["rows"]]
    assert len(ids) == 20 and page["first"] == 21
    html = fresh.get("/indicators", params=params).text
    assert all(f'<tr id="{i}">' in html for i in ids) and html.count("<tr id=") == len(ids)
    assert _csv_ids(fresh.get("/indicators.csv", params=params)) == ids
    assert _xlsx_ids(fresh.get("/indicators.xlsx", params=params)) == ids
    header = fresh.get("/indicators.csv", params=params).content.decode("utf-8-sig").splitlines()[0]
    assert header.startswith("ID,系列,種類") and "状況" in header and "判定" in header
    assert 'href="/indicators.csv?status=no_target' in html  # the page links its downloads


def test_unknown_filter_values_are_clear_errors(fresh: TestClient) -> None:
    for url, params, code, words in (
        ("/indicators.json", {"status": "achieved"}, 422, "unknown status"),
        ("/indicators.json", {"block": "goal"}, 422, "unknown block"),
        ("/indicators.json", {"goal": "2.2.1.goal.9"}, 404, "no goal"),
        ("/indicators.json", {"section": "9.9"}, 404, "9.9"),
        ("/indicators.json", {"sort": "nope"}, 422, "cannot sort"),
        ("/indicators.csv", {"status": "nope"}, 422, "unknown status"),
        ("/indicators", {"block": "nope"}, 422, "unknown block"),
    ):
        response = fresh.get(url, params=params)
        assert response.status_code == code, (url, params, response.status_code)
        assert words in response.text, (url, params)


def test_verdict_in_words_and_numbers_in_json(client: TestClient) -> None:
    ok = client.put(
        f"/api/indicators/series/{SERIES}/target",
        json={"value": 30, "period": "FY2030"},
        headers={"authorization": f"Bearer {TOKEN}"},
    )
    assert ok.status_code == 200
    body = client.get(f"/indicators/{SERIES}.json").json()
    assert body["verdict"].startswith("目標達成に必要な伸び率 ") and "%/年に対し実績 " in body["verdict"]
    assert re.search(r"伸び率 \d+\.\d%/年に対し実績 \d+\.\d%/年（達成見込み \d+%）", body["verdict"])
    assert isinstance(body["actual_rate"], float) and isinstance(body["ratio"], float)
    assert body["reason"].startswith("actual cagr rate")  # the machine-readable finding stays
    page = client.get(f"/indicators/{SERIES}").text
    assert body["verdict"] in page and "actual cagr rate" not in page and "required" not in page


def test_fiscal_years_are_drawn_as_fiscal_years(client: TestClient) -> None:
    chart = client.get(f"/indicators/{SERIES}.json").json()["chart"]
    assert chart["axis"]["kind"] == "fiscal_year"
    assert [(p["x"], p["label"]) for p in chart["points"]] == [
        (2017, "2017年度"),
        (2019, "2019年度"),
        (2021, "2021年度"),
        (2022, "2022年度"),
    ]
    ticks = [t["label"] for t in chart["axis"]["ticks"]]
    assert ticks == [f"{y}年度" for y in range(2017, 2023)]
    # the axis spans the data (and the target), half a year either side: no padding of its own
    assert (chart["axis"]["min"], chart["axis"]["max"]) == (2016.5, 2022.5)
    client.put(
        f"/api/indicators/series/{SERIES}/target",
        json={"value": 30, "period": "FY2030"},
        headers={"authorization": f"Bearer {TOKEN}"},
    )
    chart = client.get(f"/api/indicators/series/{SERIES}").json()["chart"]
    assert chart["target"]["x"] == 2030 and chart["target"]["label"] == "2030年度"
    assert (chart["axis"]["min"], chart["axis"]["max"]) == (2016.5, 2030.5)
    assert [p["x"] for p in chart["projection"]] == [2017, 2030]


def test_a_target_alone_spans_its_own_year(fresh: TestClient) -> None:
    chart = fresh.get("/indicators/2.1.4.kpi.1.json").json()["chart"]  # 570 億円 by FY2025, no data
    assert chart["points"] == [] and chart["target"]["x"] == 2025
    assert 2024 <= chart["axis"]["min"] < 2025 < chart["axis"]["max"] <= 2026  # not 1924–2128
    assert [t["label"] for t in chart["axis"]["ticks"]] == ["2025年度"]
    months = fresh.get("/indicators/2.1.1.ref.8.s1.json").json()["chart"]  # 2022年３月末
    assert months["axis"]["kind"] == "periods" and months["points"][0]["label"] == "2022年3月"


def test_a_series_split_by_category_has_one_chart_with_a_selector(fresh: TestClient) -> None:
    body = fresh.get(
        "/indicators/2.2.1.ref.8.s2.json"
    ).json()  # 博士後期課程在籍者に占める女性の割合（工学系）
    labels = [c["label"] for c in body["categories"]]
    assert labels == ["理学系", "工学系", "農学系", "医・歯・薬学系合わせて", "人文科学系", "社会科学系"]
    assert all(c["chart"]["axis"] == body["chart"]["axis"] for c in body["categories"])  # one shared axis
    html = fresh.get("/indicators/2.2.1.ref.8.s2").text
    assert 'data-chart-for="chart-series"' in html and 'data-categories="' in html
    assert '<option value="1" selected>工学系</option>' in html
    # the table twin holds every category, so nothing is lost without JavaScript
    twin = html[html.index('class="grid chart-twin"') :]
    twin = twin[: twin.index("</table>")]
    assert all(f">{label}</a>" in twin for label in labels) and "53%" in twin
    rows = list(
        csv.reader(io.StringIO(fresh.get("/indicators/2.2.1.ref.8.s2.csv").content.decode("utf-8-sig")))
    )
    assert rows[0][:4] == ["系列ID", "区分", "期間コード", "期間"] and len(rows) == 1 + 6
    assert {r[1] for r in rows[1:]} == set(labels)
    assert fresh.get("/indicators/2.2.1.ref.6.json").json()["categories"] == []  # one series: no selector


def test_goals_of_one_heading_roll_up_their_own_series(fresh: TestClient, doc: Document) -> None:
    series, _, _ = build_registry(doc)
    heading = {s.id for s in series if s.section == "2.2.1"}
    members = {g: {s.id for s in series if g in s.goal_ids} for g in ("2.2.1.goal.1", "2.2.1.goal.2")}
    assert members["2.2.1.goal.1"] and members["2.2.1.goal.2"]
    assert members["2.2.1.goal.1"] != members["2.2.1.goal.2"]
    assert members["2.2.1.goal.1"] < heading and members["2.2.1.goal.2"] < heading
    assert "2.2.1.kpi.1" in members["2.2.1.goal.1"]  # 博士後期課程学生の生活費相当額
    assert {s.id for s in series if "2.2.1.vision" in s.goal_ids} == heading
    # a heading with one goal: its indicators all measure it
    assert {s.id for s in series if "2.1.1.goal.1" in s.goal_ids} == {
        s.id for s in series if s.section == "2.1.1"
    }
    # every link names a goal and an indicator of the document
    items = {i.id for i in doc.indicators}
    links = goal_links(doc)
    assert set(links) <= {g.id for g in doc.goals}
    assert {i for ids in links.values() for i in ids} <= items
    goal = fresh.get("/goals/2.2.1.goal.1.json").json()
    assert {s["id"] for s in goal["series"]} == members["2.2.1.goal.1"]
    assert goal["total"] == len(members["2.2.1.goal.1"]) and goal["with_data"] <= goal["total"]
    html = fresh.get("/goals/2.2.1.goal.1").text
    assert f"データのある指標 {goal['with_data']}/{goal['total']}" in html
    empty = fresh.get("/goals/2.2.1.goal.4").text  # 人文・社会科学: no indicator of its own
    assert "対応づけられていません" in empty and 'href="/indicators?section=2.2.1"' in empty


def test_an_edition_without_goal_links_rolls_up_to_the_heading(doc: Document) -> None:
    """The links are a reading of the 2023 text: another text (a new edition) gets none, so a goal
    of a heading with several goals has no series rather than every series of its heading."""
    other = replace(doc, sha256="0" * 64)
    assert goal_links(other) == {}
    series, _, _ = build_registry(other)
    assert not any("2.2.1.goal.1" in s.goal_ids or "2.2.1.goal.2" in s.goal_ids for s in series)
    heading = {s.id for s in series if s.section == "2.2.1"}
    assert {s.id for s in series if "2.2.1.vision" in s.goal_ids} == heading


def test_roll_ups_withhold_a_status_on_too_few_rated_series(client: TestClient) -> None:
    body = client.get("/api/indicators/status").json()
    for r in body["sections"] + body["goals"]:
        assert r["with_data"] <= r["total"] and r["rated"] <= r["total"]
    # SERIES rated alone in 2.2: one rated series is no ground for the section's status
    client.put(
        f"/api/indicators/series/{SERIES}/target",
        json={"value": 30, "period": "FY2030"},
        headers={"authorization": f"Bearer {TOKEN}"},
    )
    body = client.get("/api/indicators/status").json()
    section = next(s for s in body["sections"] if s["id"] == "2.2")
    assert section["rated"] == 1 and section["status"] == "withheld" and section["status_label"] == "判定保留"
    html = client.get("/indicators").text
    assert "判定保留" in html and f"データのある指標 {section['with_data']}/{section['total']}" in html


def test_indicator_pages_stay_light(fresh: TestClient) -> None:
    for url in ("/indicators", "/indicators?size=5000", "/indicators/2.2.1.kpi.5.s2", "/goals/2.2.1.vision"):
        response = fresh.get(url)
        assert response.status_code == 200 and len(response.content) < 1_500_000, url
