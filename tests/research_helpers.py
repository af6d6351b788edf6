"""Small OpenAlex-format works written by hand, for tests whose expected values are computed by hand."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from ebpm.research.engine import DuckDBEngine
from ebpm.research.openalex import import_works
from ebpm.research.store import open_store

# an authorship: a list of (institution id, country) pairs; [] is an unaffiliated author
Authorship = Sequence[tuple[str, str]]


def work(
    n: int,
    cites: int,
    *,
    year: int = 2020,
    field: str = "17",
    subfield: str | None = None,
    authors: Sequence[Authorship] = ((("I1", "JP"),),),
    work_type: str = "article",
    updated: str = "2024-01-01T00:00:00",
    grants: Sequence[str] = (),
    author_ids: Sequence[str | None] | None = None,
) -> dict[str, Any]:
    """Work ``W{n}`` with ``cites`` citations and the given authorships."""
    return {
        "id": f"https://openalex.org/W{n}",
        "doi": f"https://doi.org/10.5555/test.{n}",
        "type": work_type,
        "publication_year": year,
        "cited_by_count": cites,
        "updated_date": updated,
        "primary_topic": {
            "field": {"id": f"https://openalex.org/fields/{field}", "display_name": f"Field {field}"},
            "subfield": {
                "id": f"https://openalex.org/subfields/{subfield or field + '01'}",
                "display_name": f"Subfield {subfield or field + '01'}",
            },
        },
        "authorships": [
            {
                "author": {"id": f"https://openalex.org/{author_ids[k]}"}
                if author_ids and author_ids[k]
                else {"id": f"https://openalex.org/A{n * 100 + k}"},
                "institutions": [
                    {
                        "id": f"https://openalex.org/{i}",
                        "display_name": f"Inst {i}",
                        "country_code": c,
                        "type": "education",
                    }
                    for i, c in a
                ],
                "countries": sorted({c for _, c in a}),
            }
            for k, a in enumerate(authors)
        ],
        "grants": [{"funder": "https://openalex.org/F1", "award_id": g} for g in grants],
        "referenced_works": [],
    }


def write_jsonl(path: Path, records: Iterable[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


def store_of(tmp: Path, records: Iterable[dict[str, Any]], name: str = "store") -> Path:
    """A research store holding ``records``."""
    path = tmp / f"{name}.duckdb"
    with open_store(path) as con:
        import_works(con, write_jsonl(tmp / f"{name}.jsonl", records))
    return path


class Reader:
    """A read-only engine over a store, for one test."""

    def __init__(self, path: Path) -> None:
        self._cm = open_store(path, read_only=True)
        self.engine = DuckDBEngine(self._cm.__enter__())

    def close(self) -> None:
        self._cm.__exit__(None, None, None)
