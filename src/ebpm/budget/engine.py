"""The mapping engine: which strategy items a budget project serves, and why.

Strategy items are documents of three kinds: measure rows, subsections (title, goals and the
whole text of their rows) and the section 4 fields (AI, quantum, …). A row is read as separate
fields: the headings above it and its subsection's goals, its commitment, its status and its
actions; the projects reviewers confirmed for a row are examples of what it funds
(``MappingEngine``). A project is its whole text:
name (counted twice), purpose, summary and current issues (現状・課題).

Three signals, each the project's BM25 score against an item (the one BM25 of ebpm,
``search.bm25``) divided by the most the project's own terms could score, so that each lies
in 0..1 and means the same for every project:

- words: SudachiPy words in normalized form (the search analyzer), without the boilerplate
  every review sheet and every row shares (``STOP``), each field with its own weight;
- meanings: SudachiDict's synonym groups of the words (``search.analysis.analyse``): 削減 meets
  減らす, 高齢者 meets 年寄り, with no list to keep per edition;
- characters: character bigrams, which still see 暗号 inside 暗号鍵 where the two sides split
  words differently.

A row's score is the weighted sum of its signals plus a share of its subsection's: a project
first meets the subsection whose goals it serves, then the row. The weights were chosen on the
development half of the realistic mapping set (benchmarks/mapping.py).

Unmatched: the best row's signals go through a logistic model fitted on labelled projects
(``calibration.json``, written by ``benchmarks/mapping.py --calibrate``) into the probability
that the project serves a row; below the threshold chosen there by cross-validation the project
is flagged unmatched, its best candidates still listed.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

import numpy as np

from ebpm.model import Document
from ebpm.search.analysis import analyse, bare, fold
from ebpm.search.bm25 import Field

NAME_WEIGHT = 2.0
# each field of a row against the row's commitment
FIELD_WEIGHTS = {"heading": 1.0, "commitment": 1.0, "status": 0.5, "actions": 1.0}
SIGNAL_WEIGHTS = {"words": 1.0, "meanings": 0.25, "chars": 0.5}
SUBSECTION_SHARE = 0.0  # of the row's subsection's score, added to the row's
LIKENESS_FROM = 0.4  # the likeness (a share of what the project could score) from which an example counts
CONFIRMED_SHARE = 0.5  # of the best likeness to a project confirmed for the row, added to the row's
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
ROW_FIELDS = tuple(FIELD_WEIGHTS)


def terms(text: str) -> list[str]:
    """The words that can show what a text is about: no single characters, no boilerplate."""
    return [w for w in analyse(text, groups=False)[0] if len(w) >= 2 and w not in STOP]


def meanings(text: str) -> dict[str, float]:
    """The synonym groups of ``text``'s words (see ``search.analysis.analyse``)."""
    return analyse(text)[1]


def char_grams(text: str) -> Counter[str]:
    """Character bigrams of the folded text without spaces or punctuation."""
    t = bare(fold(text))
    return Counter(t[i : i + 2] for i in range(len(t) - 1))


@dataclass(slots=True)
class Item:
    id: str
    kind: str  # measure | subsection | field
    title: str
    section: str
    text: str
    line_start: int
    line_end: int
    fields: dict[str, str] = field(default_factory=dict)  # a row's fields (ROW_FIELDS)
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
    background: str = ""  # 現状・課題

    @property
    def text(self) -> str:
        return "\n".join(t for t in (self.name, self.purpose, self.summary, self.background) if t)


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
    best_score: float  # the best row's score
    confidence: float  # the probability that the project serves a row (calibrated)
    signals: dict[str, float]  # the best row's signals, as the calibration reads them
    items: list[Match]


@dataclass(frozen=True, slots=True)
class Query:
    """A project as the signals read it: weighted words, synonym groups and character bigrams."""

    words: dict[str, float]
    meanings: dict[str, float]
    chars: dict[str, float]
    sentences: list[tuple[str, set[str]]]  # the project's sentences with their words, for explanations


