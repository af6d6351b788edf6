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
