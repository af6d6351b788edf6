"""Deadline expressions in commitments and actions → structured due dates.

A deadline is kept as written (the phrase and its position in the raw text)
plus either a date or a category. Fiscal years (年度) run April to March:
``2023年度中`` is due 2024-03-31.

Matching runs on a per-character NFKC fold of the raw text, so that every
match maps back to the same characters of the raw text (``2023 年度`` and
``２０２３年度`` alike) and the phrase as written can be returned.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date
from typing import Literal

from ebpm import eras
from ebpm.sources.normalize import fold_in_place

DeadlineKind = Literal["date", "range", "asap", "ongoing"]
DueCategory = Literal["asap", "ongoing", "unspecified"]


@dataclass(frozen=True, slots=True)
class Deadline:
    phrase: str  # as written in the raw text
    kind: DeadlineKind
    start: date | None
    due: date | None
    offset: int  # position of the phrase in the raw text


def fold(text: str) -> str:
    """NFKC character by character, keeping one character for one (so offsets survive)."""
    return fold_in_place(text)


_S = r"\s*"


def _year_group(n: str) -> str:
    """A year written as 2023年, 2023 年 or 令和５年, captured as ``n`` (or ``{n}era``/``{n}ey``)."""
    return rf"(?:(?P<{n}>(?:19|20)\d\d)|(?P<{n}era>{eras.NAMES}){_S}(?P<{n}ey>元|\d{{1,2}})){_S}年"


_END = rf"(?P<end>度末|度中|度内|度|末|中|内)?(?:{_S}(?P<by>までに|まで|を目途に|目途|頃|を目標に|以内))?"
_MONTH = rf"(?:{_S}(?P<month>\d{{1,2}}){_S}月(?P<mend>末|中)?(?:{_S}(?P<mby>までに|まで|を目途に|目途|頃))?)?"
_FROM = rf"(?P<fromfy>度)?(?:{_S}(?P<fmonth>\d{{1,2}}){_S}月)?{_S}(?:から|〜|～|~)"
_DATE_RE = re.compile(_year_group("y") + _MONTH + _END)
# 2023年度から2025年度まで, 2023から2025年度, 2023年２月から
_RANGE_RE = re.compile(
    rf"(?:{_year_group('a')}|(?P<bare>(?:19|20)\d\d){_S}(?=から|〜|～))"
    + _FROM
    + rf"(?:{_S}"
    + _year_group("b")
    + rf"(?P<tofy>度)?(?P<toend>末|中)?(?:{_S}(?:までに|まで))?)?"
)
# a year that is a baseline or a point of measurement, not a deadline: 2018年度比, 2020年実績
_NOT_DEADLINE_AFTER = re.compile(
    r"^\s*(?:比|実績|時点|水準|の水準|の実績|以前|に引き続き|第|\d?次?補正予算|当初予算|予算|調査|版)"
)
# what may follow a date that sets a deadline: a particle, punctuation or a bracket;
# a noun right after it makes the year part of a name (2050年カーボンニュートラル)
_DEADLINE_FOLLOW = re.compile(r"^\s*(?:[にのをはもでと、。,.）)」』】]|$)")
# a date in a parenthesised note on a document: （2022年12月策定）
_DOCUMENT_NOTE = re.compile(r"^[^。、（(]{0,6}?(?:策定|決定|公表|改訂|改定|開催|採択|施行|成立)[）)]")
_SINCE_AFTER = re.compile(r"^\s*以降")
_ASAP_RE = re.compile(r"早期に|速やかに|早急に|できる限り早く|できるだけ早く|可及的速やかに")
_ONGOING_RE = re.compile(r"引き続き|引続き|継続(?!的な)|着実に|今後も")
# a date followed by a past-tense verb reports what happened, it sets no deadline, unless a
# present-tense verb comes first (2023年度に整備する新規拠点も含めた…)
_PAST_AFTER = re.compile(r"^[^。、]{0,16}?(?:[しれめけげきえっいち]た(?![めいらだ])|しており|済み)")
_PRESENT_AFTER = re.compile(r"^[^。、]{0,16}?(?:する|します|される|予定|行う|図る|目指す)")
# a date that a clause builds on (…の答申を踏まえ) refers to the past
_BASIS_AFTER = re.compile(r"^[^。、]{0,24}?を踏まえ")
# a date down to the day is an event (a meeting, a decision), not a deadline
_DAY_AFTER = re.compile(r"^\s*\d{1,2}\s*日")
_QUOTE_OPEN, _QUOTE_CLOSE = "「『", "」』"


def _year(m: re.Match[str], name: str) -> int | None:
    if m.group(name):
        return int(m.group(name))
    era = m.group(f"{name}era")
    if era:
        return eras.gregorian(era, m.group(f"{name}ey"))
    return None


def _is_past(after: str) -> bool:
    """Whether the clause after a date reports a past event."""
    past = _PAST_AFTER.match(after)
    if past is None:
        return False
    present = _PRESENT_AFTER.match(after)
    return present is None or present.end() > past.end()


def _inside_quotes(text: str, pos: int) -> bool:
    """Whether ``pos`` sits inside 「…」, i.e. in the title of a plan or document."""
    depth = 0
    for ch in text[:pos]:
        if ch in _QUOTE_OPEN:
            depth += 1
        elif ch in _QUOTE_CLOSE and depth:
            depth -= 1
    return depth > 0


def _fy_end(year: int) -> date:
    return date(year + 1, 3, 31)


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _date_of(m: re.Match[str], year: int) -> date | None:
    month = m.group("month")
    if month:
        mm = int(month)
        return _month_end(year, mm) if 1 <= mm <= 12 else None
    end = m.group("end") or ""
    if end.startswith("度"):
        return _fy_end(year)
    return date(year, 12, 31)


def extract_deadlines(raw: str) -> list[Deadline]:
    """Every deadline expression in ``raw``, in order of appearance."""
    text = fold(raw)
    found: list[Deadline] = []
    taken: list[tuple[int, int]] = []

    def free(a: int, b: int) -> bool:
        return all(b <= s or a >= e for s, e in taken)

    for m in _RANGE_RE.finditer(text):
        a = _year(m, "a") or (int(m.group("bare")) if m.group("bare") else None)
        if a is None or _inside_quotes(text, m.start()) or _is_past(text[m.end() :]):
            continue
        b = _year(m, "b")
        fiscal = bool(m.group("fromfy") or (m.group("bare") and m.group("tofy")))
        month = int(m.group("fmonth")) if m.group("fmonth") else None
        if month is not None and not 1 <= month <= 12:
            continue
        start = date(a, month, 1) if month else date(a, 4, 1) if fiscal else date(a, 1, 1)
        due = None
        if b is not None:
            due = _fy_end(b) if m.group("tofy") else date(b, 12, 31)
        found.append(Deadline(raw[m.start() : m.end()], "range", start, due, m.start()))
        taken.append(m.span())
    for m in _DATE_RE.finditer(text):
        y = _year(m, "y")
        if y is None or not free(*m.span()) or _inside_quotes(text, m.start()):
            continue
        after = text[m.end() :]
        by = m.group("by") or m.group("mby")
        if _NOT_DEADLINE_AFTER.match(after) or _DOCUMENT_NOTE.match(after):
            continue
        if not by and (
            _DAY_AFTER.match(after) or not (_DEADLINE_FOLLOW.match(after) or _SINCE_AFTER.match(after))
        ):
            continue
        since = _SINCE_AFTER.match(after)
        if since and not by:  # 2023年度以降: an open-ended period from then on
            start = date(y, 4, 1) if (m.group("end") or "").startswith("度") else date(y, 1, 1)
            phrase_end = m.end() + since.end()
            found.append(Deadline(raw[m.start() : phrase_end], "range", start, None, m.start()))
            taken.append((m.start(), phrase_end))
            continue
        if not by and (_BASIS_AFTER.match(after) or _is_past(after)):
            continue
        due = _date_of(m, y)
        if due is None:
            continue
        phrase_end = m.end()
        found.append(Deadline(raw[m.start() : phrase_end].rstrip(), "date", None, due, m.start()))
        taken.append(m.span())
    for pattern, kind in ((_ASAP_RE, "asap"), (_ONGOING_RE, "ongoing")):
        for m in pattern.finditer(text):
            if free(*m.span()):
                found.append(Deadline(raw[m.start() : m.end()], kind, None, None, m.start()))  # type: ignore[arg-type]
                taken.append(m.span())
    return sorted(found, key=lambda d: d.offset)


def due_summary(deadlines: list[Deadline]) -> date | DueCategory:
    """The item's due: its earliest dated deadline, else asap, ongoing or unspecified."""
    dated = [d.due for d in deadlines if d.due is not None]
    if dated:
        return min(dated)
    kinds = {d.kind for d in deadlines}
    if "asap" in kinds:
        return "asap"
    if "ongoing" in kinds:
        return "ongoing"
    return "unspecified"
