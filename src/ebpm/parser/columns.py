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
from collections.abc import Iterator
from dataclasses import dataclass

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


Reason = tuple[str, int]  # message template with {line}, and the line; formatted only for the chosen path
BEAM = 6.0  # states costlier than the best by more than this cannot change the answer or its margins


@dataclass(slots=True)
class Step:
    cost: float
    brk: bool
    reasons: list[Reason]


@dataclass(slots=True)
class Assignment:
    columns: list[int]
    breaks: list[bool]  # breaks[i]: a page break before unit i
    cost: float
    reasons: list[str]
    margins: list[float]  # cost gap to the best path with unit i in another column


def _bit(col: int) -> int:
    return 1 << (col - 1)


def _lowest(mask: int) -> int | None:
    for col in (1, 2, 3):
        if mask & _bit(col):
            return col
    return None


def _emission(u: Unit, col: int, prose: bool) -> tuple[float, list[Reason]]:
    """Cost of placing ``u`` in ``col``, from what the unit itself shows.

    Tag evidence is read only where an item ends (a complete unit): a unit cut
    by the page break carries its tag in a later fragment.
    """
    line = u.lines[0]
    if u.kind == "row":
        return 0.0, []
    if u.kind in ("item", "subhead", "empty") and col == 1:
        return ITEM_IN_COLUMN_1, [("line {line}: marked item placed in column 1", line)]
    if u.kind in ("subhead", "empty"):
        return 0.0, []
    cost, why = 0.0, list[Reason]()
    if col == 2 and u.kind == "item" and u.continues_prior_work:
        cost += CONTINUING_STATUS
        why.append(("line {line}: status item starts with 引き続き", line))
    if not u.complete:
        return cost, why
    if col == 1 and not u.tagged and not prose:
        cost += UNTAGGED_COMMITMENT
    elif col == 2 and u.tagged:
        cost += TAGGED_STATUS
        why.append(("line {line}: status item carries a ministry tag", line))
    elif col == 3 and not u.tagged:
        # common in sections 4 and 6: evidence against column 3, not an anomaly
        if u.number is not None:
            cost += UNTAGGED_NUMBERED_ACTION
        elif u.kind == "frag":
            cost += UNTAGGED_ACTION_END  # the end of a cut item, or a paragraph of an item
        else:
            cost += UNTAGGED_ACTION_PROSE if prose else UNTAGGED_ACTION
    return cost, why


def _with_number(numbers: tuple[int, int, int], col: int, number: int) -> tuple[int, int, int]:
    a, b, c = numbers
    return (number, b, c) if col == 1 else (a, number, c) if col == 2 else (a, b, number)


