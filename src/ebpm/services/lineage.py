"""Lineage between two loaded editions: the matcher's links, with the admins' decisions on top.

The matcher (:mod:`ebpm.lineage`) runs once per pair of loaded editions (a re-ingest of either
loads a new one); the decisions are read from the monitoring store on every call, so a review is
seen at once. A decision names one item of the newer edition and its predecessor (or none: the
item is new) and wins over the matcher: the item's former predecessor, if no longer anyone's,
becomes dropped, and the predecessor's former successor becomes new.
"""

from __future__ import annotations

from dataclasses import replace
from itertools import pairwise
from typing import Any

from sqlalchemy import Engine, insert, select, update

from ebpm.accounts.principal import Principal
from ebpm.audit import log as audit
from ebpm.errors import InvalidInputError, NotAllowedError, NotFoundError
from ebpm.lineage.history import trace
from ebpm.lineage.match import action_id, match_editions
from ebpm.lineage.model import Kind, Lineage, Link
from ebpm.model import Document
from ebpm.services.knowledge import EditionCaches, Knowledge
from ebpm.store.lineage_tables import lineage_reviews
from ebpm.store.monitoring import now


def matched(old: Knowledge, new: Knowledge) -> Lineage:
    """The matcher's links from ``old`` to ``new``, computed once per pair of loads."""
    key = f"lineage:{old.edition}:{old.doc.sha256}"
    return new.derived(key, lambda k_: match_editions(old.doc, k_.doc, old.edition, k_.edition))


def decisions(store: Engine, old: str, new: str) -> dict[tuple[str, str], str | None]:
    """The current decisions for ``old`` → ``new``: (kind, new id) -> old id or None."""
    t = lineage_reviews
    with store.connect() as conn:
        rows = conn.execute(
            select(t.c.kind, t.c.new_id, t.c.old_id)
            .where(t.c.old_edition == old, t.c.new_edition == new, t.c.superseded_at.is_(None))
            .order_by(t.c.id)
        ).all()
    return {(r.kind, r.new_id): r.old_id for r in rows}


def _apply(links: list[Link], kind: Kind, decided: dict[tuple[str, str], str | None]) -> list[Link]:
    mine = {new_id: old_id for (k, new_id), old_id in decided.items() if k == kind}
    if not mine:
        return links
    taken = {old_id for old_id in mine.values() if old_id is not None}
    by_pair = {(link.old, link.new): link for link in links}
    olds = [link.old for link in links if link.old is not None]
    news = [link.new for link in links if link.new is not None]
    # the matcher's links that no decision touches
    kept = [
        link
        for link in links
        if link.new not in mine and (link.old is None or link.old not in taken)
        if link.old is not None and link.new is not None
    ]
    pairs = {(link.old, link.new) for link in kept} | {(o, n) for n, o in mine.items() if o is not None}
    linked_old = {o for o, _ in pairs}
    linked_new = {n for _, n in pairs}
    out: list[Link] = []
    for old_id, new_id in sorted(pairs, key=lambda p: news.index(p[1]) if p[1] in news else 0):
        was = by_pair.get((old_id, new_id))
        if new_id in mine:  # a person decided it: sure, whatever the score
            base = was or Link(kind, old_id, new_id, "changed")
            out.append(replace(base, method="reviewed", unsure=False))
        elif was is not None:
            out.append(was)
    out += [
        Link(kind, None, n, "new", method="reviewed" if n in mine else None)
        for n in news
        if n not in linked_new
    ]
    out += [Link(kind, o, None, "dropped") for o in olds if o not in linked_old]
    return out


def lineage(old: Knowledge, new: Knowledge, store: Engine | None = None) -> Lineage:
    """Every link from ``old`` to ``new``: the matcher's, with the decisions in ``store`` on top."""
    found = matched(old, new)
    if store is None:
        return found
    return reviewed(found, store)


def reviewed(found: Lineage, store: Engine) -> Lineage:
    """``found`` (the matcher's links) with the admins' decisions in ``store`` on top."""
    decided = decisions(store, found.old, found.new)
    if not decided:
        return found
    return Lineage(
        found.old, found.new, _apply(found.rows, "row", decided), _apply(found.actions, "action", decided)
    )


