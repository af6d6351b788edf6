"""Page breaks hidden inside a unit: finding the seam and re-decoding the row.

Without footnotes a page break leaves no mark. When the last item of a column
is cut at the bottom of a page and the next column's continuation follows on
the next page, the two are read as one unit (16193 + 16199). The decoded path
betrays such a seam by an anomaly (a cut column that never continues, a stray
fragment, an assumed page break); each line boundary of the units around it is
tried as the seam, and a split is kept only if it pays for the break it invents.
"""

from __future__ import annotations

from itertools import pairwise

from ebpm.parser.columns import (
    BEAM,
    INF,
    Assignment,
    State,
    TransitionCache,
    assign_columns,
    final_cost,
)
from ebpm.parser.units import Unit


def _cost_from(
    units: list[Unit],
    prose: bool,
    first: int,
    alpha_before: dict[State, float],
    bound: float,
    cache: TransitionCache,
) -> float:
    """Best total cost of ``units`` given the forward costs just before unit ``first``.

    Costs only grow along a path, so the search stops as soon as every path
    costs ``bound`` or more (and returns INF).
    """
    cur = alpha_before
    for i in range(first, len(units)):
        nxt: dict[State, float] = {}
        moves = cache.step(units, i, prose)
        for s, a in cur.items():
            for t, step in moves(s):
                c = a + step.cost
                if c < nxt.get(t, INF):
                    nxt[t] = c
        best_here = min(nxt.values())
        if best_here >= bound:
            return INF
        cur = {t: c for t, c in nxt.items() if c <= best_here + BEAM}
    return min(c + final_cost(s, units[-1], prose)[0] for s, c in cur.items())


# A split must pay for itself: it invents a page break the text does not show.
HIDDEN_BREAK = 1.2
REPAIR_LOOKBACK = 3
REPAIR_GAIN = 0.7  # beyond HIDDEN_BREAK
AMBIGUOUS_SEAM_CONFIDENCE = 0.6


# A paragraph end the restorer doubted (a full line closing a sentence) costs little to put back:
# it invents no page break, only the trailing space the extraction dropped.
DOUBTFUL_END = 0.3
# A ministry tag holds only ministry names: a unit whose 【 never closes, cut where a line stops
# inside that tag, took in another column's continuation across a page end (「…【経協インフラ、
# 科技、」 + 「更新を⾏いつつ、…」 of ``pdfminer``, 7731–7736 of the bundled text). The break there
# is all but certain, so inventing it costs less.
TAG_CUT_BREAK = 0.6


def _break_penalty(unit: Unit, k: int, ended: bool) -> float:
    """What cutting ``unit`` before its line ``k`` invents (``ended``: a paragraph end only)."""
    if ended:
        return DOUBTFUL_END
    head = "".join(unit.texts[:k])
    if _open_tag(head) and _open_tag(unit.text):
        return TAG_CUT_BREAK
    return HIDDEN_BREAK


def _open_tag(text: str) -> bool:
    """Whether ``text`` ends inside a 【…】 bracket it opened."""
    return text.rfind("【") > text.rfind("】")


def _split(unit: Unit, k: int, ended: bool = False) -> tuple[Unit, Unit]:
    """``unit`` cut before its line ``k``; ``ended``: the head's last line ends its paragraph."""
    texts = unit.texts[:k]
    if ended:
        texts = [*texts[:-1], texts[-1].rstrip() + " "]
    head = Unit(unit.kind, unit.lines[:k], texts, unit.break_before, unit.shared_line)
    # a cut head is a cell cut by the page end, and its tail opens the next page: the split
    # already paid for the break (HIDDEN_BREAK), so the decoder must not charge it again
    tail = Unit("frag", unit.lines[k:], unit.texts[k:], None if ended else "seam")
    if unit.conjunction_line is not None:
        # the joined conjunction paragraph stays marked in the piece that holds it
        (head if unit.conjunction_line in head.lines else tail).conjunction_line = unit.conjunction_line
    return head, tail


_OPENERS = {"（": "）", "(": ")", "「": "」", "【": "】"}
_CLOSERS = {v: k for k, v in _OPENERS.items()}


