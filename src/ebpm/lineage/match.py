"""Link the rows and actions of two editions.

Rows first. Each row is compared with every row of the other edition on the text of its
commitment (具体的な取組) and, with less weight, of its actions: the cosine of TF-IDF character
bigrams over NFKC-folded text without tags (:mod:`ebpm.lineage.text`). A row that stays in its
section (the same heading path, compared by the headings' titles so that a renumbered heading still
counts) gets a bonus, so that of two rows with the same text (a 再掲 row and its original) each
pairs with the one in its own section. One optimal assignment over the whole table
(:mod:`ebpm.lineage.assign`) then picks the pairs; a pair is kept when its text similarity reaches
the threshold for its kind (lower within a section than across sections, where text alone must
carry the link), and is ``unsure`` below the second, higher threshold. Last, where exactly one row
is left unlinked on each side of one section, the two are linked "by heading path" if their text
shares anything at all; such a link is always unsure.

Actions next: within each pair of linked rows first, by the same assignment on the actions'
texts, then the actions left over on both sides across the whole document (an action moved to
another row), with the stricter thresholds.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from ebpm.lineage.assign import Matrix, assign
from ebpm.lineage.model import Change, Lineage, Link, Method, Thresholds
from ebpm.lineage.text import Vectors, fold
from ebpm.model import Cell, Document, Measure

COMMITMENT_SHARE = 0.7  # of a row's text similarity; the rest is its actions'
SECTION_BONUS = 0.2  # added to the assignment weight of a pair in the same section
PARENT_BONUS = 0.05  # …and of a pair under the same parent heading
ROUND = 4


def action_id(measure_id: str, k: int) -> str:
    """The id of a row's ``k``-th action (0-based), as everywhere in ebpm: ``2.1.3.2.m1.a1``."""
    return f"{measure_id}.a{k + 1}"


def action_ids(doc: Document) -> list[str]:
    """Every action id of ``doc``, in document order."""
    return [action_id(r.id, k) for r in doc.measures for k in range(len(r.actions))]


def _paths(doc: Document) -> dict[str, tuple[str, ...]]:
    """Heading id -> the folded titles from its chapter down to it."""
    by_id = {h.id: h for h in doc.headings}
    out: dict[str, tuple[str, ...]] = {}
    for h in doc.headings:
        titles: list[str] = []
        node = h
        while node is not None:
            titles.append(fold(node.title))
            node = by_id.get(node.parent_id) if node.parent_id else None  # type: ignore[assignment]
        out[h.id] = tuple(reversed(titles))
    return out


def cell_changed(old: Cell, new: Cell) -> bool:
    """Whether the text (folded), the owners or the deadlines of a cell changed. Deadlines are
    read from the text, and folding keeps every character they are read from, so a deadline
    cannot move while the folded text stays."""
    return fold(old.text) != fold(new.text) or sorted(old.ministries) != sorted(new.ministries)


