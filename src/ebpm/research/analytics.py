"""Research indicators, trends and input/output, as plain JSON-ready data for every interface.

The SQL (``methods.py``) returns sums; the ratios, names and totals are derived here, the same
way whichever engine ran the SQL.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from ebpm.research import methods
from ebpm.research.engine import Engine, Row
from ebpm.research.methods import Query

LABELS: dict[str, dict[str, tuple[str, str]]] = {
    "gender": {
        "female": ("女性", "Female"),
        "male": ("男性", "Male"),
        "other": ("その他", "Other"),
        "unknown": ("不明", "Unknown"),
    },
    "career_stage": {
        "early": ("若手（40歳未満）", "Early career (under 40)"),
        "mid": ("中堅（40〜54歳）", "Mid career (40–54)"),
        "senior": ("シニア（55歳以上）", "Senior (55 and over)"),
        "unknown": ("不明", "Unknown"),
    },
}
YEN_UNIT = 100_000_000  # outputs are given per 100 million yen (1億円)


def _ratio(a: float, b: float) -> float | None:
    return a / b if b else None


def year_range(engine: Engine) -> tuple[int, int] | None:
    """The first and last publication years of the counted works, None for an empty store."""
    rows = engine.rows("SELECT MIN(pub_year) AS lo, MAX(pub_year) AS hi FROM works WHERE excluded IS NULL")
    if not rows or rows[0]["lo"] is None:
        return None
    return int(rows[0]["lo"]), int(rows[0]["hi"])


def names(engine: Engine, by: str) -> dict[str, dict[str, Any]]:
    """id → what is shown beside it: name (and type and country for an institution)."""
    if by == "institution":
        rows = engine.rows("SELECT institution_id AS id, name, inst_type, country_code FROM institutions")
        return {
            r["id"]: {"name": r["name"], "type": r["inst_type"], "country": r["country_code"]} for r in rows
        }
    if by in ("field", "subfield"):
        rows = engine.rows(f"SELECT {by}_id AS id, MAX({by}_name) AS name FROM works GROUP BY {by}_id")
        return {r["id"]: {"name": r["name"]} for r in rows if r["id"] is not None}
    if by == "funding_type":
        rows = engine.rows("SELECT code AS id, name_ja, name_en FROM funding_types")
        return {r["id"]: {"name": r["name_ja"], "name_en": r["name_en"]} for r in rows}
    if by in LABELS:
        return {k: {"name": ja, "name_en": en} for k, (ja, en) in LABELS[by].items()}
    return {}


def _query_meta(by: str, q: Query, engine: Engine) -> dict[str, Any]:
    return {"by": by, "engine": engine.name, **{k: v for k, v in asdict(q).items() if v is not None}}


def indicators(engine: Engine, by: str, q: Query) -> dict[str, Any]:
    """p, Top10%/Top1% (count and share), MNCS, world share and co-authorship per group."""
    if by not in methods.GROUPINGS:
        raise ValueError(f"by: {by!r} is not one of {', '.join(methods.GROUPINGS)}")
    world = engine.rows(methods.world_sql(by, q))[0]
    world_p = float(world["p"] or 0)
    labels = names(engine, by)
    years = q.last_year - q.first_year + 1
    items = []
    for r in engine.rows(methods.indicators_sql(by, q)):
        info = labels.get(r["id"], {})
        if by == "institution" and (
            (q.country and info.get("country") != q.country)
            or (q.institution_type and info.get("type") != q.institution_type)
        ):
            continue
        if by == "country" and q.country and r["id"] != q.country:
            continue
        p = float(r["p"])
        items.append(
            {
                "id": r["id"],
                "name": info.get("name") or r["id"],
                **{k: v for k, v in info.items() if k != "name"},
                "p": p,
                "p_top10": float(r["p_top10"]),
                "pp_top10": _ratio(float(r["p_top10"]), p),
                "p_top1": float(r["p_top1"]),
                "pp_top1": _ratio(float(r["p_top1"]), p),
                "mncs": _ratio(float(r["sum_ncs"]), p),
                "world_share": _ratio(p, world_p),
                "p_avg": p / years,
                "intl_share": _ratio(float(r["p_intl"]), p),
                "top1_intl_share": _ratio(float(r["p_top1_intl"]), float(r["p_top1"])),
                "works": int(r["n_works"]),
            }
        )
    items.sort(key=lambda i: (-i["p"], str(i["id"])))
    totals = {
        "world_p": world_p,
        "world_p_top10": float(world["p_top10"] or 0),
        "world_p_top1": float(world["p_top1"] or 0),
        "world_intl_share": _ratio(float(world["p_intl"] or 0), world_p),
        "works_without_group": int(world["works_ungrouped"] or 0),
    }
    if q.counting == "fractional" and by in (
        "institution",
        "country",
        "gender",
        "career_stage",
        "funding_type",
    ):
        # the shares of authorships no group takes: with them, fractional p adds up to the world
        totals["unaffiliated_p"] = world_p - float(world["p_grouped"] or 0)
    return {"query": _query_meta(by, q, engine), "years": years, "totals": totals, "items": items}


def inputs_outputs(engine: Engine, by: str, q: Query) -> dict[str, Any]:
    """Funding in and linked output out, per group, with papers and Top10% per 100 million yen."""
    if by not in methods.IO_GROUPINGS:
        raise ValueError(f"by: {by!r} is not one of {', '.join(methods.IO_GROUPINGS)}")
    labels = names(engine, by)
    items = []
    for r in engine.rows(methods.inputs_outputs_sql(by, q)):
        amount = float(r["amount_yen"] or 0)
        papers, top10 = float(r["papers"]), float(r["p_top10"])
        info = labels.get(r["id"], {})
        items.append(
            {
                "id": r["id"],
                "name": info.get("name") or r["id"],
                **{k: v for k, v in info.items() if k != "name"},
                "amount_yen": amount,
                "records": int(r["records"]),
                "papers": papers,
                "p_top10": top10,
                "p_top1": float(r["p_top1"]),
                "pp_top10": _ratio(top10, papers),
                "papers_per_100m_yen": _ratio(papers * YEN_UNIT, amount),
                "top10_per_100m_yen": _ratio(top10 * YEN_UNIT, amount),
                "papers_by_award_id": float(r["papers_by_award"]),
                "unlinked_records": int(r["unlinked_records"]),
                "unlinked_yen": float(r["unlinked_yen"] or 0),
            }
        )
    items.sort(key=lambda i: (-i["amount_yen"], str(i["id"])))
    links = engine.rows(methods.link_totals_sql(q))[0]
    totals = {
        "amount_yen": sum(i["amount_yen"] for i in items),
        "records": sum(i["records"] for i in items),
        "unlinked_records": sum(i["unlinked_records"] for i in items),
        "unlinked_yen": sum(i["unlinked_yen"] for i in items),
        "papers": sum(i["papers"] for i in items),
        "works_in_window": int(links["works"] or 0),
        "works_linked": int(links["linked"] or 0),
        "works_linked_by_award_id": int(links["linked_by_award"] or 0),
        "works_linked_by_researcher_only": int(links["linked_by_researcher_only"] or 0),
        "works_with_grants_unlinked": int(links["granted_unlinked"] or 0),
    }
    return {"query": _query_meta(by, q, engine), "totals": totals, "items": items}


def _windows(first: int, last: int, width: int) -> list[tuple[int, int]]:
    if last - first + 1 < width:
        return [(first, last)]
    return [(end - width + 1, end) for end in range(first + width - 1, last + 1)]


def trends(engine: Engine, by: str, q: Query, width: int = 3, top: int = 10) -> dict[str, Any]:
    """The scope's share of world papers and of world Top10% papers per field over moving windows,
    its specialisation (activity) index in the last window, and the fastest-growing fields."""
    if by not in ("field", "subfield"):
        raise ValueError("by: trends are by field or subfield")
    windows = _windows(q.first_year, q.last_year, width)
    rows = engine.rows(methods.windows_sql(by, q, windows))
    series: dict[str, dict[str, Any]] = {}
    totals: dict[int, dict[str, float]] = {}
    for r in rows:
        entry = series.setdefault(r["id"], {"id": r["id"], "name": r["name"], "windows": []})
        point = {
            "window": f"{r['w_start']}–{r['w_end']}",
            "start": int(r["w_start"]),
            "end": int(r["w_end"]),
            "p": float(r["p"]),
            "world_p": float(r["world_p"]),
            "share": _ratio(float(r["p"]), float(r["world_p"])),
            "p_top10": float(r["p_top10"]),
            "world_p_top10": float(r["world_top10"]),
            "top10_share": _ratio(float(r["p_top10"]), float(r["world_top10"])),
        }
        entry["windows"].append(point)
        t = totals.setdefault(
            int(r["w_end"]), {"p": 0.0, "world_p": 0.0, "p_top10": 0.0, "world_p_top10": 0.0}
        )
        for k in t:
            t[k] += float(point[k])  # type: ignore[arg-type]
    for entry in series.values():
        entry["windows"].sort(key=lambda w: w["end"])
    starts = {b: a for a, b in windows}
    overall = [
        {
            "window": f"{starts[end]}–{end}",
            "end": end,
            **t,
            "share": _ratio(t["p"], t["world_p"]),
            "top10_share": _ratio(t["p_top10"], t["world_p_top10"]),
        }
        for end, t in sorted(totals.items())
    ]
    last_end = windows[-1][1]
    first_end = windows[0][1]
    last_total = totals.get(last_end, {"p": 0.0, "world_p": 0.0})
    fields = []
    for entry in series.values():
        by_end = {w["end"]: w for w in entry["windows"]}
        last = by_end.get(last_end)
        first = by_end.get(first_end)
        spec = None
        if last and last_total["p"] and last["world_p"]:
            spec = _ratio(last["p"] / last_total["p"], last["world_p"] / last_total["world_p"])
        growth = None
        if first and last and first["p"] > 0 and last_end > first_end:
            growth = (last["p"] / first["p"]) ** (1 / (last_end - first_end)) - 1
        fields.append(
            {
                "id": entry["id"],
                "name": entry["name"],
                "specialisation": spec,
                "share_first": first["share"] if first else None,
                "share_last": last["share"] if last else None,
                "top10_share_first": first["top10_share"] if first else None,
                "top10_share_last": last["top10_share"] if last else None,
                "top10_share_change": (
                    last["top10_share"] - first["top10_share"]
                    if first and last and first["top10_share"] is not None and last["top10_share"] is not None
                    else None
                ),
                "p_first": first["p"] if first else 0.0,
                "p_last": last["p"] if last else 0.0,
                "growth": growth,
            }
        )
    fields.sort(key=lambda f: (-(f["specialisation"] or 0), str(f["id"])))
    growing = sorted(
        (f for f in fields if f["growth"] is not None and f["growth"] > 0 and f["p_first"] >= 5),
        key=lambda f: (-f["growth"], str(f["id"])),
    )[:top]
    falling = sorted(
        (f for f in fields if f["top10_share_change"] is not None and f["top10_share_change"] < 0),
        key=lambda f: (f["top10_share_change"], str(f["id"])),
    )[:top]
    return {
        "query": {**_query_meta(by, q, engine), "window": width},
        "windows": [f"{a}–{b}" for a, b in windows],
        "overall": overall,
        "series": sorted(series.values(), key=lambda s: str(s["id"])),
        "fields": fields,
        "fastest_growing": growing,
        "top10_share_falling": falling,
    }


def patent_cited(engine: Engine, q: Query) -> dict[str, Any]:
    """Papers cited by patent families, per field, for the scope and the world."""
    rows = engine.rows(methods.patent_sql(q))
    items = [
        {
            "id": r["id"],
            "name": r["name"],
            "p": float(r["p"]),
            "p_cited": float(r["p_cited"]),
            "cited_share": _ratio(float(r["p_cited"]), float(r["p"])),
            "world_p": float(r["world_p"]),
            "world_cited": float(r["world_cited"]),
        }
        for r in rows
    ]
    items.sort(key=lambda i: (-i["p_cited"], str(i["id"])))
    families = engine.rows("SELECT COUNT(DISTINCT family_id) AS n FROM patent_citations")[0]["n"]
    return {
        "query": _query_meta("field", q, engine),
        "totals": {
            "p_cited": sum(i["p_cited"] for i in items),
            "world_cited": sum(i["world_cited"] for i in items),
            "patent_families": int(families or 0),
        },
        "items": items,
    }


def weights(engine: Engine, q: Query) -> list[Row]:
    """Every counted work with its cell, Top10%/Top1% weights and normalised citations."""
    return engine.rows(methods.weights_sql(q))
