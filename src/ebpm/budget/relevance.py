"""関連度 (relevance): how strongly a candidate strategy item relates to a budget project, on one
0–1 scale that reads the same for every project.

The engine's scores rank one project's candidates, but they are no figure to show: a row's score is
a share of what the project's own terms could score, so that a plain project's best row scores
0.12 and a project written in the strategy's words 0.45, while both are right; a subsection is
scored against the whole text of its rows, a scale of its own; a row that a reviewed project reads
like is lifted by up to ``engine.CONFIRMED_SHARE``, so that a score is not even bounded by 1.
Normalising them to the project's best makes every project's best read 1.000, the weak as well
as the strong. What the engine knows about a project as a whole is calibrated
(``engine.Calibration``, fitted on labelled projects, ``calibration.json``): P, the probability
that the project serves a row of the strategy at all, from its best row's score and from how much
of its vocabulary the strategy uses. The unmatched flag is P below the calibration's threshold.

The rule::

    関連度 = P × score / best

``score``: the candidate's; ``best``: the project's best score among the items of the same kind
(row, subsection, field). The best candidate of each kind carries P; the others carry P in
proportion to their score. So the figure never exceeds P, nor 1; a project whose wording the
strategy barely shares reads weak however its candidates rank among themselves; and the figure
of one project's row can be set against another's.

Pages add a word to the figure (``band``): 弱 below the calibration's threshold (where the flag
says the project serves no row), 強 from halfway between the threshold and 1, 中 between.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any


def relevance(probability: float | None, score: float | None, best: float | None) -> float | None:
    """The 関連度 of a candidate (see the module doc); None without a probability or a score (an item
    a reviewer added, a project not yet mapped)."""
    if probability is None or score is None or best is None or best <= 0:
        return None
    share = min(1.0, max(0.0, score / best))
    return round(min(1.0, max(0.0, probability)) * share, 3)


def band(value: float | None, threshold: float) -> str | None:
    """weak, medium or strong (see the module doc); None for no figure."""
    if value is None:
        return None
    if value < threshold:
        return "weak"
    return "strong" if value >= (1 + threshold) / 2 else "medium"


def with_relevance(probability: float | None, items: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """A project's ranked items, each with its 関連度 under ``relevance``, the best taken per kind."""
    listed = [dict(i) for i in items]
    best: dict[str, float] = {}
    for i in listed:
        if i.get("score") is not None:
            best[i["kind"]] = max(best.get(i["kind"], 0.0), float(i["score"]))
    for i in listed:
        i["relevance"] = relevance(probability, i.get("score"), best.get(i["kind"]))
    return listed
