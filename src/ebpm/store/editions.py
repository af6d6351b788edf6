"""Several editions of the strategy in one knowledge base: one file an edition.

The knowledge base a user names (``--db ebpm.sqlite``) is the file of the first edition
ingested into it; every other edition lives beside it as ``ebpm.<edition>.sqlite``
(``ebpm.2024.sqlite``). One file an edition keeps what already works per file: an ingest
replaces its one file atomically and never reads or rewrites the others (so adding an edition
costs what ingesting one costs), a running server reloads only the file that changed, and a
knowledge base built before editions existed is the one-edition case, unchanged.

Editions are four-digit years ("2023"); the latest is the default wherever none is asked for.
"""

from __future__ import annotations

import os
import re
import sqlite3
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from ebpm.errors import EditionFormatError, UnknownEditionError
from ebpm.store.knowledge_base import LEGACY_EDITION

# the edition the monitoring store's ids refer to, when it is not the oldest one
FOLLOWUP_ENV = "EBPM_FOLLOWUP_EDITION"
EDITION = re.compile(r"^(19|20)\d\d$")


def check(edition: str) -> str:
    """``edition`` if it is a year such as 2024; else :class:`EditionFormatError` naming it."""
    folded = unicodedata.normalize("NFKC", edition).strip()
    if not EDITION.match(folded):
        raise EditionFormatError(f"edition {edition!r}: expected a year such as 2024")
    return folded


def sibling(db: Path, edition: str) -> Path:
    """The file of ``edition`` beside the knowledge base ``db`` when ``db`` holds another one."""
    return db.with_name(f"{db.stem}.{edition}{db.suffix}")


def stored_edition(path: Path) -> str | None:
    """The edition recorded in the knowledge-base file ``path`` (None when there is none)."""
    if not path.is_file():
        return None
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            row = conn.execute("SELECT value FROM document WHERE key = 'edition'").fetchone()
            known = conn.execute("SELECT 1 FROM document WHERE key = 'sha256'").fetchone()
        finally:
            conn.close()
    except sqlite3.Error:
        return None
    if known is None:
        return None
    return row[0] if row and row[0] else LEGACY_EDITION


@dataclass(frozen=True, slots=True)
class Editions:
    """The editions of the knowledge base at ``db``: edition -> its file, oldest first."""

    db: Path
    files: dict[str, Path]

    @classmethod
    def of(cls, db: Path) -> Editions:
        files: dict[str, Path] = {}
        main = stored_edition(db)
        if main is not None:
            files[main] = db
        prefix, suffix = f"{db.stem}.", db.suffix
        if db.parent.is_dir():
            for path in db.parent.iterdir():
                name = path.name
                if not (name.startswith(prefix) and name.endswith(suffix)):
                    continue
                year = name[len(prefix) : len(name) - len(suffix)]
                if EDITION.match(year) and year not in files and stored_edition(path) == year:
                    files[year] = path
        return cls(db, dict(sorted(files.items())))

    @property
    def latest(self) -> str | None:
        return next(reversed(self.files), None)

    def names(self) -> list[str]:
        return list(self.files)

    def path(self, edition: str | None) -> Path:
        """The file of ``edition`` (the latest when None); :class:`UnknownEditionError` when absent."""
        if edition is None:
            latest = self.latest
            return self.db if latest is None else self.files[latest]
        year = check(edition)
        if year not in self.files:
            have = ", ".join(self.files) or "none"
            raise UnknownEditionError(
                f"edition {year} is not in the knowledge base {self.db} (editions: {have})"
            )
        return self.files[year]

    def target(self, edition: str) -> Path:
        """Where an ingest of ``edition`` writes: its file if it has one, the knowledge base itself
        when that is empty, else a new file beside it."""
        year = check(edition)
        if year in self.files:
            return self.files[year]
        if not self.files:
            return self.db
        return sibling(self.db, year)

    def followup(self) -> str | None:
        """The edition the monitoring store's ids refer to (indicator series, budget rows, actions
        with progress reports): $EBPM_FOLLOWUP_EDITION, else the oldest edition here. The store was
        filled against the edition there was first; a newer edition read beside it must not take
        its data over by ids that may now name other rows (lineage carries it across). An unknown
        edition in the variable is an error, not silently the oldest."""
        chosen = os.environ.get(FOLLOWUP_ENV)
        if chosen:
            year = check(chosen)
            self.path(year)
            return year
        return next(iter(self.files), None)

    def previous(self, edition: str) -> str | None:
        """The edition before ``edition`` in this knowledge base, or None."""
        earlier = [e for e in self.files if e < edition]
        return earlier[-1] if earlier else None
