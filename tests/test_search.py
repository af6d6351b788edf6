"""Search: Japanese-aware matching, ranking, filters, facets, snippets and bad queries."""

from __future__ import annotations

import json
import statistics
from datetime import date
from pathlib import Path

import pytest

from ebpm.search.analysis import analyse, fold
from ebpm.search.feedback import FEEDBACK_WEIGHT, Feedback
from ebpm.search.index import MAX_QUERY, QueryError, SearchIndex
from ebpm.services.ingest import ingest
from tests.conftest import Invoke

LABELS = Path(__file__).parent / "data" / "labels"


@pytest.fixture(scope="module")
def kb(ingested_kb: Path) -> Path:
    return ingested_kb


@pytest.fixture(scope="module")
def index(kb: Path) -> SearchIndex:
    """The default index: no data written for the 2023 text."""
    return SearchIndex(kb)


@pytest.fixture(scope="module")
def lexical(kb: Path) -> SearchIndex:
    """The default index without its sentence vectors: the tests of one lexical mechanism
    (synonym groups, feedback, phrasings) see that mechanism alone."""
    return SearchIndex(kb, vector_weight=0.0)


@pytest.fixture(scope="module")
def extras_kb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("extras") / "kb.sqlite"
    ingest(None, path, search_extras=True)
    return path


@pytest.fixture(scope="module")
def extras(extras_kb: Path) -> SearchIndex:
    """The index with the optional extras written for the 2023 text (phrasings, thesaurus), by
    words only (see ``lexical``)."""
    return SearchIndex(extras_kb, vector_weight=0.0)


def ids(index: SearchIndex, query: str, **filters: object) -> list[str]:
    return [h.id for h in index.search(query, **filters).hits]  # type: ignore[arg-type]


def test_hits_carry_provenance(index: SearchIndex) -> None:
    results = index.search("量子コンピュータ", limit=5)
    assert results.total >= 5 and len(results.hits) == 5
    scores = [h.score for h in results.hits]
    assert scores == sorted(scores, reverse=True)
    for h in results.hits:
        assert h.line_start <= h.line_end and h.kind
        assert "<mark>" in h.snippet
        if h.kind == "action":
            assert h.measure_id and h.id.startswith(h.measure_id + ".a")


def test_width_case_and_kangxi_folding(index: SearchIndex) -> None:
    assert ids(index, "ＡＩ") == ids(index, "ai") == ids(index, "AI")
    # the text writes 大学 with the Kangxi look-alike ⼤; the query with the ordinary character
    top = index.search("大学ファンド", limit=3).hits
    assert top and "⼤学ファンド" in top[0].snippet.replace("<mark>", "").replace("</mark>", "")


def test_abbreviations_expand_both_ways(index: SearchIndex) -> None:
    # 人工知能 is the glossary's name for ＡＩ: items that only say ＡＩ are found
    hits = index.search("人工知能", limit=20).hits
    assert any("ＡＩ" in h.snippet and "⼈⼯知能" not in h.snippet for h in hits)
    # the English full name finds the abbreviation the text uses
    assert any("ＤＦＦＴ" in h.snippet for h in index.search("Data Free Flow with Trust", limit=10).hits)
    # a query that is the full name itself means the abbreviation as much as the name
    assert ("ura", 1.0) in index._expand(fold("リサーチ・アドミニストレーター"))
    assert ("ura", 1.0) not in index._expand(fold("リサーチ・アドミニストレーターの育成"))


def test_synonym_groups_reach_words_not_in_the_query(kb: Path, lexical: SearchIndex) -> None:
    """年寄り and 老人 are not in the strategy; SudachiDict puts them in the group (13456) of
    高齢者 and シニア, which are."""
    index = lexical
    held = {index.docs[n].id for n in index._meanings.postings["#13456"]}
    assert len(held) == 3
    assert all(
        "高齢者" in fold(index.docs[n].text) or "シニア" in index.docs[n].text
        for n in index._meanings.postings["#13456"]
    )
    without = SearchIndex(kb, meaning_weight=0.0, vector_weight=0.0)
    for query in ("年寄り", "老人"):
        assert set(ids(index, query)[:3]) <= held
        assert not ids(without, query)
    # the query's words are weighed through the same groups: 減らす is in 2 groups, one of them 削減's
    typed, groups = analyse("ごみを減らす")
    assert typed == ["ごみ", "減らす"] and groups["#23212"] == pytest.approx(0.5)


