"""The indicator registry, seeded from the parsed document.

Every 主要指標 (key indicator, a target) and 参考指標 (reference indicator, current data) item
becomes one series per value it states: 健康寿命 gives 男性 and 女性. A reference value is the
series' first observation, sourced to its document line; a key indicator's value with a year is
the series' document target, and the baseline it states (（2020 年度時点、17.7％）) its first
observation. Series ids are the item id, plus ``.s<k>`` when the item has
several values (``2.1.ref.3.s1`` for 男性): stable for as long as the document is the same.

Which goal statements a series measures (``goal_ids``): the document lists a heading's indicators
after all of its goal statements and never says which indicator measures which goal. Where a
heading has one 【目標】 (or a 【大目標】), its indicators measure that one; the heading's あるべき姿
(vision) is measured by all of them. Where a heading has several 【目標】 (2.2.1 has four), each goal
is measured only by the indicators that the edition's goal links name for it (a reviewer's reading
of the wording of the goal and of the indicator, in ``goal_links_2023.json`` for the 2023 text); an
indicator they name for none belongs to the heading (its section roll-up and its vision), not to
every goal. Without links for the document (a new edition), no goal of such a heading gets any.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from importlib import resources

from ebpm.indicators.periods import Period, PeriodError, find_period, parse_period
from ebpm.model import Document, GoalStatement, Indicator, IndicatorValue

Direction = str  # "up" (more is better) or "down"
DOCUMENT_DATE = date(2023, 6, 9)  # the Cabinet decision of the strategy
_DOWN = re.compile(r"削減|減少|低減|半減|抑制|短縮|ゼロ|解消")
# a change (3倍に増加, 約1,000名増加, 1割増加) is not a level to reach: no numeric target is read
_RELATIVE = re.compile(r"倍|増加|減少|割増|増やす|削減")
_NUMBER = re.compile(r"約?[\d][\d,.]*")
# a key indicator's own baseline, as its date bracket states it: （2020 年度時点、17.7％）
_BASELINE = re.compile(r"(?P<period>.+?時点)\s*[、,]\s*(?P<value>\d[\d,]*(?:\.\d+)?)\s*(?P<unit>%)")

# For headings with several 【目標】: which indicator items measure each goal. A reviewer's reading of
# the 2023 text (the document does not say), kept as data fingerprinted to that text: see the file.
GOAL_LINKS_FILE = "goal_links_2023.json"


@lru_cache(maxsize=1)
def _goal_link_files() -> tuple[tuple[str, dict[str, tuple[str, ...]]], ...]:
    data = json.loads(
        resources.files("ebpm.indicators").joinpath(GOAL_LINKS_FILE).read_text(encoding="utf-8")
    )
    return ((data["document_sha256"], {g: tuple(ids) for g, ids in data["links"].items()}),)


def goal_links(doc: Document) -> dict[str, tuple[str, ...]]:
    """The goal → indicator links written for ``doc`` (by its SHA-256), or none: an edition nobody
    has linked rolls the indicators of a heading with several goals up to the heading only."""
    return next((links for sha, links in _goal_link_files() if sha == doc.sha256), {})


@dataclass(frozen=True, slots=True)
class Series:
    id: str
    indicator_id: str
    name: str  # the item's name, with the value's label: 健康寿命（男性）
    label: str | None  # what distinguishes this value from its siblings: 男性
    unit: str | None
    block: str  # kpi | reference | grand_goal
    section: str
    goal_ids: tuple[str, ...]  # the goal statements of the same heading
    line: int
    line_end: int
    footnotes: tuple[int, ...]
    source: str  # where the figures come from: the item's footnotes, else the strategy itself
    document_text: str  # the value as written


@dataclass(frozen=True, slots=True)
class DocumentFact:
    """A value the document states: an observation (参考指標) or a target (主要指標)."""

    series_id: str
    value: float
    unit: str | None
    period: Period
    line: int
    direction: Direction


def _label(text: str, number: float | None) -> str | None:
    """The words before the value's own number: 男性 in ``男性 72.68歳``."""
    flat = unicodedata.normalize("NFKC", text)
    found = list(_NUMBER.finditer(flat))
    chosen = next((m for m in found if _as_float(m.group()) == number), found[0] if found else None)
    head = flat[: chosen.start()] if chosen else flat
    # an opening bracket before the number (東京大学（1.5%）) belongs to the value, not the label
    head = re.sub(r"[\s:、\-−+(]+$", "", head).strip()
    return head or None


