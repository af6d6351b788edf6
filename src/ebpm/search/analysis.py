"""Text analysis for search and budget mapping: SudachiPy words and synonym groups.

Words come from SudachiPy (core dictionary, shipped in the sudachidict-core
package) in split mode A, as normalized forms, so that 組み合わせ/組合せ and
ＡＩ/AI meet. Character bigrams of the space-free text are the fallback for
what the dictionary does not know and for words the extractor wrapped.

Meanings come from the same dictionary: SudachiDict gives many entries the ids of
the synonym groups they belong to (高齢者, 年寄り and 老人 share group 13456;
人工知能 and AI share 10717). One pass in split mode C (the longest units, so that
高齢者 and 人工知能 are each one entry) yields both: the mode-A words are the
C units split again, identical to a mode-A pass, and each C unit gives its groups.
A word in k groups gives each 1/k, so that an ambiguous word (ごみ: 2 groups) counts
less towards any one meaning; a word in more than ``MAX_GROUPS`` groups gives none
(AI: 5 groups, among them artificial insemination), as measured in benchmarks/search.py.
"""

from __future__ import annotations

import re
import threading
from functools import lru_cache

from sudachipy import Dictionary, Morpheme, SplitMode, Tokenizer

from ebpm.sources.normalize import normalize

# parts of speech that carry no topic, and normalized forms too common to mean anything
_SKIP_POS = frozenset({"助詞", "助動詞", "補助記号", "空白", "記号"})
_STOP = frozenset(
    {"為る", "有る", "居る", "成る", "出来る", "事", "物", "為", "等", "様", "所", "其の", "此の"}
)
_PUNCT = re.compile(r"[\s\W_]+", re.UNICODE)
MAX_CHUNK_BYTES = 16_000  # well under SudachiPy's limit of 49,149 bytes per call
_MAX_CACHED = 200_000  # analysed units kept (a few tens of MB at most)
PART_SHARE = 0.5  # the groups of a compound's parts (人工 and 知能 of 人工知能), against its own
MAX_GROUPS = 5  # a word in more synonym groups than this says nothing about which one it means


@lru_cache(maxsize=1)
def _dictionary() -> Dictionary:
    return Dictionary(dict="core")


_local = threading.local()


def tokenizer() -> Tokenizer:
    """This thread's tokenizer: a SudachiPy Tokenizer must not be used by two threads at once
    (the web server searches from a thread pool), while the dictionary can be shared."""
    tok: Tokenizer | None = getattr(_local, "tokenizer", None)
    if tok is None:
        tok = _local.tokenizer = _dictionary().tokenizer(mode=SplitMode.A)
    return tok


def _long_tokenizer() -> Tokenizer:
    """This thread's split-mode-C tokenizer (see ``tokenizer``)."""
    tok: Tokenizer | None = getattr(_local, "long_tokenizer", None)
    if tok is None:
        tok = _local.long_tokenizer = _dictionary().tokenizer(mode=SplitMode.C)
    return tok


@lru_cache(maxsize=4096)
def _skipped(pos_id: int) -> bool:
    """Whether a part-of-speech id names a part of speech that carries no topic."""
    return bool(_dictionary().pos_of(pos_id)[0] in _SKIP_POS)


def fold(text: str) -> str:
    """The matching form: normalized (NFKC, radicals, spacing) and lower-cased."""
    return normalize(text).lower()


def words(text: str) -> list[str]:
    """Content words of ``text`` in their normalized forms."""
    return analyse(text, groups=False)[0]


def group_term(group: int) -> str:
    """A synonym group as a term of the synonym field: ``#13456``."""
    return f"#{group}"


def analyse(text: str, groups: bool = True, folded: str | None = None) -> tuple[list[str], dict[str, float]]:
    """Content words of ``text`` (normalized forms, split mode A) and its synonym groups.

    The groups map ``group_term(id)`` to the summed share of the words in that group: a
    word in k groups gives each 1/k, a word in more than ``MAX_GROUPS`` gives none. ``folded``:
    ``fold(text)`` when the caller has it already (the index folds each document once).
    """
    out: list[str] = []
    meanings: dict[str, float] = {}
    limits = (MAX_GROUPS, PART_SHARE)  # read at each call, so that benchmarks/search.py can vary them
    for chunk in _chunks(fold(text) if folded is None else folded):
        for unit in _long_tokenizer().tokenize(chunk):
            word_id = unit.word_id()
            # a dictionary entry always analyses the same way: cached by its id; an unknown
            # word (out of the dictionary) by its surface, part of speech and form too
            key = (word_id, unit.surface(), unit.part_of_speech_id()) if unit.is_oov() else (word_id,)
            forms, senses = _unit(key, unit, limits)
            out += forms
            if groups:
                for term, share in senses:
                    meanings[term] = meanings.get(term, 0.0) + share
    return out, meanings


_units: dict[tuple[object, ...], tuple[list[str], list[tuple[str, float]]]] = {}


def _unit(
    key: tuple[object, ...], unit: Morpheme, limits: tuple[int, float]
) -> tuple[list[str], list[tuple[str, float]]]:
    """A split-mode-C unit's mode-A content words and its synonym groups with their shares."""
    cached = _units.get((*key, *limits))
    if cached is not None:
        return cached
    max_groups, part_share = limits
    parts = unit.split(SplitMode.A)
    forms = []
    for m in parts if len(parts) else (unit,):
        if _skipped(m.part_of_speech_id()):
            continue
        form = m.normalized_form().lower()
        if form not in _STOP and not _PUNCT.fullmatch(form):
            forms.append(form)
    senses: list[tuple[str, float]] = []
    if not _skipped(unit.part_of_speech_id()):
        weighted = [(unit, 1.0)]
        if part_share and len(parts) > 1:
            weighted += [(m, part_share) for m in parts]
        for m, weight in weighted:
            if (ids := m.synonym_group_ids()) and len(ids) <= max_groups:
                senses += [(group_term(g), weight / len(ids)) for g in ids]
    if len(_units) >= _MAX_CACHED:  # unknown words are unbounded: start afresh rather than grow
        _units.clear()
    _units[(*key, *limits)] = (forms, senses)
    return forms, senses


def single_word(text: str) -> str | None:
    """The normalized form of ``text`` if it is one word (減らす, 海), else None (研究所)."""
    tokens = tokenizer().tokenize(fold(text))
    if len(tokens) != 1:
        return None
    return str(tokens[0].normalized_form().lower())


def _chunks(text: str) -> list[str]:
    """Pieces under SudachiPy's input limit (49,149 bytes), cut after a sentence or a line."""
    if len(text.encode()) <= MAX_CHUNK_BYTES:
        return [text]
    out: list[str] = []
    current = ""
    for piece in re.split(r"(?<=[。\n])", text):
        if len((current + piece).encode()) > MAX_CHUNK_BYTES and current:
            out.append(current)
            current = ""
        while len(piece.encode()) > MAX_CHUNK_BYTES:  # one sentence longer than the limit
            out.append(piece[: MAX_CHUNK_BYTES // 4])  # 4 bytes per character at most
            piece = piece[MAX_CHUNK_BYTES // 4 :]
        current += piece
    if current:
        out.append(current)
    return out


def bare(folded: str) -> str:
    """Folded text without spaces or punctuation: ・ and spaces do not tell two names apart."""
    return _PUNCT.sub("", folded)


def bigrams(text: str) -> list[str]:
    """Character bigrams of the folded text with spaces and punctuation removed."""
    compact = bare(fold(text))
    if len(compact) == 1:
        return [compact]
    return [compact[i : i + 2] for i in range(len(compact) - 1)]
