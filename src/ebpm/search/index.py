"""The search index: built at ingest into the knowledge base, queried with BM25.

Scores are added up, per document:
- BM25 over SudachiPy words (what the query says), the query expanded with the
  document's own glossary (ＡＩ ↔ 人工知能) at a lower weight than the words typed;
- BM25 over SudachiDict's synonym groups of the words (what the query means:
  お年寄り finds 高齢者), a field of its own with its own weight (``analysis.analyse``);
- only where the knowledge base was built with the optional extras written for the
  2023 text (``ebpm ingest --search-extras``): BM25 over plain-language phrasings of
  its rows (``paraphrases.py``) and its thesaurus (``synonyms.py``), at lower weights;
- BM25 over character trigrams (what the query spells: the fallback for words the
  dictionary does not know and for words the extractor wrapped), scored as SQLite FTS5
  scored them when they lived in an FTS5 table (``_trigram_field``);
- a share of related documents' scores: a row and its actions, an indicator and the
  footnotes it cites;
- pseudo-relevance feedback below the first places (``feedback.py``).

Then the meaning of the whole query (``vectors.py``): each document's sentence vectors (one
by each model) are compared with the query's, the models' cosines blended into one similarity,
and the documents nearest to the query share in the ranking. The lexical score is taken
relative to the best one; the similarity relative to the query's nearest document and its
``NEAR``-th nearest (below which a document gets nothing), times ``VECTOR_WEIGHT``.
A query that names what it wants keeps the documents that say it on top; one that only
describes it (外国から荷物に紛れて来る毒蟻) is answered by the document that means it.
"""

from __future__ import annotations

import heapq
import logging
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import Engine, create_engine, select
from sqlalchemy.exc import SQLAlchemyError

from ebpm.errors import VectorError
from ebpm.search.analysis import analyse, bare, fold, single_word, words
from ebpm.search.bm25 import Field, Phrases
from ebpm.search.documents import KINDS, SearchDoc
from ebpm.search.feedback import FEEDBACK_DOCS, Feedback
from ebpm.search.synonyms import thesaurus
from ebpm.search.vectors import MODELS, Vector, blend, cosines_with, decode, embed_query, encode, model
from ebpm.sources.normalize import fold_in_place
from ebpm.store import schema as t

log = logging.getLogger(__name__)

TRIGRAM_WEIGHT = 1.0  # the trigram field's BM25, against the words' BM25
MAX_TRIGRAMS = 48  # of one query
EXPANSION_WEIGHT = 0.6
SYNONYM_WEIGHT = 0.5  # a thesaurus expansion (extras only)
MEANING_WEIGHT = 1.0  # the synonym-group field, against the words' BM25 (tuned on the sets seen before)
# the optional data written for the 2023 text; none of it is used unless the knowledge base says so
EXTRAS = ("phrasings", "thesaurus")
PARAPHRASE_WEIGHT = 0.5  # a phrasing written for a row, against the row's own words
# the glossary and footnotes explain terms; the rows and items say what is done about them
KIND_PRIOR = {"glossary": 0.6, "footnote": 0.85, "text": 0.6}
# a question about a number or a target (目標は, 割合, いくつ) is answered by indicators and goals
_FIGURES = re.compile(
    r"目標|割合|比率|人数|件数|金額|目標額|いくつ|何人|何件|何%|どのくらい|どれくらい|数値|ＫＰＩ|KPI"
)
ASKS_FOR_FIGURES = {"indicator": 1.5, "goal": 1.3}
ROW_FROM_ACTION = 0.2
FOOTNOTE_FROM_INDICATOR = 0.5
ACTION_FROM_ROW = 0.2
FEEDBACK_KEEPS = 3  # first places left to the words typed
VECTOR_WEIGHT = 1.5  # the nearest document by meaning, against the best lexical score (seen sets)
NEAR = 20  # the documents nearest by meaning that share in the ranking
MAX_QUERY = 500  # characters
SNIPPET = 90  # characters around the first match


class QueryError(ValueError):
    """A query or filter that cannot be searched, with a message for the user."""


class IndexMissingError(RuntimeError):
    """The knowledge base holds no search index (built by an older ebpm, or not an ebpm file)."""


