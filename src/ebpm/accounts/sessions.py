"""Logins and sessions: passwords checked with argon2, failures counted and locked out, sessions
kept as the SHA-256 of their cookie with an absolute and an idle expiry.

A failed login says the same for an unknown name, a wrong password and a disabled account, and
takes as long (an unknown name still costs one argon2 verify). A lock after repeated failures
is said as such: that it exists is the point of saying it.
"""

from __future__ import annotations

import hmac
import secrets
from datetime import datetime, timedelta
from typing import Any, NoReturn

from sqlalchemy import Engine, and_, case, delete, insert, null, or_, select, update

from ebpm.accounts import clock, passwords
from ebpm.accounts.digests import token_hash
from ebpm.accounts.principal import Principal, principal_of
from ebpm.audit import log as audit
from ebpm.errors import LoginFailed, LoginLocked
from ebpm.store.follow_tables import sessions, users

SESSION_LIFETIME = timedelta(hours=8)
IDLE_TIMEOUT = timedelta(minutes=30)
MAX_FAILURES = 5  # consecutive failed logins that lock the account
LOCKOUT = timedelta(minutes=15)
# last_seen is written at most this often: not one write per request (which would queue behind an
# import on SQLite), at the cost of the idle timeout being this much less exact
TOUCH_EVERY = timedelta(minutes=1)
MAX_COOKIE_LENGTH = 256  # ours are 43 characters
GENERIC = "wrong name or password"


def login(engine: Engine, name: str, password: str, *, ip: str | None) -> tuple[str, str]:
    """Log ``name`` in: (the session cookie's value, the session's CSRF token), or LoginFailed
    (LoginLocked while the account is locked)."""
    t = clock.now()
    target = name[:64]  # a name is at most 64 characters; a longer one is no name, not kept whole
    with engine.connect() as conn:
        row = conn.execute(
            select(users.c.id, users.c.password_hash, users.c.disabled_at, users.c.locked_until).where(
                users.c.name == name
            )
        ).one_or_none()
    if row is None or row.disabled_at is not None:
        passwords.spend_verify_time(password)
        reason = "unknown user" if row is None else "disabled user"
        audit.record(
            engine,
            actor="anonymous",
            action="login",
            outcome="denied",
            target=target,
            after={"reason": reason},
            ip=ip,
        )
        raise LoginFailed(GENERIC)
    if row.locked_until is not None and row.locked_until > clock.stamp(t):
        _locked(engine, target, row.locked_until, ip)
    if not passwords.verify(row.password_hash, password):
        _failed(engine, row.id, target, t, ip)
        raise LoginFailed(GENERIC)
    rehashed = passwords.hash_password(password) if passwords.needs_rehash(row.password_hash) else None
    return _session(engine, row.id, name, rehashed, t, ip)


def _locked(engine: Engine, target: str, until: str, ip: str | None) -> NoReturn:
    after = {"reason": "locked", "locked_until": until}
    audit.record(
        engine, actor="anonymous", action="login", outcome="denied", target=target, after=after, ip=ip
    )
    raise LoginLocked(f"too many failed logins: this account is locked until {until} (UTC)", until)


def _failed(engine: Engine, user_id: int, target: str, t: datetime, ip: str | None) -> None:
    """Count a failed login (in the database, so that concurrent ones all count); lock the
    account at the limit. A lock that has run out starts the count anew."""
    now = clock.stamp(t)
    expired = and_(users.c.locked_until.is_not(None), users.c.locked_until <= now)
    with engine.begin() as conn:
        counted = conn.execute(
            update(users)
            .where(users.c.id == user_id)
            .values(
                failed_logins=case((expired, 1), else_=users.c.failed_logins + 1),
                locked_until=case((expired, null()), else_=users.c.locked_until),
            )
            .returning(users.c.failed_logins, users.c.locked_until)
        ).one()
        until = counted.locked_until
        if counted.failed_logins >= MAX_FAILURES and until is None:
            until = clock.stamp(t + LOCKOUT)
            conn.execute(update(users).where(users.c.id == user_id).values(locked_until=until))
        after = {"reason": "wrong password", "failed_logins": counted.failed_logins, "locked_until": until}
        audit.append(
            conn, actor="anonymous", action="login", outcome="denied", target=target, after=after, ip=ip
        )