def _imbalance(text: str) -> int:
    """Brackets left unmatched in ``text``."""
    stack: list[str] = []
    unmatched = 0
    for ch in text:
        if ch in _OPENERS:
            stack.append(ch)
        elif ch in _CLOSERS:
            if stack and stack[-1] == _CLOSERS[ch]:
                stack.pop()
            else:
                unmatched += 1
    return unmatched + len(stack)


def _seam_imbalance(units: list[Unit], assignment: Assignment, seam: int) -> int:
    """Unmatched brackets around a seam: the head alone, and the tail joined to the item it continues."""
    t = next(i for i, u in enumerate(units) if u.lines[0] == seam and u.kind == "frag")
    col = assignment.columns[t]
    before = [u for u, c in zip(units[:t], assignment.columns[:t], strict=True) if c == col]
    continued = before[-1].text + units[t].text if before else units[t].text
    return _imbalance(units[t - 1].text) + _imbalance(continued)


def _uneven_bottom(units: list[Unit], assignment: Assignment, seam: int) -> int:
    """How unevenly the two columns around a seam fill their page.

    The head of a seam is the last, cut item of its column on a page and the
    tail opens the next column on the same page; on a page that the row fills,
    every column runs from the page top to the page bottom, so for the true
    seam the two columns span about as many source lines.
    """
    t = next(i for i, u in enumerate(units) if u.lines[0] == seam and u.kind == "frag")
    cols = assignment.columns
    start = max((i for i in range(1, t) if assignment.breaks[i]), default=0)
    stop = next((i for i in range(t + 1, len(units)) if assignment.breaks[i]), None)
    if stop is None:
        return 0  # the row ends on this page: the columns need not be level
    head_first = next(units[i].lines[0] for i in range(start, t) if cols[i] == cols[t - 1])
    tail_last = max(units[i].lines[-1] for i in range(t, stop) if cols[i] == cols[t])
    head_span = units[t - 1].lines[-1] - head_first + 1
    tail_span = tail_last - units[t].lines[0] + 1
    return abs(head_span - tail_span)


def _seam_candidates(assignment: Assignment, j: int) -> list[int]:
    """Units that may hide the seam behind the anomaly at unit ``j``.

    The few units just before it, and the few units from the last unit of each
    column on the page before ``j``: a column whose last item was cut ends
    there, unless that item was itself read into the next column.
    """
    near = set(range(max(1, j - REPAIR_LOOKBACK), j + 1))
    page_start = max((i for i in range(1, j) if assignment.breaks[i]), default=1)
    last_in_column: dict[int, int] = {}
    for i in range(page_start, j):
        last_in_column[assignment.columns[i]] = i
    for last in last_in_column.values():
        near.update(range(last, min(j, last + REPAIR_LOOKBACK + 1)))
    return sorted(near - {0})


def _cuts(unit: Unit, doubtful_ends: frozenset[int], boxed: bool) -> list[tuple[int, bool]]:
    """Where ``unit`` may be cut (line index ``k``), and whether the head then ends its paragraph.

    In text boxes (pdfminer) a page end always ends a box, so a break hidden inside a unit lies
    where a box ended and the restorer left the line open: there the line was either cut by the
    page end or ended its paragraph after all. Elsewhere any line boundary may be the seam.
    """
    if boxed:
        return [
            (k, e)
            for k in range(1, len(unit.lines))
            if unit.lines[k - 1] in doubtful_ends
            for e in (False, True)
        ]
    return [(k, unit.lines[k - 1] in doubtful_ends) for k in range(1, len(unit.lines))]


# A cut column fills its page: on a page a row crosses, every column whose last item goes on
# at the next page top has as many lines as the tallest column there (155 of the 165 cut
# columns of the bundled text; most of the others differ by one or two lines, where a
# footnote reference or a wider line takes the room of one).
# Source lines (blank ones included) one column of a page can span: measured on full pages,
# where both cut columns reach the bottom (5504–5645: 61 and 61 lines), plus a small allowance.
PAGE_LINES = 64
UNEVEN_CUT = 2.0
UNEVEN_CUT_NEAR = 0.5
UNEVEN_SLACK = 2  # lines a cut column may fall short of the tallest for the smaller charge
LEVEL_GAIN = 0.3
_UNCLOSED = "a column ends without closing its last item"


