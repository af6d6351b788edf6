"""Indicator blocks: 主要指標 (key indicators) and 参考指標 (reference data).

An indicator block is a list of bullet items of the rough shape
``name：value[、value…]（date）ref`` (see docs/source-format.md, "Goal and
indicator blocks"). The caller hands over the content lines of one block
(header, blank lines, page numbers and footnote blocks already removed); this
module groups them into items and reads each item's name, values, date and
footnote references.

Conventions
-----------
* Structure (bullets, brackets, colons, footnote references) is detected on the
  raw text; numbers and units are read from the normalized text
  (:func:`ebpm.sources.normalize.normalize`).
* ``Indicator.text`` is the item without its bullet, wrapped lines joined with
  :func:`join_wrapped`; sub-lines (a line without a bullet after a line that
  ended an item, e.g. ``防災：全都道府県``) are joined with a single space.
* ``name`` is the text before the first top-level ``：`` (the whole head line
  when there is none), with footnote references removed.
* ``values`` are the top-level ``、``-separated pieces after the colon (and of
  every sub-line, label included), with footnote references and date brackets
  removed. A value part that reads as prose (contains ``。`` or a piece longer
  than 40 characters) is kept as one value.
* ``date`` is the inner text of the first bracket (``（）``, ``()``, ``【】``)
  that holds a year, footnote references removed.

Nothing here raises on arbitrary input.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Set
from dataclasses import dataclass, field

from ebpm.model import Indicator, IndicatorBlock, IndicatorValue
from ebpm.sources.normalize import RADICALS_SUPPLEMENT, join_wrapped, normalize

__all__ = [
    "parse_indicator_block",
    "parse_period",
    "parse_value",
]

BULLET = "・"
OPENERS = "（(【［["
CLOSERS = "）)】］]"

# --------------------------------------------------------------------------
# Periods
# --------------------------------------------------------------------------

_YEAR_TOKEN = re.compile(
    r"(?:(?P<era>令和|平成|昭和)\s*(?P<eyear>元|\d{1,2})"
    r"|(?<![0-9])(?P<year>1[5-9]\d\d|2\d\d\d))"
    r"\s*年(?P<fy>\s*度)?"
)
_ERA_BASE = {"令和": 2018, "平成": 1988, "昭和": 1925}
_RANGE_MARK = re.compile(r"[〜～~\-–—]|から")


def _year_tokens(text: str) -> list[tuple[int, bool]]:
    out: list[tuple[int, bool]] = []
    for m in _YEAR_TOKEN.finditer(text):
        if m.group("year"):
            year = int(m.group("year"))
        else:
            raw = m.group("eyear")
            year = _ERA_BASE[m.group("era")] + (1 if raw == "元" else int(raw))
        out.append((year, m.group("fy") is not None))
    return out


def parse_period(text: str) -> tuple[int | None, int | None]:
    """Return ``(year, fiscal_year)`` for a date or period as written.

    ``2022年`` → (2022, None); ``2021 年度`` → (None, 2021);
    ``2023年３⽉時点`` → (2023, None); ranges such as
    ``2018年〜2020年（３年平均）`` or ``1898年から2022年の間`` → (None, None).
    Only four-digit years (and 令和/平成/昭和 era years) count as years, so
    ``３年平均`` is not a second date.
    """
    try:
        norm = normalize(text)
    except Exception:  # pragma: no cover - normalize is total on str
        return None, None
    tokens = _year_tokens(norm)
    if not tokens:
        return None, None
    if len(tokens) > 1:
        first = tokens[0]
        if all(t == first for t in tokens) and not _RANGE_MARK.search(norm):
            tokens = [first]
        else:
            return None, None
    year, fiscal = tokens[0]
    return (None, year) if fiscal else (year, None)


def _has_date(inner: str) -> bool:
    return bool(_YEAR_TOKEN.search(normalize(inner)))


# --------------------------------------------------------------------------
# Values
# --------------------------------------------------------------------------

_NUMBER = re.compile(r"(?P<sign>[-−－▲△]\s*)?(?P<num>\d+(?:,\d+)*(?:\.\d+)?)")
_GROUPED = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?")
_DECIMAL_SPACE = re.compile(r"(?<=\d)\. (?=\d)")  # "1. 30℃" in the source
# "11億7,000万トン" → 117000 万トン; "1兆3,204億円" → 13204 億円
_COMPOUND = re.compile(r"(?P<big>\d[\d,]*)(?P<bu>兆|億)(?P<small>\d[\d,]*(?:\.\d+)?)(?P<su>億|万)")
# Text right before a number that marks it as the value rather than part of a label.
_PRIORITY_BEFORE = ("：", ":", "は", "当たり", "あたり", "に対して", "(", "（")
_DATE_AFTER = re.compile(r"\s*(?:年|月|日)")
_QUALIFIERS = (
    "以上",
    "以下",
    "未満",
    "程度",
    "超",
    "前後",
    "増加",
    "減少",
    "増",
    "減",
    "相当",
    "規模",
    "当たり",
    "あたり",
    "強",
    "弱",
    "余",
    "近く",
)
_KANA_UNITS = ("か国", "か所", "ヶ国", "ヶ所", "カ国", "カ所", "ケ国", "か月", "ヶ月")
_LETTER_UNITS = ("USD", "US$", "km", "kg", "kW", "MW", "GW", "TB", "PB", "ha", "t", "m")


def _is_kanji(c: str) -> bool:
    return "\u4e00" <= c <= "\u9fff" or "\u3400" <= c <= "\u4dbf" or c in "々〆"


def _is_katakana(c: str) -> bool:
    return "\u30a0" <= c <= "\u30ff"


def _is_unit_char(c: str) -> bool:
    return _is_kanji(c) or _is_katakana(c) or (c.isascii() and c.isalpha()) or c in "%℃°$€£¥"


def _read_unit(s: str, pos: int) -> tuple[str | None, int]:
    """Read the unit starting at ``pos`` (spaces skipped); return (unit, end)."""
    i = pos
    while i < len(s) and s[i] == " ":
        i += 1
    start = i
    out = ""
    while i < len(s):
        rest = s[i:]
        if out and any(rest.startswith(q) for q in _QUALIFIERS):
            break
        if not out and any(rest.startswith(q) for q in _QUALIFIERS if q not in ("増", "減")):
            break
        kana = next((k for k in _KANA_UNITS if rest.startswith(k)), None)
        if kana:
            out += kana
            i += len(kana)
            continue
        c = s[i]
        if c == "/":
            # "USD/人", "回/年" are units; "34位/64か国" is "out of 64".
            if out and i + 1 < len(s) and _is_unit_char(s[i + 1]) and not s[i + 1].isdigit():
                out += c
                i += 1
                continue
            break
        if _is_unit_char(c):
            out += c
            i += 1
            continue
        break
    out = out.rstrip("・ー/")
    if not out:
        return None, start
    return out, i


def _number_candidates(s: str) -> list[tuple[int, re.Match[str]]]:
    """Number matches in normalized text that can be a value, with a priority.

    Priority 1 marks a number that starts the value part (at the start, after
    a space, ``：``, ``は``, ``当たり``, ``に対して`` or a bracket, optionally
    behind ``約``); otherwise the first eligible number wins.
    """
    out: list[tuple[int, re.Match[str]]] = []
    for m in _NUMBER.finditer(s):
        start, end = m.start(), m.end("num")
        before = s[:start]
        prev = before[-1:]
        if prev.isascii() and prev.isalpha():
            continue  # "S80", "Top10", "TIMSS2019": part of a name
        nxt = s[end : end + 1]
        if nxt.isascii() and nxt.isalpha():
            tail = s[end:]
            if not any(tail.startswith(u) and not tail[len(u) : len(u) + 1].isalpha() for u in _LETTER_UNITS):
                continue  # "5G", "4D", "50mm"
        if _DATE_AFTER.match(s, end):
            continue  # a date, not a value
        pre = before
        for approx in ("約", "およそ", "概ね"):
            pre = pre.removesuffix(approx)
        core = pre.rstrip()
        priority = int(not core or core != pre or core.endswith(_PRIORITY_BEFORE))
        out.append((priority, m))
    return out


def _to_float(num: str) -> float | None:
    """``1,234.5`` → 1234.5; a malformed grouping (``1,2,3``) keeps its first group."""
    if "," in num and not _GROUPED.fullmatch(num):
        num = num.split(",", 1)[0]
    try:
        return float(num.replace(",", ""))
    except ValueError:
        return None


def parse_value(text: str) -> IndicatorValue:
    """Parse one value as written into (text, number, unit).

    ``22,222件`` → 22222.0 件; ``−4.5%`` → -4.5 %; ``34位／64か国`` → 34 位;
    ``29,300.22ＵＳＤ／⼈`` → 29300.22 USD/人; ``事業会社 56.9%`` → 56.9 %
    (the label stays in ``text``). ``text`` is returned stripped but otherwise
    as given; number and unit are None when no value number is found.
    """
    raw = text.strip() if isinstance(text, str) else ""
    try:
        return _parse_value(raw)
    except Exception:  # pragma: no cover - defensive: never raise on odd input
        return IndicatorValue(raw, None, None)


def _parse_value(raw: str) -> IndicatorValue:
    s = _DECIMAL_SPACE.sub(".", normalize(raw))
    cands = _number_candidates(s)
    if not cands:
        return IndicatorValue(raw, None, None)
    best = next((m for p, m in cands if p == 1), cands[0][1])
    start = best.start("num")
    comp = _COMPOUND.match(s, start)
    if comp and (comp.group("bu"), comp.group("su")) in (("兆", "億"), ("億", "万")):
        big = _to_float(comp.group("big"))
        small = _to_float(comp.group("small"))
        if big is not None and small is not None:
            unit, _ = _read_unit(s, comp.end())
            return IndicatorValue(raw, big * 10000 + small, comp.group("su") + (unit or ""))
    number = _to_float(best.group("num"))
    sign_at = best.start()
    if (
        number is not None
        and best.group("sign") is not None
        and not (sign_at > 0 and s[sign_at - 1].isalnum())
    ):
        number = -number
    unit, _ = _read_unit(s, best.end("num"))
    if unit is not None:
        unit = unit.replace(" ", "")
    return IndicatorValue(raw, number, unit)


# --------------------------------------------------------------------------
# Brackets
# --------------------------------------------------------------------------


def _top_level_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of every balanced top-level bracket, end exclusive.

    Mismatched bracket kinds are tolerated; an unclosed bracket yields no span.
    """
    spans: list[tuple[int, int]] = []
    depth = 0
    start = 0
    for i, c in enumerate(text):
        if c in OPENERS:
            if depth == 0:
                start = i
            depth += 1
        elif c in CLOSERS and depth > 0:
            depth -= 1
            if depth == 0:
                spans.append((start, i + 1))
    return spans


