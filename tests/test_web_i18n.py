"""The English interface: ``?lang=en`` on any page, kept in a cookie; every UI string of the
templates translated (the document's own text stays Japanese, inside ``lang="ja"``), the words that
the data carry in Japanese (due years, statuses, an indicator's verdict) in English too; the page
cache keeps the two languages apart; downloads follow the page's language; and the catalogue matches
the code (no stale msgid, no string left untranslated).

:func:`untranslated` is the check any English page can be put through: to cover another template,
add a page that renders it to ``english_pages`` (or call it on the page's HTML in a test of its own).
"""

from __future__ import annotations

import ast
import math
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import lxml.html
import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx import Response
from jinja2.ext import extract_from_ast
from lxml import etree
from markupsafe import escape

from ebpm.accounts import service as accounts
from ebpm.budget.projects import import_projects
from ebpm.budget.service import BudgetService
from ebpm.budget.views import STATUS_LABELS as BUDGET_STATUS_LABELS
from ebpm.indicators.importing import run_import
from ebpm.indicators.monitor import Monitor
from ebpm.indicators.periods import parse_period
from ebpm.indicators.progress import ROLL_UP_RULE, Point, Target, assess
from ebpm.indicators.progress import STATUS_LABELS as INDICATOR_STATUS_LABELS
from ebpm.indicators.readers import read_rows
from ebpm.model import Document
from ebpm.progress.reports import STATUS_LABELS as REPORT_STATUS_LABELS
from ebpm.research.analytics import LABELS as RESEARCH_LABELS
from ebpm.services.action_table import CATEGORY_LABELS as DUE_CATEGORY_LABELS
from ebpm.services.overview import RELEVANCE_LABELS
from ebpm.store.monitoring import open_store
from ebpm.web import i18n, wording
from ebpm.web.app import create_app
from ebpm.web.render import templates

WEB = Path(__file__).resolve().parents[1] / "src" / "ebpm" / "web"
BUDGET_SAMPLE = WEB.parent / "data" / "budget_sample" / "projects.csv"
PASSWORD = "correct horse battery"
MON = "2.1.1.4.m1.a11"  # owned by 文 alone
TODAY = date.today().isoformat()
# observations that rate two KPIs (進捗が限定的, 悪化), so that the English list shows rated verdicts
RATED = (
    "indicator_id,period,value,unit,source\n"
    "2.2.1.kpi.5.s2,FY2018,10.0,%,SAMPLE\n2.2.1.kpi.5.s2,FY2022,10.4,%,SAMPLE\n"
    "2.1.4.kpi.3,FY2020,900,名,SAMPLE\n2.1.4.kpi.3,FY2022,800,名,SAMPLE\n"
)

# Hiragana, Katakana (with its phonetic extensions and the half-width forms) and CJK ideographs
JAPANESE = re.compile(
    "[\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f\U00020000-\U0003134f]"
)
# the attributes a person reads or hears; input values are what the user typed, never UI text
READ_ATTRIBUTES = ("title", "aria-label", "placeholder", "alt")
NOT_TEXT = ("script", "style")

# UI labels the templates translate from data, as {{ _(s.label) }}: their values are msgids in use
LABEL_TABLES: dict[str, list[str]] = {
    "ebpm.progress.reports.STATUS_LABELS": list(REPORT_STATUS_LABELS.values()),
    "ebpm.indicators.progress.STATUS_LABELS": list(INDICATOR_STATUS_LABELS.values()),
    "ebpm.services.action_table.CATEGORY_LABELS": list(DUE_CATEGORY_LABELS.values()),
    "ebpm.services.overview.RELEVANCE_LABELS": [label for _floor, label in RELEVANCE_LABELS],
    "ebpm.budget.views.STATUS_LABELS": list(BUDGET_STATUS_LABELS.values()),
    "ebpm.research.analytics.LABELS": [
        ja for table in RESEARCH_LABELS.values() for ja, _en in table.values()
    ],
}


