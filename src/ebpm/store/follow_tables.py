"""The follow-up tables of the monitoring store, on its one ``metadata`` (and so in its migrations).

Accounts (users, API tokens, login sessions), progress reports on actions with their reviews,
and the tamper-evident audit log. Secrets are never stored: passwords as argon2 hashes, tokens
and session cookies as the SHA-256 of the random value (they have the entropy a fast hash needs).
Timestamps are ISO 8601 strings in UTC, as everywhere in the store.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    event,
)

from ebpm.store.monitoring import metadata

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String, nullable=False, unique=True),
    Column("role", String, nullable=False),  # admin | editor | viewer
    Column("ministries", Text, nullable=False),  # JSON list of abbreviations; [] unless editor
    Column("password_hash", Text, nullable=False),  # argon2
    Column("created_at", String),
    Column("disabled_at", String),
    Column("failed_logins", Integer, nullable=False, server_default="0"),
    Column("locked_until", String),
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("token_hash", String, nullable=False, unique=True),  # hex SHA-256 of the token
    Column("created_at", String),
    Column("revoked_at", String),
)

sessions = Table(
    "sessions",
    metadata,
    Column("id", String, primary_key=True),  # hex SHA-256 of the cookie value
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("csrf", String, nullable=False),
    Column("created_at", String),
    Column("expires_at", String),
    Column("last_seen", String),
)

progress_state = Table(
    "progress_state",
    metadata,
    Column("action_id", String, primary_key=True),
    Column("version", Integer, nullable=False),
    Column("report_id", Integer),  # the current report
)

progress_reports = Table(
    "progress_reports",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("action_id", String, nullable=False, index=True),
    Column("version", Integer, nullable=False),  # the version of the action's state this report created
    Column("status", String, nullable=False),
    Column("note", Text, nullable=False),
    Column("evidence_url", Text),
    Column("as_of", String, nullable=False),  # YYYY-MM-DD
    Column("author", String, nullable=False),
    Column("created_at", String, nullable=False),
    Column("superseded_at", String),
    Column("superseded_by", Integer),
    UniqueConstraint("action_id", "version", name="progress_reports_action_version"),
)

progress_reviews = Table(
    "progress_reviews",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("report_id", Integer, ForeignKey("progress_reports.id"), nullable=False, index=True),
    Column("decision", String, nullable=False),  # accepted | returned
    Column("comment", Text, nullable=False),
    Column("reviewer", String, nullable=False),
    Column("created_at", String, nullable=False),
)

GENESIS_HASH = "0" * 64  # the head's hash before the first entry: the first entry's prev_hash

# One row (id 1): the last entry's seq and hash. Every append updates it first, which queues
# concurrent appenders on its row lock (PostgreSQL) or the write lock (SQLite).
audit_head = Table(
    "audit_head",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("seq", Integer, nullable=False),
    Column("hash", String, nullable=False),
)


# the migration inserts the row; this does where the tables are made from ``metadata`` (the empty
# in-memory store a read of no store gets), so that its log verifies as an intact empty one
@event.listens_for(audit_head, "after_create")
def _genesis(_table: Table, connection: Connection, **_kw: Any) -> None:
    connection.execute(audit_head.insert().values(id=1, seq=0, hash=GENESIS_HASH))


audit_log = Table(
    "audit_log",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=False),  # 1, 2, 3 … without gaps
    Column("at", String, nullable=False),
    Column("actor", String, nullable=False),
    Column("ip", String),
    Column("action", String, nullable=False),
    Column("target", String),
    Column("outcome", String, nullable=False),  # ok | denied | conflict | failed | invalid
    Column("before", Text),  # canonical JSON
    Column("after", Text),
    Column("prev_hash", String, nullable=False),
    Column("hash", String, nullable=False),
    Index("ix_audit_log_actor", "actor"),
    Index("ix_audit_log_at", "at"),
)
