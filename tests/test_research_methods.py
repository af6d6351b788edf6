"""The bibliometric methods on cases computed by hand (methods.py documents each rule)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ebpm.research import analytics
from ebpm.research.methods import Query
from ebpm.research.openalex import import_works
from ebpm.research.records import import_records
from ebpm.research.staging import ResearchImportError
from ebpm.research.store import open_store
from tests.research_helpers import Reader, store_of, work

Q = Query(2020, 2020)


def by_id(result: dict[str, object]) -> dict[str, dict[str, float]]:
    return {str(i["id"]): i for i in result["items"]}  # type: ignore[attr-defined, index]


def weights(path: Path, q: Query = Q) -> dict[str, tuple[float, float]]:
    r = Reader(path)
    try:
        return {w["work_id"]: (w["w10"], w["w1"]) for w in analytics.weights(r.engine, q)}
    finally:
        r.close()


def run(path: Path, by: str, q: Query = Q) -> dict[str, object]:
    r = Reader(path)
    try:
        return analytics.indicators(r.engine, by, q)
    finally:
        r.close()


def test_ties_at_the_top10_boundary_share_the_remaining_weight(tmp_path: Path) -> None:
    # 20 works: k = 2. Sorted: 9, 5, 5, 5, then 16 × 1. Position ceil(2) = 2 holds 5, so t = 5:
    # the 9 weighs 1, the three 5s share (2 − 1) / 3 each, the rest 0. Top 1%: k = 0.2, t = 9.
    cites = [9, 5, 5, 5] + [1] * 16
    path = store_of(tmp_path, [work(n, c) for n, c in enumerate(cites, start=1)])
    w = weights(path)
    assert w["W1"] == pytest.approx((1.0, 0.2))
    for n in (2, 3, 4):
        assert w[f"W{n}"] == pytest.approx((1 / 3, 0.0))
    assert w["W5"] == (0.0, 0.0)
    assert sum(v[0] for v in w.values()) == pytest.approx(2.0)
    assert sum(v[1] for v in w.values()) == pytest.approx(0.2)


def test_a_cell_of_thirty_uses_integer_ceiling(tmp_path: Path) -> None:
    # 0.1 × 30 is 3.0000000000000004 in floating point; ceil would give position 4
    cites = list(range(30, 0, -1))  # 30 distinct counts: the top three weigh 1
    w = weights(store_of(tmp_path, [work(n, c) for n, c in enumerate(cites, start=1)]))
    assert [w[f"W{n}"][0] for n in range(1, 6)] == [1.0, 1.0, 1.0, 0.0, 0.0]


def test_an_all_zero_cell_shares_equally_and_has_mncs_zero(tmp_path: Path) -> None:
    path = store_of(tmp_path, [work(n, 0) for n in range(1, 6)])
    w = weights(path)
    assert all(v == pytest.approx((0.1, 0.01)) for v in w.values())  # 0.5 / 5 and 0.05 / 5
    item = by_id(run(path, "field"))["17"]
    assert item["p_top10"] == pytest.approx(0.5)
    assert item["mncs"] == 0.0


def test_a_one_work_cell(tmp_path: Path) -> None:
    path = store_of(tmp_path, [work(1, 7, field="17"), work(2, 3, field="25")])
    item = by_id(run(path, "field"))
    assert item["17"]["p_top10"] == pytest.approx(0.1) and item["17"]["p_top1"] == pytest.approx(0.01)
    assert item["17"]["mncs"] == pytest.approx(1.0)
    assert item["25"]["pp_top10"] == pytest.approx(0.1)


def test_cells_are_field_and_year(tmp_path: Path) -> None:
    # the same counts in two years are two cells of 10: each has one Top10% paper
    records = [work(n, n, year=2019 + (n > 10)) for n in range(1, 21)]
    path = store_of(tmp_path, records)
    w = weights(path, Query(2019, 2020))
    assert w["W10"][0] == 1.0 and w["W20"][0] == 1.0 and w["W19"][0] == 0.0


def test_mncs_divides_by_the_cell_mean(tmp_path: Path) -> None:
    # cell counts 0, 2, 4: mean 2, normalised 0, 1, 2. I1 has the 2 and the 4: MNCS 1.5
    records = [
        work(1, 0, authors=[[("I2", "US")]]),
        work(2, 2, authors=[[("I1", "JP")]]),
        work(3, 4, authors=[[("I1", "JP")]]),
    ]
    item = by_id(run(store_of(tmp_path, records), "institution"))
    assert item["I1"]["mncs"] == pytest.approx(1.5)
    assert item["I2"]["mncs"] == 0.0
    assert item["I1"]["world_share"] == pytest.approx(2 / 3)


def test_whole_and_fractional_counting_of_a_multi_affiliated_author(tmp_path: Path) -> None:
    # two authorships: the first at I1 (JP) and I2 (US), the second at I1. A = 2.
    # fractional: I1 = 1/(2·2) + 1/2 = 0.75, I2 = 0.25; countries JP = 0.75, US = 0.25
    records = [work(1, 5, authors=[[("I1", "JP"), ("I2", "US")], [("I1", "JP")]])]
    path = store_of(tmp_path, records)
    whole = by_id(run(path, "institution"))
    frac = by_id(run(path, "institution", Query(2020, 2020, "fractional")))
    assert whole["I1"]["p"] == 1.0 and whole["I2"]["p"] == 1.0
    assert frac["I1"]["p"] == pytest.approx(0.75) and frac["I2"]["p"] == pytest.approx(0.25)
    countries = by_id(run(path, "country", Query(2020, 2020, "fractional")))
    assert countries["JP"]["p"] == pytest.approx(0.75) and countries["US"]["p"] == pytest.approx(0.25)
    assert by_id(run(path, "country"))["US"]["intl_share"] == 1.0


def test_an_unaffiliated_authorship_gives_its_share_to_no_one(tmp_path: Path) -> None:
    records = [work(1, 5, authors=[[("I1", "JP")], [], [("I2", "JP")]])]
    result = run(store_of(tmp_path, records), "institution", Query(2020, 2020, "fractional"))
    items = by_id(result)
    assert items["I1"]["p"] == pytest.approx(1 / 3) and items["I2"]["p"] == pytest.approx(1 / 3)
    assert result["totals"]["unaffiliated_p"] == pytest.approx(1 / 3)  # type: ignore[index]


def test_international_coauthorship_among_top1(tmp_path: Path) -> None:
    # 100 works in one cell: k = 1, so the most cited is the Top1% paper; it is JP–US
    records = [work(1, 500, authors=[[("I1", "JP")], [("I2", "US")]])]
    records += [work(n, 1, authors=[[("I1", "JP")]]) for n in range(2, 101)]
    item = by_id(run(store_of(tmp_path, records), "country", Query(2020, 2020, "fractional")))["JP"]
    assert item["p_top1"] == pytest.approx(0.5)  # JP's fractional half of the one Top1% paper
    assert item["top1_intl_share"] == 1.0


def test_duplicate_ids_keep_the_latest_updated_date(tmp_path: Path) -> None:
    newer = work(1, 50, updated="2024-06-01T00:00:00")
    older = work(1, 10, updated="2023-01-01T00:00:00")
    path = tmp_path / "s.duckdb"
    from tests.research_helpers import write_jsonl

    with open_store(path) as con:
        summary = import_works(con, write_jsonl(tmp_path / "a.jsonl", [newer, older, work(2, 1)]))
        assert summary.added == 2 and summary.duplicates == 1
        assert summary.excluded == {"duplicate id (older version)": 1}
        # an older file imported later changes nothing; the same file again changes nothing
        again = import_works(con, write_jsonl(tmp_path / "b.jsonl", [older]))
        assert (again.added, again.replaced, again.unchanged) == (0, 0, 1)
        assert con.execute("SELECT cites FROM works WHERE work_id = 'W1'").fetchone() == (50,)
        newest = import_works(con, write_jsonl(tmp_path / "c.jsonl", [work(1, 70, updated="2025-01-01")]))
        assert newest.replaced == 1
        assert con.execute("SELECT cites FROM works WHERE work_id = 'W1'").fetchone() == (70,)
        assert con.execute("SELECT count(*) FROM authorships WHERE work_id = 'W1'").fetchone() == (1,)


def test_excluded_types_and_missing_fields_are_counted_not_analysed(tmp_path: Path) -> None:
    no_field = work(4, 3)
    no_field["primary_topic"] = None
    no_year = work(5, 3)
    no_year["publication_year"] = None
    records = [work(1, 3), work(2, 3, work_type="review"), work(3, 3, work_type="dataset"), no_field, no_year]
    from tests.research_helpers import write_jsonl

    with open_store(tmp_path / "s.duckdb") as con:
        summary = import_works(con, write_jsonl(tmp_path / "w.jsonl", records))
    assert summary.excluded == {"type dataset": 1, "no primary field": 1, "no publication year": 1}
    result = run(tmp_path / "s.duckdb", "field")
    assert result["totals"]["world_p"] == 2  # type: ignore[index]


@pytest.fixture
def linked_store(tmp_path: Path) -> Iterator[Path]:
    """Three works, two funding records of one award written two ways, one of another award."""
    records = [
        work(1, 10, grants=["ＪＰ２０Ｈ－０１２３４"], author_ids=["A9"]),
        work(2, 0, grants=["jp20h 01234", "JP21K00001"], author_ids=["A9"]),
        work(3, 0, year=2020, author_ids=["A9"]),  # no grant: linked only by the researcher rule
    ]
    path = store_of(tmp_path, records)
    funding = tmp_path / "funding.csv"
    funding.write_text(
        "award_id,funder,program,funding_type,institution,researcher_id,fiscal_year,amount\n"
        "JP20H01234,JSPS,基盤B,科研費,https://openalex.org/I1,11111111,2019,50000000\n"
        "JP21K00001,JST,CREST,competitive,https://openalex.org/I1,,2019,100000000\n"
        "OPEX-I1-2019,MEXT,,運営費交付金,https://openalex.org/I1,,2019,250000000\n",
        encoding="utf-8",
    )
    people = tmp_path / "researchers.csv"
    people.write_text(
        "研究者番号,OpenAlex著者ID,ORCID,性別,生年,キャリア段階,分野,所属機関\n11111111,A9,,女性,1985,,化学,I1\n",
        encoding="utf-8",
    )
    with open_store(path) as con:
        import_records(con, "funding", funding)
        import_records(con, "researchers", people)
    yield path


def io(path: Path, by: str, q: Query) -> dict[str, object]:
    r = Reader(path)
    try:
        return analytics.inputs_outputs(r.engine, by, q)
    finally:
        r.close()


def test_award_ids_link_across_width_case_spaces_and_hyphens(linked_store: Path) -> None:
    # W1 → the KAKEN award only (weight 1); W2 → KAKEN and CREST (1/2 each); W3 → nothing
    result = io(linked_store, "funding_type", Q)
    items = by_id(result)
    assert items["kakenhi"]["papers"] == pytest.approx(1.5)
    assert items["competitive"]["papers"] == pytest.approx(0.5)
    assert items["opex"]["papers"] == 0.0 and items["opex"]["unlinked_records"] == 1
    assert items["kakenhi"]["papers_per_100m_yen"] == pytest.approx(1.5 / 0.5)
    # the Top10% weights: 3 works, k = 0.3; W1 (10 citations) holds all of it
    assert items["kakenhi"]["p_top10"] == pytest.approx(0.3)
    totals = result["totals"]
    assert totals["works_linked"] == 2 and totals["unlinked_yen"] == 250_000_000  # type: ignore[index]
    assert sum(i["papers"] for i in items.values()) == pytest.approx(2.0)  # no work counted twice


def test_the_researcher_rule_links_within_the_window_and_says_so(linked_store: Path) -> None:
    # W3 (2020) by researcher 11111111, whose 2019 KAKEN record is within 0..+3 years
    q = Query(2020, 2020, researcher_window=3)
    result = io(linked_store, "gender", q)
    assert result["totals"]["works_linked"] == 3  # type: ignore[index]
    assert result["totals"]["works_linked_by_researcher_only"] == 1  # type: ignore[index]
    female = by_id(result)["female"]
    # W1 1 + W2 1/2 + W3 1 on the female researcher's KAKEN record
    assert female["papers"] == pytest.approx(2.5)
    assert female["papers_by_award_id"] == pytest.approx(1.5)
    narrow = io(linked_store, "gender", Query(2020, 2020, researcher_window=0))
    assert by_id(narrow)["female"]["papers"] == pytest.approx(1.5)  # 2020 is outside 2019 + 0


def test_gender_and_career_stage_of_matched_authorships(linked_store: Path) -> None:
    items = by_id(run(linked_store, "gender"))
    assert items["female"]["p"] == 3.0
    stages = by_id(run(linked_store, "career_stage"))
    assert set(stages) == {"early"}  # born 1985, papers of 2020: 35 years old


def test_trends_specialisation_and_shares(tmp_path: Path) -> None:
    # field 17: 2 JP of 4; field 25: 1 JP of 4. JP share of its papers in 17 = 2/3, world's 1/2
    records = [work(n, n, field="17", authors=[[("I1", "JP" if n <= 2 else "US")]]) for n in range(1, 5)]
    records += [work(n, n, field="25", authors=[[("I1", "JP" if n == 5 else "US")]]) for n in range(5, 9)]
    r = Reader(store_of(tmp_path, records))
    try:
        result = analytics.trends(r.engine, "field", Query(2020, 2020, country="JP"), width=1)
    finally:
        r.close()
    fields = {f["id"]: f for f in result["fields"]}
    assert fields["17"]["specialisation"] == pytest.approx((2 / 3) / (1 / 2))
    assert fields["25"]["specialisation"] == pytest.approx((1 / 3) / (1 / 2))
    assert fields["17"]["share_last"] == pytest.approx(0.5)
    # Top10% in a cell of 4: k = 0.4, all on the most cited (US in both cells)
    assert fields["17"]["top10_share_last"] == 0.0


def test_worker_processes_give_what_one_process_gives(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A large file is checked by worker processes (spawned); the store must not differ."""
    from ebpm.research import openalex
    from tests.research_helpers import write_jsonl

    records = [
        work(n, n % 7, authors=[[("I1", "JP"), ("I2", "US")], []], grants=["JP1"]) for n in range(1, 12_001)
    ]
    records.append(work(5, 99, updated="2020-01-01"))  # an older duplicate, in another chunk
    source = write_jsonl(tmp_path / "w.jsonl", records)
    contents = {}
    for count in ("1", "2"):
        monkeypatch.setenv("EBPM_IMPORT_WORKERS", count)
        monkeypatch.setattr(openalex, "PARALLEL_FROM", 0)
        monkeypatch.setattr(openalex, "CHUNK_BYTES", 100_000)  # many chunks, cut mid-line
        with open_store(tmp_path / f"{count}.duckdb") as con:
            summary = import_works(con, source)
            contents[count] = (
                summary.as_dict() | {"file": "", "dataset_id": None},
                con.execute("SELECT * FROM works ORDER BY work_id").fetchall(),
                con.execute("SELECT * FROM authorship_institutions ORDER BY ALL").fetchall(),
                con.execute("SELECT * FROM institutions ORDER BY ALL").fetchall(),
            )
    assert contents["1"] == contents["2"]
    assert contents["1"][0]["added"] == 12_000 and contents["1"][0]["duplicates"] == 1
    # lines keep their numbers across chunks: a bad line far into the file is named by its own
    lines = source.read_bytes().split(b"\n")
    lines[9_876] = b'{"id": "https://openalex.org/W1", "cited_by_count": -3}'
    source.write_bytes(b"\n".join(lines))
    with open_store(tmp_path / "bad.duckdb") as con, pytest.raises(ResearchImportError) as caught:
        import_works(con, source)
    assert caught.value.errors == ["w.jsonl: line 9877: cited_by_count: -3 is negative"]
