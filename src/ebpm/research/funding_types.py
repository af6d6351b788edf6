"""The funding-type code list: seven types by default, editable by the user.

The default follows how Japanese universities account for research money: block grants
(運営費交付金), KAKENHI (科研費), other competitive funds, commissioned research, joint research
with industry, donations and the rest. A funding file's cell may hold the code, the Japanese
name or the English name. ``ebpm research funding-types`` lists, adds and removes types.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import duckdb

from ebpm.research.identifiers import nfkc

_CODE = re.compile(r"^[a-z][a-z0-9_]{0,31}$")


@dataclass(frozen=True, slots=True)
class FundingType:
    code: str
    name_ja: str
    name_en: str
    description: str = ""


DEFAULT_TYPES = (
    FundingType(
        "opex", "運営費交付金", "Operating grants", "Block funding of national universities and agencies"
    ),
    FundingType("kakenhi", "科研費", "KAKENHI", "Grants-in-Aid for Scientific Research (JSPS, MEXT)"),
    FundingType(
        "competitive", "その他の競争的研究費", "Other competitive funds", "JST, AMED, NEDO and others"
    ),
    FundingType("commissioned", "受託研究", "Commissioned research", "Research commissioned by government"),
    FundingType("industry", "民間企業との共同研究", "Joint research with industry", ""),
    FundingType("donation", "寄附金", "Donations", ""),
    FundingType("other", "その他", "Other", ""),
)


def load(con: duckdb.DuckDBPyConnection) -> list[FundingType]:
    rows = con.execute(
        "SELECT code, name_ja, name_en, description FROM funding_types ORDER BY ord"
    ).fetchall()
    return [FundingType(*r) for r in rows]


def resolver(types: list[FundingType]) -> dict[str, str]:
    """Every accepted spelling (code, Japanese, English; NFKC, case-folded) → code."""
    names: dict[str, str] = {}
    for t in types:
        for name in (t.code, t.name_ja, t.name_en):
            names[nfkc(name).casefold()] = t.code
    return names


def add(con: duckdb.DuckDBPyConnection, new: FundingType) -> None:
    if not _CODE.match(new.code):
        raise ValueError(f"{new.code!r}: a code is lower-case letters, digits and _ (e.g. moonshot)")
    if not new.name_ja.strip() or not new.name_en.strip():
        raise ValueError("a funding type needs a Japanese and an English name")
    taken = resolver(load(con))
    for name in (new.code, new.name_ja, new.name_en):
        if nfkc(name).casefold() in taken:
            raise ValueError(f"{name!r} is already a funding type ({taken[nfkc(name).casefold()]})")
    con.execute(
        "INSERT INTO funding_types SELECT ?, ?, ?, ?, coalesce(max(ord), -1) + 1 FROM funding_types",
        [new.code, new.name_ja, new.name_en, new.description],
    )


def remove(con: duckdb.DuckDBPyConnection, code: str) -> None:
    if code not in {t.code for t in load(con)}:
        raise ValueError(f"{code!r} is not a funding type")
    row = con.execute("SELECT count(*) FROM funding WHERE funding_type = ?", [code]).fetchone()
    used = int(row[0]) if row else 0
    if used:
        raise ValueError(f"{code!r} is used by {used:,} funding records; it cannot be removed")
    con.execute("DELETE FROM funding_types WHERE code = ?", [code])
