"""Words that the data carry in Japanese, put in the page's language by the templates.

Services and the indicator and budget modules write some words of the interface into a page's data:
a due date's 2024年度 or 早期・速やかに, a period's 2021年度, an indicator's verdict (目標達成に必要な
伸び率 5.5%/年に対し実績 1.8%/年（達成見込み 33%）), the source of a value the document gives. The
JSON twins keep them as they are; the helpers here, registered as template globals and filters by
:mod:`ebpm.web.render`, give a Japanese page the same words and an English page its own, built from
the same fields and numbers with the page's ``_`` (so that every English word is in the catalogue).

The document's own words inside such a sentence (a unit such as 人, a period written as the text
writes it) are wrapped by :func:`ja` in ``<span lang="ja">`` on a page in another language.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup, escape

from ebpm.indicators.periods import label_ja
from ebpm.indicators.progress import MIN_RATED, MIN_RATED_SHARE, number_ja
from ebpm.services.action_table import CATEGORY_LABELS, year_key
from ebpm.web import i18n

Json = dict[str, Any]
Text = str | Markup
Mark = Callable[[Any], Markup]

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
# the source of a value the document gives (ebpm.indicators.monitor): its line, then its footnote's source
DOCUMENT_SOURCE = re.compile(r"統合イノベーション戦略(\d{4}) (\d+)行(?: / (.*))?", re.S)


def _lang(context: Context) -> str:
    lang = context.get("lang")
    return lang if isinstance(lang, str) and lang in i18n.LANGUAGES else i18n.SOURCE


def _gettext(context: Context) -> i18n.Gettext:
    found: i18n.Gettext | None = context.get("_")
    return found or i18n.gettext(i18n.SOURCE)


def marker(lang: str) -> Mark:
    """How data is marked in a sentence of a page in ``lang``: as it is (escaped) on a Japanese page,
    whose whole text is ``lang="ja"``; in ``<span lang="ja">`` on any other."""
    if lang == i18n.SOURCE:
        return lambda text: escape("" if text is None else text)

    def mark(text: Any) -> Markup:
        if text is None or text == "":
            return Markup("")
        return Markup('<span lang="ja">{}</span>').format(text)  # the text escaped

    return mark


@pass_context
def ja(context: Context, text: Any) -> Markup:
    """The document's words (or a user's) inside a sentence of the interface, marked as Japanese."""
    return marker(_lang(context))(text)


# kana and ideographs: a run of them in an English message (a parser's reason that quotes the
# document) is the document's words
JAPANESE_RUN = re.compile(
    "[\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f\U00020000-\U0003134f]+"
)


def quoting_ja(text: str | None) -> Markup:
    """An English message (a parser's reason or warning, in an element with ``lang="en"``) with
    the document's words it quotes marked as Japanese, on a page in either language."""
    if not text:
        return Markup("")
    out, pos = [], 0
    for m in JAPANESE_RUN.finditer(text):
        out.append(escape(text[pos : m.start()]))
        out.append(Markup('<span lang="ja">%s</span>') % m.group())
        pos = m.end()
    out.append(escape(text[pos:]))
    return Markup("").join(out)


@pass_context
def reasons_title(context: Context, reasons: list[str]) -> str:
    """A parser's reasons for a tooltip (a title attribute, which cannot mark a word's language):
    on a page in another language than Japanese, the document's words they quote are left out
    (…); the measure's page lists them in full."""
    text = "; ".join(reasons)
    return text if _lang(context) == i18n.SOURCE else JAPANESE_RUN.sub("…", text)


def unit_in(unit: str | None, mark: Mark) -> Markup:
    """A unit as the document writes it (人, 億円): data; % and other ASCII units are no words."""
    if not unit:
        return Markup("")
    return escape(unit) if unit.isascii() else mark(unit)


@pass_context
def with_unit(context: Context, number: Any, unit: str | None) -> Markup:
    """A number followed by its unit (人, 億円, %)."""
    return escape(number) + unit_in(unit, marker(_lang(context)))


def period_en(label: str) -> str | None:
    """A period in English, from its canonical label (FY2021, 2022-03) or from the Japanese that
    :func:`ebpm.indicators.periods.label_ja` makes of it (2021年度, 2022年3月): FY2021, Mar 2022,
    31 Mar 2023. None for a label of another form."""
    if m := re.fullmatch(r"FY(\d{4})|(\d{4})年度", label):
        return f"FY{m[1] or m[2]}"
    m = re.fullmatch(r"(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?", label) or re.fullmatch(
        r"(\d{4})年(?:(\d{1,2})月)?(?:(\d{1,2})日)?", label
    )
    if m is None:
        return None
    year, month, day = m.groups()
    if month is None:
        return year if day is None else None
    if not 1 <= int(month) <= 12:
        return None
    text = f"{MONTHS[int(month) - 1]} {year}"
    return f"{int(day)} {text}" if day else text


def period_in(lang: str, label: str | None, mark: Mark) -> Text:
    if not label:
        return ""
    if lang == i18n.SOURCE:
        return label_ja(label)
    english = period_en(label)
    return english if english is not None else mark(label)


@pass_context
def period(context: Context, label: str | None) -> Text:
    """A period (FY2021, or 2021年度 as the data write it) as the page's language writes it."""
    lang = _lang(context)
    return period_in(lang, label, marker(lang))


@pass_context
def year_label(context: Context, key: str | None) -> str:
    """A key of the fiscal-year lists (FY2024, asap, ongoing, unspecified) in words: 2024年度 or
    FY2024, 早期・速やかに or As soon as possible."""
    _ = _gettext(context)
    if not key:
        return ""
    if key.startswith("FY"):
        return _("%(year)s年度", year=key[2:])
    label = CATEGORY_LABELS.get(key)
    return _(label) if label else ""


@pass_context
def due_label(context: Context, row: Json) -> str:
    """An action's due in words, as ``due_label`` of :mod:`ebpm.services.action_table` says it."""
    return year_label(context, year_key(row))


def source_in(lang: str, source: str | None, mark: Mark) -> Text:
    """The source of an observation: the document's line (and its footnote's source), or an
    import's source as its file gave it (data)."""
    if not source:
        return ""
    if lang == i18n.SOURCE:
        return source
    _ = i18n.gettext(lang)
    m = DOCUMENT_SOURCE.fullmatch(source)
    if m is None:
        return mark(source)
    line = int(m[2])
    text = escape(_("統合イノベーション戦略%(edition)s", edition=m[1])) + ", " + _("%(start)s行", start=line)
    return text + " / " + mark(m[3]) if m[3] else text


@pass_context
def source_text(context: Context, source: str | None) -> Text:
    lang = _lang(context)
    return source_in(lang, source, marker(lang))


def _plain(text: Text) -> str:
    """Text for a chart's JSON, which holds no markup."""
    return Markup(text).striptags() if isinstance(text, Markup) else text


@pass_context
def series_chart(context: Context, chart: Json) -> Json:
    """A series' chart (:func:`ebpm.indicators.charts.chart`) with its period labels and sources in
    the page's language: the axis's ticks, and each point's label and source (its tooltip)."""
    lang = _lang(context)
    if lang == i18n.SOURCE or not chart:
        return chart

    def keep(text: Any) -> Markup:
        return escape(text)

    def point(p: Json | None) -> Json | None:
        if p is None:
            return None
        out = p | {"label": _plain(period_in(lang, p.get("label"), keep))}
        if p.get("source"):
            out["source"] = _plain(source_in(lang, p["source"], keep))
        return out

    axis = chart["axis"] | {
        "ticks": [t | {"label": _plain(period_in(lang, t["label"], keep))} for t in chart["axis"]["ticks"]]
    }
    return chart | {
        "axis": axis,
        "points": [point(p) for p in chart["points"]],
        "target": point(chart.get("target")),
        "projection": [point(p) for p in chart["projection"]],
    }


@pass_context
def series_categories(context: Context, categories: list[Json]) -> list[Json]:
    """The categories of a split series, each with its chart in the page's language."""
    return [c | {"chart": series_chart(context, c["chart"])} for c in categories]


@pass_context
def chart_kind(context: Context, kind: str) -> str:
    """A row kind of a chart's table (:func:`ebpm.indicators.charts.rows`): 観測値（文書の値）,
    観測値（取込）, 目標 (the target: 目標値 says which 目標 in another language), 直線トレンド."""
    if _lang(context) == i18n.SOURCE:
        return kind
    _ = _gettext(context)
    if kind.startswith("観測値（") and kind.endswith("）"):
        return _("観測値（%(origin)s）", origin=_(kind[len("観測値（") : -1]))
    return _("目標値") if kind == "目標" else _(kind)


@pass_context
def roll_up_rule(context: Context) -> str:
    """:data:`ebpm.indicators.progress.ROLL_UP_RULE` in the page's language."""
    _ = _gettext(context)
    return _(
        "判定のある指標が%(count)s以上あり、かつ目標のある指標の%(share)s以上のとき、その中央値を示します。"
        "そうでなければ判定保留とします。",
        count=MIN_RATED,
        share=f"{MIN_RATED_SHARE:.0%}",
    )


# ---- an indicator's verdict ----------------------------------------------------------------------


def verdict_words(lang: str, s: Json) -> Text:
    """The verdict of a series (``Monitor.status``) in ``lang``, built from its status, reason and
    figures as :func:`ebpm.indicators.progress.assess` builds its Japanese ``verdict``: in Japanese
    this is that verdict (escaped), which tests/test_web_i18n.py checks case by case."""
    _ = i18n.gettext(lang)
    mark = marker(lang)
    unit = s.get("unit")
    status, reason = s["status"], s.get("reason") or ""
    target, latest, base = s.get("target"), s.get("latest"), s.get("base")

    def value(number: float) -> Markup:
        return escape(number_ja(number)) + unit_in(unit, mark)

    def at(point: Json) -> Text:
        return _(
            "%(value)s（%(period)s）",
            value=value(point["value"]),
            period=period_in(lang, point["period"], mark),
        )

    if status == "no_data":
        return _("観測値も数値目標もありません")
    if status == "target_only" and target:
        return _("目標 %(target)sのみで、観測値はまだありません", target=at(target))
    if status == "no_target" and latest:
        return _("目標は設定されていません（最新値 %(latest)s）", latest=at(latest))
    if m := re.fullmatch(r"the value of (.+) is not a finite number", reason):
        return _("%(period)sの値が有限の数ではないため判定できません", period=period_in(lang, m[1], mark))
    if reason == "the target value is not a finite number":
        return _("目標値が有限の数ではないため判定できません")
    if reason.startswith("less than a year between"):
        return _("基準と最新の観測値の間が1年未満のため、年率を計算できません")
    if reason.startswith("the rate required"):
        return _("値が極端なため、目標達成に必要な伸び率を計算できません")
    if reason.startswith("the rate from"):
        return _("値が極端なため、実績の伸び率を計算できません")
    if reason.startswith("the ratio of actual"):
        return _("目標が基準値にほぼ等しく、実績との比を計算できません")
    if reason == "the target equals the base value":
        if status == "deterioration":
            return _("目標は基準値と同じで、最新値は基準値から逆方向に動いています")
        return _("目標は基準値と同じで、最新値はその水準を保っています")
    if target and latest:
        goal = _("目標 %(target)s", target=at(target))
        if reason == "the latest value meets the target":
            return _("最新値 %(latest)s が%(goal)sに達しています", latest=at(latest), goal=goal)
        if reason == "the only value meets the target":
            return _("唯一の観測値 %(latest)s が%(goal)sに達しています", latest=at(latest), goal=goal)
        if reason == "fewer than two observations at different times":
            return _("観測値が1時点のみのため、伸び率を計算できません（%(goal)s）", goal=goal)
        if reason == "the target period is not after the base period" and base:
            return _(
                "目標の期間（%(target)s）が基準の期間（%(base)s）より後ではないため判定できません",
                target=period_in(lang, target["period"], mark),
                base=period_in(lang, base["period"], mark),
            )
    method, actual, required, ratio = (
        s.get("method"),
        s.get("actual_rate"),
        s.get("required_rate"),
        s.get("ratio"),
    )
    if method in ("cagr", "linear") and actual is not None and required is not None and ratio is not None:
        return _rate_words(lang, method, actual, required, ratio, value)
    return mark(s.get("verdict") or "")  # a finding of a kind this module does not know: as it is


def _rate_words(
    lang: str, method: str, actual: float, required: float, ratio: float, value: Callable[[float], Markup]
) -> Text:
    """:func:`ebpm.indicators.progress.rate_verdict` in ``lang``."""
    _ = i18n.gettext(lang)
    falling = required < 0
    if method == "cagr":
        noun = _("減少率") if falling else _("伸び率")
    else:
        noun = _("減少幅") if falling else _("増加幅")

    def pace(rate: float) -> Text:
        if method == "cagr":
            return _("%(rate)s/年", rate=f"{abs(rate) * 100:.1f}%")
        return _("%(rate)s/年", rate=value(abs(rate)))

    if ratio < 0:
        if falling:
            return _(
                "目標達成に必要な%(noun)s %(required)sに対し実績は逆方向の増加 %(actual)s（悪化）",
                noun=noun,
                required=pace(required),
                actual=pace(actual),
            )
        return _(
            "目標達成に必要な%(noun)s %(required)sに対し実績は逆方向の減少 %(actual)s（悪化）",
            noun=noun,
            required=pace(required),
            actual=pace(actual),
        )
    return _(
        "目標達成に必要な%(noun)s %(required)sに対し実績 %(actual)s（達成見込み %(ratio)s%%）",
        noun=noun,
        required=pace(required),
        actual=pace(actual),
        ratio=f"{ratio * 100:.0f}",
    )


@pass_context
def verdict(context: Context, s: Json) -> Text:
    """A series' verdict in the page's language: the data's own on a Japanese page."""
    lang = _lang(context)
    if lang == i18n.SOURCE:
        return str(s.get("verdict") or "")
    return verdict_words(lang, s)


GLOBALS: dict[str, Any] = {
    "ja": ja,
    "reasons_title": reasons_title,
    "with_unit": with_unit,
    "period": period,
    "year_label": year_label,
    "due_label": due_label,
    "source_text": source_text,
    "chart_kind": chart_kind,
    "roll_up_rule": roll_up_rule,
    "verdict": verdict,
    "DUE_CATEGORY_LABELS": CATEGORY_LABELS,
}
FILTERS: dict[str, Any] = {
    "year_label": year_label,
    "series_chart": series_chart,
    "series_categories": series_categories,
    "number_ja": number_ja,
    "quoting_ja": quoting_ja,
}
