"""Users and API tokens; logins and sessions are in ``ebpm.accounts.sessions``, re-exported here.

Every function that writes does so in one transaction with its audit entry: a change is never
stored without its record, nor recorded without being stored.
"""

from __future__ import annotations

import hmac
import json
import re
import secrets
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Connection, Engine, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from ebpm.accounts import clock, passwords
from ebpm.accounts.digests import token_hash
from ebpm.accounts.principal import ROLES, Principal, Role, principal_of
from ebpm.accounts.sessions import login, logout, session_principal
from ebpm.audit import log as audit
from ebpm.errors import AccountError, UnknownUserError
from ebpm.sources.normalize import compact
from ebpm.store.follow_tables import api_tokens, sessions, users

__all__ = [
    "Principal",
    "Role",
    "UserInfo",
    "add_user",
    "check_new_user",
    "disable_user",
    "list_users",
    "login",
    "logout",
    "new_token",
    "principal_for_token",
    "session_principal",
    "token_hash",
    "users_exist",
]

NAME = re.compile(r"[A-Za-z0-9._-]{1,64}", re.ASCII)
RESERVED = frozenset({"anonymous"})  # the audit log's actor for who is not logged in
TOKEN_PREFIX = "ebpm_"  # tells a leaked token apart from other secrets (secret scanners)
MAX_TOKEN_LENGTH = 256  # ours are 48 characters; a longer one is not worth hashing


@dataclass(frozen=True, slots=True)
class UserInfo:
    name: str
    role: str
    ministries: tuple[str, ...]
    created_at: str | None
    disabled_at: str | None
    locked_until: str | None
    tokens: int  # active (unrevoked) API tokens


def _ministries(role: str, ministries: Iterable[str], known_ministries: Collection[str] | None) -> list[str]:
    """The ministries as stored (compact, sorted, once each), or an AccountError."""
    chosen = sorted({compact(m) for m in ministries})
    if "" in chosen:
        raise AccountError("a ministry abbreviation is empty")
    if role == "editor" and not chosen:
        raise AccountError("an editor needs at least one ministry (--ministry 文, say) to report for")
    if role != "editor" and chosen:
        raise AccountError(f"a user with role {role} has no ministries: only editors report for one")
    if known_ministries is not None:
        known = {compact(m) for m in known_ministries}
        unknown = [m for m in chosen if m not in known]
        if unknown:
            owners = "、".join(sorted(known))
            raise AccountError(f"unknown ministry {'、'.join(unknown)}; the strategy's owners are: {owners}")
    return chosen


def check_new_user(
    name: str, role: str, ministries: Iterable[str], *, known_ministries: Collection[str] | None = None
) -> list[str]:
    """Raise AccountError for a name, role or ministries that :func:`add_user` would refuse (before
    anyone is asked for a password); the ministries as they are stored."""
    if not NAME.fullmatch(name):
        raise AccountError(
            f"user name {name[:80]!r}: use 1 to 64 letters, digits, dots, underscores or hyphens"
        )
    if name in RESERVED:
        raise AccountError(f"user name {name!r} is reserved: the audit log names no one else so")
    if role not in ROLES:
        raise AccountError(f"role {role!r}: use {', '.join(ROLES)}")
    return _ministries(role, ministries, known_ministries)


def add_user(
    engine: Engine,
    name: str,
    role: str,
    ministries: Iterable[str],
    password: str,
    *,
    actor: str,
    ip: str | None = None,
    known_ministries: Collection[str] | None = None,
) -> Principal:
    """Add a user; ``known_ministries``, when given, are the abbreviations an editor may have."""
    chosen = check_new_user(name, role, ministries, known_ministries=known_ministries)
    passwords.check(password)
    # slow on purpose, so hashed before the transaction takes the write lock
    password_hash = passwords.hash_password(password)
    taken = AccountError(f"user name {name!r} is taken")
    stamp = clock.stamp(clock.now())
    try:
        with engine.begin() as conn:
            if conn.execute(select(users.c.id).where(users.c.name == name)).first() is not None:
                raise taken
            values = {"name": name, "role": role, "ministries": json.dumps(chosen, ensure_ascii=False)}
            conn.execute(
                insert(users).values(**values, password_hash=password_hash, created_at=stamp, failed_logins=0)
            )
            after = {"name": name, "role": role, "ministries": chosen}
            audit.append(conn, actor=actor, action="user.add", outcome="ok", target=name, after=after, ip=ip)
    except IntegrityError:  # added by another process between the check and the insert
        raise taken from None
    return Principal(name, cast(Role, role), frozenset(chosen))  # checked above


def list_users(engine: Engine) -> list[UserInfo]:
    """Every user, disabled ones too, by name."""
    active = (
        select(func.count())
        .where(api_tokens.c.user_id == users.c.id, api_tokens.c.revoked_at.is_(None))
        .scalar_subquery()
    )
    query = select(users, active.label("tokens")).order_by(users.c.name)
    with engine.connect() as conn:
        return [
            UserInfo(
                r.name,
                r.role,
                tuple(json.loads(r.ministries)),
                r.created_at,
                r.disabled_at,
                r.locked_until,
                int(r.tokens),
            )
            for r in conn.execute(query)
        ]


