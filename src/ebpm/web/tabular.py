"""Any list of the API as a CSV download: one row per item, nested values flattened."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from fastapi.responses import Response

CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
CSV_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {"text/csv": {"schema": {"type": "string"}}},
        "description": "JSON, or CSV with format=csv",
    }
}


def _flat(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list) and all(isinstance(v, (str, int, float)) for v in value):
        return "、".join(str(v) for v in value)
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def csv_response(items: list[dict[str, Any]], name: str) -> Response:
    """``items`` as CSV, UTF-8 with a BOM so that Excel reads the Japanese text right."""
    buffer = io.StringIO()
    columns: list[str] = []
    for item in items:
        columns += [c for c in item if c not in columns]
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    for item in items:
        writer.writerow([_flat(item.get(c)) for c in columns])
    return Response(
        "\ufeff" + buffer.getvalue(),
        media_type=CSV_MEDIA_TYPE,
        headers={"content-disposition": f'attachment; filename="{name}.csv"'},
    )