def index_rows(
    docs: list[SearchDoc],
    phrasings: dict[str, list[str]] | None = None,
    extras: tuple[str, ...] = (),
    vectors: dict[str, list[Vector]] | None = None,
) -> dict[Any, list[dict[str, Any]]]:
    """Rows of the search tables for ``docs`` (written by the store with the rest of the graph).

    ``phrasings``: plain-language phrasings of some documents, by id (``paraphrases.py``);
    ``extras``: which of ``EXTRAS`` the index is built with; ``vectors``: each document's
    sentence vector by each model (``vectors.embed_documents``), or none to search by words only.
    """
    for name, vs in (vectors or {}).items():
        if len(vs) != len(docs):
            raise ValueError(f"{len(vs)} vectors of {name} for {len(docs)} documents")
    unknown = set(extras) - set(EXTRAS)
    if unknown:
        raise ValueError(f"unknown search extras {sorted(unknown)}; known: {', '.join(EXTRAS)}")
    doc_rows: list[dict[str, Any]] = []
    alt_rows: list[dict[str, Any]] = []
    alt_postings: list[dict[str, Any]] = []
    for n, d in enumerate(docs):
        if phrasings and (said := phrasings.get(d.id)):
            text = "\n".join(said)
            alt = Counter(words(text))
            alt_rows.append({"doc": n, "text": text, "length_words": sum(alt.values())})
            alt_postings += [{"term": term, "doc": n, "tf": tf} for term, tf in alt.items()]
        folded = fold(d.text)  # once: the words and the groups both read it
        said, groups = analyse(d.text, folded=folded)
        w = Counter(said)
        doc_rows.append(
            {
                "doc": n,
                "id": d.id,
                "kind": d.kind,
                "section": d.section,
                "ministries": list(d.ministries),
                "line_start": d.line_start,
                "line_end": d.line_end,
                "text": d.text,
                "measure_id": d.measure_id,
                "due": d.due.isoformat() if d.due else None,
                "length_words": sum(w.values()),
                "terms": dict(w),
                "meanings": groups,
            }
        )
    return {
        t.search_docs: doc_rows,
        t.search_extras: [{"name": name} for name in extras],
        t.search_paraphrases: alt_rows,
        t.search_paraphrase_postings: alt_postings,
        t.search_vectors: [
            {"doc": n, "model": name, "vector": encode(v)}
            for name, vs in (vectors or {}).items()
            for n, v in enumerate(vs)
        ],
    }


def _trigram_field(texts: list[str]) -> Field:
    """Every 3-character piece of each document's folded, bare text, as FTS5's trigram tokenizer
    cuts it, scored with FTS5's IDF: the figures FTS5 gave when this field was an FTS5 table,
    computed in memory (querying FTS5 took a quarter of a search)."""
    lengths: dict[int, float] = {}
    postings: list[tuple[str, int, float]] = []
    for n, text in enumerate(texts):
        compact = bare(fold(text))
        lengths[n] = float(max(0, len(compact) - 2))
        pieces = Counter(compact[i : i + 3] for i in range(len(compact) - 2))
        postings += [(p, n, float(tf)) for p, tf in pieces.items()]
    return Field(postings, lengths, len(texts), fts5_idf=True)


def _whole_word(latin: str, folded: str) -> bool:
    return re.search(rf"(?<![a-z0-9]){re.escape(latin)}(?![a-z0-9])", folded) is not None


@dataclass(frozen=True, slots=True)
class Hit:
    id: str
    kind: str
    section: str
    line_start: int
    line_end: int
    score: float
    snippet: str  # the raw text around the match, matched words in <mark>…</mark>
    measure_id: str | None
    ministries: tuple[str, ...]
    due: str | None
    # the snippet as (raw text, matched) pieces, for callers that must escape the text
    segments: tuple[tuple[str, bool], ...] = ()
    # plain-language phrasings written for this element that share words with the query:
    # why it was found when its own text does not say what was typed
    via: tuple[str, ...] = ()
    # found by what the query means, not by the words it shares (its sentence vector is among
    # the nearest to the query's, and nothing lexical found it: no word, synonym group, trigram
    # or feedback term)
    by_meaning: bool = False


