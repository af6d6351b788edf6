"""The audit log: who did what, when, from where, with what outcome; tamper-evident.

Each entry's hash covers the previous entry's hash and the entry's own content, so changing,
removing or reordering an entry breaks the chain from there on, which :func:`verify` finds.
``audit_head`` holds the last seq and hash: every append starts by updating it, which queues
concurrent appenders (its row lock on PostgreSQL, the write lock on SQLite), so seqs never
repeat or skip, also across processes. The chain shows tampering by someone who cannot also
recompute every later hash; it is evidence, not a signature.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, Result, Row, func, insert, select, update

from ebpm.errors import AuditLogError
from ebpm.store.follow_tables import GENESIS_HASH, audit_head, audit_log
from ebpm.store.monitoring import now

OUTCOMES = frozenset({"ok", "denied", "conflict", "failed", "invalid"})
_BATCH = 1000  # rows fetched at a time by verify: the walk never holds the whole log


def canonical(value: Any) -> str:
    """``value`` as the one JSON text its hash is computed over."""
    # allow_nan=False: NaN is no JSON, and a log others read must be JSON
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def _digest(prev_hash: str, content: dict[str, Any]) -> str:
    return hashlib.sha256((prev_hash + canonical(content)).encode("utf-8")).hexdigest()


def append(
    conn: Connection,
    *,
    actor: str,
    action: str,
    outcome: str,
    target: str | None = None,
    before: Any = None,
    after: Any = None,
    ip: str | None = None,
) -> int:
    """Append one entry inside the caller's transaction (it commits or rolls back with the
    change it records); its seq."""
    if outcome not in OUTCOMES:
        raise ValueError(f"audit outcome {outcome!r}: use one of {', '.join(sorted(OUTCOMES))}")
    # first statement: it takes the lock every other appender then waits for
    head = conn.execute(
        update(audit_head)
        .where(audit_head.c.id == 1)
        .values(seq=audit_head.c.seq + 1)
        .returning(audit_head.c.seq, audit_head.c.hash)
    ).one_or_none()
    if head is None:
        raise AuditLogError(
            "the audit log has no head row: the monitoring store was not built by `ebpm migrate`"
        )
    seq, prev_hash = int(head.seq), str(head.hash)
    content = {
        "seq": seq,
        "at": now(),  # taken under the lock, so times never go backwards along the seqs
        "actor": actor,
        "ip": ip,
        "action": action,
        "target": target,
        "outcome": outcome,
        "before": before,
        "after": after,
    }
    digest = _digest(prev_hash, content)
    conn.execute(
        insert(audit_log).values(
            **{**content, "before": _json_or_none(before), "after": _json_or_none(after)},
            prev_hash=prev_hash,
            hash=digest,
        )
    )
    conn.execute(update(audit_head).where(audit_head.c.id == 1).values(hash=digest))
    return seq


def lock(conn: Connection) -> None:
    """Take the lock :func:`append` takes, now, as a transaction's first statement: a writer that
    reads before it writes then reads what no other writer can change before it commits, and every
    writer takes its locks in one order (the log's first), so two cannot wait for each other."""
    conn.execute(update(audit_head).where(audit_head.c.id == 1).values(seq=audit_head.c.seq))


def _json_or_none(value: Any) -> str | None:
    return None if value is None else canonical(value)


def record(
    engine: Engine,
    *,
    actor: str,
    action: str,
    outcome: str,
    target: str | None = None,
    before: Any = None,
    after: Any = None,
    ip: str | None = None,
) -> int:
    """Append one entry in a transaction of its own: for what writes nothing else (a denied
    request, a conflict, a failed login); its seq."""
    with engine.begin() as conn:
        return append(
            conn,
            actor=actor,
            action=action,
            outcome=outcome,
            target=target,
            before=before,
            after=after,
            ip=ip,
        )


@dataclass(frozen=True, slots=True)
class AuditEntry:
    seq: int
    at: str
    actor: str
    ip: str | None
    action: str
    target: str | None
    outcome: str
    before: Any  # the JSON value, or None
    after: Any
    prev_hash: str
    hash: str


def _entry(row: Row[Any]) -> AuditEntry:
    return AuditEntry(
        seq=row.seq,
        at=row.at,
        actor=row.actor,
        ip=row.ip,
        action=row.action,
        target=row.target,
        outcome=row.outcome,
        before=None if row.before is None else json.loads(row.before),
        after=None if row.after is None else json.loads(row.after),
        prev_hash=row.prev_hash,
        hash=row.hash,
    )


def entries(
    engine: Engine, *, user: str | None = None, since: str | None = None, limit: int = 100, offset: int = 0
) -> list[AuditEntry]:
    """Entries, newest first: only ``user``'s (as actor), only those at or after ``since``
    (an ISO date or time, UTC)."""
    query = select(audit_log).order_by(audit_log.c.seq.desc()).limit(max(0, limit)).offset(max(0, offset))
    if user is not None:
        query = query.where(audit_log.c.actor == user)
    if since is not None:
        query = query.where(audit_log.c.at >= since)  # ISO strings in UTC sort as the times do
    with engine.connect() as conn:
        return [_entry(r) for r in conn.execute(query)]


@dataclass(frozen=True, slots=True)
class Verdict:
    ok: bool
    checked: int  # entries found intact before the first break (all of them when ok)
    first_broken: int | None  # the seq of the first entry that is wrong or missing
    reason: str | None


def verify(engine: Engine) -> Verdict:
    """Walk the log in seq order: recompute each hash, check each link and that no seq is
    missing, and that the head names the last entry; the first break and why.

    Sound under any isolation level and while others append: the head is read first, and an
    append writes its entry and the head in one transaction, so every entry up to the head's
    seq is committed before the walk starts, and later appends are beyond it.
    """
    with engine.connect() as conn:
        head = _head(conn)
        if head is None:
            return Verdict(False, 0, None, "the audit log has no head row (deleted?)")
        checked, last_seq, last_hash = 0, 0, GENESIS_HASH
        with _walk(conn, head[0]) as rows:
            for row in rows:
                reason = _broken(row, last_seq + 1, last_hash)
                if reason is not None:
                    return Verdict(False, checked, min(row.seq, last_seq + 1), reason)
                checked, last_seq, last_hash = checked + 1, row.seq, row.hash
        mismatch = _head_mismatch(conn, head, last_seq, last_hash)
    if mismatch is not None:
        return Verdict(False, checked, *mismatch)
    return Verdict(True, checked, None, None)


def _head(conn: Connection) -> tuple[int, str] | None:
    row = conn.execute(select(audit_head.c.seq, audit_head.c.hash).where(audit_head.c.id == 1)).one_or_none()
    return None if row is None else (int(row.seq), str(row.hash))


def _walk(conn: Connection, upto: int) -> Result[Any]:
    # streamed: a server-side cursor on PostgreSQL, batches of fetchmany on SQLite
    query = select(audit_log).where(audit_log.c.seq <= upto).order_by(audit_log.c.seq)
    return conn.execution_options(yield_per=_BATCH).execute(query)


def _head_mismatch(
    conn: Connection, head: tuple[int, str], last_seq: int, last_hash: str
) -> tuple[int | None, str] | None:
    """The first broken seq and why, where the walked entries do not end as the head says."""
    if head[0] != last_seq:
        return last_seq + 1, (
            f"entry {last_seq + 1} is missing: the log ends at {last_seq} but its head says {head[0]} "
            "(the last entries deleted?)"
        )
    if head[1] != last_hash:
        return (
            last_seq or None,
            f"the head's hash does not match entry {last_seq}'s (the last entry replaced?)",
        )
    # read in this order, an entry beyond the head now is one that no append wrote
    top = conn.execute(select(func.max(audit_log.c.seq))).scalar_one_or_none() or 0
    current = _head(conn)
    if current is not None and top > current[0]:
        return current[0] + 1, (
            f"entry {current[0] + 1}: it is beyond the head, which says the log ends at {current[0]} "
            "(inserted?)"
        )
    return None


def _broken(row: Row[Any], expected: int, prev_hash: str) -> str | None:
    """Why ``row`` breaks the chain where entry ``expected`` should follow ``prev_hash``; None if
    it does not."""
    if row.seq != expected:
        return f"entry {expected} is missing: the log goes from {expected - 1} to {row.seq} (deleted?)"
    if row.prev_hash != prev_hash:
        return f"entry {row.seq}: it does not link to entry {row.seq - 1} (inserted, replaced or reordered?)"
    content: dict[str, Any] = {
        name: row._mapping[name] for name in ("seq", "at", "actor", "ip", "action", "target", "outcome")
    }
    changed = f"entry {row.seq}: its content does not match its hash (changed after it was written?)"
    try:
        for name in ("before", "after"):
            text = row._mapping[name]
            content[name] = None if text is None else json.loads(text)
        if _digest(prev_hash, content) != row.hash:
            return changed
    except ValueError:  # not JSON, or NaN where canonical JSON has none
        return changed
    # the same values written otherwise (spaces, key order) are still a change to the entry
    if any(
        row._mapping[n] is not None and canonical(content[n]) != row._mapping[n] for n in ("before", "after")
    ):
        return (
            f"entry {row.seq}: its before or after is not as it was written (changed after it was written?)"
        )
    return None
