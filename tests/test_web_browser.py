"""The dashboard in a real browser: Playwright drives Debian's Chromium against a real HTTP server.

The flow is a user's first visit: home, a section, a measure and its source lines, a search
narrowed by a facet, a ministry page; then the research pages (a table sorted by a click, a
filter changed). Every page must load without a console error and without a request to another
host. Screenshots go to test-artifacts/screenshots/.
"""

from __future__ import annotations

import os
import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from playwright.sync_api import Browser, ConsoleMessage, Page, Request, expect, sync_playwright

from ebpm.accounts import service as accounts
from ebpm.budget.projects import import_projects
from ebpm.budget.service import BudgetService
from ebpm.indicators.importing import run_import
from ebpm.indicators.monitor import Monitor
from ebpm.indicators.readers import read_rows
from ebpm.store import knowledge_base
from ebpm.store.monitoring import open_store
from ebpm.web.app import create_app

REPO = Path(__file__).resolve().parents[1]
BUDGET_SAMPLE = REPO / "src" / "ebpm" / "data" / "budget_sample" / "projects.csv"

CHROMIUM = os.environ.get("EBPM_CHROMIUM", "/usr/bin/chromium")
SHOTS = Path(__file__).resolve().parents[1] / "test-artifacts" / "screenshots"
DESKTOP = {"width": 1366, "height": 768}
PASSWORD = "correct horse battery"
FOLLOW_ACTION = "2.1.1.4.m1.a11"  # owned by 文 alone
PHONE = {"width": 390, "height": 844}
# SAMPLE observations: 女性研究者の新規採用割合 (target 20% by FY2025) barely moving, and a KPI
# going the wrong way
OFF_TRACK = (
    "indicator_id,period,value,unit,source\n"
    "2.2.1.kpi.5.s2,FY2018,10.0,%,SAMPLE\n2.2.1.kpi.5.s2,FY2022,10.4,%,SAMPLE\n"
    "2.1.4.kpi.3,FY2020,900,名,SAMPLE\n2.1.4.kpi.3,FY2022,800,名,SAMPLE\n"
)


@pytest.fixture(scope="module")
def base_url(ingested_kb: Path, research_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app served by uvicorn on a free port of 127.0.0.1, in a thread, with a monitoring store
    of its own (each test module that serves the app gets a fresh one)."""
    store = tmp_path_factory.mktemp("browser") / "monitoring.sqlite"
    service = BudgetService(knowledge_base.read(ingested_kb), open_store(store))
    import_projects(service.store, BUDGET_SAMPLE)  # the budget pages need projects to show
    service.recompute()
    # observations that put two KPIs off track (the 3rd task: the off-track KPIs and a chart)
    observations = store.with_name("observations.csv")
    observations.write_text(OFF_TRACK, encoding="utf-8")
    run_import(Monitor(service.doc, service.store), read_rows(observations, "csv"), observations, "csv")
    for name, role, ministries in (("sec", "admin", []), ("mext", "editor", ["文"])):
        accounts.add_user(service.store, name, role, ministries, PASSWORD, actor="test")
    app = create_app(ingested_kb, store, research_db=research_db)  # the research pages need a store
    with serve(app) as url:
        yield url


@contextmanager
def serve(app: Any) -> Iterator[str]:
    """``app`` served by uvicorn on a free port of 127.0.0.1, in a thread: its base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"{CHROMIUM} not found: install Debian's chromium (.ci/run does: apt-get install -y chromium)"
        )
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield b
        b.close()


def chart_drawn(page: Page, selector: str, timeout: float = 30) -> None:
    """Wait until Chart.js has drawn the chart at ``selector``. Polled from here: Playwright's own
    wait_for_function evaluates its predicate with eval in the page, which the app's CSP (rightly)
    forbids, so under load, when the first check comes too early, it failed on the CSP instead."""
    deadline = time.monotonic() + timeout
    script = "s => { const e = document.querySelector(s); return e !== null && e.chart !== undefined; }"
    while not page.evaluate(script, selector):
        if time.monotonic() > deadline:
            raise AssertionError(f"the chart {selector} was not drawn within {timeout:g} s")
        time.sleep(0.05)


