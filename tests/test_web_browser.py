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
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Browser, ConsoleMessage, Page, Request, expect, sync_playwright

from ebpm.accounts import service as accounts
from ebpm.budget.projects import import_projects
from ebpm.budget.service import BudgetService
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


@pytest.fixture(scope="module")
def base_url(ingested_kb: Path, research_db: Path) -> Iterator[str]:
    """The app served by uvicorn on a free port of 127.0.0.1, in a thread."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    store = ingested_kb.with_name("browser-monitoring.sqlite")
    service = BudgetService(knowledge_base.read(ingested_kb), open_store(store))
    import_projects(service.store, BUDGET_SAMPLE)  # the budget pages need projects to show
    service.recompute()
    for name, role, ministries in (("sec", "admin", []), ("mext", "editor", ["文"])):
        accounts.add_user(service.store, name, role, ministries, PASSWORD, actor="test")
    app = create_app(ingested_kb, store, research_db=research_db)  # the research pages need a store
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
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

    page.get_by_label("検索語 (search)").fill("女性研究者")
    page.get_by_label("検索語 (search)").press("Enter")
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


def test_budget_treemap(browser: Browser, base_url: str) -> None:
    w = open_page(browser, base_url, DESKTOP)
    w.page.goto(base_url + "/budget")
    chart_drawn(w.page, "#chart-treemap")
    leaves = w.page.evaluate("document.querySelector('#chart-treemap').chart.data.datasets[0].tree.length")
    assert leaves > 20
    w.shot("07-budget")
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

    page.get_by_label("機関の種類 (institution type)").select_option("education")
    page.get_by_role("button", name="表示 (apply)").click()
    expect(page).to_have_url(re.compile(r"type=education"))
    types = page.locator("#institutions tbody tr > :nth-child(2)").all_inner_texts()
    assert types and set(types) == {"大学等 (education)"}

    page.get_by_role("link", name="分野の動向 (trends)").click()
    expect(page.locator("h1")).to_contain_text("分野別の動向")
    chart_drawn(page, "#chart-share")
    chart_drawn(page, "#chart-specialisation")
    w.shot("10-research-trends")

    page.get_by_role("link", name="性別・キャリア段階 (breakdowns)").click()
    expect(page.locator("h1")).to_contain_text("性別・キャリア段階")
    chart_drawn(page, "#chart-career_stage-per-oku")
    expect(page.locator(".sample-banner")).to_be_visible()
    w.shot("11-research-breakdowns")
    w.check()


def test_glossary_tooltip(browser: Browser, base_url: str) -> None:
    w = open_page(browser, base_url, DESKTOP)
    w.page.goto(base_url + "/sections/2.1.1")
    abbr = w.page.locator('abbr[title^="人工知能"]').first
    expect(abbr).to_have_text("ＡＩ")
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
    "/goals/2.2.1.goal.1",
    "/glossary",
    "/source?start=9700&end=9720",
    "/budget",
    "/budget/projects/SAMPLE-24-05",
    "/budget/items/2.4.3",
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
    page.get_by_label("ユーザー名 (name)").fill(name)
    page.get_by_label("パスワード (password)").fill(PASSWORD)
    page.get_by_role("button", name="ログイン (log in)").click()


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
    item.get_by_label("状況 (status)").select_option("done")
    item.get_by_label("実施状況 (note, 4,000字まで)").fill("概算要求に計上した")
    item.get_by_label("時点 (as of)").fill("2024-04-01")
    item.get_by_role("button", name="報告する (report)").click()
    expect(page.locator("[role=status]")).to_contain_text(FOLLOW_ACTION)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "20-follow-up.png"))

    admin = browser.new_context(viewport=DESKTOP, locale="ja-JP", bypass_csp=True)  # type: ignore[arg-type]
    board = admin.new_page()
    _log_in(board, base_url, "sec")
    board.goto(base_url + "/follow-up/secretariat")
    problems["/follow-up/secretariat"] = _axe(board)
    queued = board.locator("section[aria-labelledby='queue'] li", has_text=FOLLOW_ACTION)
    queued.get_by_label("コメント (comment; 差し戻しには必須)").fill("根拠資料を添付してください")
    queued.get_by_role("button", name="差し戻し (return)").click()
    expect(board.locator("section[aria-labelledby='queue']")).not_to_contain_text(FOLLOW_ACTION)
    board.screenshot(path=str(SHOTS / "21-secretariat.png"))
    board.goto(base_url + "/budget/projects/SAMPLE-24-05/review")
    problems["/budget/projects/SAMPLE-24-05/review"] = _axe(board)
    board.get_by_role("button", name="確認 (confirm)").first.click()
    expect(board.locator("[role=status]")).to_contain_text("saved")
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
