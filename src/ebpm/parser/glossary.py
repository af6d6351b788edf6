"""Parse the two abbreviation tables at the end of the strategy.

* ``略称⼀覧`` (lines 18853–19417): abbreviation → formal name, often with an
  English expansion in parentheses.
* ``※【 】中において⽤いられる府省の略称は、以下のとおり。`` (19418–19515): the
  ministry abbreviations used inside ``【…】`` tags.

Both parsers work on the raw lines (``lines[0]`` is line 1) and a 1-based
inclusive region. They keep the raw text (no NFKC) in the stored fields, strip
surrounding whitespace and join wrapped lines with :func:`join_wrapped`. They
return the entries together with the set of non-blank line numbers they
consumed (headers included), so the caller can check coverage; a line that
fits nowhere is left out of the set rather than guessed. Whitespace-only lines
(e.g. the lone ``" "`` page-break lines) count as blank. Neither function
raises on arbitrary input.

Glossary conventions
--------------------
* Entry boundaries: every cell line ends with a trailing space, so that signal
  is useless here. A line starts a new entry when its first token looks like an
  abbreviation (full-width Latin/digits: strong; ASCII acronym shapes such as
  ``AI-OCR``, ``COVID-19``, ``K``: weak) and it does not start with a bracket.
  The line right after a lone abbreviation is always its name (``ＩＥＴＣ`` /
  ``ＵＮＥＰ国際環境技術センター``), and while a bracket is open only a strong
  token starts a new entry (``ＧＰＡＩ （Global Partnership on AI`` is never
  closed; the next line ``ＧＰＩＦ`` is still a new entry).
* ``abbreviation``: the first whitespace-separated token of the entry's first
  line (``ＳＡＲ（衛星）``, ``ＢＡ活動``, ``AI-OCR``), or the whole line when a
  Latin-only line is followed by a Japanese name line (``K Program``).
* ``name_en``: the top-level parenthesised group ``（…）`` / ``(…)`` written in
  Latin script, without the brackets (the last one when there are several).
  When the entry has no Japanese name at all (``ＡＬ Advanced Learning``), the
  expansion as written goes to ``name_en``. ``None`` when there is no English.
* ``name_ja``: the remaining text, i.e. the Japanese formal name as written,
  with the English group removed (``幅広いアプローチ（Broader Approach：BA）活動``
  → ``幅広いアプローチ活動``). It is ``""`` only when the document gives no
  Japanese name (Latin-only expansions such as ``ＡＬ``, ``ＡＰＩ``, ``ＧＰＡＩ``);
  the English text is not duplicated into it.

Ministry conventions
--------------------
* A row is ``abbreviation name`` on one line; ``name`` is everything after the
  first space as written (``総務省 公害等調整委員会 消防庁``: the abbreviation
  covers all the bodies listed).
* Three single-token lines in a row are a row with a vertically written group
  cell: ``ＮＩＳＣ`` / ``内閣官房`` / ``内閣サイバーセキュリティセンター``. The group
  then applies to the following rows until a row whose name is itself a
  top-level organisation (first word ending in 省, 庁, 院, 委員会, ...), e.g.
  ``人 人事院`` ends the 内閣官房 group and ``公取 公正取引委員会`` ends the 内閣府
  group. Such top-level rows have ``group=None`` (the external bodies of the
  Cabinet Office such as 金融庁 are written as stand-alone rows, so they get no
  group either).
"""

from __future__ import annotations

import contextlib
import re

from ebpm.model import GlossaryEntry, Ministry
from ebpm.parser.brackets import top_level_spans
from ebpm.sources.normalize import compact, join_wrapped

_OPEN = "（("
_CLOSE = "）)"
_SPACE = re.compile(r"[ \t\u3000]+")


def _is_japanese(ch: str) -> bool:
    """Kana, kanji (incl. the radical look-alikes) and the iteration marks."""
    o = ord(ch)
    if ch == "・":  # the katakana middle dot is punctuation here
        return False
    return (
        0x3040 <= o <= 0x30FF
        or 0x3400 <= o <= 0x4DBF
        or 0x4E00 <= o <= 0x9FFF
        or 0xF900 <= o <= 0xFAFF
        or 0x2E80 <= o <= 0x2FDF
        or o in (0x3005, 0x3006, 0x3007)
    )


def _has_japanese(text: str) -> bool:
    return any(_is_japanese(ch) for ch in text)


