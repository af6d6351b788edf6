"""Lineage across editions: which row and action of one edition continues which of the last.

``match_editions(old, new)`` links every measure row and every action of ``new`` to its
predecessor in ``old`` or marks it new (:mod:`ebpm.lineage.match`); ``diff_editions`` adds what
changed on each link: a word-level text diff, owners added and removed, deadlines moved
(:mod:`ebpm.lineage.diff`); ``trace`` follows one row through a chain of editions
(:mod:`ebpm.lineage.history`). Everything works on parsed :class:`ebpm.model.Document` objects;
loading editions from the knowledge base is the caller's business.
"""

from ebpm.lineage.diff import (
    DeadlineMove,
    EditionDiff,
    ItemDiff,
    Segment,
    diff_editions,
    diff_rows,
    to_json,
)
from ebpm.lineage.history import trace
from ebpm.lineage.match import match_editions
from ebpm.lineage.model import Change, Kind, Lineage, Link, Method, Thresholds

__all__ = [
    "Change",
    "DeadlineMove",
    "EditionDiff",
    "ItemDiff",
    "Kind",
    "Lineage",
    "Link",
    "Method",
    "Segment",
    "Thresholds",
    "diff_editions",
    "diff_rows",
    "match_editions",
    "to_json",
    "trace",
]