def _depths(text: str) -> list[int]:
    out: list[int] = []
    depth = 0
    for c in text:
        if c in CLOSERS and depth > 0:
            depth -= 1
            out.append(depth + 1)
            continue
        out.append(depth)
        if c in OPENERS:
            depth += 1
    return out


def _split_top(text: str, seps: str) -> list[str]:
    parts: list[str] = []
    depths = _depths(text)
    cur = ""
    for c, d in zip(text, depths, strict=True):
        if d == 0 and c in seps:
            parts.append(cur)
            cur = ""
        else:
            cur += c
    parts.append(cur)
    return parts


def _find_top(text: str, chars: str) -> int:
    for i, (c, d) in enumerate(zip(text, _depths(text), strict=True)):
        if d == 0 and c in chars:
            return i
    return -1


def _date_spans(text: str) -> list[tuple[int, int]]:
    """Top-level brackets whose content is a date or period."""
    out = []
    for a, b in _top_level_spans(text):
        inner = text[a + 1 : b - 1]
        n = normalize(inner)
        if len(n) <= 30 and "は" not in n and _has_date(inner):
            out.append((a, b))
    return out


# --------------------------------------------------------------------------
# Footnote references
# --------------------------------------------------------------------------

_REF_UNIT_AFTER = re.compile(
    r"\s*(?:年|月|日|時|歳|件|人|名|社|円|万|億|兆|千|百|%|位|本|回|倍|割|か国|か所|ヶ|ケ|カ国|箇|個"
    r"|機関|法人|領域|地域|団体|サイト|世帯|事業|都道府県|府県|自治体|地方公共団体|省|国|校|種|点"
    r"|度|℃|程度|以上|以下|未満|超|トン|分|秒|週|期|次|型|代|台|ｍ|m|k|t)"
)
_PARTICLES = set("のをにしがとはでもへやや、。・（(【：:）)】「」")
_UNIT_BEFORE = set("%％件人本社円位名個歳")
_STRONG, _MEDIUM, _WEAK = 3, 2, 1


