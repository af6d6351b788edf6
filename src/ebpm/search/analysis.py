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

from sudachipy import Dictionary, SplitMode, Tokenizer

from ebpm.sources.normalize import normalize

# parts of speech that carry no topic, and normalized forms too common to mean anything
_SKIP_POS = frozenset({"助詞", "助動詞", "補助記号", "空白", "記号"})
_STOP = frozenset(
    {"為る", "有る", "居る", "成る", "出来る", "事", "物", "為", "等", "様", "所", "其の", "此の"}
)
_PUNCT = re.compile(r"[\s\W_]+", re.UNICODE)
MAX_CHUNK_BYTES = 16_000  # well under SudachiPy's limit of 49,149 bytes per call
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


def analyse(text: str, groups: bool = True) -> tuple[list[str], dict[str, float]]:
    """Content words of ``text`` (normalized forms, split mode A) and its synonym groups.

    The groups map ``group_term(id)`` to the summed share of the words in that group: a
    word in k groups gives each 1/k, a word in more than ``MAX_GROUPS`` gives none.
    """
    max_groups = MAX_GROUPS  # read at each call, so that benchmarks/search.py can vary it
    out: list[str] = []
    meanings: dict[str, float] = {}
    split_a = SplitMode.A
    for chunk in _chunks(fold(text)):
        for unit in _long_tokenizer().tokenize(chunk):
            parts = unit.split(split_a)
            for m in parts if len(parts) else (unit,):
                if _skipped(m.part_of_speech_id()):
                    continue
                form = m.normalized_form().lower()
                if form not in _STOP and not _PUNCT.fullmatch(form):
                    out.append(form)
            if not groups or _skipped(unit.part_of_speech_id()):
                continue
            senses = [(unit, 1.0)]
            if PART_SHARE and len(parts) > 1:
                senses += [(m, PART_SHARE) for m in parts]
            for m, weight in senses:
                if (ids := m.synonym_group_ids()) and len(ids) <= max_groups:
                    share = weight / len(ids)
                    for g in ids:
                        term = group_term(g)
                        meanings[term] = meanings.get(term, 0.0) + share
    return out, meanings


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
