"""Observation periods as people write them: 2022, 2022年, FY2022, 2022年度, 令和4年度, 2022年３月末 …

Every period becomes a canonical label and the date it ends on: the end date places an
observation on the time axis of the progress method (an observation describes the state at
the end of its period). Fiscal years run from April to March: FY2022 ends on 2023-03-31.
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from ebpm import eras

MIN_YEAR, MAX_YEAR = 1900, 2100


class PeriodError(ValueError):
    """A period that cannot be read; the message says which forms are accepted."""


@dataclass(frozen=True, slots=True, order=True)
class Period:
    end: date  # the last day of the period
    label: str  # canonical: 2022, FY2022, 2022-03, 2022-03-31

    @property
    def year_fraction(self) -> float:
        """The end date as a decimal year (2022-12-31 → 2023.0), the progress method's time axis."""
        start = date(self.end.year, 1, 1)
        days = 366 if calendar.isleap(self.end.year) else 365
        return self.end.year + ((self.end - start).days + 1) / days


ACCEPTED = "2022, 2022年, FY2022, 2022年度, 令和4年度, 2022年3月, 2022年3月末, 2022-03, 2022-03-31"


def _year(era: str | None, number: str) -> int:
    year = eras.gregorian(era, number) if era else int(number)
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise PeriodError(f"year {year} is out of range ({MIN_YEAR}–{MAX_YEAR})")
    return year


def _month_end(year: int, month: int) -> date:
    if not 1 <= month <= 12:
        raise PeriodError(f"month {month} does not exist")
    return date(year, month, calendar.monthrange(year, month)[1])


_ERA = "(" + "|".join([*eras.ERAS, *eras.INITIALS]) + ")?"
_NUMBER = r"(\d{1,4})"  # 元年 is read as 1年 before these patterns
_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"(?:FY|fy)\s*(\d{4})|" + _ERA + _NUMBER + r"\s*年度(?:末|中)?"), "fy"),
    (re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})|(\d{4})/(\d{1,2})/(\d{1,2})"), "date"),
    (re.compile(_ERA + _NUMBER + r"\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日"), "jdate"),
    (re.compile(_ERA + _NUMBER + r"\s*年\s*(\d{1,2})\s*月(?:末|時点|現在)?"), "month"),
    (re.compile(r"(\d{4})-(\d{1,2})|(\d{4})/(\d{1,2})"), "month_iso"),
    (re.compile(_ERA + _NUMBER + r"\s*年(?:末|時点|現在)?|(\d{4})"), "year"),
]


def parse_period(text: str) -> Period:
    """The period written in ``text`` (the whole text, after NFKC and trimming)."""
    raw = unicodedata.normalize("NFKC", str(text)).strip().replace("元年", "1年")
    if not raw:
        raise PeriodError(f"empty period; write it as one of: {ACCEPTED}")
    for pattern, kind in _PATTERNS:
        m = pattern.fullmatch(raw)
        if m is None:
            continue
        g = [x for x in m.groups()]
        try:
            return _build(kind, g)
        except ValueError as exc:
            raise PeriodError(f"{text!r}: {exc}") from None
    raise PeriodError(f"{text!r} is not a period; write it as one of: {ACCEPTED}")


def _build(kind: str, g: list[str | None]) -> Period:
    if kind == "fy":
        year = int(g[0]) if g[0] else _year(g[1], g[2] or "")
        if not MIN_YEAR <= year <= MAX_YEAR:
            raise PeriodError(f"year {year} is out of range")
        return Period(date(year + 1, 3, 31), f"FY{year}")
    if kind == "date":
        y, mo, d = (g[0], g[1], g[2]) if g[0] else (g[3], g[4], g[5])
        day = date(_year(None, y or ""), int(mo or ""), int(d or ""))
        return Period(day, day.isoformat())
    if kind == "jdate":
        day = date(_year(g[0], g[1] or ""), int(g[2] or ""), int(g[3] or ""))
        return Period(day, day.isoformat())
    if kind == "month":
        end = _month_end(_year(g[0], g[1] or ""), int(g[2] or ""))
        return Period(end, f"{end.year}-{end.month:02d}")
    if kind == "month_iso":
        y, mo = (g[0], g[1]) if g[0] else (g[2], g[3])
        end = _month_end(_year(None, y or ""), int(mo or ""))
        return Period(end, f"{end.year}-{end.month:02d}")
    year = _year(g[0], g[1]) if g[1] else _year(None, g[2] or "")
    return Period(date(year, 12, 31), str(year))


_ERA_YEAR = rf"(?:(?:{eras.NAMES})\s*(?:元|\d{{1,2}})|\d{{1,4}})"
_FIND = re.compile(rf"FY\s*\d{{4}}|{_ERA_YEAR}\s*年度|{_ERA_YEAR}\s*年\s*\d{{1,2}}\s*月(?:末)?|\d{{4}}\s*年")


def find_period(text: str) -> Period | None:
    """The first period written somewhere inside ``text`` (for dates in indicator items), if any."""
    raw = unicodedata.normalize("NFKC", text)
    m = _FIND.search(raw)
    if m is None:
        return None
    try:
        return parse_period(m.group())
    except PeriodError:
        return None


def label_ja(label: str) -> str:
    """A canonical label as the pages write it: FY2021 → 2021年度, 2022 → 2022年, 2022-03 → 2022年3月,
    2023-03-31 → 2023年3月31日; anything else as it is."""
    if re.fullmatch(r"FY\d{4}", label):
        return f"{label[2:]}年度"
    m = re.fullmatch(r"(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?", label)
    if m is None:
        return label
    year, month, day = m.groups()
    return f"{year}年" + (f"{int(month)}月" if month else "") + (f"{int(day)}日" if day else "")


def current_fiscal_year(today: date) -> int:
    """The fiscal year a date falls in (April–March): 2024-03-31 is in FY2023. The one definition:
    due dates, imports and pages all count fiscal years with it."""
    return today.year if today.month >= 4 else today.year - 1


def parse_fiscal_year(raw: str, earliest: int, latest: int) -> int:
    """A fiscal year written 2023, FY2023, 2023年度 or 令和5年度, within [earliest, latest]."""
    text = unicodedata.normalize("NFKC", raw).strip()
    if re.fullmatch(r"\d{4}", text):
        year = int(text)
    else:
        period = parse_period(text)
        if not period.label.startswith("FY"):
            raise PeriodError(f"{raw!r} is not a fiscal year; write 2023, FY2023 or 令和5年度")
        year = int(period.label[2:])
    if not earliest <= year <= latest:
        raise PeriodError(f"fiscal year {year} is out of range ({earliest}–{latest})")
    return year
