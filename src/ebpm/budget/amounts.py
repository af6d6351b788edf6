"""Money as review sheets write it: 1,234 in a 百万円 column, 12.5億円, 500千円, ¥3,000,000.

Amounts are stored in yen (integers). A unit written in the cell wins; otherwise the column's
unit (from its header, e.g. 当初予算額（百万円）, or the import's default) applies.
"""

from __future__ import annotations

import re
import unicodedata

UNITS = {"円": 1, "千円": 1_000, "万円": 10_000, "百万円": 1_000_000, "億円": 100_000_000, "兆円": 10**12}
MAX_YEN = 10**14  # a hundred trillion yen: more than the whole national budget
_CELL = re.compile(r"^[¥￥]?\s*(-?[0-9][0-9,]*(?:\.[0-9]+)?)\s*(兆円|億円|百万円|万円|千円|円)?$")
_HEADER_UNIT = re.compile(
    r"[（(]\s*(兆円|億円|百万円|万円|千円|円)\s*[)）]|単位\s*[:：]?\s*(兆円|億円|百万円|万円|千円|円)"
)


def header_unit(header: str) -> int | None:
    """The multiplier a column header names: 当初予算額（百万円） → 1,000,000."""
    m = _HEADER_UNIT.search(unicodedata.normalize("NFKC", header).replace("(", "（").replace(")", "）"))
    if m is None:
        m = _HEADER_UNIT.search(header)
    if m is None:
        return None
    return UNITS[m.group(1) or m.group(2)]


def parse_amount(raw: str, column_unit: int) -> int | None:
    """Yen for the cell ``raw`` (None when blank); ValueError names what is wrong."""
    text = unicodedata.normalize("NFKC", raw).strip().replace(" ", "")
    if text in ("", "-", "―", "－"):
        return None
    m = _CELL.match(text)
    if m is None:
        raise ValueError(f"{raw!r} is not an amount; write e.g. 1,234 or 12.5億円")
    number = float(m.group(1).replace(",", ""))
    yen = round(number * (UNITS[m.group(2)] if m.group(2) else column_unit))
    if yen < 0:
        raise ValueError(f"{raw!r} is negative")
    if yen > MAX_YEN:
        raise ValueError(f"{raw!r} is more than 100 trillion yen")
    return yen