class _Matcher:
    def __init__(self, old: Document, new: Document, thresholds: Thresholds) -> None:
        self.old, self.new, self.t = old, new, thresholds
        self.old_paths, self.new_paths = _paths(old), _paths(new)

    def _place(self, a: Measure, b: Measure) -> tuple[bool, bool]:
        """(same section, same parent heading), by the headings' titles, else by their ids."""
        pa, pb = self.old_paths.get(a.section), self.new_paths.get(b.section)
        if pa is None or pb is None:
            same = a.section == b.section
            return same, same or a.section.rsplit(".", 1)[0] == b.section.rsplit(".", 1)[0]
        return pa == pb, pa[:-1] == pb[:-1]

    def _accept(self, score: float, same: bool) -> tuple[bool, bool]:
        """(linked, unsure) for a pair of this text similarity, in the same place or not."""
        low, high = (self.t.link, self.t.sure) if same else (self.t.link_moved, self.t.sure_moved)
        return score >= low, score < high

    # --- rows -------------------------------------------------------------------------------

    def rows(self) -> tuple[list[Link], list[tuple[int, int]]]:
        olds, news = self.old.measures, self.new.measures
        n, m = len(olds), len(news)
        commit = Vectors([fold(r.commitment.text) for r in (*olds, *news)])
        body = Vectors(["".join(fold(a.text) for a in r.actions) for r in (*olds, *news)])
        c = commit.cosine(range(n), range(n, n + m))
        b = body.cosine(range(n), range(n, n + m))
        has_actions = (
            np.array([bool(r.actions) for r in olds])[:, None]
            & np.array([bool(r.actions) for r in news])[None, :]
        )
        text: Matrix = np.where(has_actions, COMMITMENT_SHARE * c + (1 - COMMITMENT_SHARE) * b, c)
        place = np.zeros((n, m), dtype=bool)
        parent = np.zeros((n, m), dtype=bool)
        for i, a in enumerate(olds):
            for j, r in enumerate(news):
                place[i, j], parent[i, j] = self._place(a, r)
        identical = np.zeros((n, m), dtype=bool)
        folded_new: dict[str, list[int]] = defaultdict(list)
        for j, r in enumerate(news):
            folded_new[fold(r.commitment.text)].append(j)
        for i, a in enumerate(olds):
            for j in folded_new.get(fold(a.commitment.text), []):
                identical[i, j] = True
        # only pairs that may be linked weigh anything: a bonus on a pair too unlike to link would
        # let the optimum trade a true pair for two rows that merely share a section
        eligible = text >= np.where(place, self.t.link, self.t.link_moved)
        weight = np.where(eligible, text + SECTION_BONUS * place + PARENT_BONUS * parent, 0.0)
        pairs: list[tuple[int, int]] = []
        links: list[Link] = []
        for i, j in assign(weight):
            score = float(text[i, j])
            linked, unsure = self._accept(score, bool(place[i, j]))
            if not linked:
                continue
            method: Method
            if identical[i, j] and place[i, j]:
                method = "identical"
            elif place[i, j]:
                method = "same-section text"
            else:
                method = "moved section"
            pairs.append((i, j))
            links.append(self._row_link(olds[i], news[j], score, method, unsure))
        # last resort: the one row left on each side of a section
        taken_old = {i for i, _ in pairs}
        taken_new = {j for _, j in pairs}
        left_old: dict[tuple[str, ...], list[int]] = defaultdict(list)
        left_new: dict[tuple[str, ...], list[int]] = defaultdict(list)
        for i, a in enumerate(olds):
            if i not in taken_old:
                left_old[self.old_paths.get(a.section, (a.section,))].append(i)
        for j, r in enumerate(news):
            if j not in taken_new:
                left_new[self.new_paths.get(r.section, (r.section,))].append(j)
        for path, ids in left_old.items():
            others = left_new.get(path, [])
            if len(ids) == 1 and len(others) == 1 and text[ids[0], others[0]] >= self.t.heading_path:
                i, j = ids[0], others[0]
                pairs.append((i, j))
                links.append(self._row_link(olds[i], news[j], float(text[i, j]), "by heading path", True))
        linked_old = {i for i, _ in pairs}
        linked_new = {j for _, j in pairs}
        links += [Link("row", r.id, None, "dropped") for i, r in enumerate(olds) if i not in linked_old]
        links += [Link("row", None, r.id, "new") for j, r in enumerate(news) if j not in linked_new]
        return links, pairs

    def _row_link(self, a: Measure, b: Measure, score: float, method: Method, unsure: bool) -> Link:
        change: Change = "changed" if cell_changed(a.commitment, b.commitment) else "continued"
        if method == "identical" and change == "continued":
            score = 1.0
        return Link("row", a.id, b.id, change, round(score, ROUND), method, unsure)

    # --- actions ----------------------------------------------------------------------------

    def actions(self, row_pairs: Sequence[tuple[int, int]]) -> list[Link]:
        olds, news = self.old.measures, self.new.measures
        old_items = [(r, k, a) for r in olds for k, a in enumerate(r.actions)]
        new_items = [(r, k, a) for r in news for k, a in enumerate(r.actions)]
        vectors = Vectors([fold(a.text) for _, _, a in (*old_items, *new_items)])
        offset = len(old_items)
        old_index: dict[str, list[int]] = defaultdict(list)
        new_index: dict[str, list[int]] = defaultdict(list)
        for x, (r, _, _) in enumerate(old_items):
            old_index[r.id].append(x)
        for y, (r, _, _) in enumerate(new_items):
            new_index[r.id].append(y)
        links: list[Link] = []
        done_old: set[int] = set()
        done_new: set[int] = set()

        def link(x: int, y: int, score: float, method: Method, unsure: bool) -> None:
            (_, ko, a), (_, kn, b) = old_items[x], new_items[y]
            change: Change = "changed" if cell_changed(a, b) else "continued"
            if method == "identical" and change == "continued":
                score = 1.0
            links.append(
                Link(
                    "action",
                    action_id(old_items[x][0].id, ko),
                    action_id(new_items[y][0].id, kn),
                    change,
                    round(score, ROUND),
                    method,
                    unsure,
                )
            )
            done_old.add(x)
            done_new.add(y)

        for i, j in row_pairs:
            xs, ys = old_index.get(olds[i].id, []), new_index.get(news[j].id, [])
            if not xs or not ys:
                continue
            sims = vectors.cosine(xs, [offset + y for y in ys])
            for p, q in assign(sims):
                score = float(sims[p, q])
                linked, unsure = self._accept(score, True)
                if linked:
                    same = fold(old_items[xs[p]][2].text) == fold(new_items[ys[q]][2].text)
                    link(xs[p], ys[q], score, "identical" if same else "same-section text", unsure)
        xs = [x for x in range(len(old_items)) if x not in done_old]
        ys = [y for y in range(len(new_items)) if y not in done_new]
        if xs and ys:
            sims = vectors.cosine(xs, [offset + y for y in ys])
            for p, q in assign(sims):
                score = float(sims[p, q])
                linked, unsure = self._accept(score, False)
                if linked:
                    link(xs[p], ys[q], score, "moved section", unsure)
        links += [
            Link("action", action_id(r.id, k), None, "dropped")
            for x, (r, k, _) in enumerate(old_items)
            if x not in done_old
        ]
        links += [
            Link("action", None, action_id(r.id, k), "new")
            for y, (r, k, _) in enumerate(new_items)
            if y not in done_new
        ]
        return links


