"""Errors that services raise up to every front end (CLI, API, pages).

They live here, below every service, so that a service never imports another one just for
its error type. The web app maps each of them to one HTTP status in one place
(``ebpm.web.app.ERROR_STATUS``); the CLI turns them into one line and a non-zero exit.
"""

from __future__ import annotations


class NotFoundError(LookupError):
    """An id or a filter value that names nothing in the knowledge base (or the monitoring
    store); the message says what was looked for and what ids look like."""


class UnknownSectionError(NotFoundError):
    """A section filter that is no heading id of the strategy. A heading without measure
    rows (every chapter-1 id) is known: filtering by it gives an empty list."""


class UnknownMinistryError(NotFoundError):
    """A ministry filter that is no owner named in the strategy's tables."""


class AccountError(ValueError):
    """An account that cannot be added or changed as asked: a bad name, role, ministry or
    password, a name that is taken, a user that is disabled; the message says which and why."""


class UnknownUserError(NotFoundError):
    """A user name that names no account."""


class LoginFailed(Exception):
    """A login refused: the message is the same for an unknown name, a wrong password and a
    disabled account, so that a failed login never tells which names exist."""


class LoginLocked(LoginFailed):
    """A login refused because the account is locked after repeated failures, even with the
    right password; ``until`` is when the lock ends (ISO 8601, UTC)."""

    def __init__(self, message: str, until: str) -> None:
        super().__init__(message)
        self.until = until


class AuditLogError(RuntimeError):
    """The audit log cannot be written: its head row is missing (a store not built by the
    migrations)."""


class NotAllowedError(PermissionError):
    """A write the acting user may not make: a viewer writing, or an editor writing on an action
    of a ministry they are not scoped to; the message names the owners. (HTTP 403.)"""


class InvalidInputError(ValueError):
    """A write whose content is refused (an unknown status, a note over the limit, a future date);
    ``field`` names the field, the message says what is allowed. Nothing was written."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


class StaleVersionError(RuntimeError):
    """A write based on a version that is no longer current: someone wrote in between. ``current``
    is the state now (to show the user what changed); nothing was written. (HTTP 409.)"""

    def __init__(self, message: str, current: dict[str, object]) -> None:
        super().__init__(message)
        self.current = current


class UnknownColumnError(ValueError):
    """A table sorted by a key that is none of its columns; the message lists the keys. (HTTP 422.)"""


class UnknownEditionError(NotFoundError):
    """An edition of the strategy that is not in the knowledge base; the message lists those that are."""


class EditionFormatError(ValueError):
    """An edition that is not a year such as 2024."""


class VectorError(RuntimeError):
    """The sentence model cannot be loaded or run here (a platform its package has no engine
    for); the message says how to go on without it (search by words only)."""