@dataclass(frozen=True, slots=True)
class Calibration:
    """A logistic model of P(serves a row | the best row's signals), and the flag's threshold."""

    features: tuple[str, ...]
    coefficients: tuple[float, ...]
    intercept: float
    threshold: float

    def probability(self, signals: Mapping[str, float]) -> float:
        z = self.intercept + sum(
            c * signals[f] for f, c in zip(self.features, self.coefficients, strict=True)
        )
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


@cache
def bundled_calibration() -> Calibration:
    raw = json.loads(resources.files("ebpm.budget").joinpath("calibration.json").read_text("utf-8"))
    return Calibration(tuple(raw["features"]), tuple(raw["coefficients"]), raw["intercept"], raw["threshold"])


class _Dense:
    """One field's BM25 weights as a (terms × items) matrix, for scoring many projects fast."""

    def __init__(self, bags: Sequence[Mapping[str, float]]) -> None:
        postings = ((term, n, float(tf)) for n, bag in enumerate(bags) for term, tf in bag.items())
        self.field = Field(postings, {n: float(sum(bag.values())) for n, bag in enumerate(bags)}, len(bags))
        self.vocabulary, self.matrix = self.field.dense(len(bags))

    def scores(self, query: Mapping[str, float], size: int) -> np.ndarray:
        rows = [(self.vocabulary[t], w) for t, w in query.items() if t in self.vocabulary]
        if not rows:
            return np.zeros(size)
        ids, weights = zip(*rows, strict=True)
        return np.asarray(weights) @ self.matrix[list(ids)]

    def ceiling(self, query: Mapping[str, float]) -> float:
        """The most ``query`` can score: every term present, saturated."""
        return self.field.ceiling(query) or 1.0


class _Index:
    """The signals of one kind of item."""

    def __init__(self, items: list[Item]) -> None:
        self.size = len(items)
        if items and items[0].fields:
            self.fields = {
                name: _Dense([Counter(terms(i.fields.get(name, ""))) for i in items]) for name in ROW_FIELDS
            }
        else:
            self.fields = {"text": _Dense([Counter(terms(i.text)) for i in items])}
        self.meanings = _Dense([meanings(i.text) for i in items])
        self.chars = _Dense([char_grams(i.text) for i in items])

    def signals(self, q: Query) -> dict[str, np.ndarray]:
        """Each signal against every item, as a share of what the project could score."""
        word = np.zeros(self.size)
        total = 0.0
        for name, dense in self.fields.items():
            weight = FIELD_WEIGHTS.get(name, 1.0)
            word += weight * dense.scores(q.words, self.size)
            total += weight * dense.ceiling(q.words)
        return {
            "words": word / (total or 1.0),
            "meanings": self.meanings.scores(q.meanings, self.size) / self.meanings.ceiling(q.meanings),
            "chars": self.chars.scores(q.chars, self.size) / self.chars.ceiling(q.chars),
        }


def combined(signals: Mapping[str, np.ndarray]) -> np.ndarray:
    """The signals' weighted mean."""
    total = sum(SIGNAL_WEIGHTS[k] for k in signals) or 1.0
    return np.asarray(np.sum([SIGNAL_WEIGHTS[k] * v for k, v in signals.items()], axis=0)) / total