@dataclass(slots=True)
class Results:
    query: str
    total: int
    hits: list[Hit]
    facets: dict[str, dict[str, int]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class _Doc:
    doc: int
    id: str
    kind: str
    section: str
    ministries: tuple[str, ...]
    line_start: int
    line_end: int
    text: str
    measure_id: str | None
    due: str | None
    length: int
    # its facet under "section": the first two levels of its section (2.1 of 2.1.3.2)
    top_section: str = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "top_section", ".".join(self.section.split(".")[:2]))  # frozen


class SearchIndex:
    """Searches the index stored in one knowledge base; the documents are held in memory.

    ``extras``: which of ``EXTRAS`` to use, of those the knowledge base was built with
    (default: all it was built with). ``meaning_weight``: the synonym-group field's weight,
    ``vector_weight`` the sentence vectors' (0 leaves either out). They are there for
    benchmarks/search.py's ablations.
    """

    def __init__(
        self,
        path: Path,
        extras: frozenset[str] | None = None,
        meaning_weight: float = MEANING_WEIGHT,
        vector_weight: float = VECTOR_WEIGHT,
    ) -> None:
        self._engine: Engine = create_engine(f"sqlite:///{path}")
        self._meaning_weight = meaning_weight
        try:
            with self._engine.connect() as conn:
                rows = conn.execute(select(t.search_docs).order_by(t.search_docs.c.doc)).all()
                headings = conn.execute(select(t.headings.c.id)).scalars().all()
                built_with = frozenset(conn.execute(select(t.search_extras.c.name)).scalars().all())
        except SQLAlchemyError:
            self._engine.dispose()
            raise IndexMissingError(
                f"{path}: no search index in this knowledge base; run `ebpm ingest` to rebuild it"
            ) from None
        self.docs = [
            _Doc(
                r.doc,
                r.id,
                r.kind,
                r.section,
                tuple(r.ministries),
                r.line_start,
                r.line_end,
                r.text,
                r.measure_id,
                r.due,
                r.length_words,
            )
            for r in rows
        ]
        self.extras = built_with if extras is None else built_with & extras
        # every heading is a valid filter, also one nothing is indexed under (chapter 1): it finds nothing
        self.sections = sorted({*headings, *(d.section for d in self.docs if d.section)})
        self.ministries = sorted({m for d in self.docs for m in d.ministries})
        self._expansions = self._glossary_expansions()
        # a query says a thesaurus entry as one inflected word (減らしたい says 減らす) or as
        # written; a one-character entry (海) only as a word, not inside 海外; a Latin one
        # only as a whole word (ＰＲＩＳＭ does not say PR)
        synonyms = thesaurus() if "thesaurus" in self.extras else ()
        self._synonyms = [[fold(s) for s in group] for group in synonyms]
        self._groups_by_word: dict[str, set[int]] = defaultdict(set)
        self._groups_by_text: dict[str, set[int]] = defaultdict(set)
        for g, group in enumerate(self._synonyms):
            for text in group:
                if (word := single_word(text)) is not None:
                    self._groups_by_word[word].add(g)
                if len(text) > 1:
                    self._groups_by_text[text].add(g)
        self._cites = self._citations(path)
        self._rows = [d.doc for d in self.docs if d.kind == "measure"]
        self._vectors = self._load_vectors() if vector_weight else None
        self._vector_weight = vector_weight
        # the fields are small (some 60,000 words and 30,000 groups): held in memory, like the documents
        a, ap = t.search_paraphrases, t.search_paraphrase_postings
        if "phrasings" in self.extras:
            with self._engine.connect() as conn:
                alt_rows = conn.execute(select(a.c.doc, a.c.text, a.c.length_words)).all()
                alt_postings = conn.execute(select(ap.c.term, ap.c.doc, ap.c.tf)).all()
        else:
            alt_rows, alt_postings = [], []
        n_docs = len(self.docs)
        alt_lengths = {r.doc: r.length_words for r in alt_rows}
        self._phrasings = {r.doc: r.text.split("\n") for r in alt_rows}
        lengths = {d.doc: d.length for d in self.docs}
        self._text = Field(((term, r.doc, tf) for r in rows for term, tf in r.terms.items()), lengths, n_docs)
        self._meanings = Field(
            ((term, r.doc, tf) for r in rows for term, tf in r.meanings.items()),
            {r.doc: sum(r.meanings.values()) for r in rows},
            n_docs,
        )
        self._alt = Field(((r.term, r.doc, r.tf) for r in alt_postings), alt_lengths, n_docs)
        self._trigrams = _trigram_field([r.text for r in rows])
        self._feedback = Feedback(self._text.postings, n_docs)

    def _citations(self, path: Path) -> dict[int, list[int]]:
        """Indicator document → the footnote documents it cites (the sources of its figures)."""
        by_id = {d.id: d.doc for d in self.docs}
        out: dict[int, list[int]] = {}
        try:
            with self._engine.connect() as conn:
                rows = conn.execute(select(t.indicators.c.id, t.indicators.c.footnotes)).all()
        except SQLAlchemyError:
            return out
        for r in rows:
            cited = [by_id[f"fn{n}"] for n in (r.footnotes or []) if f"fn{n}" in by_id]
            if r.id in by_id and cited:
                out[by_id[r.id]] = cited
        return out

    def _load_vectors(self) -> dict[str, npt.NDArray[np.float32]] | None:
        """Each model's sentence vectors of the documents as one matrix (a row a document), of
        the models this ebpm knows and can load; None when there are none (``--no-vectors``, an
        older ebpm, other models)."""
        v = t.search_vectors
        try:
            with self._engine.connect() as conn:
                rows = conn.execute(select(v.c.doc, v.c.model, v.c.vector).order_by(v.c.doc)).all()
        except SQLAlchemyError:
            return None
        by_model: dict[str, list[Any]] = defaultdict(list)
        for r in rows:
            by_model[r.model].append(r)
        out: dict[str, npt.NDArray[np.float32]] = {}
        for name in MODELS:
            found = by_model.get(name, [])
            if not found or len(found) != len(self.docs):  # none, or not one a document
                continue
            try:
                model(name)  # loaded now: a platform without the engine says so once, here
            except VectorError as exc:
                log.warning("%s", exc)
                continue
            matrix = np.zeros((len(self.docs), len(decode(found[0].vector))), dtype=np.float32)
            for r in found:
                matrix[r.doc] = decode(r.vector)
            out[name] = matrix
        return out or None

    @property
    def has_vectors(self) -> bool:
        return self._vectors is not None

    def close(self) -> None:
        self._engine.dispose()

    def _glossary_expansions(self) -> list[tuple[str, str, tuple[str, str]]]:
        """(abbreviation, full name, both without spaces or punctuation), folded, from the
        glossary: Japanese and English names."""
        pairs: list[tuple[str, str, tuple[str, str]]] = []
        for d in self.docs:
            if d.kind != "glossary":
                continue
            abbr = fold(d.id.removeprefix("gl:"))
            rest = fold(d.text)[len(abbr) :].strip()
            japanese = re.split(r"[（(a-z]", rest)[0].strip()
            english = " ".join(re.findall(r"[a-z][a-z0-9 ,.&/'-]{3,}", rest)).strip()
            for name in (japanese, english):
                if abbr and len(abbr) >= 2 and len(name) >= 2:
                    pairs.append((abbr, name, (bare(abbr), bare(name))))
        return pairs

    def _trigram_scores(self, folded_query: str, scores: dict[int, float]) -> None:
        """Add the trigram field's BM25: every 3-character piece of the query, OR-ed."""
        compact = bare(folded_query)
        pieces = list(dict.fromkeys(compact[i : i + 3] for i in range(len(compact) - 2)))[:MAX_TRIGRAMS]
        if not pieces:
            return
        for doc, score in self._trigrams.sums(pieces).items():
            scores[doc] += TRIGRAM_WEIGHT * score / len(pieces)

    def _expand(self, folded: str) -> list[tuple[str, float]]:
        """Extra (text, weight) to look for: glossary names/abbreviations and synonyms."""
        extra: list[tuple[str, float]] = []
        whole = bare(folded)
        for abbr, name, bare_forms in self._expansions:
            # a query that is the term itself means the other form as much as the one typed
            weight = 1.0 if whole in bare_forms else EXPANSION_WEIGHT
            if abbr in folded and _whole_word(abbr, folded) and name not in folded:
                extra.append((name, weight))
            elif name in folded and abbr not in folded:
                extra.append((abbr, weight))
        said: set[int] = set()
        for w in set(words(folded)):
            said |= self._groups_by_word.get(w, set())
        for text, groups in self._groups_by_text.items():
            if text in folded and (not text.isascii() or _whole_word(text, folded)):
                said |= groups
        for g in sorted(said):
            extra += [(s, SYNONYM_WEIGHT) for s in self._synonyms[g] if s not in folded]
        return extra

    def _check(self, query: str, section: str | None, ministry: str | None, kind: str | None) -> str:
        q = query.strip()
        if not q:
            raise QueryError("the query is empty: type a word or a question, e.g. 量子コンピュータ")
        if len(q) > MAX_QUERY:
            raise QueryError(f"the query is {len(q)} characters long; at most {MAX_QUERY} are searched")
        if not re.sub(r"[\W_]+", "", fold(q)):
            raise QueryError("the query has no letters or digits to search for")
        if kind is not None and kind not in KINDS:
            raise QueryError(f"unknown kind {kind!r}; kinds are: {', '.join(KINDS)}")
        if section is not None and not any(
            s == section or s.startswith(section + ".") for s in self.sections
        ):
            top = sorted({".".join(s.split(".")[:2]) for s in self.sections})
            raise QueryError(f"unknown section {section!r}; sections are ids such as {', '.join(top)}")
        if ministry is not None and fold(ministry).replace(" ", "") not in {fold(m) for m in self.ministries}:
            raise QueryError(f"unknown ministry {ministry!r}; owners are: {'、'.join(self.ministries)}")
        return q

    def search(
        self,
        query: str,
        section: str | None = None,
        ministry: str | None = None,
        kind: str | None = None,
        due_by: date | None = None,
        limit: int = 10,
    ) -> Results:
        """Ranked hits for ``query`` with facet counts by kind, section and ministry."""
        q = self._check(query, section, ministry, kind)
        folded = fold(q)
        typed, groups = analyse(q)
        phrases: Phrases = [((w,), 1.0) for w in typed]
        for text, weight in self._expand(folded):
            if said := tuple(words(text)):
                phrases.append((said, weight))
        weighted = [(w, weight) for said, weight in phrases for w in said]
        raw: dict[int, float] = defaultdict(float)
        self._text.score(phrases, raw)
        if self._meaning_weight:
            self._meanings.score([((g,), share) for g, share in groups.items()], raw, self._meaning_weight)
        if self._phrasings:
            self._alt.score(phrases, raw, PARAPHRASE_WEIGHT)
        self._trigram_scores(folded, raw)
        prior = KIND_PRIOR | (ASKS_FOR_FIGURES if _FIGURES.search(q) else {})
        wanted_ministry = fold(ministry).replace(" ", "") if ministry else None
        scores = self._propagate(raw)
        # the whole strategy is ranked, and the filters applied last: a filter narrows the hits
        # without changing their order or scores (feedback, its scaling and the shares by
        # meaning all read the best hits of the whole strategy), and facet counts stay true
        first = self._rank(scores, prior)
        top = heapq.nlargest(
            FEEDBACK_DOCS, scores, key=lambda n: (scores[n] * prior.get(self.docs[n].kind, 1.0), -n)
        )
        extra = self._feedback.terms(top, {w for w, _ in weighted}, sum(w for _, w in weighted))
        matched = first
        if extra:
            self._text.score([((w,), weight) for w, weight in extra], raw)
            second = self._rank(self._propagate(raw), prior)
            # the words typed decide the first places; feedback fills the places below them
            head = first[:FEEDBACK_KEEPS]
            kept = {d.doc for _, d in head}
            tail = [(score, d) for score, d in second if d.doc not in kept]
            # scaled so that the scores still fall with the rank
            scale = min(1.0, head[-1][0] / tail[0][0]) if head and tail and tail[0][0] > 0 else 1.0
            matched = head + [(score * scale, d) for score, d in tail]
        near: set[int] = set()
        if self._vectors is not None:
            best = scores[top[0]] * prior.get(self.docs[top[0]].kind, 1.0) if top else 0.0
            meant = {name: query_vector(q, name) for name in self._vectors}
            matched, near = self._with_meaning(meant, matched, best, prior)
        if section is not None or wanted_ministry is not None or kind is not None or due_by is not None:
            matched = [sd for sd in matched if self._keep(sd[1], section, wanted_ministry, kind, due_by)]
        # what the user typed weighs more than what the expansions added
        marks = {w: weight for w, weight in reversed(weighted)}
        marks.update({g: 1.0 for g in re.split(r"[\s\W_]+", folded) if g})
        asked = {w for w, _ in weighted}
        shown = matched[: max(0, limit)]
        typed_set = set(typed)
        hits = [
            self._hit(d, score, marks, self._via(d.doc, typed_set, asked), d.doc in near and d.doc not in raw)
            for score, d in shown
        ]
        return Results(q, len(matched), hits, self._facets([d for _, d in matched]))

    def _with_meaning(
        self,
        query: dict[str, Vector],
        matched: list[tuple[float, _Doc]],
        best: float,
        prior: dict[str, float],
    ) -> tuple[list[tuple[float, _Doc]], set[int]]:
        """``matched`` with the documents nearest to the query by meaning sharing in the ranking,
        and which documents those are. The lexical share is relative to ``best``, the best
        lexical score."""
        assert self._vectors is not None
        cosines = blend({name: cosines_with(m, query[name]) for name, m in self._vectors.items()})
        count = min(NEAR, len(cosines) - 1)
        if count < 1:
            return matched, set()
        nearest = np.argpartition(-cosines, count)[: count + 1]
        nearest = nearest[np.argsort(-cosines[nearest], kind="stable")]
        top, floor = float(cosines[nearest[0]]), float(cosines[nearest[count]])
        fused = {d.doc: (score / best if best > 0 else 0.0, d) for score, d in matched}
        near: set[int] = set()
        for n in (int(i) for i in nearest[:count]):
            d = self.docs[n]
            share = (float(cosines[n]) - floor) / (top - floor) if top > floor else 0.0
            if share <= 0:
                continue
            near.add(n)
            lexical = fused[n][0] if n in fused else 0.0
            fused[n] = (lexical + self._vector_weight * share * prior.get(d.kind, 1.0), d)
        ranked = sorted(fused.values(), key=lambda sd: (-sd[0], sd[1].doc))
        return ranked, near

    def _rank(self, scores: dict[int, float], prior: dict[str, float]) -> list[tuple[float, _Doc]]:
        """The documents scored, best first, with their kind's prior applied."""
        docs = self.docs
        matched = [(score * prior.get(docs[n].kind, 1.0), docs[n]) for n, score in scores.items()]
        matched.sort(key=lambda sd: (-sd[0], sd[1].doc))
        return matched

    def _propagate(self, raw: dict[int, float]) -> dict[int, float]:
        """A row shares in its best action's score, and its actions in the row's.

        The row (commitment and status) and its actions answer the same question
        from two sides; each is worth showing when the other matches well.
        """
        scores = dict(raw)
        docs = self.docs
        best_action: dict[str, float] = {}
        for n, score in scores.items():
            if (of := docs[n].measure_id) is not None:
                best_action[of] = max(best_action.get(of, 0.0), score)
        row_scores = {docs[n].id: score for n, score in scores.items() if docs[n].kind == "measure"}
        for n in list(scores):
            d = docs[n]
            if d.kind == "measure":
                scores[n] += ROW_FROM_ACTION * best_action.get(d.id, 0.0)
            elif d.measure_id is not None:
                scores[n] += ACTION_FROM_ROW * row_scores.get(d.measure_id, 0.0)
        for n in self._rows:
            if n not in scores and (best := best_action.get(docs[n].id)) is not None:
                scores[n] = ROW_FROM_ACTION * best
        # an indicator's figure is sourced in its footnotes: they answer the same question
        for n, cited in self._cites.items():
            if n in scores:
                for f in cited:
                    scores[f] = max(scores.get(f, 0.0), FOOTNOTE_FROM_INDICATOR * scores[n])
        return scores

    @staticmethod
    def _keep(
        d: _Doc, section: str | None, ministry: str | None, kind: str | None, due_by: date | None
    ) -> bool:
        if kind is not None and d.kind != kind:
            return False
        if section is not None and not (d.section == section or d.section.startswith(section + ".")):
            return False
        if ministry is not None and ministry not in {fold(m) for m in d.ministries}:
            return False
        return not (due_by is not None and (d.due is None or date.fromisoformat(d.due) > due_by))

    @staticmethod
    def _facets(docs: list[_Doc]) -> dict[str, dict[str, int]]:
        kinds = Counter(d.kind for d in docs)
        sections = Counter(d.top_section for d in docs if d.section)
        ministries = Counter(m for d in docs for m in d.ministries)
        return {
            "kind": dict(kinds.most_common()),
            "section": dict(sorted(sections.items())),
            "ministry": dict(ministries.most_common()),
        }

    @staticmethod
    def _hit(
        d: _Doc, score: float, marks: dict[str, float], via: tuple[str, ...], by_meaning: bool = False
    ) -> Hit:
        segments = _snippet(d.text, marks)
        return Hit(
            d.id,
            d.kind,
            d.section,
            d.line_start,
            d.line_end,
            round(score, 4),
            "".join(f"<mark>{text}</mark>" if marked else text for text, marked in segments),
            d.measure_id,
            d.ministries,
            d.due,
            segments,
            via,
            by_meaning,
        )

    def _via(self, doc: int, typed: set[str], asked: set[str]) -> tuple[str, ...]:
        """Up to two phrasings of ``doc`` that share words with the query (typed or expanded),
        when its own text holds none of the words typed."""
        if doc not in self._phrasings or any(doc in self._text.postings.get(w, {}) for w in typed):
            return ()
        return tuple([p for p in self._phrasings[doc] if asked & _words_of(p)][:2])