def test_a_word_in_many_groups_counts_for_none() -> None:
    from ebpm.search import analysis

    # AI: 5 groups (one of them artificial insemination); ごみ: 2, each given half
    assert analyse("ごみ")[1] == {"#8536": 0.5, "#19207": 0.5}
    assert len(analyse("AI")[1]) == 5
    limit = analysis.MAX_GROUPS
    try:
        analysis.MAX_GROUPS = 4
        assert analyse("AI")[1] == {}
    finally:
        analysis.MAX_GROUPS = limit
    # one pass in split mode C gives both: the mode-A words and the compound's groups
    assert analyse("人工知能")[0] == ["人工", "知能"] and "#10717" in analyse("人工知能")[1]


def test_the_default_index_uses_no_data_written_for_2023(index: SearchIndex, extras: SearchIndex) -> None:
    assert index.extras == frozenset() and not index._phrasings and not index._synonyms
    assert extras.extras == {"phrasings", "thesaurus"} and extras._phrasings and extras._synonyms
    # the extras can be left out of a knowledge base built with them
    assert not SearchIndex(Path(extras._engine.url.database or ""), extras=frozenset())._phrasings


def test_inflected_everyday_words_meet_the_thesaurus(extras: SearchIndex) -> None:
    # 減らしたい is the verb 減らす, which the thesaurus pairs with the strategy's 削減/軽減
    expanded = {text for text, _ in extras._expand(fold("負担を減らしたい"))}
    assert expanded & {"削減", "軽減", "低減"}
    # a one-character entry (海) is a word of the query, not a piece of another word (海外)
    assert not {"海洋", "海底"} & {text for text, _ in extras._expand(fold("海外の研究者"))}


def test_feedback_reaches_items_that_share_no_typed_word(
    lexical: SearchIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    index = lexical
    # the action that builds e-CSTI describes the tool without naming it; the top hits about
    # e-CSTI share its words (インプット, アウトプット, 比較・分析)
    with_feedback = ids(index, "e-CSTI")
    assert "2.6.2.m1.a1" in with_feedback
    monkeypatch.setattr("ebpm.search.feedback.FEEDBACK_WEIGHT", 0.0)
    without = ids(index, "e-CSTI")
    assert "2.6.2.m1.a1" not in without
    # the first places stay those of the words typed
    assert with_feedback[:3] == without[:3]


def test_feedback_terms_are_distinctive_and_weighed_against_the_query() -> None:
    postings = {"量子": {0: 2, 1: 1}, "暗号": {0: 1}, "通信": {1: 1}}
    postings["共通"] = dict.fromkeys(range(40), 1)  # in every document: no topic
    fb = Feedback(postings, n_docs=40)
    terms = dict(fb.terms([0, 1], typed={"量子"}, mass=2.0))
    assert set(terms) == {"暗号", "通信"}
    assert sum(terms.values()) == pytest.approx(FEEDBACK_WEIGHT * 2.0)
    assert fb.terms([], typed=set(), mass=1.0) == []


@pytest.mark.parametrize("query", ["量子", "論文を無料で読めるようにする", "ＰＲＩＳＭ"])
def test_a_filter_narrows_the_hits_without_changing_them(index: SearchIndex, query: str) -> None:
    # feedback reads the best hits of the whole strategy, so facet counts stay true under a filter
    everything = index.search(query, limit=2000)
    for kind, count in everything.facets["kind"].items():
        narrowed = index.search(query, kind=kind, limit=2000)
        assert narrowed.total == count
        assert {h.id for h in narrowed.hits} == {h.id for h in everything.hits if h.kind == kind}


def test_filters_and_facets(index: SearchIndex) -> None:
    results = index.search("研究", section="2.2", ministry="文", kind="action", limit=50)
    assert results.hits
    for h in results.hits:
        assert h.kind == "action" and h.section.startswith("2.2") and "文" in h.ministries
    assert set(results.facets) == {"kind", "section", "ministry"}
    assert results.facets["kind"] == {"action": results.total}
    due = index.search("整備", due_by=date(2024, 3, 31), limit=50).hits
    assert due and all(h.due is not None and h.due <= "2024-03-31" for h in due)


@pytest.mark.parametrize(
    ("query", "filters", "message"),
    [
        ("", {}, "empty"),
        ("   ", {}, "empty"),
        ("あ" * 2000, {}, f"at most {MAX_QUERY}"),
        ("！？、。…", {}, "no letters or digits"),
        ("研究", {"ministry": "XYZ"}, "unknown ministry"),
        ("研究", {"section": "9.9"}, "unknown section"),
        ("研究", {"kind": "table"}, "unknown kind"),
    ],
)
def test_bad_queries_are_clear_errors(
    index: SearchIndex, query: str, filters: dict[str, str], message: str
) -> None:
    with pytest.raises(QueryError, match=message):
        index.search(query, **filters)  # type: ignore[arg-type]


@pytest.mark.parametrize("query", ["NEAR", "OR", 'AI OR "量子" NEAR(x y) *', "'; DROP TABLE x; --", "研究*"])
def test_query_syntax_is_just_text(index: SearchIndex, query: str) -> None:
    index.search(query)  # FTS operators and SQL are searched as text, never executed


@pytest.mark.parametrize("query", ['"', "*", '"*"', "()"])
def test_syntax_alone_is_a_clear_error(index: SearchIndex, query: str) -> None:
    with pytest.raises(QueryError, match="no letters or digits"):
        index.search(query)


def test_cli_search(invoke: Invoke, kb: Path) -> None:
    out = invoke("search", "スマートシティ 都市ＯＳ", "--db", str(kb), "--json", "--limit", "3")
    assert out.exit_code == 0, out.output
    payload = json.loads(out.stdout)
    assert payload["total"] >= 3 and len(payload["hits"]) == 3
    hit = payload["hits"][0]
    assert {"id", "kind", "section", "line_start", "line_end", "score", "snippet"} <= set(hit)
    assert set(payload["facets"]) == {"kind", "section", "ministry"}
    out = invoke("search", "スマートシティ", "--db", str(kb))
    assert out.exit_code == 0 and "スマートシティ" in out.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["", "--json"], "empty"),
        (["研究", "--ministry", "XYZ"], "unknown ministry"),
        (["研究", "--due-by", "soon"], "not a date"),
    ],
)
def test_cli_search_bad_input(invoke: Invoke, kb: Path, args: list[str], message: str) -> None:
    out = invoke("search", *args, "--db", str(kb))
    assert out.exit_code == 1 and message in out.output and "Traceback" not in out.output