def untranslated(html: str) -> list[str]:
    """Japanese text on a page outside every element whose nearest ``lang`` says ``ja``: the text
    nodes (``<title>`` and ``<option>`` included) and the attributes a person reads (title,
    aria-label, placeholder, alt). An English page whose UI is translated gives ``[]``; each item
    names the element and the text, so a failure says what to wrap in ``_()`` or ``lang="ja"``.

    ``<title>`` cannot mark a part of its text as Japanese, and a page's title names what the page
    shows: a section's title, a project's name, a search's words. So the title is checked without
    the data that the page itself shows marked as Japanese (the text of an element with ``lang="ja"``,
    usually its ``<h1>``): what remains, the title's UI words, must be translated."""
    root = lxml.html.document_fromstring(html)
    found: list[str] = []
    shown_as_japanese = sorted(
        {
            " ".join(e.text_content().split())
            for e in root.iter()
            if isinstance(e.tag, str) and (e.get("lang") or "").lower().startswith("ja")
        },
        key=len,
        reverse=True,
    )

    def check(text: str | None, lang: str, where: str) -> None:
        if text and JAPANESE.search(text) and not lang.lower().startswith("ja"):
            found.append(f"{where}: {' '.join(text.split())}")

    def title_ui(text: str | None) -> str | None:
        ui = " ".join((text or "").split())
        for data in shown_as_japanese:
            if data and data in ui:
                ui = ui.replace(data, "")
        return ui

    def visit(element: etree._Element, parent_lang: str) -> None:
        if not isinstance(element.tag, str):  # a comment or a processing instruction
            check(element.tail, parent_lang, "text")
            return
        lang = element.get("lang", parent_lang)
        if element.tag == "title":
            check(title_ui(element.text), lang, "<title>")
        elif element.tag not in NOT_TEXT:
            check(element.text, lang, f"<{element.tag}>")
            for name in READ_ATTRIBUTES:
                check(element.get(name), lang, f"<{element.tag} {name}>")
            for child in element:
                visit(child, lang)
        check(element.tail, parent_lang, f"text after <{element.tag}>")

    visit(root, "")
    return found


def test_untranslated_finds_ui_text_and_leaves_marked_data_alone() -> None:
    page = (
        '<html lang="en"><head><title>ページ</title><script>var s = "スクリプト";</script></head><body>'
        '<p>Hello <b lang="ja">本文</b> 末尾</p><p lang="ja">データ<span lang="en">英語の中</span></p>'
        '<input placeholder="検索" value="入力値"><!-- 注釈 -->'
        '<a title="説明" lang="ja">リンク</a></body></html>'
    )
    assert untranslated(page) == [
        "<title>: ページ",
        "text after <b>: 末尾",
        "<span>: 英語の中",
        "<input placeholder>: 検索",
    ]
    assert untranslated('<html lang="en"><body><p>All English</p></body></html>') == []
    # a title may name data that the page shows marked as Japanese; its UI words are still checked
    titled = (
        '<html lang="en"><head><title>{} | ebpm</title></head><body><h1 lang="ja">知の  フロンティア</h1>'
    )
    assert untranslated(titled.format("Budget: 知の フロンティア")) == []
    assert untranslated(titled.format("予算: 知の フロンティア")) == ["<title>: 予算: | ebpm"]


# ---- the pages -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def app(
    ingested_kb: Path, research_db: Path, doc: Document, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[FastAPI]:
    """The dashboard with two users (the secretariat's sec, 文's mext), the SAMPLE budget projects
    mapped, two KPIs rated by imported observations, and the SAMPLE research store."""
    store = tmp_path_factory.mktemp("i18n") / "monitoring.sqlite"
    engine = open_store(store, "write")
    accounts.add_user(engine, "sec", "admin", [], PASSWORD, actor="test")
    accounts.add_user(engine, "mext", "editor", ["文"], PASSWORD, actor="test")
    import_projects(engine, BUDGET_SAMPLE)
    BudgetService(doc, engine).recompute()
    observations = store.with_name("observations.csv")
    observations.write_text(RATED, encoding="utf-8")
    run_import(Monitor(doc, engine), read_rows(observations, "csv"), observations, "csv")
    engine.dispose()
    app = create_app(ingested_kb, store, research_db=research_db)
    yield app
    app.state.monitoring.dispose()


def client_of(app: FastAPI) -> TestClient:
    return TestClient(app, raise_server_exceptions=False, follow_redirects=False)


