"""Page breaks hidden inside a unit: finding the seam and re-decoding the row.

Without footnotes a page break leaves no mark. When the last item of a column
is cut at the bottom of a page and the next column's continuation follows on
the next page, the two are read as one unit (16193 + 16199). The decoded path
betrays such a seam by an anomaly (a cut column that never continues, a stray
fragment, an assumed page break); each line boundary of the units around it is
tried as the seam, and a split is kept only if it pays for the break it invents.
"""

from __future__ import annotations

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
        trials: list[tuple[float, int, list[Unit], bool]] = []
        tried: set[int] = set()
        for j in best.skipped[:1]:
            for i in _seam_candidates(best, j):
                if i in tried:
                    continue
                tried.add(i)
                unit = best_units[i]
                for k, ended in _cuts(unit, doubtful_ends, boxed):
                    head, tail = _split(unit, k, ended)
                    trial_units = [*best_units[:i], head, tail, *best_units[i + 1 :]]
                    penalty = paid + (DOUBTFUL_END if ended else HIDDEN_BREAK)
                    bound = best.cost - REPAIR_GAIN - penalty
                    cost = _cost_from(trial_units, prose, i, best.alpha[i - 1], bound, cache) + penalty
                    if cost < best.cost - REPAIR_GAIN:
                        trials.append((cost, tail.lines[0], trial_units, ended))
        if not trials:
            break
        low = min(t[0] for t in trials)
        cheapest = [t for t in trials if t[0] <= low + 0.05]
        ties = sorted(t[1] for t in cheapest)
        # equally cheap seams differ only in where the text is cut: prefer the seam whose
        # pieces close their brackets once joined, then the one that makes the cut columns
        # end level at the page bottom, and say so
        decoded = [(t[1], t[2], assign_columns(t[2], prose, False, cache), t[3]) for t in cheapest]
        seam, best_units, _, doubted = min(
            decoded, key=lambda d: (_seam_imbalance(d[1], d[2], d[0]), _uneven_bottom(d[1], d[2], d[0]), d[0])
        )
        best = assign_columns(best_units, prose, cache=cache)
        paid += DOUBTFUL_END if doubted else HIDDEN_BREAK
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
    return best_units, best
