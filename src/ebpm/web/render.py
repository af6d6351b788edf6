"""Jinja2 templates and the filters that turn document text into safe, linked HTML.

Every piece of document text reaches the page through autoescaping or through
:func:`glossed`, which escapes the text before it adds any markup of its own.
"""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi.templating import Jinja2Templates
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup, escape

from ebpm.indicators.progress import STATUS_LABELS
from ebpm.model import GlossaryEntry
from ebpm.sources.normalize import fold_in_place
from ebpm.web import i18n, wording
from ebpm.web.i18n import N_

TEMPLATES = Path(__file__).parent / "templates"
# every TemplateResponse gets lang, _ and lang_url (i18n.template_context); the pages that render
# a template themselves (pages.py, research_pages.py) add the same
templates = Jinja2Templates(directory=TEMPLATES, context_processors=[i18n.template_context])
# without a request's context (a macro imported without context), templates read Japanese
templates.env.globals.update(lang=i18n.SOURCE, _=i18n.gettext(i18n.SOURCE))

_ALNUM = r"A-Za-z0-9Ａ-Ｚａ-ｚ０-９"


class Glossary:
    """Wraps every glossary abbreviation found in a text in <abbr title="full name">."""

    def __init__(self, entries: list[GlossaryEntry]) -> None:
        self.names: dict[str, str] = {}
        for e in entries:
            title = e.name_ja + (f" ({e.name_en})" if e.name_en else "")
            # the text writes ＡＩ or AI: both forms point at the same entry
            for form in {e.abbreviation, unicodedata.normalize("NFKC", e.abbreviation)}:
                if len(form) >= 2:
                    self.names.setdefault(form, title)
        forms = sorted(self.names, key=len, reverse=True)
        self.pattern = (
            re.compile(f"(?<![{_ALNUM}])(?:{'|'.join(map(re.escape, forms))})(?![{_ALNUM}])")
            if forms
            else None
        )

        # the document's texts are few and never change while it is loaded: each is marked up once
        self._done: dict[str, Markup] = {}

    def __call__(self, text: str | None) -> Markup:
        if not text:
            return Markup("")
        done = self._done.get(text)
        if done is None:
            done = self._done[text] = self._markup(text)
        return done

    def _markup(self, raw: str) -> Markup:
        # shown as people search it (⾼ as 高, ＡＩ as AI): the browser's find and a copy into Excel
        # match what a user types; the source view keeps the raw text
        text = fold_in_place(raw)
        if self.pattern is None:
            return escape(text)
        out: list[str] = []
        pos = 0
        for m in self.pattern.finditer(text):
            out.append(str(escape(text[pos : m.start()])))
            out.append(f'<abbr title="{escape(self.names[m.group()])}">{escape(m.group())}</abbr>')
            pos = m.end()
        out.append(str(escape(text[pos:])))
        return Markup("".join(out))


def percent(value: float) -> str:
    return f"{value * 100:.0f}%"


@pass_context
def lines_label(context: Context, start: int, end: int) -> str:
    """A line or a range of lines ("12行", "12–14行") in the language of the calling template."""
    _: i18n.Gettext = context.get("_") or i18n.gettext(i18n.SOURCE)
    if start == end:
        return _("%(start)s行", start=start)
    return _("%(start)s–%(end)s行", start=start, end=end)


def section_of(section: str) -> str:
    """The section (2.1) a heading id (2.1.3.2) belongs to."""
    return ".".join(section.split(".")[:2])


# the full names behind the ministry badges (文 → 文部科学省 …), from the loaded document's list of
# ministries; generic owners are described. Set by remember_owners when a knowledge base is loaded.
GENERIC_OWNER_TITLES = {
    "関係府省": N_("関係する府省庁（関係府省庁・関係省庁とも書かれます）"),
    "全府省": N_("すべての府省庁（全省庁とも書かれます）"),
    "関係地方公共団体": N_("関係する地方公共団体"),
}
_owner_names: dict[str, str] = {}


def remember_owners(names: dict[str, str]) -> bool:
    _owner_names.clear()
    _owner_names.update(names)
    return True


def owner_title(name: str) -> str:
    """The full name of an owner abbreviation, for a badge's tooltip ("" when the list lacks it)."""
    return _owner_names.get(name) or GENERIC_OWNER_TITLES.get(name, "")


def url_with(request: Any, path: str | None = None, **changes: Any) -> str:
    """The current URL with some query parameters changed (None, "" or False removes one): the
    links of sort headers, pagers, filters and downloads keep the rest of the state."""
    params = dict(request.query_params)
    for key, value in changes.items():
        if value is None or value == "" or value is False:
            params.pop(key, None)
        else:
            params[key] = "1" if value is True else str(value)
    return (path or request.url.path) + (f"?{urlencode(params)}" if params else "")


def chart_data(labels: list[Any], values: list[Any], label: str) -> str:
    """A chart's data as JSON, for a data-chart attribute (read by app.js; no inline script)."""
    return json.dumps({"labels": labels, "values": values, "label": label}, ensure_ascii=False)


templates.env.filters["percent"] = percent
templates.env.filters["section_of"] = section_of
templates.env.filters["fold"] = fold_in_place  # a page's <title> shows data as its <h1> does
templates.env.filters.update(wording.FILTERS)
templates.env.globals.update(wording.GLOBALS)
templates.env.globals["lines_label"] = lines_label
templates.env.globals["chart_data"] = chart_data
templates.env.globals["url_with"] = url_with
templates.env.globals["owner_title"] = owner_title
# UI labels in Japanese; a template shows one translated: {{ _(COLUMN_LABELS.status) }}
COLUMN_LABELS = {
    "commitment": N_("具体的な取組"),
    "status": N_("実施状況・現状分析"),
    "action": N_("今後の取組方針"),
}
KIND_LABELS = {
    "measure": N_("取組（行）"),
    "action": N_("今後の取組"),
    "indicator": N_("指標"),
    "goal": N_("目標"),
    "text": N_("本文"),
    "footnote": N_("脚注"),
    "glossary": N_("用語"),
}
BLOCK_LABELS = {"kpi": N_("主要指標"), "reference": N_("参考指標"), "grand_goal": N_("大目標の指標")}
GOAL_LABELS = {"grand_goal": N_("大目標"), "vision": N_("あるべき姿"), "goal": N_("目標")}
# how a row or action became the next edition's (ebpm.lineage)
CHANGE_LABELS = {"continued": N_("継続"), "changed": N_("変更"), "dropped": N_("削除"), "new": N_("新規")}
METHOD_LABELS = {
    "identical": N_("同一の文"),
    "same-section text": N_("同じ節の類似文"),
    "moved section": N_("別の節の類似文"),
    "by heading path": N_("見出しの位置"),
    "reviewed": N_("担当者が確認"),
}
templates.env.globals.update(
    CHANGE_LABELS=CHANGE_LABELS,
    METHOD_LABELS=METHOD_LABELS,
    COLUMN_LABELS=COLUMN_LABELS,
    KIND_LABELS=KIND_LABELS,
    BLOCK_LABELS=BLOCK_LABELS,
    GOAL_LABELS=GOAL_LABELS,
    STATUS_LABELS=STATUS_LABELS,
)
