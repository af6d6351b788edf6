"""Funding records, researchers and patent citations from CSV or Excel (UTF-8 or CP932).

Headers may be English or Japanese, as KAKEN, e-Rad, researchmap, Lens.org and PATSTAT exports
write them (``FORMATS`` lists every accepted header). Every row is checked first; then all rows
are written or none, through ``staging.merge_keyed``: a record given again with the same values
changes nothing, with other values it replaces the stored one.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import duckdb

from ebpm.budget.amounts import UNITS, header_unit, parse_amount
from ebpm.indicators.periods import current_fiscal_year, parse_fiscal_year
from ebpm.research import funding_types
from ebpm.research import identifiers as ids
from ebpm.research.staging import (
    MAX_ERRORS,
    ImportSummary,
    Progress,
    ResearchImportError,
    Stage,
    all_or_nothing,
    conflicts,
    count_duplicates,
    merge_keyed,
    record_dataset,
)
from ebpm.sources.tabular import ReadError, header_key, read_table

_PAREN = re.compile(r"[（(]([^）)]*)[)）]")


@dataclass(frozen=True, slots=True)
class Layout:
    """One kind of file: its fields, the headers accepted for each, and how rows are stored."""

    kind: str
    aliases: dict[str, tuple[str, ...]]
    required: tuple[str, ...]
    table: str
    columns: str  # staging columns, in the target table's order, then dataset_id and line
    key: tuple[str, ...]


FUNDING = Layout(
    "funding",
    {
        "award_id": ("award_id", "課題番号", "研究課題番号", "体系的番号", "award number", "grant number"),
        "funder": ("funder", "配分機関", "資金配分機関", "funding agency"),
        "program": ("program", "研究種目", "事業名", "プログラム", "programme"),
        "funding_type": ("funding_type", "資金種別", "funding type"),
        "institution": ("institution", "研究機関", "機関id", "所属機関"),
        "researcher_id": ("researcher_id", "研究者番号", "e-rad研究者番号"),
        "fiscal_year": ("fiscal_year", "年度", "fiscal year"),
        "amount": ("amount", "配分額", "金額", "直接経費", "amount_yen"),
        "note": ("note", "備考"),
    },
    ("award_id", "funding_type", "fiscal_year", "amount"),
    "funding",
    "record_id VARCHAR, award_id VARCHAR, award_key VARCHAR, funder VARCHAR, program VARCHAR, "
    "funding_type VARCHAR, institution_ref VARCHAR, researcher_id VARCHAR, fiscal_year INTEGER, "
    "amount_yen BIGINT, dataset_id INTEGER, line INTEGER",
    ("record_id",),
)
RESEARCHERS = Layout(
    "researchers",
    {
        "researcher_id": ("researcher_id", "研究者番号", "e-rad研究者番号"),
        "openalex_author_id": ("openalex_author_id", "openalex著者id", "openalex id", "author_id"),
        "orcid": ("orcid", "orcid id"),
        "gender": ("gender", "性別"),
        "birth_year": ("birth_year", "生年", "生まれ年"),
        "career_stage": ("career_stage", "キャリア段階", "career stage"),
        "field": ("field", "分野", "研究分野"),
        "institution": ("institution", "所属機関", "研究機関"),
        "note": ("note", "備考"),
    },
    ("researcher_id",),
    "researchers",
    "researcher_id VARCHAR, author_id VARCHAR, orcid VARCHAR, gender VARCHAR, birth_year INTEGER, "
    "career_stage VARCHAR, research_field VARCHAR, institution_ref VARCHAR, dataset_id INTEGER, line INTEGER",
    ("researcher_id",),
)
PATENTS = Layout(
    "patents",
    {
        "patent_family_id": (
            "patent_family_id",
            "family_id",
            "docdb_family_id",
            "simple family id",
            "ファミリーid",
        ),
        "cited_work": (
            "cited_work",
            "cited_doi",
            "npl_doi",
            "doi",
            "cited_work_id",
            "npl resolved external id(s)",
            "npl resolved lens id(s)",
            "被引用論文",
        ),
        "note": ("note", "備考"),
    },
    ("patent_family_id", "cited_work"),
    "patent_citations",
    "family_id VARCHAR, cited_key VARCHAR, dataset_id INTEGER, line INTEGER",
    ("family_id", "cited_key"),
)
FORMATS = {layout.kind: layout for layout in (FUNDING, RESEARCHERS, PATENTS)}


def _map_header(path: Path, header: list[str], layout: Layout) -> tuple[dict[str, int], int]:
    """Field → column index, and the amount column's unit (yen unless the header names one)."""
    known = {header_key(alias): name for name, aliases in layout.aliases.items() for alias in aliases}
    index: dict[str, int] = {}
    unit = 1
    for k, raw in enumerate(header):
        name = known.get(header_key(raw))
        if name is None:
            continue
        if name in index:
            raise ReadError(f"{path}: line 1: columns {header[index[name]]!r} and {raw!r} are both {name}")
        index[name] = k
        if name == "amount":
            found = header_unit(raw)
            paren = _PAREN.search(raw)
            if found is None and paren and "円" not in paren.group(1) and paren.group(1).strip():
                raise ReadError(
                    f"{path}: line 1: column {raw!r}: unknown unit {paren.group(1)!r}; "
                    f"use one of {', '.join(UNITS)}"
                )
            unit = found or 1
    missing = [f for f in layout.required if f not in index]
    if missing:
        expected = ", ".join(f"{f} ({layout.aliases[f][1]})" for f in missing)
        raise ReadError(
            f"{path}: line 1: missing column(s) {expected}; is this a {layout.kind} file? "
            f"headers found: {', '.join(h for h in header if h.strip())[:200]}"
        )
    return index, unit


