"""Scoring links against a ground truth (a synthetic edition's, :mod:`ebpm.sources.next_edition`),
and the naive baseline they are compared with: the same id is the same row."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from ebpm.lineage.match import action_ids
from ebpm.lineage.model import Lineage, Link
from ebpm.model import Document


@dataclass(frozen=True, slots=True)
class Scores:
    """Precision and recall of the links (pairs old → new), and of the items called dropped and
    new; ``links``/``true_links`` count what they were computed from."""

    precision: float
    recall: float
    dropped_precision: float
    dropped_recall: float
    new_precision: float
    new_recall: float
    links: int
    true_links: int

    @property
    def f1(self) -> float:
        total = self.precision + self.recall
        return 2 * self.precision * self.recall / total if total else 0.0


def _ratio(hit: int, total: int) -> float:
    return hit / total if total else 1.0


def score(links: Iterable[Link], truth: Mapping[str, str | None], new_ids: Iterable[str]) -> Scores:
    """``links`` of one kind against ``truth`` (every old id -> its successor, None: dropped) and
    the ids that are truly new."""
    links = list(links)
    predicted = {(lk.old, lk.new) for lk in links if lk.old is not None and lk.new is not None}
    true = {(old, new) for old, new in truth.items() if new is not None}
    dropped = {lk.old for lk in links if lk.new is None}
    true_dropped = {old for old, new in truth.items() if new is None}
    new = {lk.new for lk in links if lk.old is None}
    true_new = set(new_ids)
    return Scores(
        precision=_ratio(len(predicted & true), len(predicted)),
        recall=_ratio(len(predicted & true), len(true)),
        dropped_precision=_ratio(len(dropped & true_dropped), len(dropped)),
        dropped_recall=_ratio(len(dropped & true_dropped), len(true_dropped)),
        new_precision=_ratio(len(new & true_new), len(new)),
        new_recall=_ratio(len(new & true_new), len(true_new)),
        links=len(predicted),
        true_links=len(true),
    )


def id_baseline(old: Document, new: Document) -> Lineage:
    """What a naive tool does: a row or action of the new edition continues the one with the
    same id in the old (``2.1.3.m2`` → ``2.1.3.m2``), whatever it says."""
    lineage = Lineage(old.edition, new.edition)
    for kind, a, b in (
        ("row", [m.id for m in old.measures], [m.id for m in new.measures]),
        ("action", action_ids(old), action_ids(new)),
    ):
        kept = set(a) & set(b)
        links = [Link(kind, x, x, "continued", None, None) for x in a if x in kept]  # type: ignore[arg-type]
        links += [Link(kind, x, None, "dropped") for x in a if x not in kept]  # type: ignore[arg-type]
        links += [Link(kind, None, y, "new") for y in b if y not in kept]  # type: ignore[arg-type]
        if kind == "row":
            lineage.rows = links
        else:
            lineage.actions = links
    return lineage
