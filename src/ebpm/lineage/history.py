"""A row's or an action's history across a chain of editions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ebpm.lineage.model import Change, Lineage, Method


@dataclass(frozen=True, slots=True)
class Step:
    """The item as it is in ``edition`` (``id`` None: not there), and how it came from the
    edition before (``change`` None for the first edition of the chain)."""

    edition: str
    id: str | None
    change: Change | None = None
    score: float | None = None
    method: Method | None = None
    unsure: bool = False


def trace(lineages: Sequence[Lineage], edition: str, item_id: str) -> list[Step]:
    """The history of row or action ``item_id`` of ``edition`` through ``lineages``, the links of
    consecutive editions oldest first (2023→2024, 2024→2025 …): back to the first edition it
    appears in, and forward until it is dropped. One step per edition of the chain; an edition
    where the item is not (before it was new, after it was dropped) has ``id`` None."""
    editions = [lineages[0].old, *(lin.new for lin in lineages)] if lineages else [edition]
    if edition not in editions:
        raise ValueError(f"edition {edition} is not in the chain ({', '.join(editions)})")
    at = editions.index(edition)
    ids: list[str | None] = [None] * len(editions)
    steps: list[Step | None] = [None] * len(editions)
    ids[at] = item_id
    for k in range(at, 0, -1):  # backwards: the predecessor of each
        current = ids[k]
        link = lineages[k - 1].predecessor(current) if current else None
        ids[k - 1] = link.old if link else None
    for k in range(at, len(lineages)):  # forwards: the successor of each
        current = ids[k]
        link = lineages[k].successor(current) if current else None
        ids[k + 1] = link.new if link else None
    steps[0] = Step(editions[0], ids[0])
    for k in range(1, len(editions)):
        current, before = ids[k], ids[k - 1]
        link = None
        if current is not None:
            link = lineages[k - 1].predecessor(current)
        elif before is not None:
            link = lineages[k - 1].successor(before)
        if link is None:
            steps[k] = Step(editions[k], current)
        else:
            steps[k] = Step(editions[k], current, link.change, link.score, link.method, link.unsure)
    return [s for s in steps if s is not None]
