"""Output writers for the indicators: a Frictionless Data Package and Open SDG-style CSV.

SDMX lives in ``sdmx_io``. Each writer takes the monitor and a folder, and writes files
that their own tools read back (``frictionless validate``, Open SDG's data format). All go
through the one CSV writer, ``export.tables.TableWriter``: text that a spreadsheet would run as a
formula gets a leading apostrophe, numbers stay numbers.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from frictionless import Package, Resource, Schema

from ebpm.export.tables import TableWriter
from ebpm.indicators.monitor import Monitor

OBSERVATION_FIELDS: list[dict[str, Any]] = [
    {"name": "series_id", "type": "string", "constraints": {"required": True}},
    {"name": "period", "type": "string", "constraints": {"required": True}},
    {"name": "period_end", "type": "date", "constraints": {"required": True}},
    {"name": "value", "type": "number", "constraints": {"required": True}},
    {"name": "unit", "type": "string"},
    {"name": "source", "type": "string", "constraints": {"required": True}},
    {"name": "note", "type": "string"},
    {"name": "origin", "type": "string", "constraints": {"enum": ["document", "import"]}},
]
SERIES_FIELDS: list[dict[str, Any]] = [
    {"name": "id", "type": "string", "constraints": {"required": True, "unique": True}},
    {"name": "name", "type": "string", "constraints": {"required": True}},
    {"name": "unit", "type": "string"},
    {"name": "block", "type": "string", "constraints": {"enum": ["kpi", "reference", "grand_goal"]}},
    {"name": "section", "type": "string"},
    {"name": "line", "type": "integer"},
    {"name": "status", "type": "string"},
    {"name": "target_value", "type": "number"},
    {"name": "target_period", "type": "string"},
    {"name": "target_direction", "type": "string"},
]


def _write(path: Path, fields: list[dict[str, Any]], rows: list[dict[str, Any]]) -> None:
    names = [f["name"] for f in fields]
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = TableWriter(fh, lineterminator="\n")
        writer.writerow(names)
        writer.writerows([row.get(n) for n in names] for row in rows)


def write_datapackage(monitor: Monitor, folder: Path) -> Path:
    """``datapackage.json`` with two resources: the series (with status and target) and the observations."""
    folder.mkdir(parents=True, exist_ok=True)
    statuses = {s["id"]: s for s in monitor.statuses()}
    series_rows = []
    for sid, s in monitor.series.items():
        st = statuses[sid]
        target = st["target"] or {}
        series_rows.append(
            {
                "id": sid,
                "name": s.name,
                "unit": st["unit"],
                "block": s.block,
                "section": s.section,
                "line": s.line,
                "status": st["status"],
                "target_value": target.get("value"),
                "target_period": target.get("period"),
                "target_direction": target.get("direction"),
            }
        )
    observation_rows = [
        {
            "series_id": o.series_id,
            "period": o.period,
            "period_end": o.period_end,
            "value": o.value,
            "unit": o.unit,
            "source": o.source,
            "note": o.note,
            "origin": o.origin,
        }
        for sid in monitor.series
        for o in monitor.observations(sid)
    ]
    _write(folder / "series.csv", SERIES_FIELDS, series_rows)
    _write(folder / "observations.csv", OBSERVATION_FIELDS, observation_rows)
    package = Package(
        name="ebpm-indicators",
        title="統合イノベーション戦略2023 indicators (ebpm)",
        licenses=[
            {
                "name": "CC-BY-4.0",
                "title": "Government of Japan Standard Terms of Use 2.0, CC BY 4.0 compatible",
            }
        ],
        resources=[
            Resource(
                name="series",
                path="series.csv",
                schema=Schema.from_descriptor({"fields": SERIES_FIELDS, "primaryKey": ["id"]}),
            ),
            Resource(
                name="observations",
                path="observations.csv",
                schema=Schema.from_descriptor(
                    {
                        "fields": OBSERVATION_FIELDS,
                        "primaryKey": ["series_id", "period"],
                        "foreignKeys": [
                            {"fields": ["series_id"], "reference": {"resource": "series", "fields": ["id"]}}
                        ],
                    }
                ),
            ),
        ],
    )
    out = folder / "datapackage.json"
    package.to_json(str(out))
    return out


def open_sdg_name(indicator_id: str) -> str:
    return "indicator_" + re.sub(r"[^0-9A-Za-z]+", "-", indicator_id).strip("-") + ".csv"


def _year(period: str) -> int:
    return int(period[2:6]) if period.startswith("FY") else int(period[:4])


def write_open_sdg(monitor: Monitor, folder: Path) -> list[Path]:
    """One CSV per indicator item, Open SDG style: Year, Series (the disaggregation), Units, Value."""
    folder.mkdir(parents=True, exist_ok=True)
    by_indicator: dict[str, list[str]] = {}
    for sid, s in monitor.series.items():
        by_indicator.setdefault(s.indicator_id, []).append(sid)
    written = []
    for indicator_id, sids in by_indicator.items():
        rows: list[tuple[int, str, str, str, float]] = []
        for sid in sids:
            s = monitor.series[sid]
            for o in monitor.observations(sid):
                rows.append((_year(o.period), o.period, s.label or "", o.unit or "", o.value))
        if not rows:
            continue
        path = folder / open_sdg_name(indicator_id)
        with path.open("w", encoding="utf-8", newline="") as fh:
            writer = TableWriter(fh, lineterminator="\n")
            writer.writerow(["Year", "Period", "Series", "Units", "Value"])
            rows.sort(key=lambda r: (r[2], r[0], r[1]))
            writer.writerows(rows)
        written.append(path)
    return written


def write_observations_csv(monitor: Monitor, path: Path, encoding: str = "utf-8-sig") -> int:
    """The current observations in the import layout (indicator_id, period, value, unit, source,
    note), so that a file exported here imports anywhere else; returns the number of rows."""
    count = 0
    with path.open("w", encoding=encoding, newline="") as fh:
        writer = TableWriter(fh, lineterminator="\n")
        writer.writerow(["indicator_id", "period", "value", "unit", "source", "note"])
        for sid in monitor.series:
            for o in monitor.observations(sid):
                writer.writerow([sid, o.period, o.value, o.unit, o.source, o.note])
                count += 1
    return count
