"""The strategy's bibliometric indicators computed from the research store, as observations.

A mapping file (``ebpm/data/research_indicator_mapping.json`` ships the strategy's own series)
names, for each indicator series, the measure, the country, the counting method and the moving
window. Every window of the loaded years gives one observation, labelled with its last year,
whose source names the data sets and the method. The observations then go through the same
validated import as any file (``indicators.importing.run_import``): checked first, all or none.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from ebpm.research import analytics
from ebpm.research.engine import Engine
from ebpm.research.methods import COUNTINGS, Query

MEASURES = {
    "p": "papers",
    "p_avg": "papers, average per year of the window",
    "p_top10": "Top10% papers (ties shared)",
    "p_top10_avg": "Top10% papers, average per year of the window",
    "pp_top10": "share of Top10% papers, %",
    "p_top1": "Top1% papers (ties shared)",
    "pp_top1": "share of Top1% papers, %",
    "world_share": "share of world papers, %",
    "top1_intl_share": "share of internationally co-authored papers among Top1% papers, %",
    "patent_cited_papers": "papers cited by at least one patent family",
}
PERCENT = {"pp_top10", "pp_top1", "world_share", "top1_intl_share"}


@dataclass(frozen=True, slots=True)
class Entry:
    series: str
    measure: str
    country: str
    counting: str
    window: int
    unit: str | None
    label: str


def bundled_mapping() -> Path:
    return Path(str(resources.files("ebpm.data").joinpath("research_indicator_mapping.json")))


def load_mapping(path: Path) -> list[Entry]:
    """The entries of a mapping file; a ValueError names the entry and field at fault."""
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise ValueError(f"{path}: no such file") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path}: not a JSON mapping file ({exc})") from None
    raw = data.get("series") if isinstance(data, dict) else None
    if not isinstance(raw, list) or not raw:
        raise ValueError(f'{path}: expected {{"series": [{{"series": …, "measure": …}}, …]}}')
    entries = []
    for k, item in enumerate(raw):
        where = f"{path}: series[{k}]"
        if not isinstance(item, dict):
            raise ValueError(f"{where}: expected an object")
        measure = item.get("measure")
        if measure not in MEASURES:
            raise ValueError(f"{where}.measure: {measure!r} is not one of {', '.join(MEASURES)}")
        counting = item.get("counting", "whole")
        if counting not in COUNTINGS:
            raise ValueError(f"{where}.counting: {counting!r} is not one of {', '.join(COUNTINGS)}")
        window = item.get("window", 3)
        if not isinstance(window, int) or not 1 <= window <= 10:
            raise ValueError(f"{where}.window: {window!r} is not 1 to 10 years")
        series = item.get("series")
        if not isinstance(series, str) or not series:
            raise ValueError(f"{where}.series: missing")
        country = item.get("country", "JP")
        try:
            Query(2000, 2000, counting, country)
        except ValueError as exc:
            raise ValueError(f"{where}: {exc}") from None
        entries.append(
            Entry(
                series, measure, country, counting, window, item.get("unit"), str(item.get("label") or series)
            )
        )
    return entries


def _value(engine: Engine, entry: Entry, first: int, last: int, cache: dict[Any, Any]) -> float | None:
    q = Query(first, last, entry.counting, entry.country)
    if entry.measure == "patent_cited_papers":
        key: tuple[Any, ...] = ("patents", q)
        if key not in cache:
            cache[key] = analytics.patent_cited(engine, q)["totals"]["p_cited"]
        return float(cache[key])
    key = ("country", q)
    if key not in cache:
        result = analytics.indicators(engine, "country", q)
        cache[key] = next((i for i in result["items"] if i["id"] == entry.country), None)
    item = cache[key]
    if item is None:
        return None
    years = last - first + 1
    values = {
        "p": item["p"],
        "p_avg": item["p"] / years,
        "p_top10": item["p_top10"],
        "p_top10_avg": item["p_top10"] / years,
        "pp_top10": item["pp_top10"],
        "p_top1": item["p_top1"],
        "pp_top1": item["pp_top1"],
        "world_share": item["world_share"],
        "top1_intl_share": item["top1_intl_share"],
    }
    value = values[entry.measure]
    if value is None:
        return None
    return float(value) * (100 if entry.measure in PERCENT else 1)


def observations(engine: Engine, entries: list[Entry], datasets: str) -> list[dict[str, str]]:
    """One observation row per entry and window, in the layout of an indicator import file."""
    span = analytics.year_range(engine)
    if span is None:
        raise ValueError("the research store holds no counted works; import OpenAlex works first")
    cache: dict[Any, Any] = {}
    rows = []
    for entry in entries:
        first_end = min(span[0] + entry.window - 1, span[1])
        for last in range(first_end, span[1] + 1):
            first = max(span[0], last - entry.window + 1)
            value = _value(engine, entry, first, last, cache)
            if value is None:
                continue
            method = (
                f"{MEASURES[entry.measure]}; {entry.country}; {entry.counting} counting; "
                f"publication years {first}–{last}; Top10%/Top1% with ties shared (Waltman & Schreiber)"
            )
            rows.append(
                {
                    "indicator_id": entry.series,
                    "period": str(last),
                    "value": repr(round(value, 6)),
                    "unit": entry.unit or "",
                    "source": f"ebpm research: {datasets}",
                    "note": method,
                }
            )
    return rows
