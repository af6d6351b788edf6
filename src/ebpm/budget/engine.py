"""The mapping engine: which strategy items a budget project serves, and why.

Strategy items are documents of three kinds: measure rows (the commitment, status and actions
under their heading), subsections (title, goals and the commitments of their rows) and the
section 4 fields (AI, quantum, …). A project is its name (counted twice), purpose and summary.
Two signals are combined, as measured on the labelled sample (benchmarks/mapping.py):

- words: SudachiPy words in normalized form (the search analyzer), the project's words expanded
  through the STI thesaurus (``concepts``), the search synonyms and the glossary (abbreviation ↔
  name) at a lower weight, every item scored by BM25;
- characters: TF-IDF over character 2- and 3-grams (scikit-learn), cosine similarity, which
  still sees 暗号 inside 暗号鍵 where the two sides split words differently.

Each signal is scaled by its best item for the project, then mixed: WORD_SHARE of words,
the rest characters.

Unmatched: each signal's best row score is absolute and comparable across projects (the BM25
score divided by the most the project's own words could score; the cosine). Each is divided by
its typical value for a project that does serve a row (the median on the labelled sample), and
the project's confidence is the larger: a strong match on either signal is evidence. It is
discounted when the project uses none of the words that mark research and innovation work
(``STI_MARKERS``): half with none, three quarters with one, in full with two or more. Below
``UNMATCHED_BELOW`` the project is flagged unmatched, its best candidates still listed. The
threshold is calibrated on the labelled sample's negatives (benchmarks/mapping.py reports it
with cross-validation).
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ebpm.budget.concepts import CONCEPTS, STI_MARKERS
from ebpm.model import Document
from ebpm.search.analysis import fold, words
from ebpm.search.synonyms import GROUPS

K1, B = 1.2, 0.75
NAME_WEIGHT = 2.0
EXPANSION_WEIGHT = 0.4
WORD_SHARE = 0.35  # of the ranking score; characters give the rest
TYPICAL_WORDS, TYPICAL_CHARS = 0.31, 0.19  # medians of matched projects on the labelled sample
UNMATCHED_BELOW = 0.49  # calibrated on the labelled sample (benchmarks/mapping.py)
TOP_MEASURES, TOP_SUBSECTIONS, TOP_FIELDS = 5, 3, 2
FIELDS_SECTION = "2.4"
_SENTENCE = re.compile(r"(?<=[。！？])|\n")
# the administrative language every review sheet and every row shares: no evidence of a match
_STOP_WORDS = """
及び 且つ 又は 並びに 若しくは 更に 特に 対する 関する 係る 掛かる 基づく 向ける 通じる
伴う 応じる 適切 必要 確保 実施 事業 支援 推進 整備 図る 行う 取組 取り組む 等 年度
経費 予算 業務 充実 強化 向上 促進 活用 構築 体制 運営 実現 目指す 進める 引き続く
可能 状況 対象 国 各種 当該 以下 以上 全国 一層 着実 円滑 効果 効率 的確 継続 令和
平成 また 目的 概要 本 当 同 各 他 その他 ため 上 中 下
"""
STOP = frozenset(_STOP_WORDS.split())


def terms(text: str) -> list[str]:
    """The words that can show what a text is about: no single characters, no boilerplate."""
    return [w for w in words(text) if len(w) >= 2 and w not in STOP]


@dataclass(slots=True)
class Item:
    id: str
    kind: str  # measure | subsection | field
    title: str
    section: str
    text: str
    line_start: int
    line_end: int
    sentences: list[str] = field(default_factory=list)
    sentence_words: list[set[str]] = field(default_factory=list)
    words: set[str] = field(default_factory=set)
    sentence_index: dict[str, list[int]] = field(default_factory=dict)  # word -> its sentences
    parent: str | None = None  # a measure's subsection or field


@dataclass(slots=True)
class Project:
    project_id: str
    name: str
    purpose: str = ""
    summary: str = ""
    ministry: str = ""

    @property
    def text(self) -> str:
        return "\n".join(t for t in (self.name, self.purpose, self.summary) if t)


@dataclass(slots=True)
class Match:
    item_id: str
    kind: str
    score: float
    line_start: int
    line_end: int
    explanation: dict[str, Any]


@dataclass(slots=True)
class ProjectMatches:
    project_id: str
    unmatched: bool
    best_score: float  # the best row's absolute score: the signals' best values, mixed
    confidence: float  # the stronger signal against its typical value, discounted without signs of STI work
    markers: list[str]  # the STI marker words the project uses
    items: list[Match]


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.split(text) if len(s.strip()) >= 4]


class _Bm25:
    """BM25 weights of one kind of item as a (terms × items) matrix."""

    def __init__(self, items: list[Item], vocabulary: dict[str, int]) -> None:
        counts = [Counter(terms(i.text)) for i in items]
        lengths = np.array([sum(c.values()) for c in counts], dtype=np.float64)
        avg = float(lengths.mean()) if len(items) else 1.0
        df: Counter[str] = Counter(term for c in counts for term in c)
        for term in df:
            vocabulary.setdefault(term, len(vocabulary))
        self.vocabulary = vocabulary
        self.idf = {t: math.log(1 + (len(items) - n + 0.5) / (n + 0.5)) for t, n in df.items()}
        self.matrix: dict[str, np.ndarray] = {}
        norm = K1 * (1 - B + B * lengths / avg)
        for term in df:
            tf = np.array([c.get(term, 0) for c in counts], dtype=np.float64)
            self.matrix[term] = self.idf[term] * tf * (K1 + 1) / (tf + norm)
        self.size = len(items)

    def scores(self, query: dict[str, float]) -> np.ndarray:
        out = np.zeros(self.size)
        for term, weight in query.items():
            row = self.matrix.get(term)
            if row is not None:
                out += weight * row
        return out

    def ceiling(self, query: dict[str, float]) -> float:
        """The most ``query`` can score: every word present, saturated."""
        return sum(w * self.idf.get(t, 0.0) * (K1 + 1) for t, w in query.items()) or 1.0


class MappingEngine:
    def __init__(self, doc: Document, threshold: float = UNMATCHED_BELOW) -> None:
        self.threshold = threshold
        self.items = build_items(doc)
        self.by_kind: dict[str, list[Item]] = {}
        for item in self.items:
            self.by_kind.setdefault(item.kind, []).append(item)
        vocabulary: dict[str, int] = {}
        self.indexes = {kind: _Bm25(items, vocabulary) for kind, items in self.by_kind.items()}
        self.position = {kind: {i.id: n for n, i in enumerate(items)} for kind, items in self.by_kind.items()}
        # imported here: scikit-learn takes seconds to import, and every other command would wait
        from sklearn.feature_extraction.text import TfidfVectorizer

        self.chars = TfidfVectorizer(
            analyzer="char", ngram_range=(2, 3), sublinear_tf=True, preprocessor=_flat
        )
        self.chars.fit([i.text for i in self.items])
        self.char_items = {
            kind: self.chars.transform([i.text for i in items]) for kind, items in self.by_kind.items()
        }
        groups = [tuple(fold(x) for x in g) for g in (*CONCEPTS, *GROUPS)]
        for e in doc.glossary:
            names = [fold(x) for x in (e.abbreviation, e.name_ja, e.name_en or "") if x]
            groups.append(tuple(n for n in names if len(n) >= 2))
        self.groups = [g for g in groups if len(g) > 1]
        self._group_words = [[terms(x) for x in g] for g in self.groups]
        self._markers = [fold(m) for m in STI_MARKERS]

    def query(self, project: Project) -> dict[str, float]:
        """The project's words with their weights, expansions included."""
        weights: dict[str, float] = {}
        for text, factor in ((project.name, NAME_WEIGHT), (project.purpose, 1.0), (project.summary, 1.0)):
            for term, n in Counter(terms(text)).items():
                weights[term] = weights.get(term, 0.0) + factor * (1 + math.log(n))
        folded = fold(project.text)
        for group, group_words in zip(self.groups, self._group_words, strict=True):
            if not any(member in folded for member in group):
                continue
            for member_words in group_words:
                for term in member_words:
                    weights.setdefault(term, EXPANSION_WEIGHT)
        return weights

    def char_scores(self, projects: list[Project]) -> dict[str, np.ndarray]:
        """Cosine similarity of character n-grams: (projects × items) per kind, in one pass."""
        vectors = self.chars.transform([p.text for p in projects])
        return {kind: (vectors @ matrix.T).toarray() for kind, matrix in self.char_items.items()}

    def match(self, project: Project, chars: dict[str, np.ndarray] | None = None) -> ProjectMatches:
        """Ranked items of each kind; ``chars`` is this project's row of ``char_scores``."""
        q = self.query(project)
        if chars is None:
            chars = {kind: rows[0] for kind, rows in self.char_scores([project]).items()}
        picked: list[Match] = []
        best_words = best_chars = 0.0
        for kind, top in (("measure", TOP_MEASURES), ("subsection", TOP_SUBSECTIONS), ("field", TOP_FIELDS)):
            index = self.indexes.get(kind)
            if index is None:
                continue
            word = index.scores(q) / index.ceiling(q)
            char = chars[kind]
            if kind == "measure":
                best_words, best_chars = float(word.max(initial=0.0)), float(char.max(initial=0.0))
            scores = WORD_SHARE * word / (word.max(initial=0.0) or 1.0) + (1 - WORD_SHARE) * char / (
                char.max(initial=0.0) or 1.0
            )
            for n in np.argsort(-scores, kind="stable")[:top]:
                if scores[n] <= 0:
                    break
                item = self.by_kind[kind][n]
                picked.append(
                    Match(item.id, kind, round(float(scores[n]), 4), item.line_start, item.line_end, {})
                )
        best = WORD_SHARE * best_words + (1 - WORD_SHARE) * best_chars
        folded = fold(project.text)
        markers = [m for m, f in zip(STI_MARKERS, self._markers, strict=True) if f in folded]
        strength = max(best_words / TYPICAL_WORDS, best_chars / TYPICAL_CHARS)
        confidence = strength * (0.5 + 0.25 * min(len(markers), 2))
        return ProjectMatches(
            project.project_id,
            confidence < self.threshold,
            round(best, 4),
            round(confidence, 4),
            markers,
            picked,
        )

    def explain(
        self,
        project: Project,
        match: Match,
        q: dict[str, float] | None = None,
        own_sentences: list[tuple[str, set[str]]] | None = None,
    ) -> dict[str, Any]:
        """Shared key terms (by weight) and the best-matching sentence on each side."""
        q = q or self.query(project)
        if own_sentences is None:
            own_sentences = self.sentences(project)
        item = self.by_kind[match.kind][self.position[match.kind][match.item_id]]
        if not item.sentence_words:  # analysed on first use: most items are never explained
            item.sentence_words = [set(terms(s)) for s in item.sentences]
            item.words = set().union(*item.sentence_words) if item.sentence_words else set()
            for n, sentence_words in enumerate(item.sentence_words):
                for term in sentence_words:
                    item.sentence_index.setdefault(term, []).append(n)
        index = self.indexes[match.kind]
        item_words = item.words
        shared = sorted((t for t in q if t in item_words), key=lambda t: -q[t] * index.idf.get(t, 0.0))[:8]
        # the item's sentence that shares the most weight with the whole project, then the
        # project's sentence that shares the most with it: linear, not every pair
        project_words = set().union(*(own for _, own in own_sentences))
        idf = index.idf

        def weight(a: set[str], b: set[str]) -> float:
            return sum(idf.get(t, 0.0) for t in a & b)

        # only sentences holding a shared word can win; the index finds them without scanning
        sentence_weights: dict[int, float] = defaultdict(float)
        for term in project_words & item.words:
            for n in item.sentence_index.get(term, []):
                sentence_weights[n] += idf.get(term, 0.0)
        top = max(sentence_weights, key=lambda n: (sentence_weights[n], -n), default=None)
        item_best = (item.sentences[top], item.sentence_words[top]) if top is not None else ("", set())
        own_best = max(own_sentences, key=lambda sw: weight(sw[1], item_best[1]), default=("", set()))
        best = (0.0, own_best[0], item_best[0])
        return {"shared_terms": shared, "project_sentence": best[1], "item_sentence": best[2]}

    @staticmethod
    def sentences(project: Project) -> list[tuple[str, set[str]]]:
        return [(s, set(terms(s))) for s in _sentences(project.text) or [project.text]]

    def match_explained(self, project: Project, chars: dict[str, np.ndarray] | None = None) -> ProjectMatches:
        result = self.match(project, chars)
        q = self.query(project)
        own = self.sentences(project)
        for m in result.items:
            m.explanation = self.explain(project, m, q, own)
        return result


