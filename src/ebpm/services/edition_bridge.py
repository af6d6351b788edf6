"""What carries over from the follow-up edition to a later one: rows, actions and indicator series.

The monitoring store keeps its records (observations and targets of series, progress reports on
actions) under the ids of the edition it was filled against, the follow-up edition. Read from a
later edition, each of its rows and actions sees the records of the one it continues (its
lineage), and each of its indicator series those of the series with the same name and unit, so
that a series continues and a report filed on a 2023 action is seen from its 2024 successor.
Ids alone would be wrong: a row inserted before m2 makes the next edition's m2 another row.
"""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import Engine

from ebpm.budget.service import BudgetService
from ebpm.budget.views import BudgetViews
from ebpm.indicators.monitor import Monitor
from ebpm.indicators.registry import Series, build_registry
from ebpm.progress.service import ProgressService
from ebpm.services.knowledge import EditionCaches, Knowledge
from ebpm.services.lineage import lineage


@dataclass(frozen=True, slots=True)
class Carried:
    """This edition's id -> the follow-up edition's id, for what continues."""

    edition: str  # the follow-up edition
    rows: dict[str, str]
    actions: dict[str, str]
    series: dict[str, str]


def _key(s: Series) -> tuple[str, str]:
    fold = unicodedata.normalize("NFKC", s.name).replace(" ", "").replace("　", "")
    return fold, unicodedata.normalize("NFKC", s.unit or "")


def link_series(old: list[Series], new: list[Series]) -> dict[str, str]:
    """New series id -> old series id, by name and unit (one to one; where a name and unit repeat,
    in document order, the same section first)."""
    pool: dict[tuple[str, str], list[Series]] = defaultdict(list)
    for s in old:
        pool[_key(s)].append(s)
    links: dict[str, str] = {}
    for s in new:
        candidates = pool.get(_key(s))
        if not candidates:
            continue
        best = next((c for c in candidates if c.section == s.section), candidates[0])
        candidates.remove(best)
        links[s.id] = best.id
    return links


def carried(followup: Knowledge, later: Knowledge, store: Engine | None = None) -> Carried:
    """How ``later``'s rows, actions and series continue ``followup``'s (with the admins' reviews
    of the links in ``store`` on top; the series, linked by name and unit, once per pair of loads)."""
    found = lineage(followup, later, store)
    rows = {link.new: link.old for link in found.rows if link.old is not None and link.new is not None}
    actions = {link.new: link.old for link in found.actions if link.old is not None and link.new is not None}
    key = f"series:{followup.edition}:{followup.doc.sha256}"
    series = later.derived(
        key, lambda k_: link_series(build_registry(followup.doc)[0], build_registry(k_.doc)[0])
    )
    return Carried(followup.edition, rows, actions, series)


@dataclass(frozen=True, slots=True)
class FollowupViews:
    """The monitoring store's records as one edition sees them: its own where it is the follow-up
    edition, else those of what it continues (budget views are the follow-up edition's, whose
    rows the projects are mapped onto)."""

    progress: ProgressService
    monitor: Monitor
    budget: BudgetViews
    bridge: Carried | None


def followup_views(caches: EditionCaches, k: Knowledge, store: Engine) -> FollowupViews:
    """What a report or a page of edition ``k`` reads from the monitoring store ``store``."""
    followup = caches.followup_of(k)
    bridge = None if followup is k else carried(followup, k, store)
    return FollowupViews(
        ProgressService(k.doc, store, None, None if bridge is None else bridge.actions),
        Monitor(k.doc, store, None if bridge is None else bridge.series),
        BudgetViews(BudgetService(followup.doc, store)),
        bridge,
    )
