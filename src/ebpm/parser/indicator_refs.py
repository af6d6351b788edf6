"""Footnote references glued to indicator text: ``（2022年）22``, ``名目国内総生産額25 51.0兆円``.

A digit run counts as a reference by its surroundings (strong, medium, weak), and weak
readings are kept only where they fit the roughly ascending sequence of a block.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Set
from dataclasses import dataclass, field

from ebpm.sources.normalize import RADICALS_SUPPLEMENT

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


def find_candidates(segments: list[list[str]], defined: Set[int]) -> list[_RefCand]:
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


def choose_refs(cands: list[_RefCand]) -> list[_RefCand]:
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