def _transitions(prev: State, u: Unit, prev_unit: Unit, prose: bool) -> Iterator[tuple[State, Step]]:
    col, mask, first_page, reached, numbers = prev
    for brk in (False, True):
        bwhy: list[Reason] = []
        if brk:
            if u.break_before == "hard":
                bcost, bwhy = HARD_BREAK, []
            elif u.break_before == "soft":
                bcost, bwhy = SOFT_BREAK, []
            elif u.kind == "frag" and prev_unit.complete:
                bcost, bwhy = IMPLIED_BREAK, []
            else:
                bcost, bwhy = UNSEEN_BREAK, [("line {line}: page break assumed without a marker", u.lines[0])]
            if first_page and reached < 3:
                bcost += BREAK_BEFORE_COLUMN_3
                bwhy = [*bwhy, ("line {line}: page break before column 3 began", u.lines[0])]
        else:
            if u.break_before == "hard":
                bcost, bwhy = MISSED_HARD_BREAK, []
            else:
                bcost, bwhy = 0.0, []
        for c in (1, 2, 3):
            cost, why = bcost, list(bwhy)
            if not brk:
                if c < col:
                    continue
                if u.kind == "frag":
                    if c == col:
                        if prev_unit.complete:
                            p = PARAGRAPH_SAME_COLUMN_PROSE if prose else PARAGRAPH_SAME_COLUMN
                            cost += p
                            if not prose:
                                why.append(("line {line}: unmarked paragraph inside a cell", u.lines[0]))
                    elif mask & _bit(c) and not mask & sum(_bit(k) for k in range(col + 1, c)):
                        pass  # next open column continues on this page after a break
                    else:
                        cost += UNMARKED_COLUMN_START
                        why.append(("line {line}: column " + str(c) + " starts without a marker", u.lines[0]))
                elif c > col and mask & sum(_bit(k) for k in range(col + 1, c + 1)) and not first_page:
                    cost += OPEN_COLUMN_SKIPPED
                    why.append(("line {line}: an unfinished column did not continue", u.lines[0]))
            else:
                # a new page: columns run in order again; each unfinished column must
                # continue with an unmarked fragment before anything else is written in it
                skipped = _lowest(mask & sum(_bit(k) for k in range(1, c)))
                if skipped is not None:
                    cost += OPEN_COLUMN_SKIPPED
                    why.append(
                        ("line {line}: unfinished column " + str(skipped) + " did not continue", u.lines[0])
                    )
                if mask & _bit(c):
                    if u.kind != "frag":
                        cost += OPEN_COLUMN_SKIPPED
                        why.append(
                            ("line {line}: unfinished column " + str(c) + " did not continue", u.lines[0])
                        )
                elif u.kind == "frag":
                    cost += STRAY_FRAGMENT
                    why.append(
                        ("line {line}: unmarked text after a page break with no open column", u.lines[0])
                    )
            if first_page and not brk and c == 3 and reached < 2:
                cost += COLUMN_2_SKIPPED
                why.append(("line {line}: column 2 (status) is empty", u.lines[0]))
            e, ewhy = _emission(u, c, prose)
            cost += e
            why += ewhy
            new_mask = mask & ~_bit(c)
            if not u.complete:
                new_mask |= _bit(c)
            # numbered items count up within a column, across pages; a lower number means
            # the list of another column is being read
            number = u.number
            new_numbers = numbers
            if number is not None:
                if numbers[c - 1] and number <= numbers[c - 1]:
                    cost += NUMBERING_RESTART
                    why.append(("line {line}: numbering restarts inside one column", u.lines[0]))
                new_numbers = _with_number(numbers, c, number)
            elif u.kind == "item":
                new_numbers = _with_number(numbers, c, 0)  # a new lead-in may restart a list
            yield (c, new_mask, first_page and not brk, max(reached, c), new_numbers), Step(cost, brk, why)


def _final_cost(state: State) -> tuple[float, list[str]]:
    _, mask, _, reached, _ = state
    cost, why = 0.0, []
    if mask:
        cost += UNFINISHED_AT_END
        why.append("a column ends without closing its last item")
    if reached < 3:
        cost += NO_ACTION_COLUMN
        why.append("no item was placed in column 3 (future actions)")
    return cost, why


def assign_columns(units: list[Unit], prose: bool) -> Assignment:
    """Decode the most likely column of every unit of one row."""
    n = len(units)
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
        for s, a in alpha[-1].items():
            for t, step in _transitions(s, units[i], units[i - 1], prose):
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
    beta[n - 1] = {s: _final_cost(s)[0] for s in alpha[n - 1]}
    for i in range(n - 1, 0, -1):
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
    path_reasons: list[Reason] = []
    s = end_state
    for i in range(n - 1, 0, -1):
        columns[i] = s[0]
        prev, step = back[i][s]
        breaks[i] = step.brk
        path_reasons = step.reasons + path_reasons
        s = prev
    columns[0] = 1
    reasons = [template.format(line=line) for template, line in path_reasons]
    reasons += _final_cost(end_state)[1]
    margins: list[float] = []
    for i in range(n):
        per_col = {c: INF for c in (1, 2, 3)}
        for st, a in alpha[i].items():
            b = beta[i].get(st, INF)
            per_col[st[0]] = min(per_col[st[0]], a + b)
        best_other = min(v for c, v in per_col.items() if c != columns[i])
        margins.append(best_other - per_col[columns[i]])
    return Assignment(columns=columns, breaks=breaks, cost=total, reasons=reasons, margins=margins)
