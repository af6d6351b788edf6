"""Rendered pages, kept while the stores they were rendered from are unchanged.

A page's bytes depend only on the loaded knowledge base, the monitoring store (observations,
targets, budget projects, matches and reviews), the URL, the language (``?lang=`` or the
``lang`` cookie) and (for "overdue" defaults) today's date; the key (made in ``pages._serve``)
names all of them. A re-ingest loads a new document,
and any write to the monitoring store moves its version, so a stale page is never served.
The research pages are not kept here: the research service caches by its store's state.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

MAX_BYTES = 64 * 1024 * 1024  # about a hundred of the largest section pages


@dataclass(frozen=True, slots=True)
class Cached:
    body: bytes
    media_type: str
    etag: str


class PageCache:
    def __init__(self, max_bytes: int = MAX_BYTES) -> None:
        self.max_bytes = max_bytes
        self._entries: OrderedDict[tuple[object, ...], Cached] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def get_or_render(self, key: tuple[object, ...], render: Callable[[], Cached]) -> Cached:
        with self._lock:
            hit = self._entries.get(key)
            if hit is not None:
                self._entries.move_to_end(key)
                return hit
        page = render()  # outside the lock: two threads may render the same page once each
        with self._lock:
            if key not in self._entries and len(page.body) <= self.max_bytes:
                self._entries[key] = page
                self._size += len(page.body)
                while self._size > self.max_bytes:
                    _, old = self._entries.popitem(last=False)
                    self._size -= len(old.body)
        return page

    def __len__(self) -> int:
        return len(self._entries)