def uneven_pages(units: list[Unit], assignment: Assignment) -> tuple[float, list[int]]:
    """What the page geometry of the decoded row costs, and the units that open its uneven pages.

    Every page but the last is cut by the page end; a column cut there (its last item goes on)
    reaches the page bottom, so it holds as many lines as the tallest column of the page.
    """
    cost = 0.0
    uneven: list[int] = []
    starts = [0, *(i for i, brk in enumerate(assignment.breaks) if brk and i > 0)]
    for a, b in pairwise(starts):
        counts = {1: 0, 2: 0, 3: 0}
        last: dict[int, Unit] = {}
        for u, col in zip(units[a:b], assignment.columns[a:b], strict=True):
            counts[col] += len(u.lines)
            last[col] = u
        tallest = max(counts.values())
        if units[b - 1].lines[-1] - units[a].lines[0] + 1 > PAGE_LINES:
            continue  # a page break is missing inside this page: its geometry says nothing
        if all(len(u.lines) == 1 for u in units[a:b]):
            # every paragraph on one line: the extraction did not wrap at the column width, so
            # a line count is no height (one-line cells)
            continue
        page_cost = 0.0
        for col, u in last.items():
            short = tallest - counts[col]
            if not u.complete and short > 0:
                page_cost += UNEVEN_CUT_NEAR if short <= UNEVEN_SLACK else UNEVEN_CUT
        if page_cost:
            cost += page_cost
            uneven.append(a)
    return cost, uneven


def _level(
    units: list[Unit],
    best: Assignment,
    prose: bool,
    cache: TransitionCache,
    doubtful_ends: frozenset[int],
    boxed: bool,
    paid: float,
) -> tuple[list[Unit], Assignment, int | None, float]:
    """Move a page break the decoder placed where the columns of its page cannot end level.

    A page bottom cuts a row at one height: the columns cut there hold the same number of
    lines. When the decoded row has a page whose cut columns are uneven, each line boundary of
    the units of that page and the next is tried as the hidden seam, and the split whose decode
    plus geometry costs least is kept if it pays for the break it invents. ``paid``: what the
    splits of the repair before it invented (``best.cost`` holds it already).
    """
    uneven_cost, uneven = uneven_pages(units, best)
    starts = [i for i, brk in enumerate(best.breaks) if brk]
    candidates: set[int] = set()
    if not starts and _UNCLOSED in best.reasons:
        # no page break was seen, yet a column is left open at the row end: the cut item's
        # continuation was read into another column's item, and any line may hide the seam
        candidates.update(range(1, len(units)))
    elif not uneven:
        return units, best, None, 0.0
    for a in uneven:
        later = [s for s in starts if s > a]
        stop = later[1] if len(later) > 1 else len(units)
        candidates.update(range(max(a, 1), stop))
    found: tuple[float, list[Unit], Assignment, int, float] | None = None
    for i in sorted(candidates):
        unit = units[i]
        for k, ended in _cuts(unit, doubtful_ends, boxed):
            head, tail = _split(unit, k, ended)
            trial_units = [*units[:i], head, tail, *units[i + 1 :]]
            trial = assign_columns(trial_units, prose, False, cache)
            penalty = _break_penalty(unit, k, ended)
            cost = trial.cost + paid + penalty + uneven_pages(trial_units, trial)[0]
            if found is None or cost < found[0]:
                found = (cost, trial_units, trial, tail.lines[0], penalty)
    if found is None or found[0] >= best.cost + uneven_cost - LEVEL_GAIN:
        return units, best, None, 0.0
    return found[1], assign_columns(found[1], prose, cache=cache), found[3], found[4]