class Watched:
    """A page that records console errors, uncaught exceptions and requests to other hosts."""

    def __init__(self, page: Page, base_url: str) -> None:
        self.page = page
        self.errors: list[str] = []
        self.foreign: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.errors.append(f"pageerror: {exc}"))
        page.on("request", self._request)
        page.on("response", lambda r: r.status >= 400 and self.errors.append(f"{r.status} {r.url}"))
        self.base_url = base_url

    def _console(self, message: ConsoleMessage) -> None:
        if message.type in ("error", "warning"):
            self.errors.append(f"{message.type}: {message.text}")

    def _request(self, request: Request) -> None:
        if not request.url.startswith((self.base_url, "data:")):
            self.foreign.append(request.url)

    def shot(self, name: str) -> None:
        SHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=False)

    def check(self) -> None:
        assert not self.errors, self.errors
        assert not self.foreign, self.foreign


def open_page(browser: Browser, base_url: str, viewport: dict[str, int]) -> Watched:
    context = browser.new_context(viewport=viewport, locale="ja-JP")  # type: ignore[arg-type]
    return Watched(context.new_page(), base_url)


def test_user_flow(browser: Browser, base_url: str) -> None:
    w = open_page(browser, base_url, DESKTOP)
    page = w.page
    page.goto(base_url + "/")
    expect(page.locator("h1")).to_contain_text("統合イノベーション戦略2023")
    # the charts are drawn by the packaged Chart.js
    chart_drawn(page, "#chart-ministries")
    chart_drawn(page, "#chart-years")
    w.shot("01-home")

    page.get_by_role("link", name=re.compile(r"^２．")).first.click()
    expect(page.locator("h1")).to_contain_text("２．")
    expect(page.locator("table.measures").first).to_be_visible()
    expect(page.locator(".breadcrumbs")).to_be_visible()
    w.shot("02-section")

    page.locator("a.row-id").first.click()
    expect(page.locator("h1")).to_contain_text("取組 2.2.")
    source = page.locator("table.source tr")
    assert source.count() > 3
    first_line = int(source.first.locator("th").inner_text())
    measure_id = page.locator("h1").inner_text().split()[-1]
    data = page.request.get(f"{base_url}/api/measures/{measure_id}").json()
    assert first_line == data["measure"]["line_start"]
    w.shot("03-measure")

    page.get_by_label("検索語").fill("女性研究者")
    page.get_by_label("検索語").press("Enter")
    expect(page.locator("#h-hits")).to_contain_text("女性研究者")
    page.locator(".facets a", has_text="今後の取組").first.click()
    expect(page).to_have_url(re.compile(r"kind=action"))
    hits = page.locator(".hit")
    assert hits.count() > 0
    assert all(k == "今後の取組" for k in page.locator(".hit .kind").all_inner_texts())
    expect(page.locator(".hit mark").first).to_be_visible()
    w.shot("04-search-facet")

    page.locator(".hit a.badge").first.click()
    expect(page).to_have_url(re.compile(r"/ministries/"))
    expect(page.locator("h1")).to_be_visible()
    expect(page.locator("#as-of")).to_be_visible()
    w.shot("05-ministry")
    w.check()


@pytest.mark.parametrize(
    "path", ["/", "/sections/2.2.1", "/measures/2.1.1.1.m1", "/search?q=ＡＩ", "/indicators", "/research"]
)
def test_pages_fit_a_phone(browser: Browser, base_url: str, path: str) -> None:
    w = open_page(browser, base_url, PHONE)
    w.page.goto(base_url + path)
    # nothing wider than the screen except inside scrollable tables
    overflow = w.page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 1, f"{path} is {overflow}px wider than a phone screen"
    name = re.sub(r"\W+", "-", path).strip("-") or "home"
    w.shot(f"phone-{name}")
    w.check()


