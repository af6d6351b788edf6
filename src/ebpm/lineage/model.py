"""The links between two editions: one per row or action of either edition."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Kind = Literal["row", "action"]
Change = Literal["continued", "changed", "dropped", "new"]
# how a link was found, strongest first:
#   identical         the same text (NFKC-folded, tags aside) in the same section (the same row)
#   same-section text similar text in the same section (the same row, for an action)
#   moved section     similar text in another section (another row, for an action)
#   by heading path   weak text, but the only row left on both sides of the same section
#   reviewed          decided by an admin (ebpm.services.lineage), whatever the matcher said
Method = Literal["identical", "same-section text", "moved section", "by heading path", "reviewed"]


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Scores (text similarity, 0–1) that decide a link: below ``link`` nothing is linked, below
    ``sure`` a link is ``unsure`` (for a person to review); a link across sections or rows must
    reach the ``*_moved`` pair instead, since text alone has to carry it there."""

    link: float = 0.35
    sure: float = 0.6
    link_moved: float = 0.5
    sure_moved: float = 0.75
    # the last resort: the only unmatched row left on both sides of one section
    heading_path: float = 0.15


@dataclass(frozen=True, slots=True)
class Link:
    """One row or action of the old edition (``old``) and its successor in the new one (``new``):
    ``old`` is None for a new item, ``new`` None for a dropped one. ``score`` is the text
    similarity of the two (1.0 for identical text; None when there is no pair)."""

    kind: Kind
    old: str | None
    new: str | None
    change: Change
    score: float | None = None
    method: Method | None = None
    unsure: bool = False


@dataclass(slots=True)
class Lineage:
    """Every link from edition ``old`` to edition ``new``: each row and action of either edition
    appears in exactly one link."""

    old: str
    new: str
    rows: list[Link] = field(default_factory=list)
    actions: list[Link] = field(default_factory=list)

    def successor(self, item_id: str) -> Link | None:
        """The link of the old edition's row or action ``item_id``."""
        for link in self.rows if ".a" not in item_id else self.actions:
            if link.old == item_id:
                return link
        return None

    def predecessor(self, item_id: str) -> Link | None:
        """The link of the new edition's row or action ``item_id``."""
        for link in self.rows if ".a" not in item_id else self.actions:
            if link.new == item_id:
                return link
        return None

    def unsure(self) -> list[Link]:
        """The links a person should review, rows first."""
        return [link for link in self.rows + self.actions if link.unsure]
