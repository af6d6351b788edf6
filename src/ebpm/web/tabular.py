"""Any list of the API as a CSV download: one row per item, nested values flattened."""

from __future__ import annotations

from typing import Any

from fastapi.responses import Response

from ebpm.export.tables import to_csv

CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
CSV_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {"text/csv": {"schema": {"type": "string"}}},
        "description": "JSON, or CSV with format=csv",
    }
}


def csv_response(items: list[dict[str, Any]], name: str) -> Response:
    """``items`` as CSV, UTF-8 with a BOM so that Excel reads the Japanese text right."""
    return Response(
        "\ufeff" + to_csv(items),
        media_type=CSV_MEDIA_TYPE,
        headers={"content-disposition": f'attachment; filename="{name}.csv"'},
    )
