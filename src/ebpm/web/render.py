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

from fastapi.templating import Jinja2Templates
from markupsafe import Markup, escape

from ebpm.indicators.progress import STATUS_LABELS
from ebpm.model import GlossaryEntry

TEMPLATES = Path(__file__).parent / "templates"
templates = Jinja2Templates(directory=TEMPLATES)

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

    def _markup(self, text: str) -> Markup:
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


def lines_label(start: int, end: int) -> str:
    return f"{start}行" if start == end else f"{start}–{end}行"


def section_of(section: str) -> str:
    """The section (2.1) a heading id (2.1.3.2) belongs to."""
    return ".".join(section.split(".")[:2])


def chart_data(labels: list[Any], values: list[Any], label: str) -> str:
    """A chart's data as JSON, for a data-chart attribute (read by app.js; no inline script)."""
    return json.dumps({"labels": labels, "values": values, "label": label}, ensure_ascii=False)


templates.env.filters["percent"] = percent
templates.env.filters["section_of"] = section_of
templates.env.globals["lines_label"] = lines_label
templates.env.globals["chart_data"] = chart_data
COLUMN_LABELS = {"commitment": "具体的な取組", "status": "実施状況・現状分析", "action": "今後の取組方針"}
KIND_LABELS = {
    "measure": "取組（行）",
    "action": "今後の取組",
    "indicator": "指標",
    "goal": "目標",
    "footnote": "脚注",
    "glossary": "用語",
}
BLOCK_LABELS = {"kpi": "主要指標", "reference": "参考指標", "grand_goal": "大目標の指標"}
GOAL_LABELS = {"grand_goal": "大目標", "vision": "あるべき姿", "goal": "目標"}
templates.env.globals.update(
    COLUMN_LABELS=COLUMN_LABELS,
    KIND_LABELS=KIND_LABELS,
    BLOCK_LABELS=BLOCK_LABELS,
    GOAL_LABELS=GOAL_LABELS,
    STATUS_LABELS=STATUS_LABELS,
)
