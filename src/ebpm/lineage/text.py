"""Text as the matcher compares it: folded, tags aside, as weighted character n-grams."""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from functools import lru_cache

import numpy as np
import numpy.typing as npt

from ebpm.sources.normalize import normalize

_TAG = re.compile(r"【[^【】]*】")
_REPOST = re.compile(r"[（(]\s*再\s*掲\s*[）)]")
_LEAD = re.compile(r"^[○〇・\s]+")
_SPACE = re.compile(r"\s+")
SMALL = 64  # pairs below which cosine uses dictionaries
N = 2  # character bigrams: Japanese words are one to four characters, and bigrams need no dictionary

Matrix = npt.NDArray[np.float64]


@lru_cache(maxsize=1 << 16)
def fold(text: str) -> str:
    """The text to compare: NFKC with the radicals mapped, without ministry tags, re-post marks,
    the leading bullet and spaces (the extractor put spaces where the document had none)."""
    folded = normalize(text)
    folded = _REPOST.sub("", _TAG.sub("", folded))
    return _SPACE.sub("", _LEAD.sub("", folded))


def display(text: str) -> str:
    """The text to show in a diff: folded as :func:`fold`, but keeping single spaces between
    Latin words (``Society 5.0``)."""
    folded = normalize(text)
    folded = _REPOST.sub("", _TAG.sub("", folded))
    return _LEAD.sub("", folded).strip()


def _grams(text: str) -> list[str]:
    if len(text) < N:
        return [text] if text else []
    return [text[k : k + N] for k in range(len(text) - N + 1)]


class Vectors:
    """TF-IDF vectors of character n-grams (sublinear tf, L2-normalised) of a list of texts, with
    one IDF over all of them (both editions), so that boilerplate shared by many items
    (引き続き, 推進, 関係府省) weighs less than what names an item's subject."""

    def __init__(self, texts: Sequence[str]) -> None:
        counts = [Counter(_grams(t)) for t in texts]
        df: Counter[str] = Counter()
        for c in counts:
            df.update(c.keys())
        self.vocabulary = {g: k for k, g in enumerate(df)}
        n = len(texts)
        idf = {g: math.log((1 + n) / (1 + d)) + 1.0 for g, d in df.items()}
        self.ids: list[npt.NDArray[np.int64]] = []
        self.weights: list[Matrix] = []
        self.sparse: list[dict[int, float]] = []
        for c in counts:
            ids = np.fromiter((self.vocabulary[g] for g in c), dtype=np.int64, count=len(c))
            w = np.fromiter(
                ((1 + math.log(f)) * idf[g] for g, f in c.items()), dtype=np.float64, count=len(c)
            )
            norm = float(np.sqrt(w @ w)) if len(w) else 0.0
            self.ids.append(ids)
            self.weights.append(w / norm if norm else w)
            self.sparse.append(dict(zip(ids.tolist(), self.weights[-1].tolist(), strict=True)))

    def cosine(self, left: Sequence[int], right: Sequence[int]) -> Matrix:
        """The cosine of every text in ``left`` with every text in ``right`` (indices into the
        texts), on a dense matrix over the n-grams these texts use only."""
        if not left or not right:
            return np.zeros((len(left), len(right)))
        if len(left) * len(right) <= SMALL:
            # a few pairs (the actions of two rows): dictionaries beat building a matrix
            out = np.zeros((len(left), len(right)))
            for p, k in enumerate(left):
                a = self.sparse[k]
                for q, j in enumerate(right):
                    b = self.sparse[j]
                    small, large = (a, b) if len(a) <= len(b) else (b, a)
                    out[p, q] = sum(w * large.get(g, 0.0) for g, w in small.items())
            return np.clip(out, 0.0, 1.0)
        used = np.unique(np.concatenate([self.ids[k] for k in (*left, *right)]))

        def dense(items: Sequence[int]) -> Matrix:
            out = np.zeros((len(items), len(used)))
            for row, k in enumerate(items):
                out[row, np.searchsorted(used, self.ids[k])] = self.weights[k]
            return out

        sims: Matrix = dense(left) @ dense(right).T
        return np.clip(sims, 0.0, 1.0)


# script classes for the word-level diff: a run of one class is one token, so that 推進する splits
# into 推進 | する and 2024年度 into 2024 | 年度
def _script(ch: str) -> str:
    if ch.isspace():
        return "space"
    o = ord(ch)
    if 0x3040 <= o <= 0x309F:
        return "hiragana"
    if 0x30A0 <= o <= 0x30FF or ch == "ー":
        return "katakana"
    if 0x4E00 <= o <= 0x9FFF or 0x3400 <= o <= 0x4DBF or ch in "々〆ヶ":
        return "kanji"
    if ch.isascii() and (ch.isalnum() or ch in "._"):
        return "latin"
    if ch.isdigit():
        return "latin"
    return "punct:" + ch  # each punctuation mark is a token of its own


def words(text: str) -> list[str]:
    """``text`` cut into runs of one script (kanji, hiragana, katakana, Latin and digits),
    punctuation one mark a token: words enough for a readable diff, with no dictionary."""
    out: list[str] = []
    last = ""
    for ch in text:
        kind = _script(unicodedata.normalize("NFKC", ch)[:1] or ch)
        if out and kind == last and not kind.startswith("punct"):
            out[-1] += ch
        else:
            out.append(ch)
        last = kind
    return out