def _nchar(c: str) -> str:
    return unicodedata.normalize("NFKC", c.translate(RADICALS_SUPPLEMENT))


@dataclass(slots=True)
class _RefCand:
    seg: tuple[int, int]  # (item index, segment index)
    start: int
    end: int
    token: str
    strength: int
    alternatives: list[list[int]]
    chosen: list[int] = field(default_factory=list)


def _alternatives(token: str, defined: Set[int]) -> list[list[int]]:
    """Ways to read a digit run as one or several glued footnote numbers."""
    alts: list[list[int]] = []
    if not token or len(token) > 9:
        return alts
    if token[0] != "0" and int(token) in defined:
        alts.append([int(token)])

    def splits(rest: str, prev: int | None) -> list[list[int]]:
        if not rest:
            return [[]]
        found: list[list[int]] = []
        for k in range(1, min(3, len(rest)) + 1):
            head = rest[:k]
            if head[0] == "0":
                break
            n = int(head)
            if n not in defined or (prev is not None and not 0 < n - prev <= 3):
                continue
            for tail in splits(rest[k:], n):
                found.append([n, *tail])
        return found

    if 2 <= len(token) <= 9:
        for sp in splits(token, None):
            if len(sp) >= 2:
                alts.append(sp)
    return alts


def _classify(raw: str, start: int, end: int, prev_is_ref: bool) -> int:
    """0 if the digit run raw[start:end] cannot be a reference, else its strength."""
    before = raw[start - 1] if start > 0 else ""
    nb = _nchar(before) if before else ""
    after_raw = raw[end:]
    after = "".join(_nchar(c) for c in after_raw[:12])
    nxt = after[:1]
    # --- exclusions -------------------------------------------------------
    if not before:
        return 0  # an item or value never starts with a reference
    if nb and (nb.isdigit() or nb in ".,〜~～-−‐/：:約第対全" or (nb.isascii() and nb.isalpha())):
        return 0
    if nb.isspace() and not prev_is_ref:
        return 0
    if nxt and (nxt.isdigit() or (nxt.isascii() and nxt.isalpha()) or nxt in "〜~～-−."):
        return 0
    if nxt in "," and after[1:2].isdigit():
        return 0
    if _REF_UNIT_AFTER.match(after):
        return 0
    # --- strength -----------------------------------------------------------
    rest = after_raw.strip()
    if not rest or re.fullmatch(r"[0-9\s]+", rest):
        return _STRONG  # at the end of the item, possibly followed by more refs
    if nxt in "：:":
        return _STRONG
    if (nb in ")）】" or nb in _UNIT_BEFORE) and (nxt in ")）】。、" or nxt.isspace()):
        return _STRONG
    if nb.isspace():
        return _STRONG  # chained after another reference: "47 48"
    if nxt in _PARTICLES or nxt.isspace() or "\u3040" <= nxt <= "\u309f":
        return _MEDIUM
    return _WEAK


