"""The knowledge base loaded for reading: the policy graph, its source lines and its search index.

Long-running readers (the web server) hold one :class:`Knowledge` in memory and ask
:class:`KnowledgeCache` for the current one on every request: a re-ingest replaces the
file atomically, and the cache notices the new file and loads it, so a running server
never serves a mix of two documents.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from ebpm.commitments.reposts import CellKey, Repost, link_reposts, reposts_of
from ebpm.model import Document, Footnote, Heading, Measure
from ebpm.search.index import SearchIndex
from ebpm.sources.normalize import compact
from ebpm.store import knowledge_base
from ebpm.store.editions import Editions

T = TypeVar("T")


@dataclass(slots=True)
class Knowledge:
    path: Path
    doc: Document
    lines: list[str]  # lines[n - 1] is source line n
    index: SearchIndex
    headings: dict[str, Heading] = field(default_factory=dict)
    measures: dict[str, Measure] = field(default_factory=dict)
    footnotes: dict[int, Footnote] = field(default_factory=dict)
    reposts: dict[CellKey, Repost] = field(default_factory=dict)  # copy -> its link
    reposted_by: dict[CellKey, list[CellKey]] = field(default_factory=dict)  # original -> copies
    citations: dict[int, list[int]] = field(default_factory=dict)  # line -> footnotes it cites
    # identifies this load: whatever is derived from it (cached pages) is keyed on it
    token: object = field(default_factory=object)
    _derived: dict[str, Any] = field(default_factory=dict)

    @property
    def edition(self) -> str:
        return self.doc.edition

    @classmethod
    def load(cls, path: Path) -> Knowledge:
        """Read the knowledge base at ``path`` (raises KnowledgeBaseError or IndexMissingError)."""
        doc = knowledge_base.read(path)
        lines = knowledge_base.read_lines(path)
        k = cls(path, doc, lines, SearchIndex(path))
        k.headings = {h.id: h for h in doc.headings}
        k.measures = {m.id: m for m in doc.measures}
        k.footnotes = {f.number: f for f in doc.footnotes}
        links = link_reposts(doc)
        k.reposts = {link.copy: link for link in links}
        k.reposted_by = reposts_of(links)
        for f in doc.footnotes:
            for line in f.references:
                k.citations.setdefault(line, []).append(f.number)
        return k

    def close(self) -> None:
        self.index.close()

    def derived(self, name: str, build: Callable[[Knowledge], T]) -> T:
        """What is built from this load (a monitor, budget views), built once and dropped with it."""
        if name not in self._derived:  # two threads may build it once each; both results agree
            self._derived[name] = build(self)
        value: T = self._derived[name]
        return value

    def source(self, start: int, end: int) -> list[tuple[int, str]]:
        """Source lines ``start``..``end`` (1-based, inclusive) as (number, raw text)."""
        start, end = max(1, start), min(len(self.lines), end)
        return [(n, self.lines[n - 1]) for n in range(start, end + 1)]

    def owners(self) -> set[str]:
        """Every owner that some commitment or action names (ministry abbreviations, compact)."""
        return {o for m in self.doc.measures for c in [m.commitment, *m.actions] for o in c.ministries}

    def ministry_names(self) -> dict[str, str]:
        """Compact abbreviation -> full name, from the strategy's ministry list."""
        return {compact(m.abbreviation): m.name for m in self.doc.ministries}


class KnowledgeCache:
    """The current :class:`Knowledge` of one file, reloaded when the file is replaced."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._stamp: tuple[int, int, int] | None = None
        self._current: Knowledge | None = None

    def _file_stamp(self) -> tuple[int, int, int]:
        st = os.stat(self.path)
        return (st.st_ino, st.st_mtime_ns, st.st_size)

    def get(self) -> Knowledge:
        stamp = self._file_stamp() if self.path.exists() else None
        current = self._current
        if current is not None and stamp == self._stamp:
            return current
        with self._lock:
            if self._current is None or stamp != self._stamp:
                fresh = Knowledge.load(self.path)
                old, self._current, self._stamp = self._current, fresh, stamp
                if old is not None:
                    old.close()
            return self._current

    def close(self) -> None:
        if self._current is not None:
            self._current.close()


class EditionCaches:
    """Every edition of the knowledge base at ``db``, each loaded when first asked for and reloaded
    when its file is replaced. The list of editions is read again only when the folder changes
    (an ingest renames a file into it), so a request pays a stat or two, not a scan."""

    def __init__(self, db: Path) -> None:
        self.db = db
        self._lock = threading.Lock()
        self._caches: dict[Path, KnowledgeCache] = {}
        self._stamp: tuple[int, int] | None = None
        self._editions = Editions(db, {})

    def _folder_stamp(self) -> tuple[int, int]:
        folder = self.db.parent if str(self.db.parent) else Path(".")
        try:
            st, main = os.stat(folder), os.stat(self.db)
        except FileNotFoundError:
            return (0, 0)
        return (st.st_mtime_ns, main.st_mtime_ns)

    def editions(self) -> Editions:
        stamp = self._folder_stamp()
        if stamp != self._stamp:
            with self._lock:
                self._editions, self._stamp = Editions.of(self.db), stamp
        return self._editions

    def get(self, edition: str | None = None) -> Knowledge:
        """One edition (the latest when None); UnknownEditionError names the ones there are."""
        path = self.editions().path(edition)
        cache = self._caches.get(path)
        if cache is None:
            with self._lock:
                cache = self._caches.setdefault(path, KnowledgeCache(path))
        return cache.get()

    def followup_edition(self) -> str | None:
        """The edition the monitoring store's ids refer to (:meth:`Editions.followup`)."""
        return self.editions().followup()

    def followup_of(self, k: Knowledge) -> Knowledge:
        """The follow-up edition loaded: ``k`` itself when it is that edition (or there is none)."""
        edition = self.followup_edition()
        return k if edition is None or edition == k.edition else self.get(edition)

    def close(self) -> None:
        for cache in self._caches.values():
            cache.close()