def test_indicator_chart(browser: Browser, base_url: str) -> None:
    w = open_page(browser, base_url, DESKTOP)
    w.page.goto(base_url + "/indicators/2.1.ref.3.s1")
    chart_drawn(w.page, "#chart-series")
    points = w.page.evaluate("document.querySelector('#chart-series').chart.data.datasets[0].data.length")
    assert points >= 1
    w.shot("06-indicator")
    w.check()


def test_indicator_categories_and_fiscal_year_axis(browser: Browser, base_url: str) -> None:
    """A series split by category: one chart, a selector that switches it, ticks labelled 2022年度."""
    w = open_page(browser, base_url, DESKTOP)
    w.page.goto(base_url + "/indicators/2.2.1.ref.8.s2")  # 博士後期課程在籍者に占める女性の割合（工学系）
    chart_drawn(w.page, "#chart-series")
    chart = "document.querySelector('#chart-series').chart"
    assert w.page.evaluate(f"{chart}.scales.x.ticks.map(t => t.label)") == ["2022年度"]
    assert w.page.evaluate(f"{chart}.data.datasets[0].data[0].y") == 20  # 工学系 20%
    select = w.page.get_by_label(re.compile("区分"))
    expect(select).to_be_visible()  # shown by the script: without it the table holds every category
    select.select_option(label="人文科学系")
    assert w.page.evaluate(f"{chart}.data.datasets[0].data[0].y") == 53
    w.shot("06b-indicator-categories")
    w.check()


TREEMAP_TOOLTIP = """() => {
  const chart = document.querySelector('#chart-treemap').chart;
  const boxes = chart.getDatasetMeta(0).data;
  const index = boxes.findIndex((box) => box.$context.raw.l === 2);
  const at = { x: boxes[index].x, y: boxes[index].y };
  chart.tooltip.setActiveElements([{ datasetIndex: 0, index: index }], at);
  chart.update();
  return { title: chart.tooltip.title, body: chart.tooltip.body.map((b) => b.lines.join(' ')) };
}"""


def test_budget_treemap(browser: Browser, base_url: str) -> None:
    w = open_page(browser, base_url, DESKTOP)
    w.page.goto(base_url + "/budget")
    chart_drawn(w.page, "#chart-treemap")
    leaves = w.page.evaluate("document.querySelector('#chart-treemap').chart.data.datasets[0].tree.length")
    assert leaves > 20
    # hovering a row's box: every tooltip line names its level, id and title, in 億円 with the share
    tooltip = w.page.evaluate(TREEMAP_TOOLTIP)
    assert tooltip["title"] == ["FY2023 当初予算"], tooltip
    assert re.fullmatch(r"行 2\.[\d.]+m\d+ \S.*: [\d,]+\.\d+億円（全体の\d+\.\d%）", tooltip["body"][0]), (
        tooltip
    )
    w.shot("07-budget")
    w.page.get_by_role("link", name="すべての行の予算順位").click()
    expect(w.page.locator("h1")).to_contain_text("行の予算順位")
    w.page.goto(base_url + "/budget/projects/SAMPLE-24-05")
    expect(w.page.locator(".matches li").first).to_contain_text("共通の語")
    w.shot("08-budget-project")
    w.check()


def _column(page: Page, n: int) -> list[float]:
    """The sort values of the institutions table's ``n``-th column (1-based), blanks left out."""
    values = page.locator(f"#institutions tbody tr > :nth-child({n})").evaluate_all(
        "cells => cells.map(c => c.getAttribute('data-value'))"
    )
    return [float(v) for v in values if v]


