"""Japanese era years (和暦): the one table that every reader of dates shares.

The parser (indicator values), the commitments' deadlines and the indicator periods all read
years such as 令和５年度 or 平成元年; they take the era names, the initials and the conversion
from here, so a new era is one line.
"""

from __future__ import annotations

# the Gregorian year before each era's first year: 令和元年 (令和1年) = 2019
ERAS: dict[str, int] = {"令和": 2018, "平成": 1988, "昭和": 1925, "大正": 1911, "明治": 1867}
# the initials forms and tables use (R5, H30)
INITIALS: dict[str, str] = {"R": "令和", "H": "平成", "S": "昭和", "T": "大正", "M": "明治"}
NAMES = "|".join(ERAS)  # a regular-expression alternation of the era names
FIRST = "元"  # the first year of an era, written 元年


def gregorian(era: str, year: str | int) -> int:
    """The Gregorian year of ``year`` of ``era`` (a name or an initial); ``year`` may be 元 or digits
    of any width (５ or 5). A KeyError for an unknown era; callers that read user input check the
    range of the result, as they do for Gregorian years."""
    base = ERAS[INITIALS.get(era, era)]
    return base + 1 if year == FIRST else base + int(year)
