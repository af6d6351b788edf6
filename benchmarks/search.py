"""Search quality and latency, against a plain baseline measured in the same run.

Quality: recall@10 and MRR on the query sets in tests/data/labels/ (relevant
elements judged by reading the document): the tuning set search_queries.json and
six held-out sets, each first scored before any change made after it. Baseline: SQLite FTS5 with
the trigram tokenizer over the normalized text of the same documents, the query
split on spaces and punctuation into terms OR-ed together (a trigram index
cannot match a term shorter than three characters), ranked by bm25().
Latency: every query run REPEAT times through ebpm's search API; p50 and p95.

    .venv/bin/python benchmarks/search.py [--repeat N] [-v]
"""

from __future__ import annotations

import argparse
import json
import re
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from ebpm.search.analysis import fold
from ebpm.search.index import SearchIndex
from ebpm.services.ingest import ingest

LABELS = Path(__file__).resolve().parents[1] / "tests" / "data" / "labels"
# the set the ranking was tuned on, and a held-out set scored without tuning
QUERY_SETS = (
    "search_queries.json",
    "search_queries_heldout.json",
    "search_queries_heldout2.json",
    "search_queries_heldout3.json",
    "search_queries_heldout4.json",
    "search_queries_heldout5.json",
    "search_queries_heldout6.json",
)
K = 10


def metrics(ranked: list[list[str]], relevant: list[set[str]]) -> tuple[float, float]:
    """Mean recall@K and mean reciprocal rank of the first relevant hit."""
    recalls, rr = [], []
    for hits, rel in zip(ranked, relevant, strict=True):
        recalls.append(len(set(hits[:K]) & rel) / len(rel))
        first = next((i for i, h in enumerate(hits) if h in rel), None)
        rr.append(0.0 if first is None else 1.0 / (first + 1))
    return statistics.mean(recalls), statistics.mean(rr)


class Baseline:
    """FTS5 trigram over the normalized text, in memory."""

    def __init__(self, index: SearchIndex) -> None:
        self.ids = [d.id for d in index.docs]
        self.db = sqlite3.connect(":memory:")
        self.db.execute("CREATE VIRTUAL TABLE docs USING fts5(text, tokenize='trigram')")
        self.db.executemany(
            "INSERT INTO docs(rowid, text) VALUES (?, ?)", [(d.doc, fold(d.text)) for d in index.docs]
        )

    def search(self, query: str) -> list[str]:
        terms = [t for t in re.split(r"[\s\W_]+", fold(query)) if len(t) >= 3]
        if not terms:
            return []
        match = " OR ".join('"' + t.replace('"', '""') + '"' for t in terms)
        rows = self.db.execute(
            "SELECT rowid FROM docs WHERE docs MATCH ? ORDER BY bm25(docs) LIMIT ?", (match, K * 5)
        ).fetchall()
        return [self.ids[r[0]] for r in rows]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=20)
    ap.add_argument("-v", action="store_true", help="print the queries the engine misses")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "kb.sqlite"
        ingest(None, db)
        index = SearchIndex(db)
        base = Baseline(index)
        latencies: list[float] = []
        pooled: list[tuple[float, float]] = []  # (ebpm, baseline) recall@K of every query
        for name in QUERY_SETS:
            if not (LABELS / name).exists():
                continue
            queries = json.loads((LABELS / name).read_text(encoding="utf-8"))["queries"]
            pooled += report(name, queries, index, base, args.v)
            for _ in range(args.repeat):
                for q in queries:
                    t0 = time.perf_counter()
                    index.search(q["query"], limit=K)
                    latencies.append(time.perf_counter() - t0)
        index.close()
    print(
        f"all {len(pooled)} queries: ebpm recall@{K} {statistics.mean(r for r, _ in pooled):.3f}, "
        f"baseline {statistics.mean(b for _, b in pooled):.3f}"
    )
    cuts = statistics.quantiles(latencies, n=20)
    print(
        f"latency over {len(latencies)} queries: p50 {statistics.median(latencies) * 1000:.1f} ms, "
        f"p95 {cuts[18] * 1000:.1f} ms, max {max(latencies) * 1000:.1f} ms (target p95 < 20 ms)"
    )


def report(
    name: str, queries: list[dict[str, Any]], index: SearchIndex, base: Baseline, verbose: bool
) -> list[tuple[float, float]]:
    """Print one set's figures; return each query's (ebpm, baseline) recall@K."""
    relevant = [set(q["relevant"]) for q in queries]
    ours = [[h.id for h in index.search(q["query"], limit=K * 5).hits] for q in queries]
    theirs = [base.search(q["query"]) for q in queries]
    r_ours, m_ours = metrics(ours, relevant)
    r_base, m_base = metrics(theirs, relevant)
    print(f"{name}: {len(queries)} queries")
    print(f"  ebpm search            recall@{K} {r_ours:.3f}   MRR {m_ours:.3f}")
    print(f"  baseline FTS5 trigram  recall@{K} {r_base:.3f}   MRR {m_base:.3f}")
    for kind in sorted({q["type"] for q in queries}):
        sel = [i for i, q in enumerate(queries) if q["type"] == kind]
        r1, m1 = metrics([ours[i] for i in sel], [relevant[i] for i in sel])
        r2, m2 = metrics([theirs[i] for i in sel], [relevant[i] for i in sel])
        print(f"    {kind:13s} ebpm recall@{K} {r1:.3f} MRR {m1:.3f} | baseline {r2:.3f} / {m2:.3f}")
    if verbose:
        for q, hits, rel in zip(queries, ours, relevant, strict=True):
            found = set(hits[:K]) & rel
            if len(found) < len(rel):
                print(f"    {q['query']}: missing {sorted(rel - found)}; top: {hits[:5]}")
    return [
        (len(set(a[:K]) & rel) / len(rel), len(set(b[:K]) & rel) / len(rel))
        for a, b, rel in zip(ours, theirs, relevant, strict=True)
    ]


if __name__ == "__main__":
    main()
