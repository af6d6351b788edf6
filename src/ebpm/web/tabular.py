"""Any list of the API as a CSV or Excel download: one row per item, nested values flattened."""

from __future__ import annotations

import json
from typing import Any

from fastapi.responses import Response

from ebpm.export.tables import to_csv
from ebpm.export.workbook import XLSX_MEDIA_TYPE, workbook

CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
CSV_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {
            "text/csv": {"schema": {"type": "string"}},
            XLSX_MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}},
        },
        "description": "JSON, or CSV with format=csv, or an Excel workbook with format=xlsx",
    }
}


def csv_response(items: list[dict[str, Any]], name: str) -> Response:
    """``items`` as CSV, UTF-8 with a BOM so that Excel reads the Japanese text right."""
    return Response(
        "\ufeff" + to_csv(items),
        media_type=CSV_MEDIA_TYPE,
        headers={"content-disposition": f'attachment; filename="{name}.csv"'},
    )


def table_response(items: list[dict[str, Any]], name: str, fmt: str) -> Response:
    """``items`` as CSV (``fmt`` csv) or as an .xlsx workbook with the same columns (``fmt`` xlsx),
    whose header row is frozen and filtered: one place for every list's downloads."""
    if fmt == "csv":
        return csv_response(items, name)
    columns: list[str] = []
    for item in items:
        columns += [c for c in item if c not in columns]
    rows = [[_cell(item.get(c)) for c in columns] for item in items]
    return Response(
        workbook(columns, rows, title=name),
        media_type=XLSX_MEDIA_TYPE,
        headers={"content-disposition": f'attachment; filename="{name}.xlsx"'},
    )


def _cell(value: Any) -> Any:
    """A value as one Excel cell: numbers and text as they are, lists joined, the rest as text."""
    if value is None or isinstance(value, (int, float, str)):
        return value
    if isinstance(value, list) and all(isinstance(v, (str, int, float)) for v in value):
        return "、".join(str(v) for v in value)
    return json.dumps(value, ensure_ascii=False)
