"""Lists of records as CSV, the one way every interface writes them (CLI, API, pages).

A text cell that a spreadsheet would run as a formula (it starts with = + - @, a tab or a
carriage return) is written with a leading apostrophe, as OWASP advises against CSV injection:
Excel then shows it as text. Numbers are written as numbers.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(text: str) -> str:
    return "'" + text if text.startswith(FORMULA_START) else text


def cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, list) and all(isinstance(v, (str, int, float)) for v in value):
        return neutralise("、".join(str(v) for v in value))
    if isinstance(value, (list, dict)):
        return neutralise(json.dumps(value, ensure_ascii=False))
    return neutralise(str(value))


def to_csv(items: list[dict[str, Any]]) -> str:
    """``items`` as CSV text (CRLF line ends), columns in order of first appearance."""
    buffer = io.StringIO()
    columns: list[str] = []
    for item in items:
        columns += [c for c in item if c not in columns]
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    for item in items:
        writer.writerow([cell(item.get(c)) for c in columns])
    return buffer.getvalue()