def _is_latin_or_digit(ch: str) -> bool:
    """ASCII or full-width Latin letter or digit."""
    o = ord(ch)
    return (
        ("0" <= ch <= "9")
        or ("A" <= ch <= "Z")
        or ("a" <= ch <= "z")
        or 0xFF10 <= o <= 0xFF19
        or 0xFF21 <= o <= 0xFF3A
        or 0xFF41 <= o <= 0xFF5A
    )


def _is_fullwidth_latin_or_digit(ch: str) -> bool:
    return _is_latin_or_digit(ch) and not ch.isascii()


def _paren_depth(text: str) -> int:
    """Open minus closed brackets, treating （ and ( alike (the source mixes them)."""
    depth = 0
    for ch in text:
        if ch in _OPEN:
            depth += 1
        elif ch in _CLOSE and depth > 0:
            depth -= 1
    return depth


def _first_token(text: str) -> str:
    parts = _SPACE.split(text.strip(), maxsplit=1)
    return parts[0] if parts else ""


def _split_first(text: str) -> tuple[str, str]:
    parts = _SPACE.split(text.strip(), maxsplit=1)
    if not parts or not parts[0]:
        return "", ""
    return parts[0], parts[1].strip() if len(parts) > 1 else ""


def _abbreviation_strength(token: str) -> int:
    """How much ``token`` looks like an abbreviation: 0 no, 1 weak, 2 strong.

    Strong: starts with a Latin letter or digit and contains full-width Latin
    (``ＡＭＥＤ``, ``Ｇ空間（情報）``, ``５Ｇ``). Weak: ASCII tokens shaped like
    an acronym (``AI-OCR``, ``COVID-19``, ``EBMgt``, ``K``) rather than an
    English word (``Transfer``, ``based``), which would be a wrapped English
    name.
    """
    if not token or not _is_latin_or_digit(token[0]):
        return 0
    if any(_is_fullwidth_latin_or_digit(ch) for ch in token):
        return 2
    if _has_japanese(token):
        return 1
    if not all(ch.isascii() for ch in token):
        return 0
    uppers = sum(1 for ch in token if "A" <= ch <= "Z")
    if "-" in token or any(ch.isdigit() for ch in token) or uppers >= 2:
        return 1
    if len(token) == 1 and uppers == 1:
        return 1
    return 0


def _is_header(text: str, kinds: tuple[str, ...]) -> bool:
    c = compact(text)
    return c in kinds


_GLOSSARY_HEADERS = ("略称一覧", "略称正式名称")
_MINISTRY_HEADERS = ("略称府省名",)


def _is_ministry_title(text: str) -> bool:
    c = compact(text)
    return c.startswith("※") and "略称" in c


def _is_english(text: str) -> bool:
    return any(ch.isascii() and ch.isalpha() for ch in text) and not _has_japanese(text)


def split_names(text: str) -> tuple[str, str | None]:
    """Split a formal name as written into (name_ja, name_en); see module docs."""
    text = text.strip()
    if not text:
        return "", None
    english_spans = [
        (a, b)
        for a, b in top_level_spans(text, _OPEN, _CLOSE, unclosed_to_end=True)
        if _is_english(text[a + 1 : b])
    ]
    if english_spans:
        a, b = english_spans[-1]
        inner = text[a + 1 : b]
        if inner and inner[-1] in _CLOSE:
            inner = inner[:-1]
        name_en = inner.strip()
        name_ja = (text[:a].rstrip() + text[b:]).strip()
        if not _has_japanese(name_ja) and name_ja and not _has_japanese(text):
            # Latin text outside the brackets too: keep everything as English.
            return "", text
        return name_ja, name_en or None
    if _has_japanese(text):
        return text, None
    return "", text


def parse_glossary(lines: list[str], start: int, end: int) -> tuple[list[GlossaryEntry], set[int]]:
    """Parse the 略称一覧 table in ``start..end`` (1-based, inclusive).

    Never raises: on unexpected input it returns what it could parse.
    """
    entries: list[GlossaryEntry] = []
    consumed: set[int] = set()
    # Defensive: the parser is meant to be total, but must never raise.
    with contextlib.suppress(Exception):
        _parse_glossary(lines, start, end, entries, consumed)
    return entries, consumed


