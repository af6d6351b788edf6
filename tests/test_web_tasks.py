"""The tasks users came to do, each completed in a real browser from the home page by clicking
(and typing into forms), never by typing a URL. Each test counts its clicks; the counts are
printed (pytest -s) and recorded in the closing note.

The server, the browser and the page watcher are those of test_web_browser.
"""

from __future__ import annotations

import io
import re

import pytest
from openpyxl import load_workbook  # type: ignore[import-untyped]
from playwright.sync_api import Browser, Locator, Page, expect

from tests.test_web_browser import (  # noqa: F401
    DESKTOP,
    PHONE,
    SHOTS,
    Watched,
    _axe,
    base_url,
    browser,
    chart_drawn,
    open_page,
)

AS_OF = "2025-01-01"


class Clicks:
    """A page whose clicks are counted: every step a user takes goes through ``click``."""

    def __init__(self, w: Watched) -> None:
        self.w = w
        self.page: Page = w.page
        self.count = 0

    def click(self, target: Locator) -> None:
        target.click()
        self.count += 1

    def report(self, task: str) -> None:
        print(f"\n[task] {task}: {self.count} clicks")


def test_task_1_mext_women_researchers_overdue(browser: Browser, base_url: str) -> None:  # noqa: F811
    """文's commitments on women researchers, overdue as of a date."""
    u = Clicks(open_page(browser, base_url, DESKTOP))
    u.page.goto(base_url + "/")
    u.click(u.page.get_by_role("link", name="府省庁の取組と期限を確認する"))
    form = u.page.locator("form.filters")
    form.get_by_label("府省庁").select_option("文")
    form.get_by_label("テーマ・語句").fill("女性研究者")
    u.click(form.get_by_label("期限切れのみ"))
    form.get_by_label("基準日").fill(AS_OF)
    u.click(form.get_by_role("button", name="絞り込む"))
    expect(u.page).to_have_url(re.compile(r"overdue=true"))
    cards = u.page.locator("ul.cards > li")
    assert cards.count() > 0
    for text in cards.all_inner_texts():
        assert "期限切れ" in text and "文" in text
        assert "女性研究者" in text.replace("\n", "")
    due = u.page.locator("ul.cards time").evaluate_all("ts => ts.map(t => t.getAttribute('datetime'))")
    assert due and all(d < AS_OF for d in due)
    u.w.shot("task1-mext-overdue")
    u.w.check()
    u.report("1 文's commitments on women researchers, overdue as of a date")


def test_task_2_meti_fy2024_as_excel(browser: Browser, base_url: str) -> None:  # noqa: F811
    """経's FY2024 commitments downloaded as Excel, holding exactly the rows on screen."""
    w = open_page(browser, base_url, DESKTOP)
    u = Clicks(w)
    context = u.page.context
    u.page.goto(base_url + "/")
    u.click(u.page.get_by_role("link", name="府省庁の取組と期限を確認する"))
    u.click(u.page.locator("#h-by-ministry ~ .table-wrap a.badge", has_text=re.compile(r"^経")).first)
    expect(u.page.locator("h1")).to_contain_text("経")
    u.click(u.page.locator("nav.years a", has_text="2024年度"))
    expect(u.page).to_have_url(re.compile(r"year=FY2024"))
    on_screen = u.page.locator("ul.cards > li").evaluate_all("items => items.map(i => i.id)")
    assert on_screen
    with u.page.expect_download() as download:
        u.click(u.page.locator(".downloads a", has_text="Excel").first)
    path = download.value.path()
    assert path is not None and download.value.suggested_filename.endswith(".xlsx")
    with open(path, "rb") as fh:
        sheet = load_workbook(io.BytesIO(fh.read())).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "ID" and sheet.freeze_panes == "A2"
    assert [r[0] for r in rows[1:]] == on_screen
    assert all(r[rows[0].index("年度")] == 2024 for r in rows[1:])
    w.shot("task2-meti-fy2024")
    w.check()
    context.close()
    u.report("2 経's FY2024 commitments as Excel")


def test_task_5_search_reaches_the_40th_hit(browser: Browser, base_url: str) -> None:  # noqa: F811
    u = Clicks(open_page(browser, base_url, DESKTOP))
    u.page.goto(base_url + "/")
    box = u.page.locator("#site-q")
    box.fill("女性研究者")
    u.click(u.page.locator("form.quick-search button"))
    expect(u.page.locator("#h-hits")).to_contain_text("女性研究者")
    u.click(u.page.locator("nav.pager a[rel=next]").first)
    hits = u.page.locator(".hits ol > li")
    expect(hits).to_have_count(20)
    assert u.page.locator(".hits ol").get_attribute("start") == "21"
    expect(hits.nth(19)).to_be_visible()  # the 40th hit
    u.w.shot("task5-search-40th")
    u.w.check()
    u.report("5 a search that reaches its 40th hit")


def test_phone_search_shows_results_before_filters(browser: Browser, base_url: str) -> None:  # noqa: F811
    w = open_page(browser, base_url, PHONE)
    w.page.goto(base_url + "/search?q=量子")
    hits = w.page.locator("#h-hits").bounding_box()
    facets = w.page.locator("aside.facets").bounding_box()
    assert hits is not None and facets is not None and hits["y"] < facets["y"]
    assert not w.page.locator("aside.facets details").evaluate("d => d.open")  # folded on a phone
    w.shot("phone-search-results-first")
    w.check()


