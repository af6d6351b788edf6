"""Plain-language phrasings of the strategy's rows, indexed as a low-weight field (document expansion).

Searchers describe a policy in everyday words (技術が海外に盗まれるのを防ぐ) where the
strategy writes administrative ones (技術流出防止). ``paraphrases.json`` holds, for each
measure row (and each action of section 2.4, whose rows are whole fields), a few phrasings
a non-specialist might type: the doc2query idea (Nogueira et al., 2019), written once
while developing by reading each row, and shipped as data, so nothing runs a model.

Each entry carries a fingerprint of the text it was written for. An entry whose element
is missing or whose text has changed (another edition of the strategy, a parser change)
is not applied: the search then works on the text alone.
"""

from __future__ import annotations

import hashlib
import json
from functools import cache
from importlib import resources

from ebpm.search.analysis import bare, fold
from ebpm.search.documents import SearchDoc


def fingerprint(text: str) -> str:
    """A short hash of the element's folded text without spaces or punctuation."""
    return hashlib.sha1(bare(fold(text)).encode()).hexdigest()[:12]


@cache
def _bundled() -> dict[str, dict[str, object]]:
    raw = json.loads(resources.files("ebpm.search").joinpath("paraphrases.json").read_text("utf-8"))
    items: dict[str, dict[str, object]] = raw["items"]
    return items


def paraphrases(docs: list[SearchDoc]) -> dict[str, list[str]]:
    """Element id → its phrasings, for the elements whose text is the one they were written for."""
    out: dict[str, list[str]] = {}
    for d in docs:
        entry = _bundled().get(d.id)
        phrases = entry.get("phrases") if entry else None
        if entry and entry.get("fingerprint") == fingerprint(d.text) and isinstance(phrases, list):
            out[d.id] = [str(p) for p in phrases]
    return out