def test_recall_on_the_labelled_queries(index: SearchIndex) -> None:
    """Floor under the figure benchmarks/search.py reports for the tuning set (default engine: 0.807
    since the body text is indexed; the labels judge rows, actions and indicators only)."""
    queries = json.loads((LABELS / "search_queries.json").read_text(encoding="utf-8"))["queries"]
    recalls = []
    for q in queries:
        hits = set(ids(index, q["query"], limit=10))
        recalls.append(len(hits & set(q["relevant"])) / len(q["relevant"]))
    assert statistics.mean(recalls) >= 0.80


def test_every_query_set_names_elements_the_index_holds(index: SearchIndex) -> None:
    """A parser change that renames ids must not silently empty the evaluation."""
    known = {d.id for d in index.docs}
    sets = sorted(LABELS.glob("search_queries*.json"))
    assert len(sets) >= 10
    recalls = []
    for path in sets:
        data = json.loads(path.read_text(encoding="utf-8"))
        assert data["exposure"], path.name  # what the set has been exposed to, printed by the benchmark
        for q in data["queries"]:
            assert set(q["relevant"]) <= known, (path.name, q["query"])
            hits = set(ids(index, q["query"], limit=10))
            recalls.append(len(hits & set(q["relevant"])) / len(q["relevant"]))
    # a floor under the pooled figure benchmarks/search.py reports for the default engine (0.781
    # over 410 queries; the paraphrase halves of the held-out sets 7, 8 and 9 pull it down)
    assert statistics.mean(recalls) >= 0.76


def test_long_texts_are_tokenized_in_pieces() -> None:
    """SudachiPy refuses more than 49,149 bytes at once; a long document or query must not fail."""
    from ebpm.search.analysis import MAX_CHUNK_BYTES, _chunks, words

    text = "量子技術の研究開発を推進する。" * 5000 + "\n" + "あ" * 40_000
    pieces = _chunks(text)
    assert "".join(pieces) == text
    assert all(len(p.encode()) <= MAX_CHUNK_BYTES for p in pieces)
    assert words(text).count("量子") == 5000


def test_a_knowledge_base_without_an_index_is_a_clear_error(invoke: Invoke, tmp_path: Path) -> None:
    import sqlite3

    old = tmp_path / "old.sqlite"
    sqlite3.connect(old).execute("CREATE TABLE document (key TEXT, value TEXT)")
    out = invoke("search", "研究", "--db", str(old))
    assert out.exit_code == 1 and "no search index" in out.output and "Traceback" not in out.output


