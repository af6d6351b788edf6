"""The synthetic research world: deterministic, labelled SAMPLE, and in the formats the importers read."""

from __future__ import annotations

import csv
import gzip
import json
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from ebpm.research import identifiers as ids
from ebpm.research.sample import SampleFiles, generate

WORKS = 2000
SEED = 7
NOTE = f"SAMPLE (synthetic, seed={SEED})"
FUNDING_HEADER = [
    "課題番号",
    "配分機関",
    "研究種目",
    "資金種別",
    "研究機関",
    "研究者番号",
    "年度",
    "配分額（千円）",
    "備考",
]
RESEARCHER_HEADER = [
    "研究者番号",
    "OpenAlex著者ID",
    "ORCID",
    "性別",
    "生年",
    "キャリア段階",
    "分野",
    "所属機関",
    "備考",
]
WORK_KEYS = {
    "id", "doi", "title", "display_name", "type", "publication_year", "cited_by_count", "counts_by_year",
    "updated_date", "primary_topic", "authorships", "grants", "referenced_works",
}  # fmt: skip


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> SampleFiles:
    return generate(tmp_path_factory.mktemp("sample"), works=WORKS, seed=SEED)


@pytest.fixture(scope="module")
def works(files: SampleFiles) -> list[dict[str, Any]]:
    with gzip.open(files.works, "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def _header(path: Path) -> list[str]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return next(csv.reader(f))


def test_same_seed_same_bytes_other_seed_other_bytes(files: SampleFiles, tmp_path: Path) -> None:
    again = generate(tmp_path / "again", works=WORKS, seed=SEED)
    for name in ("works", "funding", "researchers", "patents", "readme"):
        assert getattr(again, name).read_bytes() == getattr(files, name).read_bytes(), name
    other = generate(tmp_path / "other", works=WORKS, seed=SEED + 1)
    assert other.works.read_bytes() != files.works.read_bytes()


def test_progress_every_thousand_works(tmp_path: Path) -> None:
    calls: list[tuple[int, int]] = []
    generate(tmp_path, works=2500, seed=1, progress=lambda done, total: calls.append((done, total)))
    assert calls == [(1000, 2500), (2000, 2500), (2500, 2500)]


def test_every_line_is_a_work_of_2011_to_2022(files: SampleFiles, works: list[dict[str, Any]]) -> None:
    with gzip.open(files.works, "rb") as f:
        assert all(line.endswith(b"\n") and line.count(b"\n") == 1 for line in f)
    assert len({w["id"] for w in works}) == WORKS
    for w in works:
        assert set(w) == WORK_KEYS
        assert ids.openalex_id(w["id"]) == w["id"].rsplit("/", 1)[1]
        assert 2011 <= w["publication_year"] <= 2022
        date.fromisoformat(w["updated_date"][:10])
        assert 1 <= len(w["authorships"]) <= 15
        for a in w["authorships"]:
            assert a["countries"] == list(dict.fromkeys(i["country_code"] for i in a["institutions"]))
            assert all(ids.ror_id(i["ror"]) for i in a["institutions"])
        # counts_by_year add up to cited_by_count, newest year first, never before publication or after 2023
        years = [c["year"] for c in w["counts_by_year"]]
        assert years == sorted(years, reverse=True)
        assert all(w["publication_year"] <= y <= 2023 for y in years)
        assert sum(c["cited_by_count"] for c in w["counts_by_year"]) == w["cited_by_count"]


def test_a_realistic_mix(works: list[dict[str, Any]]) -> None:
    types = Counter(w["type"] for w in works)
    assert 0.84 < types["article"] / len(works) < 0.92
    assert 0.05 < types["review"] / len(works) < 0.11
    assert set(types) - {"article", "review"} <= {"book-chapter", "preprint", "letter", "dataset"}
    assert 0.02 < (len(works) - types["article"] - types["review"]) / len(works) < 0.07
    assert any(w["primary_topic"] is None for w in works)
    authorships = [a for w in works for a in w["authorships"]]
    assert any(not a["institutions"] and not a["countries"] for a in authorships)
    assert any(len(a["institutions"]) == 2 for a in authorships)
    cites = Counter(w["cited_by_count"] for w in works)
    assert cites[0] > 50 and cites[1] > 50 and max(cites) > 100  # ties at the bottom, a heavy tail
    fields = Counter(w["primary_topic"]["field"]["display_name"] for w in works if w["primary_topic"])
    assert fields.most_common(1)[0][0] == "Medicine"
    assert {w["primary_topic"]["field"]["id"] for w in works if w["primary_topic"]} <= {
        f"https://openalex.org/fields/{f}" for f in range(11, 37)
    }


def test_everything_says_sample(files: SampleFiles, works: list[dict[str, Any]]) -> None:
    assert all(w["title"] == w["display_name"] == f"SAMPLE synthetic work {w['id'][22:]}" for w in works)
    names = {i["display_name"] for w in works for a in w["authorships"] for i in a["institutions"]}
    assert names and all("SAMPLE" in n for n in names)
    for path in (files.funding, files.researchers, files.patents):
        notes = {row.get("備考", row.get("note")) for row in _rows(path)}
        assert notes == {NOTE}, path.name
    readme = files.readme.read_text(encoding="utf-8")
    assert "synthetic" in readme.lower() and "ebpm research sample" in readme and f"seed={SEED}" in readme
    assert "not cite" in readme.lower() or "do not cite" in readme.lower()


def test_a_duplicated_id_has_its_newer_version_first(works: list[dict[str, Any]]) -> None:
    seen: dict[str, dict[str, Any]] = {}
    twice = 0
    for w in works:
        if w["id"] in seen:
            first = seen[w["id"]]
            assert first["updated_date"] > w["updated_date"]  # "last line wins" would keep the older one
            assert first["cited_by_count"] > w["cited_by_count"]
            twice += 1
        seen[w["id"]] = w
    assert 3 <= twice <= 30  # ~0.5% of 2000 works


def test_funding_is_cited_by_works_in_varied_spellings(
    files: SampleFiles, works: list[dict[str, Any]]
) -> None:
    funding = _rows(files.funding)
    cited = [g["award_id"] for w in works for g in w["grants"] if g["award_id"]]
    keys = {ids.award_key(a) for a in cited}
    competitive = {ids.award_key(r["課題番号"]) for r in funding if r["研究者番号"]}
    assert len(competitive & keys) >= 20
    assert competitive - keys  # and some funding no work acknowledges
    # acknowledgements write award numbers in other widths, cases, spaces and hyphens than the funder
    written = {r["課題番号"] for r in funding}
    odd = [a for a in cited if a not in written and ids.award_key(a) in competitive]
    assert any(not a.isascii() for a in odd) and any("-" in a or " " in a for a in odd)
    # block grants: one row per institution and fiscal year, no researcher, linked to no work
    opex = [r for r in funding if r["資金種別"] == "運営費交付金"]
    assert opex and all(r["課題番号"].startswith("OPEX-I9") and not r["研究者番号"] for r in opex)
    assert not {ids.award_key(r["課題番号"]) for r in opex} & keys
    assert Counter(r["資金種別"] for r in funding).most_common(1)[0][0] == "科研費"
    for r in funding:
        assert 2011 <= int(r["年度"]) <= 2022
        assert int(r["配分額（千円）"].replace(",", "")) > 0
        assert ids.institution_ref(r["研究機関"]), r
        assert not r["研究者番号"] or (len(r["研究者番号"]) == 8 and r["研究者番号"].isdigit())


def test_researchers_match_the_authors(files: SampleFiles, works: list[dict[str, Any]]) -> None:
    researchers = _rows(files.researchers)
    assert len({r["研究者番号"] for r in researchers}) == len(researchers)
    genders = Counter(r["性別"] for r in researchers)
    assert set(genders) <= {"女性", "男性", "その他", "不明"}
    assert 0.12 < genders["女性"] / len(researchers) < 0.25
    assert {r["キャリア段階"] for r in researchers} <= {"", "若手", "中堅", "シニア"}
    assert sum(1 for r in researchers if r["キャリア段階"]) < len(researchers) / 3  # mostly derived later
    assert 0.6 < sum(1 for r in researchers if r["ORCID"]) / len(researchers) < 0.8
    assert all(ids.orcid(r["ORCID"]) for r in researchers if r["ORCID"])
    assert all(1950 <= int(r["生年"]) <= 1996 for r in researchers)
    authors = {a["author"]["id"] for w in works for a in w["authorships"]}
    assert len(authors & {r["OpenAlex著者ID"] for r in researchers}) > 100


def test_patents_cite_sample_works(files: SampleFiles, works: list[dict[str, Any]]) -> None:
    known = {w["id"] for w in works} | {ids.doi(w["doi"]) for w in works if w["doi"]}
    rows = _rows(files.patents)
    assert 10 < len(rows) < 200
    for r in rows:
        cited = r["cited_work"]
        assert cited in known or f"https://openalex.org/{cited}" in known, cited


def test_csvs_are_utf8_with_bom_and_exact_headers(files: SampleFiles) -> None:
    for path in (files.funding, files.researchers, files.patents):
        assert path.read_bytes().startswith(b"\xef\xbb\xbf"), path.name
    assert _header(files.funding) == FUNDING_HEADER
    assert _header(files.researchers) == RESEARCHER_HEADER
    assert _header(files.patents) == ["patent_family_id", "cited_work", "note"]


def test_japans_share_of_works_falls(tmp_path: Path) -> None:
    # a larger world: at 2000 works the yearly Japanese counts are too small to show a trend
    sample = generate(tmp_path, works=30_000, seed=SEED)
    total: Counter[int] = Counter()
    japan: Counter[int] = Counter()
    with gzip.open(sample.works, "rt", encoding="utf-8") as f:
        for line in f:
            w = json.loads(line)
            total[w["publication_year"]] += 1
            japan[w["publication_year"]] += any("JP" in a["countries"] for a in w["authorships"])

    def share(years: range) -> float:
        return sum(japan[y] for y in years) / sum(total[y] for y in years)

    assert 0.045 < share(range(2011, 2014)) < 0.07
    assert share(range(2020, 2023)) < share(range(2011, 2014)) - 0.005
