"""How well the mapping does against labels: top-1, top-3 and the unmatched flag.

Labels are a project's rows (it serves them) or none (it serves no row). In use they come from
reviews (``labels_from_reviews``): the rows confirmed or added for a project, or none where every
reviewed match was rejected. A confirmed project's text is also a field of its row
(``engine.build_items``), so a project is always scored by an engine built from the *other*
projects' reviews (k-fold), never from its own: otherwise the figure would flatter itself.
benchmarks/mapping.py scores labelled sets with the same functions.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from ebpm.budget.engine import MappingEngine, Project, ProjectMatches
from ebpm.model import Document

Labels = Mapping[str, Sequence[str]]  # project → the rows it serves; empty: it serves none


@dataclass(frozen=True, slots=True)
class Scores:
    positives: int  # projects that serve a row
    negatives: int  # projects that serve none
    top1: float  # share of positives whose first row is one of theirs
    top3: float  # … among the first three
    negatives_flagged: float  # share of negatives flagged unmatched (the flag's recall)
    positives_flagged: float  # share of positives flagged unmatched (wrongly)
    flag_precision: float  # share of flagged projects that serve no row


def score(results: Mapping[str, ProjectMatches], labels: Labels) -> Scores:
    return score_ranked(
        {pid: [m.item_id for m in r.items if m.kind == "measure"] for pid, r in results.items()},
        {pid: r.unmatched for pid, r in results.items()},
        labels,
    )


def score_ranked(ranked: Mapping[str, Sequence[str]], flagged: Mapping[str, bool], labels: Labels) -> Scores:
    """The figures for ranked rows and flags of the labelled projects."""
    pos = [p for p in labels if labels[p] and p in ranked]
    neg = [p for p in labels if not labels[p] and p in ranked]

    def top(k: int) -> float:
        hits = [bool(set(ranked[p][:k]) & set(labels[p])) for p in pos]
        return sum(hits) / len(hits) if hits else 0.0

    flagged_neg = sum(flagged[p] for p in neg)
    flagged_pos = sum(flagged[p] for p in pos)
    return Scores(
        len(pos),
        len(neg),
        top(1),
        top(3),
        flagged_neg / len(neg) if neg else 0.0,
        flagged_pos / len(pos) if pos else 0.0,
        flagged_neg / (flagged_neg + flagged_pos) if flagged_neg + flagged_pos else 0.0,
    )


def cross_fitted(
    doc: Document,
    projects: Sequence[Project],
    labels: Labels,
    folds: int = 5,
    with_confirmed: bool = True,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, ProjectMatches]:
    """Each labelled project matched by an engine whose confirmed texts come from the other folds."""
    labelled = [p for p in projects if p.project_id in labels]
    out: dict[str, ProjectMatches] = {}
    plain = None if with_confirmed else MappingEngine(doc)
    for k in range(folds):
        test = labelled[k::folds]
        if not test:
            continue
        engine = plain
        if engine is None:
            held = {p.project_id for p in test}
            engine = MappingEngine(doc, confirmed_texts(labelled, labels, exclude=held))
        for p in test:
            out[p.project_id] = engine.match(p)
        if progress:
            progress(len(out), len(labelled))
    return out


def confirmed_texts(
    projects: Sequence[Project], labels: Labels, exclude: set[str] | None = None
) -> dict[str, list[str]]:
    """Row → the texts of the labelled projects that serve it (but those in ``exclude``)."""
    out: dict[str, list[str]] = {}
    for p in projects:
        if exclude and p.project_id in exclude:
            continue
        for row in labels.get(p.project_id, ()):
            out.setdefault(row, []).append(p.text)
    return out


def labels_from_reviews(decisions: Mapping[str, Mapping[str, str]], rows: set[str]) -> dict[str, list[str]]:
    """Project → its confirmed or added rows; [] where reviewers rejected matches and accepted none.

    ``decisions``: project → item → its current decision (confirm, reject, add)."""
    out: dict[str, list[str]] = {}
    for project_id, items in decisions.items():
        accepted = [i for i, d in items.items() if d in ("confirm", "add") and i in rows]
        if accepted:
            out[project_id] = accepted
        elif any(d == "reject" for d in items.values()) and not any(
            d in ("confirm", "add") for d in items.values()
        ):
            out[project_id] = []
    return out