def _as_float(text: str) -> float | None:
    try:
        return float(text.lstrip("約").replace(",", ""))
    except ValueError:
        return None


@lru_cache(maxsize=4096)  # an import asks for the same few units on every row
def normalize_unit(unit: str | None) -> str | None:
    """The unit as compared on import: NFKC, no spaces; ``％`` and ``%`` are the same."""
    if unit is None:
        return None
    u = unicodedata.normalize("NFKC", unit).replace(" ", "").strip()
    return u or None


def _period(i: Indicator) -> Period | None:
    if i.date:
        try:
            return parse_period(i.date.replace(" ", ""))
        except PeriodError:
            pass
    return find_period(i.text)


def _baseline(i: Indicator) -> tuple[Period, float, str] | None:
    """The period, value and unit of a key indicator's stated baseline (its date bracket reads
    ``2020 年度時点、17.7％``), if it states one."""
    m = _BASELINE.fullmatch(unicodedata.normalize("NFKC", i.date or "").strip())
    if m is None:
        return None
    period = find_period(m.group("period"))
    value = _as_float(m.group("value"))
    if period is None or value is None or period.end > DOCUMENT_DATE:
        return None
    return period, value, m.group("unit")


def goal_ids(
    indicator: Indicator, statements: list[GoalStatement], links: dict[str, tuple[str, ...]]
) -> tuple[str, ...]:
    """The goal statements of the indicator's heading (``statements``) that it measures (see the
    module's docstring): all of them where the heading has one 【目標】, else the vision and the
    goals that ``links`` names it for."""
    several = sum(1 for g in statements if g.kind == "goal") > 1
    return tuple(
        g.id for g in statements if not several or g.kind != "goal" or indicator.id in links.get(g.id, ())
    )


def build_registry(doc: Document) -> tuple[list[Series], list[DocumentFact], list[DocumentFact]]:
    """Series, document observations and document targets, in document order."""
    goals: dict[str, list[GoalStatement]] = {}
    for g in doc.goals:
        goals.setdefault(g.section, []).append(g)
    footnote_text = {f.number: f.text for f in doc.footnotes}
    links = goal_links(doc)
    series: list[Series] = []
    observations: list[DocumentFact] = []
    targets: list[DocumentFact] = []
    for i in doc.indicators:
        values: list[IndicatorValue | None] = list(i.values) or [None]
        period = _period(i)
        direction = "down" if _DOWN.search(i.text) else "up"
        source = " / ".join(footnote_text[n] for n in i.footnotes if n in footnote_text)
        for k, v in enumerate(values, start=1):
            sid = i.id if len(values) == 1 else f"{i.id}.s{k}"
            label = _label(v.text, v.number) if v is not None and len(values) > 1 else None
            unit = normalize_unit(v.unit) if v is not None else None
            series.append(
                Series(
                    id=sid,
                    indicator_id=i.id,
                    name=f"{i.name}（{label}）" if label else i.name,
                    label=label,
                    unit=unit,
                    block=i.block,
                    section=i.section,
                    goal_ids=goal_ids(i, goals.get(i.section, []), links),
                    line=i.line,
                    line_end=i.line_end,
                    footnotes=tuple(i.footnotes),
                    source=source or f"統合イノベーション戦略{doc.edition} {i.line}行",
                    document_text=v.text if v is not None else i.text,
                )
            )
            base = _baseline(i)
            if base is not None and i.block == "kpi" and unit in (None, base[2]):
                # the document's own observation of a key indicator, not its target
                observations.append(DocumentFact(sid, base[1], base[2], base[0], i.line, direction))
            if v is None or v.number is None or period is None:
                continue
            fact = DocumentFact(sid, v.number, unit, period, i.line, direction)
            if i.block != "kpi":
                # a reference value dated after the strategy (2040年に…) is a projection, not data
                if period.end <= DOCUMENT_DATE:
                    observations.append(fact)
            elif not _RELATIVE.search(v.text) and unit not in ("倍", "割"):
                targets.append(fact)
    return series, observations, targets