def _ordered(links: list[Link], old_order: dict[str, int], new_order: dict[str, int]) -> list[Link]:
    """Links in the new edition's order, each dropped item after the successor of the item
    before it in the old edition."""
    successor: dict[int, int] = {}
    for link in links:
        if link.old is not None and link.new is not None:
            successor[old_order[link.old]] = new_order[link.new]
    olds_sorted = sorted(successor)

    def key(link: Link) -> tuple[int, int, int]:
        if link.new is not None:
            return new_order[link.new], 0, 0
        i = old_order[link.old or ""]
        before = [k for k in olds_sorted if k < i]
        return (successor[before[-1]] if before else -1), 1, i

    return sorted(links, key=key)


def _with_actions(rows: list[Link], actions: list[Link]) -> list[Link]:
    """A row whose commitment is unchanged still changed when one of its actions (今後の取組方針)
    changed, was dropped or is new: its text, owners or deadlines did. Its status items (実施状況)
    are rewritten in every edition and do not count (the diff reports them as status_changed)."""
    touched_old = {a.old.rsplit(".a", 1)[0] for a in actions if a.change != "continued" and a.old}
    touched_new = {a.new.rsplit(".a", 1)[0] for a in actions if a.change != "continued" and a.new}
    return [
        replace(r, change="changed")
        if r.change == "continued" and (r.old in touched_old or r.new in touched_new)
        else r
        for r in rows
    ]


def match_editions(
    old: Document,
    new: Document,
    old_edition: str | None = None,
    new_edition: str | None = None,
    thresholds: Thresholds | None = None,
) -> Lineage:
    """Every row and action of ``new`` linked to its predecessor in ``old``, or new; every one of
    ``old`` continued, changed or dropped. The editions' names default to the documents' own."""
    matcher = _Matcher(old, new, thresholds or Thresholds())
    rows, pairs = matcher.rows()
    actions = matcher.actions(pairs)
    rows = _with_actions(rows, actions)
    row_old = {r.id: k for k, r in enumerate(old.measures)}
    row_new = {r.id: k for k, r in enumerate(new.measures)}
    act_old = {a: n for n, a in enumerate(action_ids(old))}
    act_new = {a: n for n, a in enumerate(action_ids(new))}
    return Lineage(
        old_edition or old.edition,
        new_edition or new.edition,
        _ordered(rows, row_old, row_new),
        _ordered(actions, act_old, act_new),
    )
