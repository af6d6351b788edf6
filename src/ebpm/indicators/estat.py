"""A client for the e-Stat API (政府統計の総合窓口, API version 3.0, JSON): getStatsData.

It pages through a statistics table with ``startPosition``/``NEXT_KEY`` and turns each value
into an observation row for one series: the time code's name (2020年, 2020年度) is the period,
the value's ``@unit`` or its class's unit the unit. Cells that e-Stat marks as missing or
confidential (``-``, ``…``, ``***``, ``X``) are skipped and counted.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx

BASE_URL = "https://api.e-stat.go.jp/rest/3.0/app/json/"
MISSING = {"-", "－", "…", "...", "***", "x", "X", "‐", ""}
MAX_PAGES = 1000


class EStatError(RuntimeError):
    """e-Stat refused the request or answered with something that is not a statistics table."""


@dataclass(slots=True)
class EStatTable:
    stats_data_id: str
    title: str
    rows: list[dict[str, str]] = field(default_factory=list)
    skipped: int = 0  # cells marked missing or confidential


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _text(value: Any) -> str:
    return str(value.get("$", "")) if isinstance(value, dict) else str(value or "")


class EStatClient:
    def __init__(
        self, app_id: str, base_url: str = BASE_URL, transport: httpx.BaseTransport | None = None
    ) -> None:
        if not app_id.strip():
            raise EStatError("an e-Stat application id is needed (--app-id or $ESTAT_APP_ID)")
        self.app_id = app_id
        self.client = httpx.Client(base_url=base_url, transport=transport, timeout=60)

    def close(self) -> None:
        self.client.close()

    def _page(self, params: dict[str, str]) -> dict[str, Any]:
        try:
            response = self.client.get("getStatsData", params={"appId": self.app_id, **params})
        except httpx.HTTPError as exc:
            raise EStatError(f"e-Stat cannot be reached: {exc}") from None
        if response.status_code != 200:
            raise EStatError(f"e-Stat answered HTTP {response.status_code}")
        try:
            body = response.json()["GET_STATS_DATA"]
        except (ValueError, KeyError, TypeError):
            raise EStatError("e-Stat's answer is not a getStatsData JSON document") from None
        result = body.get("RESULT", {})
        status = int(result.get("STATUS", -1))
        if status not in (0, 1, 2):  # 1: no data matched; 2: some parameters ignored
            raise EStatError(f"e-Stat error {status}: {result.get('ERROR_MSG', 'unknown error')}")
        return dict(body)

    def pages(self, stats_data_id: str, filters: dict[str, str]) -> Iterator[dict[str, Any]]:
        params = {"statsDataId": stats_data_id, **filters}
        for _ in range(MAX_PAGES):
            body = self._page(params)
            yield body
            next_key = body.get("STATISTICAL_DATA", {}).get("RESULT_INF", {}).get("NEXT_KEY")
            if not next_key:
                return
            params["startPosition"] = str(next_key)
        raise EStatError(f"more than {MAX_PAGES} pages; narrow the request with filters")

    def fetch(self, stats_data_id: str, series_id: str, filters: dict[str, str] | None = None) -> EStatTable:
        """Every value of the table (narrowed by ``filters``, e.g. cdCat01=100) as rows of ``series_id``."""
        table = EStatTable(stats_data_id, "")
        for body in self.pages(stats_data_id, filters or {}):
            data = body.get("STATISTICAL_DATA", {})
            info = data.get("TABLE_INF", {})
            table.title = table.title or _text(info.get("TITLE")) or _text(info.get("STATISTICS_NAME"))
            classes = {
                obj.get("@id"): _as_list(obj.get("CLASS"))
                for obj in _as_list(data.get("CLASS_INF", {}).get("CLASS_OBJ"))
            }
            times = {c.get("@code"): c.get("@name", "") for c in classes.get("time", [])}
            tab_units = {c.get("@code"): c.get("@unit") for c in classes.get("tab", [])}
            for value in _as_list(data.get("DATA_INF", {}).get("VALUE")):
                raw = str(value.get("$", "")).strip()
                if raw in MISSING:
                    table.skipped += 1
                    continue
                time_code = value.get("@time", "")
                table.rows.append(
                    {
                        "indicator_id": series_id,
                        "period": times.get(time_code, time_code),
                        "value": raw,
                        "unit": value.get("@unit") or tab_units.get(value.get("@tab")) or "",
                        "source": f"e-Stat {stats_data_id} {table.title}".strip(),
                        "note": ", ".join(
                            f"{k[1:]}={v}"
                            for k, v in value.items()
                            if k.startswith("@") and k not in ("@time", "@unit")
                        ),
                    }
                )
        return table
