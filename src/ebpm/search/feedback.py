"""Pseudo-relevance feedback: the best few hits lend their distinctive words to the query.

A searcher's words and the strategy's rarely coincide all the way: 論文を無料で読める
finds an open-access row through 論文 and 公開, and that row speaks of
オープンアクセス, which the other open-access actions share. The characteristic
words of the top hits, taken as a weak second query, reach them (RM3, Lavrenko
and Croft, in its simplest form). Their weight together is a fixed share of the
query's, so that a one-word query is not swamped, and the search keeps the first
places of the words typed (``FEEDBACK_KEEPS`` in ``index.py``): feedback fills
the places below. Measured in ``benchmarks/search.py``.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence

FEEDBACK_DOCS = 3  # top hits read back
FEEDBACK_TERMS = 20  # words taken from them
FEEDBACK_WEIGHT = 0.5  # their weight together, as a share of the query's
COMMON = 0.05  # a word in more than this share of documents names no topic


class Feedback:
    """Per-document word counts, kept to read the words of the top hits."""

    def __init__(self, postings: Mapping[str, Mapping[int, float]], n_docs: int) -> None:
        """``postings``: each word's count in each document that holds it."""
        self._terms: dict[int, dict[str, float]] = defaultdict(dict)
        for term, plist in postings.items():
            for doc, tf in plist.items():
                self._terms[doc][term] = tf
        n = max(1, n_docs)
        self._idf = {
            term: math.log(n / len(plist)) for term, plist in postings.items() if 0 < len(plist) <= COMMON * n
        }

    def terms(self, top: Sequence[int], typed: set[str], mass: float) -> list[tuple[str, float]]:
        """Up to FEEDBACK_TERMS (word, weight) pairs characteristic of the best documents ``top``."""
        value: dict[str, float] = defaultdict(float)
        for doc in top[:FEEDBACK_DOCS]:
            counts = self._terms.get(doc, {})
            length = sum(counts.values()) or 1
            for term, tf in counts.items():
                idf = self._idf.get(term)
                if idf is not None and term not in typed:
                    value[term] += tf / length * idf
        best = sorted(value.items(), key=lambda tv: (-tv[1], tv[0]))[:FEEDBACK_TERMS]
        total = sum(v for _, v in best)
        if not total:
            return []
        return [(term, FEEDBACK_WEIGHT * mass * v / total) for term, v in best]
