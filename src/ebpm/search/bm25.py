"""BM25 over one field of a set of documents, with phrases scored by how much of them a document holds.

The one BM25 of ebpm: search (words, synonym groups, phrasings, character trigrams) and budget
mapping use it."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping

import numpy as np

K1, B = 1.2, 0.75

# A query as scored: (words of one phrase, weight). A word typed is a phrase of its own.
Phrases = list[tuple[tuple[str, ...], float]]


class Field:
    """The postings of one field (each word's count in each document that holds it), in memory.

    ``fts5_idf``: the IDF of SQLite FTS5's ``bm25()``, ``log((N - n + 0.5) / (n + 0.5))`` and
    1e-6 where that is not positive, instead of Lucene's ``log(1 + …)``. The trigram field
    scores what FTS5 used to score for it, so that moving it into memory changed no ranking.
    """

    def __init__(
        self,
        postings: Iterable[tuple[str, int, float]],
        lengths: Mapping[int, float],
        n_docs: int,
        fts5_idf: bool = False,
    ):
        by_term: dict[str, dict[int, float]] = defaultdict(dict)
        for term, doc, tf in postings:
            by_term[term][doc] = tf
        self.postings = dict(by_term)
        self._lengths = lengths
        self._n = max(1, n_docs)
        self._fts5 = fts5_idf
        self._avg = (sum(lengths.values()) / len(lengths) if lengths else 0.0) or 1.0
        self._idf = {term: self._idf_of(len(docs)) for term, docs in self.postings.items()}
        # each posting's BM25 weight, computed once: a search reads thousands of them
        self._weights = {
            term: {doc: self._weight_of(term, doc, tf) for doc, tf in docs.items()}
            for term, docs in self.postings.items()
        }

    def _idf_of(self, n: int) -> float:
        if self._fts5:
            idf = math.log((self._n - n + 0.5) / (n + 0.5))
            return idf if idf > 0.0 else 1e-6
        return math.log(1 + (self._n - n + 0.5) / (n + 0.5))

    def idf(self, term: str) -> float:
        idf = self._idf.get(term)
        return self._idf_of(0) if idf is None else idf

    def score(self, phrases: Phrases, scores: dict[int, float], weight: float = 1.0) -> None:
        """Add ``weight`` × BM25 of each phrase's words, in proportion to how much of it a document holds.

        An expansion of several words counts in full where all of them occur, and otherwise
        by the share of the phrase's IDF that does: 高齢の方 (for お年寄り) finds 高齢 more
        than it finds every 方. A word met through several phrases counts once, at the
        largest weight.
        """
        weight_of: dict[tuple[str, int], float] = {}
        for said, phrase_weight in phrases:
            idf = [self.idf(w) for w in said]
            whole = sum(idf) or 1.0
            if len(said) == 1:
                # one word: every document that holds it holds all of the phrase
                w = said[0]
                share = phrase_weight * (0.0 + idf[0]) / whole
                for doc in self.postings.get(w, ()):
                    if weight_of.get((w, doc), 0.0) < share:
                        weight_of[(w, doc)] = share
                continue
            covered: dict[int, float] = defaultdict(float)
            for w in dict.fromkeys(said):
                for doc in self.postings.get(w, ()):
                    covered[doc] += self.idf(w)
            for w in said:
                for doc in self.postings.get(w, ()):
                    share = phrase_weight * covered[doc] / whole
                    if weight_of.get((w, doc), 0.0) < share:
                        weight_of[(w, doc)] = share
        weights = self._weights
        for (term, doc), share in weight_of.items():
            scores[doc] += weight * share * weights[term][doc]

    def sums(self, terms: Iterable[str]) -> dict[int, float]:
        """Plain BM25 of ``terms`` OR-ed (each counted once, added in the order given), for each
        document that holds any of them, in document order: what FTS5's ``bm25()`` gives."""
        out: dict[int, float] = {}
        for term in dict.fromkeys(terms):
            for doc, w in self._weights.get(term, {}).items():
                out[doc] = out.get(doc, 0.0) + w
        return dict(sorted(out.items()))

    def weight(self, term: str, doc: int) -> float:
        """BM25 of one term in one document that holds it: IDF × saturated, length-normalised tf."""
        return self._weights[term][doc]

    def _weight_of(self, term: str, doc: int, tf: float) -> float:
        # FTS5's order of operations, so that the trigram field's figures are FTS5's to the bit
        norm = (tf * (K1 + 1)) / (tf + K1 * (1 - B + B * self._lengths.get(doc, 0) / self._avg))
        return self._idf[term] * norm

    def dense(self, n_docs: int) -> tuple[dict[str, int], np.ndarray]:
        """Every term's BM25 weights as a (terms × documents) matrix, and the terms' rows: for
        scoring many queries against few documents (budget mapping) with matrix products."""
        vocabulary = {term: n for n, term in enumerate(self.postings)}
        matrix = np.zeros((len(vocabulary), n_docs))
        for term, row in vocabulary.items():
            for doc in self.postings[term]:
                matrix[row, doc] = self.weight(term, doc)
        return vocabulary, matrix

    def ceiling(self, query: Mapping[str, float]) -> float:
        """The most a query of weighted terms can score in one document: every term that some
        document holds present, saturated."""
        return sum(w * self._idf[t] * (K1 + 1) for t, w in query.items() if t in self._idf)