@lru_cache(maxsize=2048)
def query_vector(query: str, name: str) -> Vector:
    """The query's sentence vector by the model ``name``, kept for the queries asked last: the
    next page of hits, a facet or a filter asks the same query again. (Encoding it while the
    words are scored, on a thread, was slower: the model's threads and Python's then share two
    cores.)"""
    return embed_query(query, name)


@lru_cache(maxsize=8192)
def _words_of(phrasing: str) -> frozenset[str]:
    return frozenset(words(phrasing))


@lru_cache(maxsize=4096)
def _flat_and_folded(text: str) -> tuple[str, str]:
    """The text on one line, and folded character for character (cached: hits repeat)."""
    flat = text.replace("\n", " ")
    return flat, fold_in_place(flat, lower=True)


def _snippet(text: str, marks: dict[str, float]) -> tuple[tuple[str, bool], ...]:
    """About SNIPPET characters of ``text`` around the best match, as (text, matched) pieces."""
    flat, folded = _flat_and_folded(text)
    spans: list[tuple[int, int]] = []
    weight: dict[tuple[int, int], float] = {}
    typed: dict[tuple[int, int], set[str]] = {}  # the words the user typed that a span shows
    for m in sorted((m for m in marks if m), key=len, reverse=True):
        a = folded.find(m)
        while a >= 0:  # each occurrence, left to right, not overlapping the one before
            b = a + len(m)
            if all(b <= s or a >= e for s, e in spans):
                spans.append((a, b))
                weight[(a, b)] = marks[m]
                typed[(a, b)] = {m} if marks[m] >= 1.0 else set()
            a = folded.find(m, b)
    spans.sort()
    merged: list[tuple[int, int]] = []
    for a, b in spans:  # adjacent matches read as one: <mark>女性研究者</mark>
        if merged and a == merged[-1][1]:
            last = merged.pop()
            weight[(last[0], b)] = max(weight[last], weight[(a, b)])
            typed[(last[0], b)] = typed[last] | typed[(a, b)]
            merged.append((last[0], b))
        else:
            merged.append((a, b))
    spans = merged
    start = 0
    if spans:
        # the window that shows the most matched characters, starting a little before a match
        def shown(a: int) -> tuple[int, float]:
            lo = max(0, a - SNIPPET // 3)
            inside = [(s, e) for s, e in spans if s >= lo and e <= lo + SNIPPET]
            words = set().union(*(typed[x] for x in inside)) if inside else set()
            return len(words), sum((e - s) * weight[(s, e)] for s, e in inside)

        start = max(0, max((a for a, _ in spans), key=lambda a: (shown(a), -a)) - SNIPPET // 3)
    end = min(len(flat), start + SNIPPET)
    out: list[tuple[str, bool]] = [("…", False)] if start else []
    pos = start
    for a, b in spans:
        if a < start or b > end:
            continue
        out += [(flat[pos:a], False), (flat[a:b], True)]
        pos = b
    out.append((flat[pos:end] + ("…" if end < len(flat) else ""), False))
    return tuple((text, marked) for text, marked in out if text)
