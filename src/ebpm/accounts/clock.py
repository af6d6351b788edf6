"""The accounts' clock: one function, so that tests can move time (session expiry, lockouts).

Times are stamped as :func:`ebpm.store.monitoring.now` stamps them (UTC, ISO 8601, to the
second), so stored times compare as strings in the order they happened.
"""

from __future__ import annotations

from datetime import UTC, datetime


def now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def stamp(when: datetime) -> str:
    return when.astimezone(UTC).isoformat(timespec="seconds")
