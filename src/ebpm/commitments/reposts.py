"""Re-posted items (再掲): each linked to its original, the earlier occurrence of the same text.

The same action is often listed under several headings; the later copies are
marked （再掲）. A copy is matched to the first earlier cell whose text, with tags,
markers and spacing removed, is the same; where the copy was edited a little,
the closest earlier cell by character bigrams is taken if it is close enough.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ebpm.model import Cell, Document
from ebpm.sources.normalize import compact

CellKey = tuple[str, str, int]  # measure id, column (commitment | status | action), position
# two texts sharing this share of their character bigrams are the same item, lightly edited
SIMILAR = 0.8
_STRIP = re.compile(r"【[^【】]*】|\(再掲\)|^[・\-―]+")


@dataclass(frozen=True, slots=True)
class Repost:
    copy: CellKey
    original: CellKey | None  # None when no earlier occurrence was found
    similarity: float  # 1.0 for the same text


def cells(doc: Document) -> list[tuple[CellKey, Cell]]:
    """Every cell of every measure, in document order."""
    out: list[tuple[CellKey, Cell]] = [
        ((m.id, column, k), c) for m in doc.measures for column, k, c in m.cells()
    ]
    return sorted(out, key=lambda kc: kc[1].line_start)


def _core(text: str) -> str:
    return _STRIP.sub("", compact(text))


def _bigrams(text: str) -> set[str]:
    return {text[i : i + 2] for i in range(len(text) - 1)}


def link_reposts(doc: Document) -> list[Repost]:
    """One :class:`Repost` for every cell marked 再掲, in document order."""
    ordered = cells(doc)
    cores = [_core(c.text) for _, c in ordered]
    grams = [_bigrams(t) for t in cores]
    first_by_text: dict[str, int] = {}
    for i, text in enumerate(cores):
        first_by_text.setdefault(text, i)
    out: list[Repost] = []
    for i, (key, cell) in enumerate(ordered):
        if not cell.reposted:
            continue
        j = first_by_text.get(cores[i])
        if j is not None and j < i:
            out.append(Repost(key, ordered[j][0], 1.0))
            continue
        best, best_score = None, 0.0
        for j in range(i):
            union = grams[i] | grams[j]
            score = len(grams[i] & grams[j]) / len(union) if union else 0.0
            if score > best_score:
                best, best_score = j, score
        if best is not None and best_score >= SIMILAR:
            out.append(Repost(key, ordered[best][0], round(best_score, 3)))
        else:
            out.append(Repost(key, None, round(best_score, 3)))
    return out


def reposts_of(links: list[Repost]) -> dict[CellKey, list[CellKey]]:
    """The other direction: each original with the copies that re-post it."""
    back: dict[CellKey, list[CellKey]] = {}
    for link in links:
        if link.original is not None:
            back.setdefault(link.original, []).append(link.copy)
    return back