def test_pages_print_as_clean_a4(browser: Browser, base_url: str) -> None:  # noqa: F811
    """Section, ministry and indicator pages print on A4 without the site's navigation, forms,
    pagers or download buttons; the PDFs are kept in test-artifacts/ to look at."""
    w = open_page(browser, base_url, DESKTOP)
    out = SHOTS.parent / "print"
    out.mkdir(parents=True, exist_ok=True)
    for path in ("/sections/2.2.1", "/ministries/文?year=FY2024", "/indicators/2.1.ref.3.s1"):
        w.page.goto(base_url + path)
        w.page.emulate_media(media="print")
        for hidden in ("header.site", "footer.site", "form", ".downloads", "nav.pager"):
            for element in w.page.locator(hidden).all():
                assert not element.is_visible(), (path, hidden)
        pdf = w.page.pdf(prefer_css_page_size=True)
        boxes = re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf)
        assert boxes and all(abs(float(x) - 595.3) < 2 and abs(float(y) - 841.9) < 2 for x, y in boxes), path
        (out / (re.sub(r"\W+", "-", path).strip("-") + ".pdf")).write_bytes(pdf)
        w.page.emulate_media(media="screen")
    w.check()


def test_task_3_off_track_kpis_and_a_chart(browser: Browser, base_url: str) -> None:  # noqa: F811
    """The off-track KPIs (進捗が限定的 or 悪化) and the chart of one of them."""
    u = Clicks(open_page(browser, base_url, DESKTOP))
    u.page.goto(base_url + "/")
    u.click(u.page.get_by_role("link", name="指標の進捗を見る"))
    form = u.page.locator("form.filters")
    form.get_by_label("種類").select_option("kpi")
    u.click(form.get_by_role("button", name=re.compile("絞り込む|表示")))
    u.click(u.page.locator(".status-summary a", has=u.page.locator(".status-limited_progress")))
    expect(u.page).to_have_url(re.compile(r"status=limited_progress"))
    rows = u.page.locator("table tbody tr")
    assert rows.count() >= 1
    assert all("進捗が限定的" in text for text in rows.all_inner_texts())
    u.click(rows.first.locator("a").first)
    expect(u.page.locator("h1")).to_be_visible()
    chart_drawn(u.page, "#chart-series")
    expect(u.page.locator("body")).to_contain_text("目標達成に必要な伸び率")
    u.w.shot("task3-off-track-kpi")
    u.w.check()
    u.report("3 the off-track KPIs and the chart of one")


def test_task_4_largest_budget_rows_and_why_a_match(browser: Browser, base_url: str) -> None:  # noqa: F811
    """The five rows with the largest budget, and why a project was matched to one."""
    u = Clicks(open_page(browser, base_url, DESKTOP))
    u.page.goto(base_url + "/")
    u.click(u.page.get_by_role("link", name="予算と戦略の対応を見る"))
    top = u.page.locator("#h-top + ol > li")
    expect(top).to_have_count(5)
    u.click(u.page.get_by_role("link", name="すべての行の予算順位"))
    amounts = u.page.locator("table tbody tr td.num").first  # the ranking lists the rows by amount
    expect(amounts).to_be_visible()
    u.click(u.page.locator("table tbody tr th a").first)  # the largest row's projects
    expect(u.page.locator("#h-projects")).to_be_visible()
    u.click(u.page.locator("#h-projects ~ * a[href^='/budget/projects/']").first)
    why = u.page.locator("section[aria-labelledby=h-why]")
    expect(why).to_contain_text("判定の根拠")
    expect(u.page.locator("body")).to_contain_text("共通の語")
    u.w.shot("task4-budget-why")
    u.w.check()
    u.report("4 the five rows with the largest budget, and why a project was matched")


def test_task_6_the_english_interface(browser: Browser, base_url: str) -> None:  # noqa: F811
    """The English interface from the switch in the header; the choice is remembered."""
    u = Clicks(open_page(browser, base_url, DESKTOP))
    u.page.goto(base_url + "/")
    u.click(u.page.get_by_role("link", name="English", exact=True))
    expect(u.page.locator("html")).to_have_attribute("lang", "en")
    u.click(u.page.locator("header.site nav a[href='/indicators']"))
    expect(u.page.locator("html")).to_have_attribute("lang", "en")  # the cookie keeps the choice
    expect(u.page.locator("h1")).not_to_contain_text("指標")
    u.click(u.page.get_by_role("link", name="日本語", exact=True))
    expect(u.page.locator("html")).to_have_attribute("lang", "ja")
    u.w.shot("task6-english")
    u.w.check()
    u.report("6 the English interface")


NEW_PAGES = [
    "/",
    "/commitments?overdue=true",
    "/ministries",
    "/ministries/文?year=FY2024",
    "/search?q=女性研究者&page=2",
    "/diagnostics",
    "/sections/1.1",
    "/measures/2.2.1.1.m1",
    "/indicators?status=limited_progress",
    "/budget",
    "/budget/ranking?by=row",
]


@pytest.mark.parametrize("lang", ["ja", "en"])
@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_new_pages_pass_axe(browser: Browser, base_url: str, lang: str, viewport: str) -> None:  # noqa: F811
    """axe-core's WCAG 2 A/AA rules on every page this work added or rebuilt, in both languages, on a
    desktop and at phone width (where the filters fold away)."""
    size = DESKTOP if viewport == "desktop" else PHONE
    context = browser.new_context(viewport=size, locale="ja-JP", bypass_csp=True)  # type: ignore[arg-type]
    page = context.new_page()
    problems: dict[str, list[str]] = {}
    for path in NEW_PAGES:
        page.goto(base_url + path + ("&" if "?" in path else "?") + f"lang={lang}")
        found = _axe(page)
        if found:
            problems[path] = found
    context.close()
    assert not problems, problems
