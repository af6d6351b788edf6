"""Two editions in a real browser: from the home page to the differences of 2023 and a SAMPLE 2024
edition by clicking, a row's history, an admin's review of a link with JavaScript off, the
reports page; axe on every page of this work in Japanese and English, at desktop and phone width."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, expect

from ebpm.accounts import service as accounts
from ebpm.services.ingest import ingest
from ebpm.sources.next_edition import next_edition
from ebpm.store.monitoring import open_store
from ebpm.web.app import create_app
from tests.test_web_browser import DESKTOP, PASSWORD, PHONE, SHOTS, _axe, _log_in, browser, serve  # noqa: F401

PAGES = [
    "/diff/2023/2024",
    "/diff/2023/2024?kind=action&change=new",
    "/measures/2.1.1.1.m1",
    "/e/2023/measures/2.1.1.1.m1",
    "/reports",
]


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("editions-browser")
    db = folder / "kb.sqlite"
    ingest(None, db)
    sample = folder / "sample-2024.txt"
    sample.write_text(next_edition(seed=1).text, encoding="utf-8")
    ingest(sample, db)
    store = folder / "monitoring.sqlite"
    engine = open_store(store, "write")
    accounts.add_user(engine, "sec", "admin", [], PASSWORD, actor="test")
    engine.dispose()
    with serve(create_app(db, store)) as url:
        yield url


def test_from_the_home_page_to_the_differences_and_a_rows_history(
    browser: Browser,  # noqa: F811
    base_url: str,
) -> None:
    context = browser.new_context(viewport=DESKTOP, locale="ja-JP")  # type: ignore[arg-type]
    page = context.new_page()
    page.goto(base_url + "/")
    expect(page.locator("header .brand")).to_contain_text("2024")
    page.get_by_role("link", name="差分", exact=True).click()
    expect(page.locator("h1")).to_contain_text("2023年版と2024年版の差分")
    expect(page.locator("table.diff ins").first).to_be_visible()
    page.locator("select[name=change]").select_option("new")
    page.get_by_role("button", name="絞り込む").click()
    expect(page.locator("table.diff tbody tr").first).to_contain_text("新規")
    page.screenshot(path=str(SHOTS / "diff-2023-2024.png"), full_page=False)
    page.locator("table.diff tbody tr").first.locator("a").first.click()
    expect(page.locator("#h-history")).to_be_visible()
    expect(page.locator("table.history")).to_contain_text("新規")
    # the edition switcher: the same row's page in 2023, and the site stays in that edition
    page.goto(base_url + "/measures/2.1.1.1.m1")
    page.locator("nav.edition-switch").get_by_role("link", name="2023", exact=True).click()
    expect(page).to_have_url(base_url + "/e/2023/measures/2.1.1.1.m1")
    expect(page.locator("header .brand")).to_contain_text("2023")
    page.get_by_role("link", name="府省庁", exact=True).click()
    expect(page).to_have_url(base_url + "/e/2023/ministries")
    context.close()


def test_an_admin_reviews_a_link_without_javascript(browser: Browser, base_url: str) -> None:  # noqa: F811
    context = browser.new_context(viewport=DESKTOP, locale="ja-JP", java_script_enabled=False)  # type: ignore[arg-type]
    page = context.new_page()
    _log_in(page, base_url, "sec")
    page.goto(base_url + "/diff/2023/2024/review")
    form = page.locator("form.stacked")
    form.get_by_label("2024年版 ID").fill("2.1.1.1.m1")
    form.get_by_role("button", name="新規の項目").click()
    expect(page.locator("p.notice")).to_contain_text("判断を記録しました")
    page.goto(base_url + "/diff/2023/2024.json?kind=row&change=new&size=500")
    assert '"to":"2.1.1.1.m1"' in page.content() and '"method":"reviewed"' in page.content()
    context.close()


@pytest.mark.parametrize("lang", ["ja", "en"])
@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_edition_pages_pass_axe(browser: Browser, base_url: str, lang: str, viewport: str) -> None:  # noqa: F811
    size = DESKTOP if viewport == "desktop" else PHONE
    context = browser.new_context(viewport=size, locale="ja-JP", bypass_csp=True)  # type: ignore[arg-type]
    page = context.new_page()
    _log_in(page, base_url, "sec")  # first: the login form is in Japanese until ?lang=en sets the cookie
    problems: dict[str, list[str]] = {}
    for path in PAGES:
        page.goto(base_url + path + ("&" if "?" in path else "?") + f"lang={lang}")
        found = _axe(page)
        if found:
            problems[path] = found
    page.goto(base_url + f"/diff/2023/2024/review?lang={lang}")
    if found := _axe(page):
        problems["/diff/2023/2024/review"] = found
    context.close()
    assert not problems, problems


def test_an_admin_adds_an_edition_from_the_page_without_javascript(
    browser: Browser,  # noqa: F811
    base_url: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """The secretariat uploads a SAMPLE next edition as 2025 with JavaScript off: the job page
    follows the ingest by refreshing itself, ends with the summary, and the edition is served."""
    sample = tmp_path_factory.mktemp("upload") / "sample-2025.txt"
    sample.write_text(next_edition(seed=2).text, encoding="utf-8")
    context = browser.new_context(viewport=DESKTOP, locale="ja-JP", java_script_enabled=False)  # type: ignore[arg-type]
    page = context.new_page()
    _log_in(page, base_url, "sec")
    page.goto(base_url + "/follow-up/secretariat")
    page.get_by_role("link", name="年版の追加").click()
    expect(page).to_have_url(base_url + "/editions/add")
    page.get_by_label("ファイル（.txt または .pdf）").set_input_files(str(sample))
    page.get_by_label("年版（西暦。空欄なら文書の題名から読み取ります）").fill("2025")
    page.get_by_role("button", name="取り込む").click()
    expect(page).to_have_url(re.compile(r"/editions/add/[A-Za-z0-9_-]+$"))
    # the page refreshes itself (a meta refresh, not a script) until the ingest has ended
    expect(page.locator("p.notice")).to_contain_text("2025年版を知識ベースに保存しました", timeout=300_000)
    page.screenshot(path=str(SHOTS / "edition-added.png"), full_page=True)
    page.get_by_role("link", name="2025年版を開く").click()
    expect(page).to_have_url(base_url + "/e/2025/")
    expect(page.locator("header .brand")).to_contain_text("2025")
    context.close()