def test_research_flow(browser: Browser, base_url: str) -> None:
    """From the nav to the institutions table, sorted by a click and filtered, then the other
    two research pages, each with its charts drawn and the SAMPLE banner shown."""
    w = open_page(browser, base_url, DESKTOP)
    page = w.page
    page.goto(base_url + "/")
    page.get_by_role("link", name=re.compile("研究分析")).click()
    expect(page.locator("h1")).to_contain_text("機関の比較")
    expect(page.locator(".sample-banner")).to_contain_text("SAMPLE（合成データ）")
    chart_drawn(page, "#chart-scatter")

    mncs = page.locator("#institutions thead button[data-key=mncs]")
    mncs.click()  # numbers sort largest first
    expect(page.locator("#institutions th[aria-sort=descending]")).to_contain_text("MNCS")
    assert _column(page, 8) == sorted(_column(page, 8), reverse=True)
    mncs.click()
    expect(page.locator("#institutions th[aria-sort=ascending]")).to_contain_text("MNCS")
    assert _column(page, 8) == sorted(_column(page, 8))
    page.get_by_label(re.compile("連結されたTop10%論文数")).check()
    w.shot("09-research")

    page.get_by_label("機関の種類").select_option("education")
    page.get_by_role("button", name="表示", exact=True).click()
    expect(page).to_have_url(re.compile(r"type=education"))
    types = page.locator("#institutions tbody tr > :nth-child(2)").all_inner_texts()
    assert types and set(types) == {"大学等"}

    page.get_by_role("link", name="分野の動向", exact=True).click()
    expect(page.locator("h1")).to_contain_text("分野別の動向")
    chart_drawn(page, "#chart-share")
    chart_drawn(page, "#chart-specialisation")
    w.shot("10-research-trends")

    page.get_by_role("link", name="性別・キャリア段階", exact=True).click()
    expect(page.locator("h1")).to_contain_text("性別・キャリア段階")
    chart_drawn(page, "#chart-career_stage-per-oku")
    expect(page.locator(".sample-banner")).to_be_visible()
    w.shot("11-research-breakdowns")
    w.check()


def test_glossary_tooltip(browser: Browser, base_url: str) -> None:
    w = open_page(browser, base_url, DESKTOP)
    w.page.goto(base_url + "/sections/2.1.1")
    abbr = w.page.locator('abbr[title^="人工知能"]').first
    expect(abbr).to_have_text("AI")  # shown folded, as people search it
    w.check()


AXE = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"
A11Y_PAGES = [
    "/",
    "/sections/2.2.1",
    "/measures/2.2.1.1.m1",
    "/ministries",
    "/ministries/文?as_of=2025-01-01",
    "/search?q=女性研究者&kind=action",
    "/indicators",
    "/indicators/2.1.ref.3.s1",
    "/indicators/2.2.1.ref.8.s2",
    "/goals/2.2.1.goal.1",
    "/glossary",
    "/source?start=9700&end=9720",
    "/budget",
    "/budget/projects/SAMPLE-24-05",
    "/budget/items/2.4.3",
    "/budget/ranking?by=row",
    "/budget/projects/SAMPLE-N-03",  # an unmatched project: its candidates apart
    "/research",
    "/research/trends",
    "/research/breakdowns",
]


@pytest.mark.parametrize("path", A11Y_PAGES)
def test_accessibility(browser: Browser, base_url: str, path: str) -> None:
    """axe-core's WCAG 2 A/AA rules (headings, labels, contrast, landmarks …) on each page."""
    context = browser.new_context(viewport=DESKTOP, locale="ja-JP", bypass_csp=True)  # type: ignore[arg-type]
    page = context.new_page()
    page.goto(base_url + path)
    page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate(
        "axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})"
    )
    problems = [
        f"{v['id']} ({v['impact']}): {v['help']} e.g. {v['nodes'][0]['html'][:120]}"
        for v in result["violations"]
    ]
    assert not problems, "\n".join(problems)
    passed = {rule["id"] for rule in result["passes"]}
    assert {"color-contrast", "label", "html-has-lang", "document-title"} <= passed | _not_applicable(result)
    context.close()


