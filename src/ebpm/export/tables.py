"""Tables as CSV, the one way every interface writes them (CLI, API, pages, file exports).

A text cell that a spreadsheet would run as a formula (it starts with = + - @, a tab or a
carriage return) is written with a leading apostrophe, as OWASP advises against CSV injection:
Excel then shows it as text. Numbers are written as numbers (-3.5 stays -3.5), so that the
machine-readable exports (SDMX-CSV, the Data Package) keep their numeric columns numeric.
"""

from __future__ import annotations

import csv
import decimal
import io
import json
import numbers
from collections.abc import Iterable
from typing import IO, Any

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(text: str) -> str:
    return "'" + text if text.startswith(FORMULA_START) else text


def restore(text: str) -> str:
    """The text :func:`neutralise` was given: an importer reading back a sheet ebpm wrote gets
    the stored text, not one with a quote more on every round trip."""
    return text[1:] if text.startswith("'") and text[1:].startswith(FORMULA_START) else text


def cell(value: Any) -> str:
    """``value`` as the text of one CSV cell: text neutralised, numbers as they are."""
    if isinstance(value, str):
        return neutralise(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (numbers.Real, decimal.Decimal)):  # numpy's too (pandas hands them over)
        return str(value)
    if isinstance(value, list) and all(isinstance(v, (str, int, float)) for v in value):
        return neutralise("、".join(str(v) for v in value))
    if isinstance(value, (list, dict)):
        return neutralise(json.dumps(value, ensure_ascii=False))
    return neutralise(str(value))


class TableWriter:
    """A ``csv.writer`` whose every cell goes through ``cell``: every CSV file ebpm writes uses it,
    so that no export can leave a formula in a cell."""

    def __init__(self, fh: IO[str], lineterminator: str = "\r\n") -> None:
        self._writer = csv.writer(fh, lineterminator=lineterminator)

    def writerow(self, row: Iterable[Any]) -> None:
        self._writer.writerow([cell(v) for v in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def to_csv(items: list[dict[str, Any]]) -> str:
    """``items`` as CSV text (CRLF line ends), columns in order of first appearance."""
    buffer = io.StringIO()
    columns: list[str] = []
    for item in items:
        columns += [c for c in item if c not in columns]
    writer = TableWriter(buffer)
    writer.writerow(columns)
    writer.writerows([item.get(c) for c in columns] for item in items)
    return buffer.getvalue()