def test_search_from_many_threads(index: SearchIndex) -> None:
    """The web server searches from a thread pool: concurrent searches must all succeed."""
    from concurrent.futures import ThreadPoolExecutor

    queries = ["女性研究者の活躍", "量子コンピュータ", "ＳＢＩＲ", "スタートアップ支援", "脱炭素"] * 8
    expected = {q: ids(index, q) for q in set(queries)}
    with ThreadPoolExecutor(max_workers=8) as pool:
        got = list(pool.map(lambda q: (q, ids(index, q)), queries))
    assert all(result == expected[q] for q, result in got)


def test_everyday_words_find_administrative_language(index: SearchIndex, lexical: SearchIndex) -> None:
    """お年寄り is not in the strategy; 高齢者 is: its synonym group finds it first, and the
    default (the sentence vectors taking part) among its first hits."""

    def elderly(searched: SearchIndex, limit: int) -> list[bool]:
        hits = searched.search("お年寄り", limit=limit).hits
        assert hits and all("お年寄り" not in h.snippet for h in hits)
        # the raw text writes ⾼ (a Kangxi radical)
        text = {d.id: d.text for d in searched.docs}
        return ["高齢" in fold(text[h.id]) for h in hits]

    assert elderly(lexical, 1) == [True]
    assert any(elderly(index, 5))


def test_an_indicators_footnotes_come_with_it(index: SearchIndex) -> None:
    """The footnotes an indicator cites are the sources of its figure: they rank with it."""
    hits = ids(index, "防災チャットボット")
    assert "2.1.3.kpi.2" in hits
    assert {"fn71", "fn72"} <= set(hits)


def test_questions_about_figures_rank_indicators(index: SearchIndex) -> None:
    """いくつ / 目標は ask for a number: the indicators that hold it rank higher than without."""
    asking = ids(index, "都市OSを導入している地域はいまいくつあるのか")
    plain = ids(index, "都市OSを導入している地域")
    assert {"2.1.5.ref.2", "2.1.5.ref.3"} <= set(asking)
    assert sum(i.startswith("2.1.5.ref") for i in asking) >= sum(i.startswith("2.1.5.ref") for i in plain)


def test_paraphrases_apply_only_to_the_text_they_were_written_for(monkeypatch: pytest.MonkeyPatch) -> None:
    from ebpm.search import paraphrases as module
    from ebpm.search.documents import SearchDoc

    def doc(id_: str, text: str) -> SearchDoc:
        return SearchDoc(id_, "measure", "2.1.1", (), 1, 2, text, None, None)

    same, changed = doc("2.1.1.1.m1", "〇技術流出の防止"), doc("2.1.1.1.m2", "〇新しい文")
    bundled = {
        same.id: {"fingerprint": module.fingerprint("〇 技術流出の防止 "), "phrases": ["技術の持ち出し対策"]},
        changed.id: {"fingerprint": module.fingerprint("〇古い文"), "phrases": ["古い言い換え"]},
        "2.9.9.m9": {"fingerprint": "0", "phrases": ["ない行"]},
    }
    monkeypatch.setattr(module, "_bundled", lambda: bundled)
    # spacing does not change a fingerprint; other words do
    assert module.paraphrases([same, changed]) == {same.id: ["技術の持ち出し対策"]}


def test_plain_phrasings_written_for_a_row_find_it(
    extras: SearchIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 和製LLM is not in the strategy; the phrasings written for the action building a Japanese
    # large language model say it, so that action comes first
    assert ids(extras, "和製LLM")[0] == "2.4.1.m1.a22"
    monkeypatch.setattr("ebpm.search.index.PARAPHRASE_WEIGHT", 0.0)
    assert ids(extras, "和製LLM")[0] != "2.4.1.m1.a22"


def test_a_hit_found_through_a_phrasing_says_so(extras: SearchIndex) -> None:
    top = extras.search("和製LLM", limit=1).hits[0]
    assert top.id == "2.4.1.m1.a22" and top.via  # its text says neither 和製 nor LLM
    assert all(not h.via for h in extras.search("量子コンピュータ", limit=10).hits)  # the text says it


def test_search_json_shows_the_phrasing_that_matched(invoke: Invoke, extras_kb: Path) -> None:
    kb = extras_kb
    hits = json.loads(invoke("search", "和製LLM", "--json", "--limit", "5", "--db", str(kb)).stdout)["hits"]
    # (the command searches with the sentence vectors too: the action is among the first, not first)
    assert any(h["id"] == "2.4.1.m1.a22" and h["via"] for h in hits)
    # a hit whose own text says what was typed carries no phrasing
    plain = json.loads(invoke("search", "量子コンピュータ", "--json", "--db", str(kb)).stdout)["hits"]
    assert plain and all("via" not in h for h in plain)