class MappingEngine:
    """``confirmed``: row id → texts of the projects reviewers confirmed for it.

    A confirmed project is an example of what its row funds: a new project that reads like it
    (BM25 over the confirmed projects, whose IDF is that of review-sheet language, so that the
    words every sheet uses count for little) lifts the row by ``CONFIRMED_SHARE`` of the likeness.
    """

    def __init__(
        self,
        doc: Document,
        confirmed: Mapping[str, Sequence[str]] | None = None,
        calibration: Calibration | None = None,
    ) -> None:
        self.calibration = calibration or bundled_calibration()
        self.items = build_items(doc)
        self.by_kind: dict[str, list[Item]] = {}
        for item in self.items:
            self.by_kind.setdefault(item.kind, []).append(item)
        self.indexes = {kind: _Index(items) for kind, items in self.by_kind.items()}
        self.position = {kind: {i.id: n for n, i in enumerate(items)} for kind, items in self.by_kind.items()}
        rows = self.position.get("measure", {})
        examples = [
            (rows[row], text) for row, texts in (confirmed or {}).items() if row in rows for text in texts
        ]
        self._example_rows = [n for n, _ in examples]
        self._examples = _Dense([Counter(terms(text)) for _, text in examples]) if examples else None
        self._vocabulary = {
            t for index in self.indexes.values() for d in index.fields.values() for t in d.vocabulary
        }
        self._meanings = {t for index in self.indexes.values() for t in index.meanings.vocabulary}
        # each row's subsection or field, as a position among the items of that kind
        self._parent: list[tuple[str, int] | None] = []
        for m in self.by_kind.get("measure", []):
            kind = "field" if (m.parent or "").startswith(FIELDS_SECTION + ".") else "subsection"
            n = self.position.get(kind, {}).get(m.parent or "")
            self._parent.append(None if n is None else (kind, n))

    @staticmethod
    def query(project: Project) -> Query:
        """The project read once: each sentence of each part analysed a single time."""
        weights: dict[str, float] = {}
        groups: dict[str, float] = {}
        sentences: list[tuple[str, set[str]]] = []
        parts = ((project.name, NAME_WEIGHT), (project.purpose, 1.0), (project.summary, 1.0))
        for text, factor in (*parts, (project.background, 1.0)):
            counts: Counter[str] = Counter()
            for piece in _SENTENCE.split(text):
                if not piece.strip():
                    continue
                said, senses = analyse(piece)
                kept = [w for w in said if len(w) >= 2 and w not in STOP]
                counts.update(kept)
                if len(piece.strip()) >= 4:
                    sentences.append((piece.strip(), set(kept)))
                for g, share in senses.items():
                    groups[g] = groups.get(g, 0.0) + share
            for term, n in counts.items():
                weights[term] = weights.get(term, 0.0) + factor * (1 + math.log(n))
        grams = char_grams(project.text)
        return Query(
            weights,
            groups,
            {g: 1 + math.log(n) for g, n in grams.items()},
            sentences or [(project.text, set(weights))],
        )

    def scored(self, q: Query) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
        """(score of every item by kind, the rows' signals) for a project read as ``q``."""
        by_kind = {kind: index.signals(q) for kind, index in self.indexes.items()}
        scores = {kind: combined(signals) for kind, signals in by_kind.items()}
        if "measure" in scores:
            lift = np.array(
                [0.0 if p is None else scores[p[0]][p[1]] for p in self._parent], dtype=np.float64
            )
            scores["measure"] = (scores["measure"] + SUBSECTION_SHARE * lift) / (1 + SUBSECTION_SHARE)
            if self._examples is not None:
                likeness = self._examples.scores(q.words, len(self._example_rows)) / self._examples.ceiling(
                    q.words
                )
                # what every sheet shares (the review-sheet manner) lifts no row: only a close likeness
                # (the same program's next sheet, a sister program) counts
                above = np.where(likeness >= LIKENESS_FROM, likeness, 0.0)
                best = np.zeros(len(scores["measure"]))
                np.maximum.at(best, self._example_rows, above)
                scores["measure"] = scores["measure"] + CONFIRMED_SHARE * best
        return scores, by_kind.get("measure", {})

    def match(self, project: Project, q: Query | None = None) -> ProjectMatches:
        q = q or self.query(project)
        scores, rows = self.scored(q)
        picked: list[Match] = []
        for kind, top in (("measure", TOP_MEASURES), ("subsection", TOP_SUBSECTIONS), ("field", TOP_FIELDS)):
            if kind not in scores:
                continue
            for n in np.argsort(-scores[kind], kind="stable")[:top]:
                if scores[kind][n] <= 0:
                    break
                item = self.by_kind[kind][n]
                picked.append(
                    Match(item.id, kind, round(float(scores[kind][n]), 4), item.line_start, item.line_end, {})
                )
        best = int(np.argmax(scores["measure"])) if "measure" in scores and len(scores["measure"]) else None
        signals = {"best": float(scores["measure"][best]) if best is not None else 0.0}
        for name, values in rows.items():
            signals[name] = float(values[best]) if best is not None else 0.0
        ranked = np.sort(scores["measure"])[::-1] if "measure" in scores else np.zeros(0)
        signals["margin"] = float(ranked[0] - ranked[1]) if len(ranked) > 1 else 0.0
        # how much of the project's vocabulary the strategy uses at all: an administrative project
        # (庁舎, 年金, 旅券) speaks of things the strategy never mentions
        signals["coverage"] = _share(q.words, self._vocabulary)
        signals["meaning_coverage"] = _share(q.meanings, self._meanings)
        probability = self.calibration.probability(signals)
        return ProjectMatches(
            project.project_id,
            probability < self.calibration.threshold,
            round(signals["best"], 4),
            round(probability, 4),
            {k: round(v, 4) for k, v in signals.items()},
            picked,
        )

    def explain(
        self,
        project: Project,
        match: Match,
        q: Query | None = None,
    ) -> dict[str, Any]:
        """Shared key terms (by weight) and the best-matching sentence on each side."""
        q = q or self.query(project)
        words, own_sentences = q.words, q.sentences
        item = self.by_kind[match.kind][self.position[match.kind][match.item_id]]
        if not item.sentence_words:  # analysed on first use: most items are never explained
            item.sentence_words = [set(terms(s)) for s in item.sentences]
            item.words = set().union(*item.sentence_words) if item.sentence_words else set()
            for n, sentence_words in enumerate(item.sentence_words):
                for term in sentence_words:
                    item.sentence_index.setdefault(term, []).append(n)
        fields = self.indexes[match.kind].fields
        idf = (fields.get("commitment") or fields["text"]).field.idf

        shared = sorted((t for t in words if t in item.words), key=lambda t: -words[t] * idf(t))[:8]
        # the item's sentence that shares the most weight with the whole project, then the
        # project's sentence that shares the most with it: linear, not every pair
        project_words = set().union(*(own for _, own in own_sentences))
        sentence_weights: dict[int, float] = defaultdict(float)
        for term in project_words & item.words:
            for n in item.sentence_index.get(term, []):
                sentence_weights[n] += idf(term)
        top = max(sentence_weights, key=lambda n: (sentence_weights[n], -n), default=None)
        item_best = (item.sentences[top], item.sentence_words[top]) if top is not None else ("", set())
        own_best = max(
            own_sentences, key=lambda sw: sum(idf(t) for t in sw[1] & item_best[1]), default=("", set())
        )
        return {"shared_terms": shared, "project_sentence": own_best[0], "item_sentence": item_best[0]}

    def match_explained(self, project: Project) -> ProjectMatches:
        q = self.query(project)
        result = self.match(project, q)
        for m in result.items:
            m.explanation = self.explain(project, m, q)
        return result


