"""Long lists as tables: columns with Japanese and English labels, sorted and paged by the URL.

One code path, as in Datasette: a page builds its rows with its own filters, then hands them to
:func:`view` with the table state from the query string (``sort``, ``desc``, ``page``, ``size``).
The HTML page, its JSON twin and its CSV and Excel downloads all render that one view, so a
download holds exactly the rows on screen.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from ebpm.errors import UnknownColumnError
from ebpm.sources.normalize import fold_in_place

Json = dict[str, Any]
Kind = Literal["text", "number", "date", "flag", "list"]
PAGE_SIZE = 50
MAX_PAGE_SIZE = 5000  # a download of a whole filtered list; pages default to PAGE_SIZE


@dataclass(frozen=True, slots=True)
class Column:
    key: str
    ja: str
    en: str
    kind: Kind = "text"
    sortable: bool = True

    def label(self, lang: str) -> str:
        return self.en if lang == "en" else self.ja


@dataclass(frozen=True, slots=True)
class TableState:
    """What the URL asks of a table: ``sort`` a column key (or None for the list's own order)."""

    sort: str | None = None
    desc: bool = False
    page: int = 1
    size: int = PAGE_SIZE


def fold(text: str) -> str:
    """Text as people search it: NFKC with the radicals mapped (⾼ → 高, ＡＩ → AI), one character for
    one, so that Excel's find and the browser's find match what a user types. The source view keeps
    the raw text."""
    return fold_in_place(text)


def _sort_key(value: Any) -> tuple[int, Any]:
    """Empty values last in either direction; numbers, dates and text each in their own order."""
    if value is None or value == "":
        return (1, 0)
    if isinstance(value, bool):
        return (0, int(value))
    if isinstance(value, (int, float)):
        return (0, value)
    if isinstance(value, date):
        return (0, value.isoformat())
    if isinstance(value, (list, tuple)):
        return (0, "、".join(map(str, value)))
    return (0, str(value))


def view(rows: Sequence[Json], columns: Sequence[Column], state: TableState) -> Json:
    """``rows`` sorted and cut to one page, with what a page needs to draw its header and pager."""
    keys = {c.key for c in columns if c.sortable}
    if state.sort is not None and state.sort not in keys:
        raise UnknownColumnError(
            f"cannot sort by {state.sort!r}; sortable columns: {', '.join(sorted(keys))}"
        )
    ordered = list(rows)
    if (key := state.sort) is not None:
        present = [r for r in ordered if _sort_key(r.get(key))[0] == 0]
        missing = [r for r in ordered if _sort_key(r.get(key))[0] == 1]
        present.sort(key=lambda r: _sort_key(r.get(key)), reverse=state.desc)
        ordered = present + missing  # a stable sort: ties keep the list's own order
    size = max(1, min(state.size, MAX_PAGE_SIZE))
    pages = max(1, math.ceil(len(ordered) / size))
    page = max(1, min(state.page, pages))
    start = (page - 1) * size
    return {
        "columns": [
            {"key": c.key, "ja": c.ja, "en": c.en, "kind": c.kind, "sortable": c.sortable} for c in columns
        ],
        "rows": ordered[start : start + size],
        "total": len(ordered),
        "first": start + 1 if ordered else 0,
        "last": min(start + size, len(ordered)),
        "page": page,
        "pages": pages,
        "size": size,
        "max_size": MAX_PAGE_SIZE,
        "sort": state.sort,
        "desc": state.desc,
    }


def cell_text(value: Any, kind: str, lang: str) -> Any:
    """A value as a download shows it: flags as ○/– (yes/no), lists joined, text folded; numbers stay
    numbers, so that a spreadsheet can sum them."""
    if kind == "flag":
        if value is None:
            return ""
        return ("yes" if value else "no") if lang == "en" else ("○" if value else "–")
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return fold(("; " if lang == "en" else "、").join(str(v) for v in value))
    if isinstance(value, str):
        return fold(value)
    return value


def export_rows(table: Json, lang: str) -> tuple[list[str], list[list[Any]]]:
    """The header and the cells of a table view, in the language asked for."""
    columns = table["columns"]
    header = [c["en"] if lang == "en" else c["ja"] for c in columns]
    body = [[cell_text(row.get(c["key"]), c["kind"], lang) for c in columns] for row in table["rows"]]
    return header, body