def _session(
    engine: Engine, user_id: int, name: str, rehashed: str | None, t: datetime, ip: str | None
) -> tuple[str, str]:
    now = clock.stamp(t)
    cookie, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    values: dict[str, Any] = {"failed_logins": 0, "locked_until": None}
    if rehashed is not None:
        values["password_hash"] = rehashed
    with engine.begin() as conn:
        # checked again under the write lock: locked or disabled since the password was checked?
        still = conn.execute(
            update(users)
            .where(
                users.c.id == user_id,
                users.c.disabled_at.is_(None),
                or_(users.c.locked_until.is_(None), users.c.locked_until <= now),
            )
            .values(**values)
        ).rowcount
        if still == 1:
            conn.execute(
                delete(sessions).where(
                    or_(sessions.c.expires_at <= now, sessions.c.last_seen <= clock.stamp(t - IDLE_TIMEOUT))
                )
            )
            expires = clock.stamp(t + SESSION_LIFETIME)
            conn.execute(
                insert(sessions).values(
                    id=token_hash(cookie),
                    user_id=user_id,
                    csrf=csrf,
                    created_at=now,
                    expires_at=expires,
                    last_seen=now,
                )
            )
            after = {"session_expires": expires}
            audit.append(conn, actor=name, action="login", outcome="ok", target=name, after=after, ip=ip)
        else:
            after = {"reason": "locked or disabled meanwhile"}
            audit.append(
                conn, actor="anonymous", action="login", outcome="denied", target=name, after=after, ip=ip
            )
    if still != 1:
        raise LoginFailed(GENERIC)
    return cookie, csrf


def session_principal(engine: Engine, cookie_value: str) -> tuple[Principal, str] | None:
    """The user of a session cookie and the session's CSRF token; None for a cookie of no
    session, of one expired or idle too long, or of a disabled user."""
    if not cookie_value or len(cookie_value) > MAX_COOKIE_LENGTH:
        return None
    sid, t = token_hash(cookie_value), clock.now()
    now = clock.stamp(t)
    query = (
        select(sessions, users.c.name, users.c.role, users.c.ministries, users.c.disabled_at)
        .join(users, users.c.id == sessions.c.user_id)
        .where(sessions.c.id == sid)
    )
    with engine.connect() as conn:
        row = conn.execute(query).one_or_none()
    if row is None or not hmac.compare_digest(row.id, sid) or row.disabled_at is not None:
        return None
    if row.expires_at is None or row.expires_at <= now:
        return None
    if row.last_seen is None or row.last_seen <= clock.stamp(t - IDLE_TIMEOUT):
        return None
    if row.last_seen <= clock.stamp(t - TOUCH_EVERY):
        with engine.begin() as conn:
            conn.execute(update(sessions).where(sessions.c.id == sid).values(last_seen=now))
    return principal_of(row), str(row.csrf)


def logout(engine: Engine, cookie_value: str, *, ip: str | None) -> None:
    """End the session of ``cookie_value`` (nothing to do for a cookie of no session)."""
    if not cookie_value or len(cookie_value) > MAX_COOKIE_LENGTH:
        return
    with engine.begin() as conn:
        ended = conn.execute(
            delete(sessions).where(sessions.c.id == token_hash(cookie_value)).returning(sessions.c.user_id)
        ).one_or_none()
        if ended is None:
            return
        name = conn.execute(select(users.c.name).where(users.c.id == ended.user_id)).scalar_one()
        audit.append(conn, actor=name, action="logout", outcome="ok", target=name, ip=ip)