class _Rows:
    """The checks of one file's rows, each returning the tuple to stage or raising ValueError."""

    def __init__(self, con: duckdb.DuckDBPyConnection, today: date) -> None:
        self.types = funding_types.resolver(funding_types.load(con))
        self.codes = ", ".join(t.code for t in funding_types.load(con))
        self.today = today

    def funding(self, get: Callable[[str], str], unit: int) -> tuple[Any, ...]:
        award = ids.nfkc(get("award_id"))
        kind = self.types.get(ids.nfkc(get("funding_type")).casefold())
        if kind is None:
            raise ValueError(
                f"funding_type: {get('funding_type')!r} is not a funding type; use one of {self.codes} "
                "(or add it with `ebpm research funding-types add`)"
            )
        try:
            fiscal_year = parse_fiscal_year(get("fiscal_year"), 1950, current_fiscal_year(self.today))
        except ValueError as exc:
            raise ValueError(f"fiscal_year: {exc}") from None
        try:
            amount = parse_amount(get("amount"), unit)
        except ValueError as exc:
            raise ValueError(f"amount: {exc}") from None
        if amount is None:
            raise ValueError("amount: empty")
        inst = _institution(get("institution"))
        researcher = ids.nfkc(get("researcher_id")) or None
        key = ids.award_key(award)
        record = hashlib.sha1(f"{key}|{fiscal_year}|{inst}|{researcher}".encode()).hexdigest()[:20]
        return (record, award, key, get("funder") or None, get("program") or None, kind, inst, researcher,
                fiscal_year, amount)  # fmt: skip

    def researchers(self, get: Callable[[str], str], unit: int) -> tuple[Any, ...]:
        author = get("openalex_author_id")
        author_id = ids.openalex_id(author) if author else None
        if author and (author_id is None or not author_id.startswith("A")):
            raise ValueError(f"openalex_author_id: {author!r} is not an OpenAlex author id (A…)")
        orcid_raw = get("orcid")
        orcid = ids.orcid(orcid_raw) if orcid_raw else None
        if orcid_raw and orcid is None:
            raise ValueError(f"orcid: {orcid_raw!r} is not an ORCID iD (0000-0002-1825-0097)")
        birth = ids.nfkc(get("birth_year"))
        birth_year = None
        if birth:
            if not re.fullmatch(r"\d{4}", birth) or not 1900 <= int(birth) <= self.today.year - 15:
                raise ValueError(f"birth_year: {birth!r} is not a plausible year of birth")
            birth_year = int(birth)
        try:
            gender = ids.gender(get("gender"))
        except ValueError as exc:
            raise ValueError(f"gender: {exc}") from None
        try:
            stage = ids.career_stage(get("career_stage"))
        except ValueError as exc:
            raise ValueError(f"career_stage: {exc}") from None
        return (ids.nfkc(get("researcher_id")), author_id, orcid, gender, birth_year, stage,
                get("field") or None, _institution(get("institution")))  # fmt: skip

    def patents(self, get: Callable[[str], str], unit: int) -> tuple[Any, ...]:
        raw = get("cited_work")
        cited = ids.openalex_id(raw)
        key = cited if cited and cited.startswith("W") else ids.doi(raw)
        if key is None:
            raise ValueError(f"cited_work: {raw!r} is neither a DOI (10.…/…) nor an OpenAlex work id (W…)")
        return (ids.nfkc(get("patent_family_id")), key)


def _institution(raw: str) -> str | None:
    if not raw.strip():
        return None
    ref = ids.institution_ref(raw)
    if ref is None:
        raise ValueError(f"institution: {raw!r} is neither a ROR id nor an OpenAlex institution id (I…)")
    return ref


def import_records(
    con: duckdb.DuckDBPyConnection,
    kind: str,
    path: Path,
    *,
    dry_run: bool = False,
    label: str | None = None,
    sample: bool = False,
    today: date | None = None,
    progress: Progress | None = None,
) -> ImportSummary:
    """Check every row of a funding, researcher or patent file; then store all rows or none."""
    layout = FORMATS[kind]
    header, rows = read_table(path)
    index, unit = _map_header(path, header, layout)
    name = path.name
    summary = ImportSummary(kind, str(path), dry_run=dry_run)
    errors: list[str] = []
    with all_or_nothing(con, dry_run):
        check = getattr(_Rows(con, today or date.today()), kind)
        stage = Stage(con, "s_records", layout.columns)
        for line, cells in rows:
            summary.records += 1

            def get(field: str, cells: list[str] = cells) -> str:
                k = index.get(field)
                return cells[k].strip() if k is not None and k < len(cells) else ""

            try:
                for field in layout.required:
                    if not get(field):
                        raise ValueError(f"{field}: empty")
                stage.add((*check(get, unit), -1, line))
            except ValueError as exc:
                errors.append(f"{name}: line {line}: {exc}")
                if len(errors) >= MAX_ERRORS:
                    errors.append(f"{name}: stopped after {MAX_ERRORS} errors")
                    break
            if progress and summary.records % 10_000 == 0:
                progress(summary.records, 0)
        if not errors and summary.records == 0:
            errors.append(f"{name}: no data rows")
        stage.flush()
        cols = [c.split()[0] for c in layout.columns.split(",")][:-2]
        key = list(layout.key)
        values = [c for c in cols if c not in key]
        if not errors:
            errors += conflicts(con, "s_records", key, values, name)
        if errors:
            raise ResearchImportError(errors)
        summary.duplicates = count_duplicates(con, "s_records", key)
        summary.added, summary.replaced, summary.unchanged = merge_keyed(
            con, "s_records", layout.table, key, values
        )
        record_dataset(con, summary, layout.table, path, label, sample)
    return summary
