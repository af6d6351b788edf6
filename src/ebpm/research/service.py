"""The research analyses as a long-running server asks for them: read-only, cached per store state.

Each call opens the store read-only for the time of one analysis (an import in another process
can then take the write lock between requests) and caches answers by the store file's
modification time and size, so a page asked for twice is computed once and a new import is
seen at once.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ebpm.research import analytics, funding_types
from ebpm.research.engine import DuckDBEngine, Engine
from ebpm.research.methods import Query
from ebpm.research.store import datasets, is_sample, open_store

CACHE_SIZE = 128


class ResearchService:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._cache: OrderedDict[tuple[Any, ...], Any] = OrderedDict()
        self._lock = threading.Lock()

    def _state(self) -> tuple[float, int] | None:
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            return None
        return stat.st_mtime, stat.st_size

    def available(self) -> bool:
        return self._state() is not None

    def _cached(self, key: tuple[Any, ...], compute: Callable[[Engine], Any]) -> Any:
        """``compute`` over the store, or its cached answer for the store as it is now.

        Raises ResearchStoreError when there is no store or it cannot be read.
        """
        full = (self._state(), *key)
        with self._lock:
            if full in self._cache:
                self._cache.move_to_end(full)
                return self._cache[full]
        with open_store(self.path, read_only=True) as con:
            value = compute(DuckDBEngine(con))
        with self._lock:
            self._cache[full] = value
            while len(self._cache) > CACHE_SIZE:
                self._cache.popitem(last=False)
        return value

    def status(self) -> dict[str, Any]:
        def compute(e: Engine) -> dict[str, Any]:
            assert isinstance(e, DuckDBEngine)
            span = analytics.year_range(e)
            return {
                "sample": is_sample(e.con),
                "years": list(span) if span else None,
                "funding_types": [
                    {"id": t.code, "name": t.name_ja, "name_en": t.name_en} for t in funding_types.load(e.con)
                ],
                "datasets": [
                    {
                        "id": d.dataset_id,
                        "kind": d.kind,
                        "label": d.label,
                        "rows": d.rows,
                        "imported_at": d.imported_at,
                    }
                    for d in datasets(e.con)
                ],
            }

        result: dict[str, Any] = self._cached(("status",), compute)
        return result

    def default_years(self, width: int = 3) -> tuple[int, int] | None:
        """The last ``width`` publication years loaded (None for an empty store)."""
        span = self.status()["years"]
        if not span:
            return None
        return max(span[0], span[1] - width + 1), span[1]

    def indicators(self, by: str, q: Query) -> dict[str, Any]:
        result: dict[str, Any] = self._cached(("indicators", by, q), lambda e: analytics.indicators(e, by, q))
        return result

    def inputs_outputs(self, by: str, q: Query) -> dict[str, Any]:
        result: dict[str, Any] = self._cached(("io", by, q), lambda e: analytics.inputs_outputs(e, by, q))
        return result

    def trends(self, by: str, q: Query, width: int = 3) -> dict[str, Any]:
        result: dict[str, Any] = self._cached(
            ("trends", by, q, width), lambda e: analytics.trends(e, by, q, width)
        )
        return result

    def patent_cited(self, q: Query) -> dict[str, Any]:
        result: dict[str, Any] = self._cached(("patents", q), lambda e: analytics.patent_cited(e, q))
        return result
