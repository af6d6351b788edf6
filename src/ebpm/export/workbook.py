"""A table as an Excel workbook (.xlsx): the header frozen, filters on, columns sized to their text.

Text cells go through the same OWASP rule as every CSV ebpm writes (``export.tables.neutralise``):
openpyxl would otherwise store a text that starts with ``=`` as a formula for Excel to run.
"""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from openpyxl import Workbook  # type: ignore[import-untyped]
from openpyxl.styles import Alignment, Font  # type: ignore[import-untyped]
from openpyxl.utils import get_column_letter  # type: ignore[import-untyped]
from openpyxl.worksheet.datavalidation import DataValidation  # type: ignore[import-untyped]

from ebpm.export.tables import neutralise

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FIXED_TIME = datetime(2000, 1, 1)
_MODIFIED = re.compile(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)")
MAX_WIDTH = 60  # characters; longer text wraps
_ILLEGAL = {c for c in range(32) if chr(c) not in "\t\n\r"}  # openpyxl refuses these control characters


def _width(text: str) -> int:
    """Display width in Excel's units: a full-width character takes two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _value(value: Any) -> Any:
    if isinstance(value, str):
        return neutralise("".join(ch for ch in value if ord(ch) not in _ILLEGAL))
    return value


def workbook(
    header: Sequence[str],
    rows: Sequence[Sequence[Any]],
    title: str,
    note: str | None = None,
    choices: Mapping[int, Sequence[str]] | None = None,
) -> bytes:
    """``rows`` under ``header`` as the bytes of an .xlsx file with one sheet named ``title``.

    ``note`` (the source and the filters, say) goes in a second sheet, so that the data sheet stays
    a plain table that filters, sorts and pivots without a line to skip. ``choices`` maps a
    column (0-based) to the values its cells may take: Excel offers them as a drop-down list and
    refuses others (a sheet that comes back in through an importer)."""
    book = Workbook()
    sheet = book.active
    sheet.title = title[:31]  # Excel's limit
    sheet.append([_value(h) for h in header])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([_value(v) for v in row])
    sheet.freeze_panes = "A2"
    if rows:
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(header))}{len(rows) + 1}"
    for i, name in enumerate(header, start=1):
        longest = max(
            [_width(str(name))] + [_width(str(r[i - 1])) for r in rows[:500] if r[i - 1] is not None]
        )
        sheet.column_dimensions[get_column_letter(i)].width = min(MAX_WIDTH, longest + 2)
        if longest > MAX_WIDTH:
            for (cell,) in sheet.iter_rows(min_row=2, min_col=i, max_col=i):
                cell.alignment = Alignment(wrap_text=True, vertical="top")
    for column, allowed in (choices or {}).items():
        letter = get_column_letter(column + 1)
        # a list written inline ("a,b,c") needs no helper sheet; Excel caps it at 255 characters
        rule = DataValidation(
            type="list",
            formula1='"' + ",".join(allowed) + '"',
            allow_blank=True,
            showErrorMessage=True,
            errorTitle=str(header[column])[:32],
            error="一覧から選んでください: " + "、".join(allowed),
        )
        rule.add(f"{letter}2:{letter}{max(len(rows), 1) + 1}")
        sheet.add_data_validation(rule)
    if note:
        about = book.create_sheet("about")
        for line in note.splitlines():
            about.append([_value(line)])
    # the same rows give the same bytes (a HEAD's length matches its GET's, a download can be
    # compared with the last one): no clock in the document properties or the zip entries
    book.properties.created = book.properties.modified = FIXED_TIME
    buffer = io.BytesIO()
    book.save(buffer)
    return _without_timestamps(buffer.getvalue())


def _without_timestamps(data: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=FIXED_TIME.timetuple()[:6])
            entry.compress_type = zipfile.ZIP_DEFLATED
            body = src.read(info.filename)
            if info.filename == "docProps/core.xml":  # openpyxl stamps "modified" as it saves
                body = _MODIFIED.sub(rb"\g<1>2000-01-01T00:00:00Z\g<2>", body)
            dst.writestr(entry, body)
    return out.getvalue()