def _ids(doc: Document, kind: Kind) -> set[str]:
    if kind == "row":
        return {m.id for m in doc.measures}
    return {action_id(m.id, k) for m in doc.measures for k in range(len(m.actions))}


def review(
    store: Engine,
    who: Principal,
    old: Knowledge,
    new: Knowledge,
    kind: str,
    new_id: str,
    old_id: str | None,
    ip: str | None = None,
) -> dict[str, Any]:
    """An admin's decision: ``new_id``'s predecessor is ``old_id`` (None: it is new). Checked
    first, audited in the same transaction; the earlier decision on the item is superseded."""
    if not who.is_admin:
        audit.record(store, actor=who.name, action="lineage.review", outcome="denied", target=new_id, ip=ip)
        raise NotAllowedError(f"{who.name} is a {who.role}; only an admin reviews the links between editions")
    if kind not in ("row", "action"):
        raise InvalidInputError("kind", f"{kind!r} is not row or action")
    checked: Kind = "row" if kind == "row" else "action"
    if new_id not in _ids(new.doc, checked):
        raise NotFoundError(f"no {kind} {new_id!r} in the {new.edition} edition")
    if old_id is not None and old_id not in _ids(old.doc, checked):
        raise NotFoundError(f"no {kind} {old_id!r} in the {old.edition} edition")
    before = lineage(old, new, store)
    link = before.predecessor(new_id) if checked == "row" else _action_link(before, new_id)
    decision = "confirmed" if link is not None and link.old == old_id else "corrected"
    stamp = now()
    t = lineage_reviews
    with store.begin() as conn:
        conn.execute(
            update(t)
            .where(
                t.c.old_edition == old.edition,
                t.c.new_edition == new.edition,
                t.c.kind == kind,
                t.c.new_id == new_id,
                t.c.superseded_at.is_(None),
            )
            .values(superseded_at=stamp)
        )
        conn.execute(
            insert(t).values(
                old_edition=old.edition,
                new_edition=new.edition,
                kind=kind,
                new_id=new_id,
                old_id=old_id,
                decision=decision,
                author=who.name,
                created_at=stamp,
            )
        )
        audit.append(
            conn,
            actor=who.name,
            action="lineage.review",
            outcome="ok",
            target=f"{old.edition}->{new.edition}:{new_id}",
            before={"old_id": link.old if link else None, "score": link.score if link else None},
            after={"old_id": old_id, "decision": decision},
            ip=ip,
        )
    return {"kind": kind, "new_id": new_id, "old_id": old_id, "decision": decision, "author": who.name}


def _action_link(found: Lineage, new_id: str) -> Link | None:
    return next((link for link in found.actions if link.new == new_id), None)


def history(caches: EditionCaches, k: Knowledge, item_id: str, store: Engine | None) -> list[dict[str, Any]]:
    """A row's (or action's) line through every edition in the knowledge base, oldest first: its id
    in each edition (None where it was not yet, or no longer, there) and how it came from the
    edition before, over the reviewed links of each pair of consecutive editions."""
    names = caches.editions().names()
    if len(names) < 2 or k.edition not in names:
        return []
    loaded = [caches.get(e) for e in names]
    chain = [lineage(a, b, store) for a, b in pairwise(loaded)]
    return [
        {
            "edition": step.edition,
            "id": step.id,
            "current": step.edition == k.edition,
            "change": step.change,
            "score": None if step.score is None else round(step.score, 3),
            "method": step.method,
            "unsure": step.unsure,
        }
        for step in trace(chain, k.edition, item_id)
    ]


def warm(caches: EditionCaches) -> int:
    """Load every edition and match each pair of consecutive ones, so that the first page that
    needs a lineage (a diff, a row's history, a later edition's carried records) does not wait
    seconds for it. Run in the background by a server at start; the number of pairs matched."""
    names = caches.editions().names()
    loaded = [caches.get(e) for e in names]
    for old, new in pairwise(loaded):
        matched(old, new)
    return max(0, len(loaded) - 1)
