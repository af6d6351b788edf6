"""The thesaurus written for the 2023 text (``thesaurus.json``): an optional search extra.

Its groups start with an expression as the 2023 strategy writes it, followed by what a
searcher may type instead. It is used only by a knowledge base built with
``ebpm ingest --search-extras``: meaning in general comes from SudachiDict's synonym
groups (``analysis.analyse``), which need no list per edition. The general-purpose
groups once kept here were removed after they were measured to add nothing on top of
SudachiDict's groups on the clean query sets (benchmarks/search.py, issue 14).
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources


@cache
def thesaurus() -> tuple[tuple[str, ...], ...]:
    """Everyday and alternative wordings of the 2023 strategy's own terms."""
    raw = json.loads(resources.files("ebpm.search").joinpath("thesaurus.json").read_text("utf-8"))
    return tuple(tuple(group) for group in raw["groups"])