def _user(conn: Connection, name: str) -> Any:
    row = conn.execute(select(users).where(users.c.name == name)).one_or_none()
    if row is None:
        raise UnknownUserError(f"no user named {name[:80]!r}; `ebpm users list` shows them")
    return row


def principal_named(engine: Engine, name: str) -> Principal:
    """The enabled user ``name`` as a principal (what a command run ``--user NAME`` acts as)."""
    with engine.connect() as conn:
        row = _user(conn, name)
    if row.disabled_at is not None:
        raise AccountError(f"user {name!r} is disabled (since {row.disabled_at})")
    return principal_of(row)


def _revoke_tokens(conn: Connection, user_id: int, stamp: str) -> int:
    revoked = conn.execute(
        update(api_tokens)
        .where(api_tokens.c.user_id == user_id, api_tokens.c.revoked_at.is_(None))
        .values(revoked_at=stamp)
    )
    return int(revoked.rowcount)


def disable_user(engine: Engine, name: str, *, actor: str, ip: str | None = None) -> None:
    """Disable a user: their tokens are revoked and their sessions end; the account stays (its
    name is in reports and the audit log)."""
    stamp = clock.stamp(clock.now())
    with engine.begin() as conn:
        row = _user(conn, name)
        if row.disabled_at is not None:
            raise AccountError(f"user {name!r} is disabled already (since {row.disabled_at})")
        conn.execute(update(users).where(users.c.id == row.id).values(disabled_at=stamp))
        tokens = _revoke_tokens(conn, row.id, stamp)
        ended = conn.execute(delete(sessions).where(sessions.c.user_id == row.id)).rowcount
        after = {"disabled_at": stamp, "tokens_revoked": tokens, "sessions_ended": int(ended)}
        audit.append(
            conn,
            actor=actor,
            action="user.disable",
            outcome="ok",
            target=name,
            before={"disabled_at": None},
            after=after,
            ip=ip,
        )


def set_password(
    engine: Engine,
    name: str,
    password: str,
    *,
    actor: str,
    ip: str | None = None,
    current: str | None = None,
) -> None:
    """Give ``name`` a new password and end their sessions (every browser logs in again). A user
    changing their own sends ``current`` (ASVS 2.1.6); an admin resetting one (``ebpm users
    password``) does not. A wrong ``current`` is refused, audited, and counts for nothing else."""
    passwords.check(password)
    with engine.connect() as conn:
        row = _user(conn, name)
    if current is not None and not passwords.verify(row.password_hash, current):
        audit.record(
            engine,
            actor=actor,
            action="user.password",
            outcome="denied",
            target=name,
            ip=ip,
            after={"reason": "wrong current password"},
        )
        raise AccountError("the current password is wrong")
    if passwords.verify(row.password_hash, password):
        raise AccountError("the new password is the current one: choose another")
    password_hash = passwords.hash_password(password)  # slow: before the write lock is taken
    with engine.begin() as conn:
        conn.execute(
            update(users)
            .where(users.c.id == row.id)
            .values(password_hash=password_hash, failed_logins=0, locked_until=None)
        )
        ended = conn.execute(delete(sessions).where(sessions.c.user_id == row.id)).rowcount
        audit.append(
            conn,
            actor=actor,
            action="user.password",
            outcome="ok",
            target=name,
            ip=ip,
            after={"sessions_ended": int(ended), "by": "self" if current is not None else "admin"},
        )


def new_token(engine: Engine, name: str, *, actor: str, ip: str | None = None) -> str:
    """A new API token for ``name``, which replaces (revokes) their earlier ones; only its hash is
    stored, so this is the one time it can be seen."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    stamp = clock.stamp(clock.now())
    with engine.begin() as conn:
        row = _user(conn, name)
        if row.disabled_at is not None:
            raise AccountError(f"user {name!r} is disabled: enabled users only get tokens")
        revoked = _revoke_tokens(conn, row.id, stamp)
        conn.execute(
            insert(api_tokens).values(user_id=row.id, token_hash=token_hash(token), created_at=stamp)
        )
        after = {"tokens_revoked": revoked}  # never the token, nor its hash
        audit.append(conn, actor=actor, action="user.token", outcome="ok", target=name, after=after, ip=ip)
    return token


def principal_for_token(engine: Engine, token: str) -> Principal | None:
    """The enabled user whose unrevoked token this is; None for any other token."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    digest = token_hash(token)
    query = (
        select(users.c.name, users.c.role, users.c.ministries, api_tokens.c.token_hash)
        .join(api_tokens, api_tokens.c.user_id == users.c.id)
        .where(
            api_tokens.c.token_hash == digest,
            api_tokens.c.revoked_at.is_(None),
            users.c.disabled_at.is_(None),
        )
    )
    with engine.connect() as conn:
        row = conn.execute(query).one_or_none()
    # the index lookup compares hashes, not tokens, so it leaks nothing useful; this is belt and braces
    if row is None or not hmac.compare_digest(row.token_hash, digest):
        return None
    return principal_of(row)


def users_exist(engine: Engine) -> bool:
    """Is there any enabled user (else the server is still to be set up)?"""
    with engine.connect() as conn:
        return (
            conn.execute(select(users.c.id).where(users.c.disabled_at.is_(None)).limit(1)).first() is not None
        )