def _find_candidates(segments: list[list[str]], defined: Set[int]) -> list[_RefCand]:
    cands: list[_RefCand] = []
    for i, segs in enumerate(segments):
        for j, text in enumerate(segs):
            prev_end = -1
            for m in re.finditer(r"[0-9]+", text):
                gap = text[prev_end : m.start()] if prev_end >= 0 else None
                prev_is_ref = bool(gap is not None and gap.strip() == "" and gap)
                strength = _classify(text, m.start(), m.end(), prev_is_ref)
                alts = _alternatives(m.group(), defined) if strength else []
                if strength and alts:
                    cands.append(_RefCand((i, j), m.start(), m.end(), m.group(), strength, alts))
                    prev_end = m.end()
                else:
                    prev_end = -1
    return cands


def _choose_refs(cands: list[_RefCand]) -> list[_RefCand]:
    """Keep the candidates that fit the block's (roughly ascending) sequence."""
    strong = [c for c in cands if c.strength == _STRONG]
    anchors_src = strong or [c for c in cands if c.strength == _MEDIUM]
    for c in anchors_src:
        c.chosen = c.alternatives[0]
    # Re-read ambiguous anchors (several readings) by closeness to the others.
    for c in anchors_src:
        if len(c.alternatives) > 1:
            others = [n for o in anchors_src if o is not c for n in o.alternatives[0]]
            if others:
                c.chosen = min(
                    c.alternatives,
                    key=lambda alt: min(abs(alt[0] - n) for n in others),
                )
    anchor_ids = {id(c) for c in anchors_src}
    anchor_idx = [k for k, c in enumerate(cands) if id(c) in anchor_ids]
    kept: list[_RefCand] = []
    for k, c in enumerate(cands):
        if id(c) in anchor_ids:
            kept.append(c)
            continue
        prev = [cands[a] for a in anchor_idx if a < k]
        nxt = [cands[a] for a in anchor_idx if a > k]
        lo = prev[-1].chosen[-1] if prev else None
        hi = nxt[0].chosen[0] if nxt else None
        slack = 6 if c.strength == _WEAK else 10
        best: list[int] | None = None
        best_dist = 10**9
        for alt in c.alternatives:
            a0, a1 = alt[0], alt[-1]
            if lo is not None and not lo - 2 <= a0 <= lo + slack:
                continue
            if hi is not None and not hi - slack <= a1 <= hi + 2:
                continue
            if lo is None and hi is None:
                continue
            dist = min(
                abs(a0 - (lo if lo is not None else a0 + 99)),
                abs(a1 - (hi if hi is not None else a1 + 99)),
            )
            if dist < best_dist:
                best, best_dist = alt, dist
        if best is not None:
            c.chosen = best
            kept.append(c)
    kept.sort(key=lambda c: (c.seg, c.start))
    return kept


