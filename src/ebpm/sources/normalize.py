"""Text normalization for search and matching.

Raw text is always kept for display and provenance; the normalized form is
only used to compare, match and index. NFKC folds the Kangxi radical
look-alikes (``⽂`` → ``文``) and full-width letters, but leaves the CJK
Radicals Supplement block alone, so those are mapped explicitly.
"""

from __future__ import annotations

import re
import unicodedata

# CJK Radicals Supplement characters that the PDF extractor emitted in place of
# the ordinary ideographs. NFKC has no decomposition for them.
RADICALS_SUPPLEMENT = str.maketrans(
    {
        "⺠": "民",
        "⻑": "長",
        "⻄": "西",
        "⻘": "青",
        "⻭": "歯",
        "⻲": "亀",
        "⻨": "麦",
        "⻝": "食",
        "⻤": "鬼",
        "⻩": "黄",
        "⻫": "斉",
        "⻣": "骨",
        "⻆": "角",
        "⻌": "辶",
    }
)
# NFKC maps the Kangxi radical ⿊ to the traditional 黑; Japanese text means 黒.
POST_NFKC = str.maketrans({"黑": "黒"})

_DIGIT_UNIT_SPACE = re.compile(r"(?<=\d) +(?=[年月日度件人名社円％%か箇億兆万千百倍位]|USD\b)")
_UNIT_DIGIT_SPACE = re.compile(r"(?<=[年月]) +(?=\d)")
_MULTISPACE = re.compile(r"[ \t\u3000]+")


def normalize(text: str) -> str:
    """Return the search/matching form of ``text``.

    NFKC, explicit radical mapping, and removal of the spaces the extractor put
    between numbers and units (``2021 年`` → ``2021年``).
    """
    folded = unicodedata.normalize("NFKC", text.translate(RADICALS_SUPPLEMENT))
    folded = folded.translate(POST_NFKC)
    folded = _MULTISPACE.sub(" ", folded)
    folded = _DIGIT_UNIT_SPACE.sub("", folded)
    folded = _UNIT_DIGIT_SPACE.sub("", folded)
    return folded.strip()


def compact(text: str) -> str:
    """Normalized text with every space removed (for tags such as ``健 康 医療``)."""
    return normalize(text).replace(" ", "")


def join_wrapped(parts: list[str]) -> str:
    """Join extractor lines that were wrapped mid-sentence.

    Japanese wraps without spaces, so lines are concatenated; a single space is
    kept only where both sides are Latin letters or digits (English words that
    wrapped at a space).
    """
    out = ""
    for raw in parts:
        piece = raw.strip()
        if not piece:
            continue
        if out and out[-1].isascii() and out[-1].isalnum() and piece[0].isascii() and piece[0].isalnum():
            out += " "
        out += piece
    return out


def fold_in_place(text: str, lower: bool = False) -> str:
    """NFKC (and the radicals map) character by character, one character for one.

    Unlike :func:`normalize`, every offset in the result is an offset in
    ``text``, so a match found in the folded text marks the raw text as written.
    """
    out = []
    for ch in text.translate(RADICALS_SUPPLEMENT):
        folded = unicodedata.normalize("NFKC", ch).translate(POST_NFKC)
        if lower:
            folded = folded.lower()
        out.append(folded if len(folded) == 1 else ch)
    return "".join(out)