def _parse_glossary(
    lines: list[str], start: int, end: int, entries: list[GlossaryEntry], consumed: set[int]
) -> None:
    numbered = _region(lines, start, end)

    # Current entry being built.
    abbr: str | None = None
    parts: list[str] = []
    first = 0
    last = 0
    line_nums: list[int] = []

    def flush() -> None:
        nonlocal abbr, parts, line_nums
        if abbr is not None:
            name_ja, name_en = split_names(join_wrapped(parts))
            entries.append(GlossaryEntry(abbr, name_ja, name_en, first, last))
            consumed.update(line_nums)
        abbr = None
        parts = []
        line_nums = []

    for idx, (num, text) in enumerate(numbered):
        if _is_header(text, _GLOSSARY_HEADERS):
            flush()
            consumed.add(num)
            continue
        token = _first_token(text)
        strength = _abbreviation_strength(token)
        starts_with_bracket = text[0] in _OPEN
        if abbr is not None:
            name_so_far = join_wrapped(parts)
            if not name_so_far:
                # An abbreviation alone on its line: the next line is its name.
                parts.append(text)
                last = num
                line_nums.append(num)
                continue
            open_bracket = _paren_depth(name_so_far) > 0
            is_new = not starts_with_bracket and strength > 0 and (not open_bracket or strength == 2)
            if not is_new:
                parts.append(text)
                last = num
                line_nums.append(num)
                continue
        if strength == 0 or starts_with_bracket:
            # Not an entry start and no entry to continue: leave unconsumed.
            continue
        flush()
        head, rest = _split_first(text)
        if rest and not _has_japanese(text) and _next_is_japanese_name(numbered, idx):
            # ``K Program`` + Japanese name on the next line: the whole line is
            # the abbreviation.
            head, rest = text, ""
        abbr = head
        parts = [rest] if rest else []
        first = last = num
        line_nums = [num]
    flush()


def _next_is_japanese_name(numbered: list[tuple[int, str]], idx: int) -> bool:
    if idx + 1 >= len(numbered):
        return False
    text = numbered[idx + 1][1]
    return bool(text) and text[0] not in _OPEN and _abbreviation_strength(_first_token(text)) == 0


def _region(lines: list[str], start: int, end: int) -> list[tuple[int, str]]:
    """Non-blank (line number, stripped text) pairs of the clamped region."""
    out: list[tuple[int, str]] = []
    if not lines:
        return out
    lo = max(1, int(start))
    hi = min(len(lines), int(end))
    for num in range(lo, hi + 1):
        raw = lines[num - 1]
        if not isinstance(raw, str):
            continue
        text = raw.strip()
        if text:
            out.append((num, text))
    return out


_TOP_LEVEL_SUFFIXES = ("省", "庁", "院", "委員会", "内閣府", "内閣官房")


def _is_top_level(name: str) -> bool:
    word = _first_token(name)
    return word.endswith(_TOP_LEVEL_SUFFIXES)


def parse_ministries(lines: list[str], start: int, end: int) -> tuple[list[Ministry], set[int]]:
    """Parse the ministry abbreviation table in ``start..end`` (1-based, inclusive).

    Never raises: on unexpected input it returns what it could parse.
    """
    ministries: list[Ministry] = []
    consumed: set[int] = set()
    # Defensive: the parser is meant to be total, but must never raise.
    with contextlib.suppress(Exception):
        _parse_ministries(lines, start, end, ministries, consumed)
    return ministries, consumed


def _parse_ministries(
    lines: list[str], start: int, end: int, ministries: list[Ministry], consumed: set[int]
) -> None:
    numbered = _region(lines, start, end)

    group: str | None = None
    pending: list[tuple[int, str]] = []  # consecutive single-token lines

    def add_row(abbr: str, name: str, line: int) -> None:
        nonlocal group
        if _is_top_level(name):
            group = None
        ministries.append(Ministry(abbr, name, group, line))

    def flush_pending() -> None:
        nonlocal group
        i = 0
        while len(pending) - i >= 3:
            (n_abbr, abbr), (n_group, grp), (n_name, name) = pending[i : i + 3]
            group = grp
            ministries.append(Ministry(abbr, name, group, n_abbr))
            consumed.update((n_abbr, n_group, n_name))
            i += 3
        if len(pending) - i == 2:
            (n_abbr, abbr), (n_name, name) = pending[i : i + 2]
            add_row(abbr, name, n_abbr)
            consumed.update((n_abbr, n_name))
        # A single leftover token fits nowhere: leave it unconsumed.
        pending.clear()

    for num, text in numbered:
        if _is_ministry_title(text) or _is_header(text, _MINISTRY_HEADERS):
            flush_pending()
            consumed.add(num)
            continue
        abbr, name = _split_first(text)
        if not name:
            pending.append((num, abbr))
            continue
        flush_pending()
        add_row(abbr, name, num)
        consumed.add(num)
    flush_pending()