# --------------------------------------------------------------------------
# Items
# --------------------------------------------------------------------------


@dataclass(slots=True)
class _Item:
    lines: list[int]
    segments: list[list[str]]  # segment -> raw line texts (bullet removed)


def _strip_bullet(text: str) -> tuple[bool, str]:
    s = text.strip()
    if s.startswith(BULLET):
        return True, s[len(BULLET) :].strip()
    return False, s


def _split_items(lines: list[tuple[int, str]]) -> list[_Item]:
    """Group block lines into items: a bullet starts an item, other lines continue it.

    A continuation line is a new *sub-line* when the previous line ended the
    item (trailing ASCII space) and did not end in ``、`` or an English word;
    otherwise it is a wrapped continuation of the previous line.
    """
    items: list[_Item] = []
    prev_raw = ""
    for entry in lines:
        try:
            number, raw = entry
        except (TypeError, ValueError):
            continue
        if not isinstance(raw, str) or not isinstance(number, int) or not raw.strip():
            continue
        bullet, body = _strip_bullet(raw)
        if bullet or not items:
            items.append(_Item([number], [[body]]))
        else:
            item = items[-1]
            item.lines.append(number)
            prev = prev_raw.rstrip("\n")
            prev_core = prev.rstrip()
            ended = prev.endswith(" ") and not prev_core.endswith(("、", "，", ","))
            english = bool(prev_core) and prev_core[-1].isascii() and prev_core[-1].isalpha()
            digits_only = body.isdigit() or re.fullmatch(r"[0-9\s]+", body) is not None
            if ended and not english and not digits_only:
                item.segments.append([body])
            else:
                item.segments[-1].append(body)
        prev_raw = raw
    return items


def _remove_spans(text: str, spans: list[tuple[int, int]]) -> str:
    out = ""
    pos = 0
    for a, b in sorted(spans):
        if a < pos:
            continue
        out += text[pos:a]
        pos = b
    return out + text[pos:]