def assign_with_repair(
    units: list[Unit], prose: bool, doubtful_ends: frozenset[int] = frozenset(), boxed: bool = False
) -> tuple[list[Unit], Assignment]:
    """Decode, then look for a page break hidden inside a unit.

    Without footnotes a page break leaves no mark: when the last item of a
    column is cut at the bottom of a page and the next column's continuation
    follows on the next page, the two are read as one unit (16193 + 16199).
    Where the decoded path writes into a column whose cut item never
    continued, each line boundary of the units just before it is tried as that
    seam; a split is kept only if it lowers the total cost by more than it
    invents. A line in ``doubtful_ends`` (1-based) may end its paragraph for less: the text
    had no trailing spaces, and the restorer let the paragraph go on after a closed sentence.
    ``boxed``: the text came in text boxes, and only those lines may hide a seam (:func:`_cuts`).
    """
    cache = TransitionCache()
    best_units, best = units, assign_columns(units, prose, cache=cache)
    paid = 0.0  # what the splits kept so far invented
    for _ in range(2):
        trials: list[tuple[float, int, list[Unit], bool, float]] = []
        tried: set[int] = set()
        # In text boxes the only places a break may hide are the few box ends the restorer left
        # open, so every unit of the row is tried, anomaly or not: a row taller than a page
        # hides one break per page, and a single seam near the first anomaly may not pay for
        # itself until the next one is found (2.1.3.6.m4, 2.3.1.m2 of ``pdfminer``).
        anchors = [len(best_units)] if boxed else best.skipped[:1]
        for j in anchors:
            for i in range(1, j) if boxed else _seam_candidates(best, j):
                if i in tried:
                    continue
                tried.add(i)
                unit = best_units[i]
                for k, ended in _cuts(unit, doubtful_ends, boxed):
                    head, tail = _split(unit, k, ended)
                    trial_units = [*best_units[:i], head, tail, *best_units[i + 1 :]]
                    invented = _break_penalty(unit, k, ended)
                    penalty = paid + invented
                    bound = best.cost - REPAIR_GAIN - penalty
                    cost = _cost_from(trial_units, prose, i, best.alpha[i - 1], bound, cache) + penalty
                    if cost < best.cost - REPAIR_GAIN:
                        trials.append((cost, tail.lines[0], trial_units, ended, invented))
        if not trials:
            break
        low = min(t[0] for t in trials)
        cheapest = [t for t in trials if t[0] <= low + 0.05]
        ties = sorted(t[1] for t in cheapest)
        # equally cheap seams differ only in where the text is cut: prefer the seam whose
        # pieces close their brackets once joined, then the one that makes the cut columns
        # end level at the page bottom, and say so
        decoded = [(t[1], t[2], assign_columns(t[2], prose, False, cache), t[3], t[4]) for t in cheapest]
        seam, best_units, _, doubted, invented = min(
            decoded,
            key=lambda d: (
                _seam_imbalance(d[1], d[2], d[0]),
                uneven_pages(d[1], d[2])[0],
                _uneven_bottom(d[1], d[2], d[0]),
                d[0],
            ),
        )
        best = assign_columns(best_units, prose, cache=cache)
        paid += invented
        best.cost += paid
        if doubted:
            best.reasons.append(
                f"line {seam}: paragraph end inferred before this line, where a sentence closes"
            )
        elif len(ties) > 1:
            best.reasons.append(
                f"line {seam}: page break inferred inside the text, with no marker; it could be at any "
                f"line from {ties[0]} to {ties[-1]}"
            )
            best.confidence_cap = AMBIGUOUS_SEAM_CONFIDENCE
        else:
            best.reasons.append(f"line {seam}: page break inferred inside the text, with no marker")
    # the page geometry last: a cut column fills its page, so the break goes where they end level
    best_units, levelled, level_seam, cost = _level(
        best_units, best, prose, cache, doubtful_ends, boxed, paid
    )
    if level_seam is not None:
        paid += cost
        levelled.cost += paid
        what = "paragraph end" if cost == DOUBTFUL_END else "page break"
        levelled.reasons.append(
            f"line {level_seam}: {what} inferred inside the text, where the columns of the page end level"
        )
        best = levelled
    return best_units, best