def hidden(html: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert found, f"no {name} in the form"
    return found.group(1)


def log_in(client: TestClient, name: str) -> Response:
    form = client.get("/login")
    data = {"name": name, "password": PASSWORD, "csrf": hidden(form.text, "csrf"), "next": "/follow-up"}
    r = client.post("/login", data=data)
    assert r.status_code == 303, r.text
    return r


def log_out(client: TestClient) -> None:
    client.post("/logout", data={"csrf": hidden(client.get("/follow-up").text, "csrf")})


# the dashboard's pages, one at least for each state a template shows: the overview, actions and
# ministries, search, sections and a measure, the indicators (a plain series, one split by category,
# goals with and without indicators), the budget (the list, both rankings, a matched and an
# unmatched project, an item) and the parser's diagnostics
DASHBOARD_PAGES = [
    "/",
    "/commitments?overdue=true",
    "/ministries",
    "/ministries/文?year=FY2024",
    "/search?q=女性研究者",
    "/search?q=広島AIプロセス",
    "/diagnostics",
    "/sections/1.1",
    "/sections/2.2.1",
    "/measures/2.2.1.1.m1",
    "/indicators",
    "/indicators?status=limited_progress",
    "/indicators/2.1.ref.3.s1",
    "/indicators/2.2.1.ref.8.s2",  # split by category: 理学系, 工学系 …
    "/indicators/2.2.1.kpi.5.s2",  # rated by the imported observations
    "/goals/2.2.1.goal.1",
    "/goals/2.2.1.goal.4",  # no indicator of its own
    "/budget",
    "/budget/ranking?by=row",
    "/budget/ranking?by=section",
    "/budget/projects/SAMPLE-24-05",
    "/budget/projects/SAMPLE-N-03",  # estimated unmatched: its closest rows are candidates
    "/budget/items/2.4.3",
]


@pytest.fixture(scope="module")
def english_pages(
    app: FastAPI, ingested_kb: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, str]:
    """Every page of the converted templates in English, as a user meets them: public pages and
    errors, the research pages, an editor's follow-up (a report, a refused one, sheet imports,
    the password form, budget reviews), the secretariat's pages (the review queue, users, the
    audit log) and the dashboard's pages. The language is chosen once, with ?lang=en; the cookie
    keeps it."""
    pages: dict[str, Response] = {}
    with client_of(create_app(ingested_kb, tmp_path_factory.mktemp("new") / "m.sqlite")) as new:
        pages["login (a new install)"] = new.get("/login", params={"lang": "en"})
    client = client_of(app)
    pages["glossary"] = client.get("/glossary", params={"lang": "en"})
    pages["source lines"] = client.get("/source", params={"start": 1420, "end": 1450})
    pages["error 404"] = client.get("/no/such/page")
    pages["error 422"] = client.get("/source", params={"start": "x"})
    for path in DASHBOARD_PAGES:
        pages[path] = client.get(path)
    for path in ("/research", "/research/trends", "/research/breakdowns"):
        pages[path] = client.get(path)
    pages["/research, filtered"] = client.get(
        "/research", params={"type": "education", "funding_type": "kakenhi", "fiscal_years": "2019-2020"}
    )
    pages["login"] = client.get("/login")
    form = {"name": "mext", "password": "wrong password!", "csrf": hidden(pages["login"].text, "csrf")}
    pages["login refused"] = client.post("/login", data=form)

    log_in(client, "mext")
    home = client.get("/follow-up")
    csrf = hidden(home.text, "csrf")
    report = {"csrf": csrf, "status": "in_progress", "note": "進めている", "as_of": TODAY, "version": "0"}
    saved = client.post(f"/follow-up/actions/{MON}", data=report)
    assert saved.status_code == 303
    pages["follow-up, saved"] = client.get(saved.headers["location"])
    pages["report refused (conflict)"] = client.post(
        f"/follow-up/actions/{MON}", data=report | {"note": "二度目の入力"}
    )
    pages["report refused (invalid)"] = client.post(
        f"/follow-up/actions/{MON}", data=report | {"version": "1", "evidence_url": "javascript:x"}
    )
    sheet = f"取組ID,状況,実施状況,時点\n{MON},実施中,進めている,{TODAY}\n".encode("cp932")
    pages["sheet import (dry run)"] = client.post(
        "/follow-up/import", data={"csrf": csrf, "dry_run": "true"}, files={"sheet": ("進捗.csv", sheet)}
    )
    unknown = f"取組ID,状況,実施状況,時点\n9.9.9.m1.a1,完了,,{TODAY}\n".encode()
    pages["sheet import refused"] = client.post(
        "/follow-up/import", data={"csrf": csrf}, files={"sheet": ("s.csv", unknown)}
    )
    pages["sheet import, not a sheet"] = client.post(
        "/follow-up/import", data={"csrf": csrf}, files={"sheet": ("s.txt", sheet)}
    )
    pages["password"] = client.get("/account/password")
    differ = {"csrf": csrf, "current": PASSWORD, "new": "a much longer passphrase", "confirm": "x"}
    pages["password refused"] = client.post("/account/password", data=differ)
    pages["budget review"] = client.get("/budget/projects/SAMPLE-21-04/review", params={"saved": 1})
    pages["budget review, another ministry's"] = client.get("/budget/projects/SAMPLE-21-12/review")
    pages["budget project, its reviewer's"] = client.get("/budget/projects/SAMPLE-21-04", params={"saved": 1})
    pages["budget project, another ministry's"] = client.get("/budget/projects/SAMPLE-21-12")
    log_out(client)

    log_in(client, "sec")
    pages["secretariat"] = board = client.get("/follow-up/secretariat")
    report_id = client.get(f"/api/actions/{MON}/progress").json()["report"]["id"]
    review = {"csrf": hidden(board.text, "csrf"), "decision": "returned", "comment": "根拠を添付してください"}
    assert client.post(f"/follow-up/reports/{report_id}/review", data=review).status_code == 303
    pages["secretariat, nothing to review"] = client.get("/follow-up/secretariat")
    pages["follow-up (secretariat)"] = client.get("/follow-up", params={"overdue": "true"})
    pages["users"] = users = client.get("/follow-up/users")
    csrf = hidden(users.text, "csrf")
    new = {"csrf": csrf, "name": "meti", "role": "editor", "ministries": "経", "password": PASSWORD}
    pages["users, add refused"] = client.post("/follow-up/users", data=new | {"confirm": "x"})
    pages["users, new token"] = client.post("/follow-up/users/mext/token", data={"csrf": csrf})
    pages["audit log"] = client.get("/follow-up/audit", params={"verify": "true", "user": "sec"})
    log_out(client)

    log_in(client, "mext")
    pages["follow-up (a returned report)"] = client.get("/follow-up")

    expected = {
        "error 404": 404,
        "error 422": 422,
        "login refused": 401,
        "report refused (conflict)": 409,
        "report refused (invalid)": 422,
        "sheet import refused": 422,
        "sheet import, not a sheet": 422,
        "password refused": 422,
        "users, add refused": 422,
    }
    for name, r in pages.items():
        assert r.status_code == expected.get(name, 200), (name, r.text[:2000])
        assert r.headers["content-type"].startswith("text/html"), name
    return {name: r.text for name, r in pages.items()}


PAGE_NAMES = [
    "login (a new install)",
    "glossary",
    "source lines",
    "error 404",
    "error 422",
    "/research",
    "/research/trends",
    "/research/breakdowns",
    "/research, filtered",
    "login",
    "login refused",
    "follow-up, saved",
    "report refused (conflict)",
    "report refused (invalid)",
    "sheet import (dry run)",
    "sheet import refused",
    "sheet import, not a sheet",
    "password",
    "password refused",
    "budget review",
    "budget review, another ministry's",
    "budget project, its reviewer's",
    "budget project, another ministry's",
    "secretariat",
    "secretariat, nothing to review",
    "follow-up (secretariat)",
    "users",
    "users, add refused",
    "users, new token",
    "audit log",
    "follow-up (a returned report)",
    *DASHBOARD_PAGES,
]


def test_every_page_is_listed(english_pages: dict[str, str]) -> None:
    assert sorted(english_pages) == sorted(PAGE_NAMES)


@pytest.mark.parametrize("name", PAGE_NAMES)
def test_the_english_page_has_no_japanese_outside_the_documents_text(
    english_pages: dict[str, str], name: str
) -> None:
    html = english_pages[name]
    assert '<html lang="en">' in html
    assert untranslated(html) == []


def test_the_document_text_stays_japanese(english_pages: dict[str, str]) -> None:
    """Data is shown as it is, marked as Japanese: what a user typed, the strategy's text."""
    retry = english_pages["report refused (conflict)"]
    assert '<textarea id="n-' in retry and "二度目の入力" in retry and 'lang="ja"' in retry
    returned = english_pages["follow-up (a returned report)"]
    assert '<span lang="ja">根拠を添付してください</span>' in returned
    assert "Returned reports" in returned and "Secretariat&#39;s comment (sec)" in returned
    glossary = english_pages["glossary"]
    assert "<h1>Glossary <small>Abbreviations</small></h1>" in glossary
    assert re.search('<td lang="ja">[^<]*[\u4e00-\u9fff]', glossary)  # the full names, in Japanese
    assert ">line " in glossary  # the source links: line 12, not 12行
    assert "Rows: 1; would write: 0, unchanged: 1" in english_pages["sheet import (dry run)"]


@pytest.mark.parametrize("path", DASHBOARD_PAGES)
def test_the_dashboard_pages_render_in_japanese_too(app: FastAPI, path: str) -> None:
    r = client_of(app).get(path, params={"lang": "ja"})
    assert r.status_code == 200, r.text[:2000]
    assert '<html lang="ja">' in r.text and "<h1" in r.text


def test_the_dashboard_puts_the_datas_words_in_english(english_pages: dict[str, str]) -> None:
    """Words that the data carry in Japanese (a due's fiscal year, a progress status, a relevance,
    an indicator's verdict, a chart's labels) are English on an English page; the JSON twins keep
    the Japanese."""
    home = english_pages["/"]
    assert "&#34;FY2024&#34;" in home and "&#34;No deadline stated&#34;" in home  # the chart's labels
    assert ">FY2024</a>" in home and "2024年度" not in home
    actions = english_pages["/commitments?overdue=true"]
    assert "Progress: No report" in actions and re.search(r"</time> \(FY20\d\d\)", actions)
    assert "relevance: high" in english_pages["/search?q=女性研究者"]
    section = english_pages["/sections/2.2.1"]
    assert 'data-label="Status and analysis"' in section and 'data-label="Next actions"' in section
    # an indicator rated by its observations: the verdict from the same numbers, in English
    rated = english_pages["/indicators/2.2.1.kpi.5.s2"]
    assert re.search(
        r"Needed growth rate \d+\.\d%/year; actual \d+\.\d%/year \(\d+% of the pace needed\)", rated
    )
    assert "Limited progress" in english_pages["/indicators?status=limited_progress"]
    assert "Needed growth rate" in english_pages["/indicators?status=limited_progress"]
    split = english_pages["/indicators/2.2.1.ref.8.s2"]
    assert (
        "&#34;label&#34;: &#34;FY2022&#34;" in split
        and "Integrated Innovation Strategy 2023, line 9706" in split
    )
    assert "&#34;observations&#34;: &#34;Observations&#34;" in split  # the chart's legend
    budget = english_pages["/budget"]
    assert "&#34;{share}% of the total&#34;" in budget and "&#34;Section&#34;" in budget  # the treemap's
    assert "relevance 0." in budget and "Unmatched (estimated)" in budget
    assert "For reference: the closest rows (candidates)" in english_pages["/budget/projects/SAMPLE-N-03"]
    reviewer = english_pages["budget project, its reviewer's"]
    assert "Logged in as mext." in reviewer and 'value="confirm">Confirm</button>' in reviewer
    refused = english_pages["budget project, another ministry's"]
    assert re.search(
        r'can be reviewed by the staff of <span lang="ja">[^<]+</span> and the secretariat', refused
    )


def test_an_english_page_downloads_english_headers(app: FastAPI) -> None:
    """The download links of an English page carry lang=en; a download without it follows the
    language the cookie holds, as the page does, and ?lang= wins over the cookie."""

    def header(client: TestClient, url: str) -> str:
        return client.get(url).content.decode("utf-8-sig").splitlines()[0]

    japanese = client_of(app)
    assert 'href="/ministries.csv" download' in japanese.get("/ministries").text
    assert header(japanese, "/ministries.csv").startswith("略称,名称,")
    english = client_of(app)
    english.cookies.set("lang", "en")  # chosen on an earlier page
    assert 'href="/ministries.csv?lang=en" download' in english.get("/ministries").text
    assert header(english, "/ministries.csv").startswith("Abbreviation,Name,")
    assert header(english, "/ministries.csv?lang=ja").startswith("略称,名称,")


# ---- words the data carry in Japanese -------------------------------------------------------------------


def _status(points: list[tuple[str, float]], target: tuple[float, str, str] | None, unit: str | None) -> dict:
    """A series' status as Monitor.status gives it, from ``assess`` on these observations."""
    goal = Target(target[0], parse_period(target[1]), target[2]) if target else None
    a = assess([Point(parse_period(p), v) for p, v in points], goal, unit)

    def point(p: Point | None) -> dict | None:
        return None if p is None else {"period": p.period.label, "value": p.value}

    return {
        "status": a.status,
        "reason": a.reason,
        "verdict": a.verdict,
        "method": a.method,
        "ratio": a.ratio,
        "actual_rate": a.actual_rate,
        "required_rate": a.required_rate,
        "base": point(a.base),
        "latest": point(a.latest),
        "target": None if goal is None else {"value": goal.value, "period": goal.period.label},
        "unit": unit,
    }


# every finding assess() words differently: (observations, target, unit)
VERDICT_CASES = {
    "no data": ([], None, None),
    "target only": ([], (20, "FY2025", "up"), "%"),
    "no target": ([("FY2020", 5.0)], None, "人"),
    "a value that is no number": ([("FY2018", 1.0), ("FY2020", math.nan)], (20, "FY2025", "up"), None),
    "a target that is no number": ([("FY2018", 1.0), ("FY2020", 2.0)], (math.inf, "FY2025", "up"), None),
    "achieved": ([("FY2018", 10.0), ("FY2022", 25.0)], (20, "FY2025", "up"), "%"),
    "the only value achieves": ([("FY2022", 25.0)], (20, "FY2025", "up"), "%"),
    "one value": ([("FY2022", 10.0)], (20, "FY2025", "up"), "%"),
    "less than a year": ([("2022-01", 10.0), ("2022-06", 11.0)], (20, "FY2025", "up"), "%"),
    "a target before the base": ([("FY2018", 10.0), ("FY2022", 11.0)], (20, "FY2017", "up"), "%"),
    "no required rate": ([("FY2018", 1e-300), ("FY2022", 1.0)], (1e300, "FY2025", "up"), None),
    "no actual rate": ([("FY2018", -1.7e308), ("FY2022", 1.7e308)], (0, "FY2025", "down"), None),
    "the target is the base": ([("FY2018", 10.0), ("FY2022", 9.0)], (10, "FY2025", "up"), "%"),
    "no ratio": ([("FY2018", 0.0), ("FY2022", 1e300)], (1e-310, "FY2025", "down"), None),
    "growth": ([("FY2018", 10.0), ("FY2022", 10.4)], (20, "FY2025", "up"), "%"),
    "decline": ([("FY2018", 10.0), ("FY2022", 9.0)], (5, "FY2025", "down"), "%"),
    "growth the wrong way": ([("FY2018", 10.0), ("FY2022", 9.0)], (20, "FY2025", "up"), "%"),
    "decline the wrong way": ([("FY2018", 10.0), ("FY2022", 11.0)], (5, "FY2025", "down"), "%"),
    "increase": ([("FY2018", 0.0), ("FY2022", 4.0)], (10, "FY2025", "up"), "人"),
    "decrease": ([("FY2018", 0.0), ("FY2022", -4.0)], (-10, "FY2025", "down"), "人"),
}


@pytest.mark.parametrize("case", VERDICT_CASES)
def test_the_english_verdict_says_what_the_japanese_one_says(case: str) -> None:
    """The English verdict is built from the same fields with the same msgids as the Japanese one,
    which therefore reads exactly as ``assess`` words it: a finding worded anew there fails here."""
    s = _status(*VERDICT_CASES[case])
    assert s["verdict"], case
    assert str(wording.verdict_words("ja", s)) == str(escape(s["verdict"]))
    english = wording.verdict_words("en", s)
    assert english and not untranslated(f'<html lang="en"><body><p>{english}</p></body></html>'), english


def test_every_verdict_of_the_document_reads_the_same(app: FastAPI) -> None:
    statuses = client_of(app).get("/indicators.json", params={"size": 5000}).json()["table"]["rows"]
    assert {s["status"] for s in statuses} >= {"no_data", "target_only", "no_target", "limited_progress"}
    for s in statuses:
        assert str(wording.verdict_words("ja", s)) == str(escape(s["verdict"])), s["id"]


def test_an_english_verdict_in_numbers() -> None:
    english = wording.verdict_words("en", _status(*VERDICT_CASES["growth"]))
    assert english == "Needed growth rate 10.4%/year; actual 1.0%/year (9% of the pace needed)"
    wrong = wording.verdict_words("en", _status(*VERDICT_CASES["decline the wrong way"]))
    assert "a increase" not in wrong and "an increase of 2.4%/year, the wrong way (deterioration)" in wrong
    people = wording.verdict_words("en", _status(*VERDICT_CASES["increase"]))
    assert '1<span lang="ja">人</span>/year' in people  # a unit is the document's word


def test_the_roll_up_rule_reads_as_the_indicators_module_words_it() -> None:
    rule = templates.env.from_string("{{ roll_up_rule() }}")
    assert rule.render(lang="ja", _=i18n.gettext("ja")) == ROLL_UP_RULE
    assert rule.render(lang="en", _=i18n.gettext("en")).startswith("The median status is shown")


def test_periods_in_english() -> None:
    for label, english in (
        ("FY2021", "FY2021"),
        ("2021年度", "FY2021"),
        ("2022", "2022"),
        ("2022年", "2022"),
        ("2022-03", "Mar 2022"),
        ("2022年3月", "Mar 2022"),
        ("2023-03-31", "31 Mar 2023"),
        ("2023年3月31日", "31 Mar 2023"),
    ):
        assert wording.period_en(label) == english, label
    assert wording.period_en("令和5年度末") is None and wording.period_en("2022-13") is None


# ---- choosing the language -----------------------------------------------------------------------------


def test_the_choice_is_kept_in_a_cookie_and_ja_switches_back(app: FastAPI) -> None:
    client = client_of(app)
    assert '<html lang="ja">' in client.get("/glossary").text  # Japanese first
    chosen = client.get("/glossary", params={"lang": "en"})
    cookie = chosen.headers["set-cookie"]
    assert cookie.startswith("lang=en;")
    assert "Max-Age=31536000" in cookie and "Path=/" in cookie and "SameSite=Lax" in cookie
    assert client.cookies.get("lang") == "en"
    again = client.get("/glossary")
    assert '<html lang="en">' in again.text and "set-cookie" not in again.headers  # remembered
    assert '<html lang="en">' in client.get("/research").text  # on every page
    back = client.get("/glossary", params={"lang": "ja"})
    assert '<html lang="ja">' in back.text and back.headers["set-cookie"].startswith("lang=ja;")
    assert '<html lang="ja">' in client.get("/glossary").text
    assert '<html lang="ja">' in client.get("/glossary", params={"lang": "fr"}).text  # not a language
    assert client.cookies.get("lang") == "ja"


def test_the_switch_links_the_same_page_in_the_other_language(app: FastAPI) -> None:
    client = client_of(app)
    ja = client.get("/source", params={"start": 1420, "end": 1450}).text
    assert (
        '<a class="lang-switch" href="/source?start=1420&amp;end=1450&amp;lang=en" lang="en" hreflang="en">'
        "English</a>" in ja
    )
    en = client.get("/source", params={"start": 1420, "end": 1450, "lang": "en"}).text
    assert 'href="/source?start=1420&amp;end=1450&amp;lang=ja" lang="ja" hreflang="ja">日本語</a>' in en
    # a form's answer has no page of its own: the switch goes to the page above it
    log_in(client, "mext")
    refused = client.post(f"/follow-up/actions/{MON}", data={"csrf": "x"})
    assert refused.status_code == 403 and 'href="/follow-up?lang=ja"' in refused.text
    csrf = hidden(client.get("/follow-up").text, "csrf")
    r = client.post("/follow-up/import", data={"csrf": csrf}, files={"sheet": ("s.txt", b"x")})
    assert r.status_code == 422 and 'href="/follow-up?lang=ja"' in r.text


def test_the_page_cache_keeps_the_languages_apart(app: FastAPI) -> None:
    client = client_of(app)
    path = "/source?start=100&end=110"
    ja = client.get(path)
    en = client.get(path, headers={"cookie": "lang=en"})
    assert '<html lang="ja">' in ja.text and '<html lang="en">' in en.text
    assert ja.headers["etag"] != en.headers["etag"] and "Cookie" in en.headers["vary"]

    # the Japanese page's ETag does not revalidate the English page, nor the other way round
    def revalidated(etag: str, lang: str) -> int:
        return client.get(path, headers={"cookie": f"lang={lang}", "if-none-match": etag}).status_code

    assert revalidated(ja.headers["etag"], "en") == 200 and revalidated(en.headers["etag"], "ja") == 200
    assert revalidated(ja.headers["etag"], "ja") == 304 and revalidated(en.headers["etag"], "en") == 304
    assert (
        client.get(path).text == ja.text and client.get(path, headers={"cookie": "lang=en"}).text == en.text
    )
    # the JSON twin has no language: the same data either way
    assert client.get("/source.json?start=100&end=110", headers={"cookie": "lang=en"}).json() == (
        client.get("/source.json?start=100&end=110").json()
    )


# ---- the catalogue ------------------------------------------------------------------------------------


def catalogue() -> Catalog:
    with i18n.catalogue_path("en").open("rb") as po:
        return read_po(po, locale="en")


def template_msgids() -> dict[str, str]:
    """Each literal ``_("…")`` of every template, with where it is."""
    found: dict[str, str] = {}
    for path in sorted((WEB / "templates").glob("*.html")):
        tree = templates.env.parse(path.read_text(encoding="utf-8"))
        for line, _function, strings in extract_from_ast(tree, ("_",), babel_style=False):
            if strings:
                found.setdefault(strings[0], f"{path.name}:{line}")
    return found


def python_msgids() -> dict[str, str]:
    """Each literal ``_("…")`` (a request's gettext) and ``N_("…")`` in the web layer's Python."""
    found: dict[str, str] = {}
    for path in sorted(WEB.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in ("_", "N_")
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                found.setdefault(node.args[0].value, f"{path.name}:{node.lineno}")
    return found


def used_msgids() -> dict[str, str]:
    tables = {ja: name for name, values in LABEL_TABLES.items() for ja in values}
    return tables | python_msgids() | template_msgids()


def test_every_msgid_is_used() -> None:
    used = used_msgids()
    stale = [m.id for m in catalogue() if m.id and m.id not in used]
    assert stale == [], "msgids no template or code uses any more: delete them from messages.po"


def test_every_string_of_the_interface_has_an_english_translation() -> None:
    translated = {m.id: m.string for m in catalogue() if m.id and m.string and not m.fuzzy}
    missing = [f"{where}: {msgid}" for msgid, where in used_msgids().items() if msgid not in translated]
    assert missing == [], "add these to src/ebpm/web/locale/en/LC_MESSAGES/messages.po"


def test_translations_keep_the_placeholders_and_are_english() -> None:
    placeholder = re.compile(r"%\((\w+)\)s")
    for m in catalogue():
        if not m.id:
            continue
        assert isinstance(m.id, str) and isinstance(m.string, str)
        assert sorted(placeholder.findall(m.id)) == sorted(placeholder.findall(m.string)), m.id
        assert not JAPANESE.search(m.string), m.id
        names = placeholder.findall(m.id)
        if names:  # with placeholders, % is formatting: both sides must format
            values = dict.fromkeys(names, "X")
            assert m.id % values and m.string % values
    _ = i18n.gettext("en")
    assert _("%(start)s–%(end)s行", start=3, end=5) == "lines 3–5"
    assert i18n.gettext("ja")("%(start)s行", start=3) == "3行"  # Japanese is the identity


def test_the_research_categories_read_as_the_research_module_names_them() -> None:
    _ = i18n.gettext("en")
    for table in RESEARCH_LABELS.values():
        for ja, en in table.values():
            assert _(ja) == en
