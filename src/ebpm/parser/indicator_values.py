"""Indicator values and periods: numbers, units and dates as written in 主要指標/参考指標 items.

Numbers and units are read from the normalized text; the value keeps its text as written.
Nothing here raises on arbitrary input.
"""

from __future__ import annotations

import re

from ebpm import eras
from ebpm.model import IndicatorValue
from ebpm.parser.brackets import top_level_spans
from ebpm.sources.normalize import normalize

OPENERS = "（(【［["
CLOSERS = "）)】］]"

# --------------------------------------------------------------------------
# Periods
# --------------------------------------------------------------------------

_YEAR_TOKEN = re.compile(
    rf"(?:(?P<era>{eras.NAMES})\s*(?P<eyear>元|\d{{1,2}})"
    r"|(?<![0-9])(?P<year>1[5-9]\d\d|2\d\d\d))"
    r"\s*年(?P<fy>\s*度)?"
)
_RANGE_MARK = re.compile(r"[〜～~\-–—]|から")


def _year_tokens(text: str) -> list[tuple[int, bool]]:
    out: list[tuple[int, bool]] = []
    for m in _YEAR_TOKEN.finditer(text):
        year = int(m.group("year")) if m.group("year") else eras.gregorian(m.group("era"), m.group("eyear"))
        out.append((year, m.group("fy") is not None))
    return out


def parse_period(text: str) -> tuple[int | None, int | None]:
    """Return ``(year, fiscal_year)`` for a date or period as written.

    ``2022年`` → (2022, None); ``2021 年度`` → (None, 2021);
    ``2023年３⽉時点`` → (2023, None); ranges such as
    ``2018年〜2020年（３年平均）`` or ``1898年から2022年の間`` → (None, None).
    Only four-digit years (and 令和/平成/昭和 era years) count as years, so
    ``３年平均`` is not a second date.
    """
    try:
        norm = normalize(text)
    except Exception:  # pragma: no cover - normalize is total on str
        return None, None
    tokens = _year_tokens(norm)
    if not tokens:
        return None, None
    if len(tokens) > 1:
        first = tokens[0]
        if all(t == first for t in tokens) and not _RANGE_MARK.search(norm):
            tokens = [first]
        else:
            return None, None
    year, fiscal = tokens[0]
    return (None, year) if fiscal else (year, None)


def _has_date(inner: str) -> bool:
    return bool(_YEAR_TOKEN.search(normalize(inner)))


# --------------------------------------------------------------------------
# Values
# --------------------------------------------------------------------------

_NUMBER = re.compile(r"(?P<sign>[-−－▲△]\s*)?(?P<num>\d+(?:,\d+)*(?:\.\d+)?)")
_GROUPED = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?")
_DECIMAL_SPACE = re.compile(r"(?<=\d)\. (?=\d)")  # "1. 30℃" in the source
# "11億7,000万トン" → 117000 万トン; "1兆3,204億円" → 13204 億円
_COMPOUND = re.compile(r"(?P<big>\d[\d,]*)(?P<bu>兆|億)(?P<small>\d[\d,]*(?:\.\d+)?)(?P<su>億|万)")
# Text right before a number that marks it as the value rather than part of a label.
_PRIORITY_BEFORE = ("：", ":", "は", "当たり", "あたり", "に対して", "(", "（")
_DATE_AFTER = re.compile(r"\s*(?:年|月|日)")
_QUALIFIERS = (
    "以上",
    "以下",
    "未満",
    "程度",
    "超",
    "前後",
    "増加",
    "減少",
    "増",
    "減",
    "相当",
    "規模",
    "当たり",
    "あたり",
    "強",
    "弱",
    "余",
    "近く",
)
_KANA_UNITS = ("か国", "か所", "ヶ国", "ヶ所", "カ国", "カ所", "ケ国", "か月", "ヶ月")
_LETTER_UNITS = ("USD", "US$", "km", "kg", "kW", "MW", "GW", "TB", "PB", "ha", "t", "m")


def _is_kanji(c: str) -> bool:
    return "\u4e00" <= c <= "\u9fff" or "\u3400" <= c <= "\u4dbf" or c in "々〆"


def _is_katakana(c: str) -> bool:
    return "\u30a0" <= c <= "\u30ff"


def _is_unit_char(c: str) -> bool:
    return _is_kanji(c) or _is_katakana(c) or (c.isascii() and c.isalpha()) or c in "%℃°$€£¥"


def _read_unit(s: str, pos: int) -> tuple[str | None, int]:
    """Read the unit starting at ``pos`` (spaces skipped); return (unit, end)."""
    i = pos
    while i < len(s) and s[i] == " ":
        i += 1
    start = i
    out = ""
    while i < len(s):
        rest = s[i:]
        if out and any(rest.startswith(q) for q in _QUALIFIERS):
            break
        if not out and any(rest.startswith(q) for q in _QUALIFIERS if q not in ("増", "減")):
            break
        kana = next((k for k in _KANA_UNITS if rest.startswith(k)), None)
        if kana:
            out += kana
            i += len(kana)
            continue
        c = s[i]
        if c == "/":
            # "USD/人", "回/年" are units; "34位/64か国" is "out of 64".
            if out and i + 1 < len(s) and _is_unit_char(s[i + 1]) and not s[i + 1].isdigit():
                out += c
                i += 1
                continue
            break
        if _is_unit_char(c):
            out += c
            i += 1
            continue
        break
    out = out.rstrip("・ー/")
    if not out:
        return None, start
    return out, i