def _not_applicable(result: dict[str, list[dict[str, str]]]) -> set[str]:
    return {rule["id"] for rule in result["inapplicable"]}


def _log_in(page: Page, base_url: str, name: str) -> None:
    page.goto(base_url + "/login")
    page.get_by_label("ユーザー名", exact=True).fill(name)
    page.get_by_label("パスワード", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="ログイン", exact=True).click()


def _axe(page: Page) -> list[str]:
    page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate(
        "axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})"
    )
    return [
        f"{v['id']} ({v['impact']}): {v['help']} e.g. {v['nodes'][0]['html'][:120]}"
        for v in result["violations"]
    ]


def test_follow_up_flow_without_javascript(browser: Browser, base_url: str) -> None:
    """An editor logs in, reports from the form, the secretariat returns the report, the editor
    sees it returned: all with JavaScript off (the forms need none), each page checked by axe."""
    problems: dict[str, list[str]] = {}
    editor = browser.new_context(viewport=DESKTOP, locale="ja-JP", java_script_enabled=False)  # type: ignore[arg-type]
    page = editor.new_page()
    page.goto(base_url + "/follow-up")
    expect(page).to_have_url(re.compile(r"/login\?next=/follow-up"))
    _log_in(page, base_url, "mext")
    expect(page.locator("h1")).to_contain_text("進捗報告")
    page.goto(base_url + "/follow-up?section=2.1.1.4")
    item = page.locator(f"[id='a-{FOLLOW_ACTION}']")
    item.locator("summary").click()
    item.get_by_label("状況", exact=True).select_option("done")
    item.get_by_label("実施状況（4,000字まで）").fill("概算要求に計上した")
    item.get_by_label("時点", exact=True).fill("2024-04-01")
    item.get_by_role("button", name="報告する", exact=True).click()
    expect(page.locator("[role=status]")).to_contain_text(FOLLOW_ACTION)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "20-follow-up.png"))

    admin = browser.new_context(viewport=DESKTOP, locale="ja-JP", bypass_csp=True)  # type: ignore[arg-type]
    board = admin.new_page()
    _log_in(board, base_url, "sec")
    board.goto(base_url + "/follow-up/secretariat")
    problems["/follow-up/secretariat"] = _axe(board)
    queued = board.locator("section[aria-labelledby='queue'] li", has_text=FOLLOW_ACTION)
    queued.get_by_label("コメント（差し戻しには必須）").fill("根拠資料を添付してください")
    queued.get_by_role("button", name="差し戻し", exact=True).click()
    expect(board.locator("section[aria-labelledby='queue']")).not_to_contain_text(FOLLOW_ACTION)
    board.screenshot(path=str(SHOTS / "21-secretariat.png"))
    board.goto(base_url + "/budget/projects/SAMPLE-24-05/review")
    problems["/budget/projects/SAMPLE-24-05/review"] = _axe(board)
    board.get_by_role("button", name="確認", exact=True).first.click()
    expect(board.locator("[role=status]")).to_contain_text("レビューを記録しました")
    for admin_page in ("/follow-up/users", "/follow-up/audit?verify=true"):
        board.goto(base_url + admin_page)
        problems[admin_page] = _axe(board)
    board.goto(base_url + "/login")
    problems["/login"] = _axe(board)

    page.goto(base_url + "/follow-up")
    expect(page.locator("#h-returned")).to_be_visible()
    expect(page.get_by_text("根拠資料を添付してください")).to_be_visible()
    checked = admin.new_page()  # axe needs JavaScript: the editor's page again, as the admin sees it
    checked.goto(base_url + "/follow-up?section=2.1.1.4")
    problems["/follow-up"] = _axe(checked)
    assert not any(problems.values()), problems
    editor.close()
    admin.close()