def _share(weights: Mapping[str, float], known: set[str]) -> float:
    """The share of ``weights``' total that falls on terms in ``known``."""
    total = sum(weights.values())
    return sum(w for t, w in weights.items() if t in known) / total if total else 0.0


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.split(text) if len(s.strip()) >= 4]


def build_items(doc: Document) -> list[Item]:
    """Measure rows (with their fields), chapter 2 subsections (outside section 4) and the
    section 4 fields; a heading's text is its title, its goals and the whole text of its rows."""
    titles = {h.id: h.title for h in doc.headings}
    goals: dict[str, list[str]] = {}
    for g in doc.goals:
        goals.setdefault(".".join(g.section.split(".")[:3]), []).append(g.text)
    items: list[Item] = []
    by_parent: dict[str, list[str]] = {}
    for m in doc.measures:
        parent = ".".join(m.section.split(".")[:3])
        above = [
            titles.get(".".join(m.section.split(".")[:k]), "") for k in range(2, m.section.count(".") + 2)
        ]
        fields = {
            "heading": "\n".join([*dict.fromkeys(t for t in above if t), *goals.get(parent, [])]),
            "commitment": m.commitment.text,
            "status": "\n".join(s.text for s in m.status),
            "actions": "\n".join(a.text for a in m.actions),
        }
        own = "\n".join(
            [titles.get(m.section, ""), fields["commitment"], fields["status"], fields["actions"]]
        )
        items.append(
            Item(
                m.id,
                "measure",
                titles.get(m.section, ""),
                m.section,
                own,
                m.line_start,
                m.line_end,
                fields,
                parent=parent,
            )
        )
        by_parent.setdefault(parent, []).append(own)
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