def _flat(text: str) -> str:
    """The text as the character signal sees it: folded, without spaces."""
    return "".join(fold(text).split())


def build_items(doc: Document) -> list[Item]:
    """Measure rows, chapter 2 subsections (outside section 4) and the section 4 fields; a heading's
    text is its title, its goals and the whole text of its rows."""
    titles = {h.id: h.title for h in doc.headings}
    items: list[Item] = []
    by_parent: dict[str, list[str]] = {}
    for m in doc.measures:
        parent = ".".join(m.section.split(".")[:3])
        cells = [m.commitment, *m.status, *m.actions]
        text = "\n".join([titles.get(m.section, ""), *(c.text for c in cells)])
        items.append(
            Item(
                m.id,
                "measure",
                titles.get(m.section, ""),
                m.section,
                text,
                m.line_start,
                m.line_end,
                parent=parent,
            )
        )
        by_parent.setdefault(parent, []).append(text)
    goals: dict[str, list[str]] = {}
    for g in doc.goals:
        goals.setdefault(".".join(g.section.split(".")[:3]), []).append(g.text)
    for h in doc.headings:
        if h.level != "subsection" or not h.id.startswith("2.") or h.id not in by_parent:
            continue
        kind = "field" if h.id.startswith(FIELDS_SECTION + ".") else "subsection"
        text = "\n".join([h.title, *goals.get(h.id, []), *by_parent[h.id]])
        end = max(m.line_end for m in doc.measures if m.section.startswith(h.id + ".") or m.section == h.id)
        items.append(Item(h.id, kind, h.title, h.id, text, h.line, end))
    for item in items:
        item.sentences = _sentences(item.text)
    return items
