"""Search by meaning (issue 14): the documents' sentence vectors, their cache, and search
without them."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pytest

from ebpm.search import vectors
from ebpm.search.index import SearchIndex
from ebpm.search.vectors import E5, MODELS, USE, VectorCache, blend, embed_documents
from ebpm.services.ingest import ingest
from tests.conftest import Invoke

# a description that shares no word with what it asks for: ヒアリ等の侵略的外来種 (2.1.2.3.m5.a3)
DESCRIBED = "外国から荷物に紛れて来る毒蟻を防ぐ"
FIRE_ANTS = "2.1.2.3.m5.a3"


@pytest.fixture(scope="module")
def index(ingested_kb: Path) -> SearchIndex:
    return SearchIndex(ingested_kb)


@pytest.fixture(scope="module")
def words_only(ingested_kb: Path) -> SearchIndex:
    return SearchIndex(ingested_kb, vector_weight=0.0)


def test_a_description_finds_what_it_means(index: SearchIndex, words_only: SearchIndex) -> None:
    assert index.has_vectors and not words_only.has_vectors
    hits = index.search(DESCRIBED, limit=10).hits
    found = [h for h in hits if h.id == FIRE_ANTS]
    assert found, [h.id for h in hits]
    assert hits.index(found[0]) < 3
    assert FIRE_ANTS not in [h.id for h in words_only.search(DESCRIBED, limit=10).hits]


def test_a_hit_says_it_was_found_by_meaning(index: SearchIndex) -> None:
    """Only a hit whose text holds none of the query's words is marked: the reader sees why a
    hit without a highlighted word is there."""
    hit = next(h for h in index.search(DESCRIBED, limit=10).hits if h.id == FIRE_ANTS)
    assert hit.by_meaning and "<mark>" not in hit.snippet
    named = index.search("ヒアリ", limit=5).hits
    assert named[0].id == FIRE_ANTS and not named[0].by_meaning


def test_a_query_that_names_its_subject_keeps_it_first(index: SearchIndex, words_only: SearchIndex) -> None:
    """The vectors add what a query describes; they do not push down what it names."""
    for query in ("量子コンピュータ", "ムーンショット型研究開発制度", "ＳＩＰ", "博士後期課程学生の処遇"):
        first = words_only.search(query, limit=1).hits[0].id
        assert first in [h.id for h in index.search(query, limit=3).hits], query


def test_width_and_case_ask_the_same(index: SearchIndex) -> None:
    ranked = [[h.id for h in index.search(q, limit=20).hits] for q in ("ＡＩ", "ai", "AI")]
    assert ranked[0] == ranked[1] == ranked[2]


def test_filters_narrow_without_reordering(index: SearchIndex) -> None:
    every = [h.id for h in index.search(DESCRIBED, limit=2000).hits]
    actions = [h.id for h in index.search(DESCRIBED, kind="action", limit=2000).hits]
    assert actions == [i for i in every if i in set(actions)]
    assert FIRE_ANTS in actions[:3]


def test_vectors_are_cached_by_their_text(tmp_path: Path) -> None:
    cache = VectorCache(tmp_path / "vectors.sqlite")
    encoded: list[int] = []
    texts = ["量子技術の研究開発を推進する", "ヒアリの侵入を防ぐ", "量子技術の研究開発を推進する"]
    first = embed_documents(texts, lambda done, total: encoded.append(total), cache)
    assert encoded[-1] == 2 * len(MODELS)  # the repeated text is encoded once by each model
    again: list[int] = []
    second = embed_documents(texts[:2], lambda done, total: again.append(total), cache)
    assert again == [0]
    for name in MODELS:
        assert np.allclose(first[name][0], second[name][0], atol=1e-3)
        assert np.allclose(first[name][0], first[name][2])
        assert abs(float(np.linalg.norm(first[name][1])) - 1.0) < 1e-2
    assert len(first[E5][0]) != len(first[USE][0])  # two models, cached apart (384 and 512 wide)
    cache.close()


def test_a_stopped_encoding_keeps_what_it_encoded(tmp_path: Path) -> None:
    """Encoding a new edition takes minutes: an ingest stopped half-way loses none of it."""
    path = tmp_path / "vectors.sqlite"
    texts = [f"第{n}期の研究開発計画" for n in range(vectors.BATCH + 5)]

    def stop(done: int, total: int) -> None:
        if done == vectors.BATCH + 1:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        embed_documents(texts, stop, VectorCache(path))
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT count(*) FROM vectors").fetchone()[0] == vectors.BATCH
    left: list[int] = []
    embed_documents(texts, lambda done, total: left.append(total), VectorCache(path))
    assert left[0] == len(texts) * len(MODELS) - vectors.BATCH


def test_without_vectors_search_goes_by_words(tmp_path: Path, index: SearchIndex) -> None:
    db = tmp_path / "kb.sqlite"
    _, summary = ingest(None, db, vectors=False)
    assert summary.vectors == 0
    plain = SearchIndex(db)
    assert not plain.has_vectors
    hits = plain.search("ヒアリ", limit=3).hits
    assert hits[0].id == FIRE_ANTS and not any(h.by_meaning for h in hits)
    assert plain.search(DESCRIBED, limit=10).hits  # the words it does share still find something


def test_another_models_vectors_are_not_used(tmp_path: Path, ingested_kb: Path) -> None:
    """Vectors of another model are not comparable with this one's queries: searched by words."""
    db = tmp_path / "kb.sqlite"
    db.write_bytes(ingested_kb.read_bytes())
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE search_vectors SET model = 'another-' || model")
    assert not SearchIndex(db).has_vectors


def test_a_knowledge_base_with_one_models_vectors_searches_by_it(tmp_path: Path, ingested_kb: Path) -> None:
    """Built by the ebpm before the second model (e5 only): still searched by meaning, by e5."""
    db = tmp_path / "kb.sqlite"
    db.write_bytes(ingested_kb.read_bytes())
    with sqlite3.connect(db) as conn:
        conn.execute("DELETE FROM search_vectors WHERE model = ?", (USE,))
    older = SearchIndex(db)
    assert older._vectors is not None and list(older._vectors) == [E5]
    assert FIRE_ANTS in [h.id for h in older.search(DESCRIBED, limit=5).hits]


def test_the_blend_of_one_model_keeps_its_order() -> None:
    """Standardising a model's cosines changes their scale, never their order; the blend of two
    is each standardised, then weighted (so neither model's scale decides)."""
    rng = np.random.default_rng(1)
    one = rng.random(50).astype(np.float32)
    assert list(np.argsort(-blend({E5: one}))) == list(np.argsort(-one))
    other = (one * 100 + 7).astype(np.float32)  # the same ranking on another scale
    mixed = blend({E5: one, USE: other})
    assert np.allclose(mixed, blend({E5: one}) * (1 + vectors.WEIGHTS[USE] / vectors.WEIGHTS[E5]), atol=1e-4)


def test_ingest_reports_the_vectors(invoke: Invoke, tmp_path: Path) -> None:
    result = invoke("ingest", "--db", str(tmp_path / "kb.sqlite"))
    assert result.exit_code == 0, result.output
    assert "sentence vectors (search by meaning):" in result.output
    plain = invoke("ingest", "--db", str(tmp_path / "plain.sqlite"), "--no-vectors")
    assert plain.exit_code == 0 and "sentence vectors" not in plain.output
