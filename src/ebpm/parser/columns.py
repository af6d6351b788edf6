"""Column assignment for one measure row: a min-cost path over its units.

The extractor wrote each page of a row column by column, so on one page the
columns of consecutive units never decrease; after a page break every column
left unfinished continues, in column order, with an unmarked fragment. Marked
items carry evidence: action items (column 3) usually end in a ministry tag
and often start with 引き続き; status items (column 2) almost never carry a tag.

The row is decoded like an HMM: states are (column, open columns, first page,
column 3 reached); a forward and a backward pass give, for every unit, the
cost of its best and second-best column, and the gap between the two is the
evidence behind the row's confidence.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

from ebpm.parser.units import Unit

# column, open-column bitmask, on first page, highest column reached, last enumeration number per column
State = tuple[int, int, bool, int, tuple[int, int, int]]
INF = math.inf

# Costs: how surprising an observation is, in rough units of "one anomaly".
HARD_BREAK = 0.0
SOFT_BREAK = 0.2
IMPLIED_BREAK = 0.4  # an unmarked fragment after a finished unit
UNSEEN_BREAK = 1.5
MISSED_HARD_BREAK = 3.0
SHARED_LINE_NOT_AT_BOTTOM = 1.0
IGNORED_SOFT_BREAK = 0.8
CUT_COLUMN_CONTINUES = 2.0
LIST_LEFT_BEHIND = 1.0
TAGGED_STATUS = 1.0
CONTINUING_STATUS = 0.4
UNTAGGED_ACTION = 1.0
UNTAGGED_COMMITMENT = 0.8
# numbered sub-items share the tag of the lead-in above them
UNTAGGED_NUMBERED_ACTION = 0.2
UNTAGGED_ACTION_END = 0.5
NUMBERING_RESTART = 1.5
UNTAGGED_ACTION_PROSE = 0.6
COLUMN_2_SKIPPED = 1.5
ITEM_IN_COLUMN_1 = 5.0
OPEN_COLUMN_SKIPPED = 2.0
BREAK_BEFORE_COLUMN_3 = 2.0
PARAGRAPH_SAME_COLUMN = 1.0
PARAGRAPH_SAME_COLUMN_PROSE = 0.2
UNMARKED_COLUMN_START = 2.0
STRAY_FRAGMENT = 2.0
UNFINISHED_AT_END = 1.0
NO_ACTION_COLUMN = 2.0
TAG_AFTER_TAG = 2.0
LONE_TAG_ENDS_ACTION = 0.8


Reason = str  # a message about the unit's first line
BEAM = 4.0  # states costlier than the best by more than this cannot change a margin below 1


@dataclass(slots=True)
class Step:
    cost: float
    brk: bool
    reasons: tuple[Reason, ...]


@dataclass(slots=True)
class Assignment:
    columns: list[int]
    breaks: list[bool]  # breaks[i]: a page break before unit i
    cost: float
    reasons: list[str]
    margins: list[float]  # cost gap to the best path with unit i in another column
    skipped: list[int]  # units whose column contradicts the columns left unfinished
    confidence_cap: float = 1.0  # set when the evidence leaves part of the row open
    # forward costs per unit, kept so that a repair can re-decode from a prefix
    alpha: list[dict[State, float]] = field(default_factory=list, repr=False)


def _bit(col: int) -> int:
    return 1 << (col - 1)


def _span(first: int, last: int) -> int:
    """Bitmask of columns first..last (empty when last < first)."""
    return _SPANS.get((first, last), 0)


_SPANS = {(a, b): sum(1 << (k - 1) for k in range(a, b + 1)) for a in range(1, 4) for b in range(a, 4)}


_LOWEST: list[int | None] = [None, 1, 2, 1, 3, 1, 2, 1]  # lowest column set in a 3-bit mask


def _lowest(mask: int) -> int | None:
    return _LOWEST[mask]


_TAGGED_STATUS = "status item carries a ministry tag"


def _emission(u: Unit, col: int, prose: bool) -> tuple[float, tuple[Reason, ...]]:
    """Cost of placing ``u`` in ``col``, from what the unit itself shows.

    Tag evidence is read only where an item ends (a complete unit): a unit cut
    by the page break carries its tag in a later fragment. A missing tag is
    charged one step later (:func:`_untagged_end`), once it is known that no
    paragraph of the same item follows.
    """
    if u.kind == "row":
        return 0.0, ()
    if u.kind in ("item", "subhead", "empty") and col == 1:
        return ITEM_IN_COLUMN_1, ("marked item placed in column 1",)
    if u.kind in ("subhead", "empty"):
        return 0.0, ()
    cost, why = 0.0, tuple[Reason, ...]()
    if col == 2 and u.kind == "item" and u.continues_prior_work:
        cost += CONTINUING_STATUS
        why += ("status item starts with 引き続き",)
    if not u.complete:
        return cost, why
    if col == 2 and u.tagged:
        cost += TAGGED_STATUS
        why += (_TAGGED_STATUS,)
    return cost, why


def _with_number(numbers: tuple[int, int, int], col: int, number: int) -> tuple[int, int, int]:
    a, b, c = numbers
    return (number, b, c) if col == 1 else (a, number, c) if col == 2 else (a, b, number)


Emissions = list[tuple[float, tuple[Reason, ...]]]  # per column 1..3


def _untagged_end(u: Unit, col: int, prose: bool) -> float:
    """The cost of ``u`` ending its item in ``col`` without a ministry tag.

    Commitments and actions end in a tag; untagged action items are common in
    sections 4 and 6, so there it is weaker evidence.
    """
    if not u.complete or u.tagged or u.kind not in ("item", "frag", "row"):
        return 0.0
    if col == 1:
        return 0.0 if prose or u.kind != "frag" else UNTAGGED_COMMITMENT
    if col == 3:
        if u.number is not None:
            return UNTAGGED_NUMBERED_ACTION
        if u.kind == "frag":
            return UNTAGGED_ACTION_END
        return UNTAGGED_ACTION_PROSE if prose else UNTAGGED_ACTION
    return 0.0


_UNFINISHED = {c: f"unfinished column {c} did not continue" for c in (1, 2, 3)}
_STRAY = "unmarked text after a page break with no open column"
# the reasons that betray a continuation glued to the unit above it
_UNSEEN = "page break assumed without a marker"
_MISSING_CONTINUATION = frozenset(
    # (a continuation of column 3 read as column 2's ends in column 3's tag: the cut item of
    # column 3 took in column 1's continuation, 1794 + 1797 of ``shifted-pages``)
    [*_UNFINISHED.values(), "an unfinished column did not continue", _STRAY, _UNSEEN, _TAGGED_STATUS]
)
_UNMARKED_START = {c: f"column {c} starts without a marker" for c in (1, 2, 3)}


def _transitions(
    prev: State, u: Unit, prev_unit: Unit, prose: bool, emissions: Emissions
) -> list[tuple[State, Step]]:
    """Every move from ``prev`` that places ``u`` in a column, with its cost and reasons.

    Reasons are plain messages about ``u``'s first line; they are formatted
    only for the path that is finally chosen.
    """
    col, mask, first_page, reached, numbers = prev
    kind = u.kind
    is_frag = kind == "frag"
    # the unit before ended its item, unless this one is a paragraph of the same item
    prev_end = _untagged_end(prev_unit, col, prose)
    continues_item = is_frag and prev_unit.complete
    # a lead-in ending on a comma shares the tag of the items it introduces
    led_in = prev_unit.complete and prev_unit.text.rstrip().endswith(("、", "：", ":"))
    out: list[tuple[State, Step]] = []
    for brk in (False, True):
        bwhy: tuple[str, ...] = ()
        # the line the first lines of three cells share is the bottom line of a page: the
        # page certainly breaks after it (2463 → 2469)
        after_shared = prev_unit.shared_line and not u.shared_line
        if brk:
            if u.break_before in ("hard", "seam") or after_shared:
                bcost = HARD_BREAK
            elif u.break_before == "soft":
                bcost = SOFT_BREAK
            elif is_frag and prev_unit.complete:
                bcost = IMPLIED_BREAK
            else:
                bcost, bwhy = UNSEEN_BREAK, (_UNSEEN,)
            if first_page and reached < 3:
                bcost += BREAK_BEFORE_COLUMN_3
                bwhy += ("page break before column 3 began",)
            # a column still open from an earlier page goes on at the top of every page until
            # its item ends: a page that ends before reaching it skipped it (not charged in
            # sections 4 and 6, whose long sub-headed cells the decoder reads less surely)
            passed = None if prose else _lowest(mask & _span(col + 1, 3))
            if passed is not None:
                bcost += OPEN_COLUMN_SKIPPED
                bwhy += (_UNFINISHED[passed],)
        elif u.break_before == "hard":
            bcost = MISSED_HARD_BREAK
        elif after_shared:
            # (a re-wrapped extraction may carry the shared line over to a second line)
            bcost, bwhy = (
                SHARED_LINE_NOT_AT_BOTTOM,
                ("text after a shared page-bottom line on the same page",),
            )
        elif u.break_before == "soft" and not prev_unit.complete:
            bcost = IGNORED_SOFT_BREAK  # a cut line followed by a page-top indent
        else:
            bcost = 0.0
        for c in (1, 2, 3):
            cost, why = bcost, bwhy
            bit = 1 << (c - 1)
            if not brk:
                if c < col:
                    continue
                if c == col and not is_frag and mask & bit:
                    # an item is cut only by the page end: its column cannot go on on this page
                    cost += CUT_COLUMN_CONTINUES
                    why += ("a new item follows a cut item in the same column",)
                if is_frag:
                    if c == col:
                        if prev_unit.complete and u.lone_tag and (prev_unit.tagged or c == 2):
                            # a tag never stands as a paragraph of its own: after an item that
                            # has its tag, or a status item (which has none), it ends another
                            # column's item, cut right after its full stop at the page end
                            # (10312 → 10323, 1952 → 1989 of ``pdfminer``)
                            cost += TAG_AFTER_TAG
                            why += ("a lone ministry tag follows an item that has its own",)
                        if prev_unit.complete:
                            if prose:
                                cost += PARAGRAPH_SAME_COLUMN_PROSE
                            else:
                                cost += PARAGRAPH_SAME_COLUMN
                                why += ("unmarked paragraph inside a cell",)
                    elif not (mask & bit and not mask & _span(col + 1, c - 1)):
                        # (an open column continuing on this page after a break costs nothing)
                        # a lone tag in the action column ends an item whose text ended on a
                        # full stop at the page bottom, so it looked finished (1952 → 1989)
                        lone = u.lone_tag and c == 3
                        cost += LONE_TAG_ENDS_ACTION if lone else UNMARKED_COLUMN_START
                        why += (_UNMARKED_START[c],)
                elif c > col and not first_page and mask & _span(col + 1, c):
                    cost += OPEN_COLUMN_SKIPPED
                    why += ("an unfinished column did not continue",)
            else:
                # a new page: columns run in order again; each unfinished column must
                # continue with an unmarked fragment before anything else is written in it
                skipped = _lowest(mask & _span(1, c - 1))
                if skipped is not None:
                    cost += OPEN_COLUMN_SKIPPED
                    why += (_UNFINISHED[skipped],)
                if mask & bit:
                    if not is_frag:
                        cost += OPEN_COLUMN_SKIPPED
                        why += (_UNFINISHED[c],)
                elif is_frag:
                    cost += STRAY_FRAGMENT
                    why += (_STRAY,)
            if not brk and c != col and prev_unit.introduces_list and prev_unit.complete:
                cost += LIST_LEFT_BEHIND
                why += ("the list announced just above continues in another column",)
            if first_page and not brk and c == 3 and reached < 2:
                cost += COLUMN_2_SKIPPED
                why += ("column 2 (status) is empty",)
            if prev_end and not ((continues_item or led_in) and c == col and not brk):
                cost += prev_end
            e, ewhy = emissions[c - 1]
            cost += e
            if ewhy:
                why += ewhy
            new_mask = (mask & ~bit) | (0 if u.complete else bit)
            # numbered items count up within a column, across pages; a lower number means
            # the list of another column is being read
            number = u.number
            new_numbers = numbers
            if number is not None:
                if numbers[c - 1] and number <= numbers[c - 1]:
                    cost += NUMBERING_RESTART
                    why += ("numbering restarts inside one column",)
                new_numbers = _with_number(numbers, c, number)
            elif kind == "item":
                new_numbers = _with_number(numbers, c, 0)  # a new lead-in may restart a list
            state = (c, new_mask, first_page and not brk, c if c > reached else reached, new_numbers)
            out.append((state, Step(cost, brk, why)))
    return out


def final_cost(state: State, last: Unit, prose: bool) -> tuple[float, list[str]]:
    """What the end of the row costs in ``state``, after its ``last`` unit."""
    col, mask, _, reached, _ = state
    cost, why = _untagged_end(last, col, prose), []
    if mask:
        cost += UNFINISHED_AT_END
        why.append("a column ends without closing its last item")
    if reached < 3:
        cost += NO_ACTION_COLUMN
        why.append("no item was placed in column 3 (future actions)")
    return cost, why


# Transitions depend only on the state, the unit and the unit before it; the decodes of one
# row's repair trials share most of them, so they share this cache.
# first line, line count, kind, whether it ends its item: what a unit is, within one row (a
# repair may end a unit's last paragraph where the restored text left it open)
UnitKey = tuple[int, int, str, bool]


def _key(u: Unit) -> UnitKey:
    return (u.lines[0], len(u.lines), u.kind, u.complete)


@dataclass
class TransitionCache:
    """Transitions of one row, shared by the decodes of its repair trials.

    They depend only on the state, the unit and the unit before it, and the
    trials of a row differ in one unit only.
    """

    moves: dict[tuple[UnitKey, UnitKey], dict[State, list[tuple[State, Step]]]] = field(default_factory=dict)
    emissions: dict[UnitKey, Emissions] = field(default_factory=dict)

    def step(self, units: list[Unit], i: int, prose: bool) -> Callable[[State], list[tuple[State, Step]]]:
        """The moves into unit ``i`` from any state, looked up or computed once."""
        u, prev = units[i], units[i - 1]
        ku = _key(u)
        table = self.moves.setdefault((ku, _key(prev)), {})
        emissions = self.emissions.get(ku)
        if emissions is None:
            emissions = self.emissions[ku] = [_emission(u, c, prose) for c in (1, 2, 3)]

        def moves(s: State) -> list[tuple[State, Step]]:
            found = table.get(s)
            if found is None:
                found = table[s] = _transitions(s, u, prev, prose, emissions)
            return found

        return moves


def assign_columns(
    units: list[Unit], prose: bool, with_margins: bool = True, cache: TransitionCache | None = None
) -> Assignment:
    """Decode the most likely column of every unit of one row.

    ``with_margins=False`` skips the backward pass when only the path is needed.
    """
    n = len(units)
    cache = TransitionCache() if cache is None else cache
    start: State = (1, 0 if units[0].complete else _bit(1), True, 1, (0, 0, 0))
    # forward: best cost to each state, with back-pointers; the transitions are
    # kept for the backward pass, which walks the same edges in reverse
    alpha: list[dict[State, float]] = [{start: 0.0}]
    back: list[dict[State, tuple[State, Step]]] = [{}]
    edges: list[list[tuple[State, State, float]]] = [[]]
    for i in range(1, n):
        cur: dict[State, float] = {}
        ptr: dict[State, tuple[State, Step]] = {}
        step_edges: list[tuple[State, State, float]] = []
        moves = cache.step(units, i, prose)
        for s, a in alpha[-1].items():
            for t, step in moves(s):
                if with_margins:
                    step_edges.append((s, t, step.cost))
                c = a + step.cost
                if c < cur.get(t, INF):
                    cur[t] = c
                    ptr[t] = (s, step)
        best_here = min(cur.values())
        alpha.append({t: c for t, c in cur.items() if c <= best_here + BEAM})
        back.append(ptr)
        edges.append(step_edges)
    # backward: best cost from each state to the end
    beta: list[dict[State, float]] = [{} for _ in range(n)]
    beta[n - 1] = {s: final_cost(s, units[-1], prose)[0] for s in alpha[n - 1]}
    for i in range(n - 1 if with_margins else 0, 0, -1):
        b_prev = beta[i - 1]
        b_cur = beta[i]
        for s, t, cost in edges[i]:
            if t not in b_cur:
                continue  # pruned by the beam
            c = cost + b_cur[t]
            if c < b_prev.get(s, INF):
                b_prev[s] = c
    end_state = min(alpha[n - 1], key=lambda s: alpha[n - 1][s] + beta[n - 1][s])
    total = alpha[n - 1][end_state] + beta[n - 1][end_state]
    columns = [0] * n
    breaks = [False] * n
    reasons: list[str] = []
    skipped: list[int] = []
    s = end_state
    for i in range(n - 1, 0, -1):
        columns[i] = s[0]
        prev, step = back[i][s]
        breaks[i] = step.brk
        line = units[i].lines[0]
        reasons[:0] = [f"line {line}: {why}" for why in step.reasons]
        if any(why in _MISSING_CONTINUATION for why in step.reasons):
            skipped.append(i)
        s = prev
    columns[0] = 1
    reasons += final_cost(end_state, units[-1], prose)[1]
    margins: list[float] = []
    for i in range(n if with_margins else 0):
        per_col = {c: INF for c in (1, 2, 3)}
        for st, a in alpha[i].items():
            b = beta[i].get(st, INF)
            per_col[st[0]] = min(per_col[st[0]], a + b)
        best_other = min(v for c, v in per_col.items() if c != columns[i])
        margins.append(best_other - per_col[columns[i]])
    return Assignment(
        columns=columns,
        breaks=breaks,
        cost=total,
        reasons=reasons,
        margins=margins,
        skipped=sorted(skipped),
        alpha=alpha,
    )