def _values_from(part: str) -> list[IndicatorValue]:
    """Split a value part at top-level 、 and parse each piece."""
    if not part.strip():
        return []
    pieces_raw = _split_top(part, "、")
    norm_pieces = [normalize(p) for p in pieces_raw]
    prose = "。" in normalize(part).rstrip("。") or any(len(p) > 40 for p in norm_pieces)
    if prose:
        pieces_raw = [part]
    values: list[IndicatorValue] = []
    for piece in pieces_raw:
        spans = _date_spans(piece)
        cleaned = _remove_spans(piece, spans).strip()
        if not cleaned and spans:
            cleaned = piece.strip()  # a bracket that is the whole value is the value
        if cleaned:
            values.append(parse_value(cleaned))
    return values


def _parse_item(
    item: _Item,
    ref_spans: dict[int, list[tuple[int, int]]],
    refs: list[int],
    block: IndicatorBlock,
    section: str,
    ident: str,
) -> Indicator:
    joined_raw = [join_wrapped(seg) for seg in item.segments]
    text = " ".join(s for s in joined_raw if s)
    clean = [_remove_spans(seg, ref_spans.get(j, [])).strip() for j, seg in enumerate(joined_raw)]
    head = clean[0] if clean else ""
    colon = _find_top(head, "：:")
    if colon >= 0:
        name = head[:colon].strip()
        value_parts = [head[colon + 1 :], *clean[1:]]
    else:
        name = head
        value_parts = list(clean[1:])
    # Date: the first date bracket of the item, in reading order.
    date: str | None = None
    for part in [name, *value_parts]:
        for a, b in _date_spans(part):
            inner = part[a + 1 : b - 1].strip()
            if normalize(part[:a] + part[b:]).strip(" 、：:"):
                date = inner
                break
        if date is not None:
            break
    values: list[IndicatorValue] = []
    for part in value_parts:
        values.extend(_values_from(part))
    year, fiscal = parse_period(date) if date else (None, None)
    return Indicator(
        id=ident,
        block=block,
        section=section,
        name=name,
        values=values,
        date=date,
        year=year,
        fiscal_year=fiscal,
        footnotes=refs,
        text=text,
        line=item.lines[0],
        line_end=item.lines[-1],
    )


def parse_indicator_block(
    block: IndicatorBlock,
    section: str,
    lines: list[tuple[int, str]],
    footnote_numbers: Set[int],
    id_prefix: str,
) -> tuple[list[Indicator], set[int]]:
    """Parse the content lines of one indicator block.

    ``lines`` are (1-based line number, raw text) pairs in order, without the
    block header, blank lines, page numbers and footnote blocks. Returns the
    indicators (ids ``f"{id_prefix}.{n}"``, n = 1-based item index) and the set
    of line numbers consumed. Never raises.
    """
    try:
        return _parse_block(block, section, lines, footnote_numbers, id_prefix)
    except Exception:  # pragma: no cover - defensive: a bad block must not stop a parse
        return [], set()


def _parse_block(
    block: IndicatorBlock,
    section: str,
    lines: list[tuple[int, str]],
    footnote_numbers: Set[int],
    id_prefix: str,
) -> tuple[list[Indicator], set[int]]:
    items = _split_items(list(lines or []))
    defined: Set[int] = footnote_numbers if footnote_numbers is not None else frozenset()
    segments = [[join_wrapped(seg) for seg in it.segments] for it in items]
    chosen = _choose_refs(_find_candidates(segments, defined))
    indicators: list[Indicator] = []
    consumed: set[int] = set()
    for i, item in enumerate(items):
        spans: dict[int, list[tuple[int, int]]] = {}
        refs: list[int] = []
        for c in chosen:
            if c.seg[0] != i:
                continue
            spans.setdefault(c.seg[1], []).append((c.start, c.end))
            refs.extend(n for n in c.chosen if n not in refs)
        indicators.append(_parse_item(item, spans, refs, block, section, f"{id_prefix}.{i + 1}"))
        consumed.update(item.lines)
    return indicators, consumed
