"""``ebpm research`` from the command line: bad input is a clear error and writes nothing."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import duckdb
import pytest

from tests.conftest import Invoke
from tests.research_helpers import work, write_jsonl

CONTRACT = {"id", "name", "p", "p_top10", "pp_top10", "p_top1", "pp_top1", "mncs"}


def _count(store: Path, table: str = "works") -> int:
    if not store.exists():
        return 0
    con = duckdb.connect(str(store), read_only=True)
    try:
        row = con.execute(f"SELECT count(*) FROM {table}").fetchone()
        return int(row[0]) if row else 0
    finally:
        con.close()


def _fails(invoke: Invoke, *args: str, expect: str) -> str:
    result = invoke("research", "import", *args, "--research-db", "r.duckdb")
    out = result.output
    assert result.exit_code == 1, out
    assert expect in out, out
    assert "Traceback" not in out
    return out


@pytest.mark.parametrize(
    ("lines", "expect"),
    [
        (
            ['{"id": "https://openalex.org/W1", "cited_by_count": 1}', '{"id": "W2", "cited_by'],
            "line 2: not valid JSON",
        ),
        (['{"type": "article", "publication_year": 2020}'], "line 1: id: missing"),
        (['{"id": "W1", "cited_by_count": -3}'], "line 1: cited_by_count: -3 is negative"),
        (['{"id": "W1", "cited_by_count": "many"}'], "line 1: cited_by_count: 'many' is not a whole number"),
        (['{"id": "W1", "publication_year": 2999}'], "line 1: publication_year: 2999 is in the future"),
        (['{"id": "W1", "authorships": {"author": 1}}'], "line 1: authorships: expected a list"),
        (["id,doi", "W1,10.1/x"], "line 1: not valid JSON"),
        (["[", '{"id": "W1"}', "]"], "is this a JSON Lines file"),
        (
            ['{"id": "W1", "authorships": [{"institutions": [null]}]}'],
            "line 1: authorships[0].institutions[0]: expected an object, got null",
        ),
        (['{"id": "W1", "primary_topic": 27}'], "line 1: primary_topic: expected an object, got int"),
        (
            ['{"id": "W1", "authorships": [{"countries": ["J\\u001fP"]}]}'],
            "line 1: authorships[0].countries: 'J\\x1fP' is not a country code",
        ),
        (['{"id": "W1", "counts_by_year": [{"year": "2020"}]}'], "counts_by_year[0].year: '2020' is not"),
    ],
)
def test_bad_openalex_lines_name_the_line_and_write_nothing(
    invoke: Invoke, tmp_path: Path, lines: list[str], expect: str
) -> None:
    path = tmp_path / "works.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = _fails(invoke, "openalex", str(path), expect=expect)
    assert "nothing was imported" in out
    assert _count(tmp_path / "r.duckdb") == 0


def test_a_truncated_gzip_file_is_a_clear_error(invoke: Invoke, tmp_path: Path) -> None:
    raw = "".join(json.dumps(work(n, n)) + "\n" for n in range(1, 400)).encode()
    data = gzip.compress(raw)
    path = tmp_path / "works.jsonl.gz"
    path.write_bytes(data[: len(data) // 2])
    _fails(invoke, "openalex", str(path), expect="damaged or cut short")
    assert _count(tmp_path / "r.duckdb") == 0


def test_import_is_idempotent_and_dry_run_writes_nothing(invoke: Invoke, tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "w.jsonl", [work(1, 3), work(2, 5), work(3, 1, work_type="preprint")])
    dry = invoke("research", "import", "openalex", str(path), "--dry-run", "--research-db", "r.duckdb")
    assert dry.exit_code == 0 and "would import" in dry.output
    assert _count(tmp_path / "r.duckdb") == 0
    first = invoke("research", "import", "openalex", str(path), "--research-db", "r.duckdb")
    assert "3 added" in first.output and "left out of the analysis: 1 (type preprint)" in first.output
    again = invoke("research", "import", "openalex", str(path), "--research-db", "r.duckdb")
    assert "0 added, 0 replaced by a newer version, 3 unchanged" in again.output
    assert _count(tmp_path / "r.duckdb", "datasets") == 1  # the no-op import recorded nothing


FUNDING_HEADER = "課題番号,配分機関,研究種目,資金種別,研究機関,研究者番号,年度,配分額（千円）\n"


@pytest.mark.parametrize(
    ("body", "header", "expect"),
    [
        (
            "JP1,JSPS,B,ムーンショット,I1,1,2020,100\n",
            FUNDING_HEADER,
            "line 2: funding_type: 'ムーンショット'",
        ),
        ("JP1,JSPS,B,科研費,I1,1,2020,12ドル\n", FUNDING_HEADER, "line 2: amount: '12ドル' is not an amount"),
        (
            "JP1,JSPS,B,科研費,I1,1,2999,100\n",
            FUNDING_HEADER,
            "line 2: fiscal_year: fiscal year 2999 is out of range",
        ),
        ("JP1,JSPS,B,科研費,I1,1,2020,100\n", FUNDING_HEADER.replace("千円", "ドル"), "unknown unit 'ドル'"),
        ("JP1,JSPS,B,科研費,X,1,2020,100\n", FUNDING_HEADER, "line 2: institution: 'X' is neither a ROR id"),
        ("a,b\n", "name,value\n", "missing column(s)"),
    ],
)
def test_bad_funding_rows_name_line_and_field(
    invoke: Invoke, tmp_path: Path, body: str, header: str, expect: str
) -> None:
    path = tmp_path / "funding.csv"
    path.write_text(header + body, encoding="utf-8")
    _fails(invoke, "funding", str(path), expect=expect)
    assert _count(tmp_path / "r.duckdb", "funding") == 0


def test_funding_in_cp932_with_one_bad_row_writes_nothing_then_imports(
    invoke: Invoke, tmp_path: Path
) -> None:
    path = tmp_path / "funding.csv"
    good = 'ＪＰ２０Ｈ０１２３４,日本学術振興会,基盤研究(B),科研費,https://ror.org/0abcdef12,12345678,令和2年度,"1,200"\n'
    path.write_bytes((FUNDING_HEADER + good + "JP2,JSPS,B,寄付,I1,,2020,5\n").encode("cp932"))
    _fails(invoke, "funding", str(path), expect="line 3: funding_type")
    assert _count(tmp_path / "r.duckdb", "funding") == 0
    path.write_bytes((FUNDING_HEADER + good).encode("cp932"))
    ok = invoke("research", "import", "funding", str(path), "--research-db", "r.duckdb")
    assert ok.exit_code == 0, ok.output
    con = duckdb.connect(str(tmp_path / "r.duckdb"), read_only=True)
    row = con.execute("SELECT award_key, fiscal_year, amount_yen, institution_ref FROM funding").fetchone()
    con.close()
    assert row == ("jp20h01234", 2020, 1_200_000, "ror:0abcdef12")


def test_a_file_of_the_wrong_kind(invoke: Invoke, tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "w.jsonl", [work(1, 1)])
    _fails(invoke, "funding", str(path), expect="unknown file type '.jsonl'")
    _fails(invoke, "openalex", str(tmp_path / "missing.jsonl"), expect="no such file")


def test_researchers_and_patents(invoke: Invoke, tmp_path: Path) -> None:
    people = tmp_path / "people.csv"
    people.write_text(
        "研究者番号,OpenAlex著者ID,ORCID,性別,生年\n1,A9,0000-0002-1825-0097,宇宙人,1980\n", encoding="utf-8"
    )
    _fails(invoke, "researchers", str(people), expect="line 2: gender: '宇宙人' is not a gender")
    patents = tmp_path / "patents.csv"
    patents.write_text("docdb_family_id,npl_doi\n123,not-a-doi\n", encoding="utf-8")
    _fails(invoke, "patents", str(patents), expect="line 2: cited_work: 'not-a-doi'")


def test_indicators_json_contract_and_csv(invoke: Invoke, research_db: Path) -> None:
    result = invoke(
        "research", "indicators", "--by", "institution", "--json", "--research-db", str(research_db)
    )
    assert result.exit_code == 0, result.output
    items = json.loads(result.stdout)
    assert items and set(items[0]) >= CONTRACT
    assert all(i["id"].startswith("I") for i in items)
    countries = json.loads(
        invoke(
            "research", "indicators", "--by", "country", "--json", "--research-db", str(research_db)
        ).stdout
    )
    assert "JP" in {c["id"] for c in countries}
    csv_out = invoke(
        "research", "indicators", "--by", "field", "--csv", "--research-db", str(research_db)
    ).stdout
    assert csv_out.splitlines()[0].startswith("id,name,p,p_top10")
    table = invoke("research", "indicators", "--research-db", str(research_db))
    assert "SAMPLE" in table.output


def test_inputs_outputs_trends_and_status(invoke: Invoke, research_db: Path) -> None:
    db = ("--research-db", str(research_db))
    io = invoke("research", "inputs-outputs", "--by", "funding_type", "--json", *db)
    assert io.exit_code == 0, io.output
    kinds = {i["id"] for i in json.loads(io.stdout)}
    assert {"kakenhi", "opex"} <= kinds
    trends = json.loads(invoke("research", "trends", "--by", "field", "--json", *db).stdout)
    assert trends["fields"] and trends["windows"]
    table = invoke("research", "trends", *db)
    assert table.exit_code == 0 and "fastest-growing" in table.output
    patents = invoke("research", "trends", "--patents", *db)
    assert patents.exit_code == 0 and "patent families" in patents.output
    status = json.loads(invoke("research", "status", "--json", *db).stdout)
    assert status["sample"] is True and status["counts"]["works"] > 0


def test_bad_options_are_clear(invoke: Invoke, research_db: Path) -> None:
    db = ("--research-db", str(research_db))
    for args, expect in (
        (("indicators", "--by", "planet"), "--by 'planet'"),
        (("indicators", "--years", "20x"), "--years '20x'"),
        (("indicators", "--counting", "half"), "counting: 'half'"),
        (("indicators", "--country", "japan"), "country: 'japan'"),
        (("inputs-outputs", "--by", "country"), "--by 'country'"),
    ):
        result = invoke("research", *args, *db)
        assert result.exit_code == 1 and expect in result.output, result.output
    missing = invoke("research", "indicators", "--research-db", "nowhere.duckdb")
    assert missing.exit_code == 1 and "no research store" in missing.output


def test_funding_types_are_editable(invoke: Invoke, tmp_path: Path) -> None:
    db = ("--research-db", "r.duckdb")
    listed = invoke("research", "funding-types", "list", "--json", *db)
    assert len(json.loads(listed.stdout)) == 7
    assert (
        invoke("research", "funding-types", "add", "moonshot", "ムーンショット", "Moonshot", *db).exit_code
        == 0
    )
    path = tmp_path / "funding.csv"
    path.write_text(FUNDING_HEADER + "M1,JST,MS,ムーンショット,I1,,2020,100\n", encoding="utf-8")
    assert invoke("research", "import", "funding", str(path), *db).exit_code == 0
    refused = invoke("research", "funding-types", "remove", "moonshot", *db)
    assert refused.exit_code == 1 and "used by 1 funding records" in refused.output


def test_feed_indicators_writes_the_strategy_series(
    invoke: Invoke, research_db: Path, kb_file: Path, tmp_path: Path
) -> None:
    args = (
        "--research-db",
        str(research_db),
        "--db",
        str(kb_file),
        "--monitoring-db",
        str(tmp_path / "m.sqlite"),
    )
    dry = invoke("research", "feed-indicators", "--dry-run", *args)
    assert dry.exit_code == 0, dry.output
    assert "would write" in dry.output
    done = invoke("research", "feed-indicators", *args)
    assert done.exit_code == 0, done.output
    obs = invoke(
        "indicators", "observations", "2.2.1.ref.1", "--json", "--db", str(kb_file),
        "--monitoring-db", str(tmp_path / "m.sqlite"),
    )  # fmt: skip
    rows = json.loads(obs.stdout)
    computed = [
        r
        for r in (rows if isinstance(rows, list) else rows["observations"])
        if "ebpm research" in r["source"]
    ]
    assert computed and all(0 < r["value"] < 100 for r in computed)
    again = invoke("research", "feed-indicators", *args)
    assert " 0 added, 0 revised" in again.output


def test_a_store_of_another_schema_or_not_a_store_is_a_clear_error(invoke: Invoke, tmp_path: Path) -> None:
    con = duckdb.connect(str(tmp_path / "old.duckdb"))
    con.execute("CREATE TABLE meta (key VARCHAR, value VARCHAR)")
    con.execute("INSERT INTO meta VALUES ('schema_version', '1')")
    con.close()
    old = invoke("research", "status", "--research-db", "old.duckdb")
    assert old.exit_code == 1 and "schema 1 is not" in old.output
    (tmp_path / "text.duckdb").write_text("not a database", encoding="utf-8")
    other = invoke("research", "indicators", "--research-db", "text.duckdb")
    assert other.exit_code == 1 and "text.duckdb" in other.output and "Traceback" not in other.output