def _number_candidates(s: str) -> list[tuple[int, re.Match[str]]]:
    """Number matches in normalized text that can be a value, with a priority.

    Priority 1 marks a number that starts the value part (at the start, after
    a space, ``：``, ``は``, ``当たり``, ``に対して`` or a bracket, optionally
    behind ``約``); otherwise the first eligible number wins.
    """
    out: list[tuple[int, re.Match[str]]] = []
    for m in _NUMBER.finditer(s):
        start, end = m.start(), m.end("num")
        before = s[:start]
        prev = before[-1:]
        if prev.isascii() and prev.isalpha():
            continue  # "S80", "Top10", "TIMSS2019": part of a name
        nxt = s[end : end + 1]
        if nxt.isascii() and nxt.isalpha():
            tail = s[end:]
            if not any(tail.startswith(u) and not tail[len(u) : len(u) + 1].isalpha() for u in _LETTER_UNITS):
                continue  # "5G", "4D", "50mm"
        if _DATE_AFTER.match(s, end):
            continue  # a date, not a value
        pre = before
        for approx in ("約", "およそ", "概ね"):
            pre = pre.removesuffix(approx)
        core = pre.rstrip()
        priority = int(not core or core != pre or core.endswith(_PRIORITY_BEFORE))
        out.append((priority, m))
    return out


def _to_float(num: str) -> float | None:
    """``1,234.5`` → 1234.5; a malformed grouping (``1,2,3``) keeps its first group."""
    if "," in num and not _GROUPED.fullmatch(num):
        num = num.split(",", 1)[0]
    try:
        return float(num.replace(",", ""))
    except ValueError:
        return None


def parse_value(text: str) -> IndicatorValue:
    """Parse one value as written into (text, number, unit).

    ``22,222件`` → 22222.0 件; ``−4.5%`` → -4.5 %; ``34位／64か国`` → 34 位;
    ``29,300.22ＵＳＤ／⼈`` → 29300.22 USD/人; ``事業会社 56.9%`` → 56.9 %
    (the label stays in ``text``). ``text`` is returned stripped but otherwise
    as given; number and unit are None when no value number is found.
    """
    raw = text.strip() if isinstance(text, str) else ""
    try:
        return _parse_value(raw)
    except Exception:  # pragma: no cover - defensive: never raise on odd input
        return IndicatorValue(raw, None, None)


def _parse_value(raw: str) -> IndicatorValue:
    s = _DECIMAL_SPACE.sub(".", normalize(raw))
    cands = _number_candidates(s)
    if not cands:
        return IndicatorValue(raw, None, None)
    best = next((m for p, m in cands if p == 1), cands[0][1])
    start = best.start("num")
    comp = _COMPOUND.match(s, start)
    if comp and (comp.group("bu"), comp.group("su")) in (("兆", "億"), ("億", "万")):
        big = _to_float(comp.group("big"))
        small = _to_float(comp.group("small"))
        if big is not None and small is not None:
            unit, _ = _read_unit(s, comp.end())
            return IndicatorValue(raw, big * 10000 + small, comp.group("su") + (unit or ""))
    number = _to_float(best.group("num"))
    sign_at = best.start()
    if (
        number is not None
        and best.group("sign") is not None
        and not (sign_at > 0 and s[sign_at - 1].isalnum())
    ):
        number = -number
    unit, _ = _read_unit(s, best.end("num"))
    if unit is not None:
        unit = unit.replace(" ", "")
    return IndicatorValue(raw, number, unit)


# --------------------------------------------------------------------------
# Brackets
# --------------------------------------------------------------------------


def _depths(text: str) -> list[int]:
    out: list[int] = []
    depth = 0
    for c in text:
        if c in CLOSERS and depth > 0:
            depth -= 1
            out.append(depth + 1)
            continue
        out.append(depth)
        if c in OPENERS:
            depth += 1
    return out


def split_top(text: str, seps: str) -> list[str]:
    parts: list[str] = []
    depths = _depths(text)
    cur = ""
    for c, d in zip(text, depths, strict=True):
        if d == 0 and c in seps:
            parts.append(cur)
            cur = ""
        else:
            cur += c
    parts.append(cur)
    return parts


def find_top(text: str, chars: str) -> int:
    for i, (c, d) in enumerate(zip(text, _depths(text), strict=True)):
        if d == 0 and c in chars:
            return i
    return -1


def date_spans(text: str) -> list[tuple[int, int]]:
    """Top-level brackets whose content is a date or period."""
    out = []
    for a, b in top_level_spans(text, OPENERS, CLOSERS):
        inner = text[a + 1 : b - 1]
        n = normalize(inner)
        if len(n) <= 30 and "は" not in n and _has_date(inner):
            out.append((a, b))
    return out
