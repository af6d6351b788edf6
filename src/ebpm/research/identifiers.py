"""Identifiers and coded values as research files write them, reduced to one comparable form.

OpenAlex writes ids as URLs (``https://openalex.org/W123``); funders, KAKEN and e-Rad write award
numbers with full-width letters, spaces and hyphens; gender and career stage come in Japanese or
English. Each function here returns the one form the store keeps.
"""

from __future__ import annotations

import re
import unicodedata

_OPENALEX = re.compile(r"^(?:https?://(?:api\.)?openalex\.org/(?:[a-z]+/)?)?([WAISFTPC]\d+)$", re.IGNORECASE)
_LETTERS = frozenset("WAISFTPC")
_OPENALEX_PATH = re.compile(r"^(?:https?://(?:api\.)?openalex\.org/)?(fields|subfields|domains)/(\d+)$")
_ROR = re.compile(r"^(?:https?://)?(?:www\.)?(?:ror\.org/)?(0[a-z0-9]{6}[0-9]{2})$", re.IGNORECASE)
_ORCID = re.compile(
    r"^(?:https?://)?(?:www\.)?(?:orcid\.org/)?(\d{4}-\d{4}-\d{4}-\d{3}[\dX])$", re.IGNORECASE
)
_DOI = re.compile(r"^(?:https?://)?(?:dx\.)?(?:doi\.org/)?(?:doi:)?(10\.\d{4,9}/\S+)$", re.IGNORECASE)
# hyphen-like characters an award number may be written with (after NFKC)
_DASHES = str.maketrans("", "", "-‐‑‒–—―−ｰ_ \t")

GENDERS = {
    "female": "female", "f": "female", "woman": "female", "女性": "female", "女": "female",
    "male": "male", "m": "male", "man": "male", "男性": "male", "男": "male",
    "other": "other", "その他": "other", "non-binary": "other",
    "unknown": "unknown", "不明": "unknown", "回答しない": "unknown", "": "unknown",
}  # fmt: skip
CAREER_STAGES = {
    "early": "early", "若手": "early", "early career": "early",
    "mid": "mid", "中堅": "mid", "mid career": "mid",
    "senior": "senior", "シニア": "senior", "ベテラン": "senior",
}  # fmt: skip
# The age bands used when only a birth year is known: under 40 is 若手 as MEXT and JSPS define
# early-career researchers; 55 and over is senior.
EARLY_BELOW = 40
SENIOR_FROM = 55


def nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip()


_URL = "https://openalex.org/"


def openalex_id(raw: object) -> str | None:
    """``https://openalex.org/W123`` → ``W123``; None for anything else."""
    if not isinstance(raw, str):
        return None
    if raw.startswith(_URL):  # the form of nearly every id: a slice, not a regular expression
        tail = raw[21:]
        if tail[:1] in _LETTERS and tail[1:].isascii() and tail[1:].isdigit():
            return tail
    m = _OPENALEX.match(raw.strip())
    return m.group(1).upper() if m else None


def topic_id(raw: object) -> str | None:
    """``https://openalex.org/fields/17`` → ``17`` (fields, subfields and domains)."""
    if not isinstance(raw, str):
        return None
    m = _OPENALEX_PATH.match(raw.strip())
    if m:
        return m.group(2)
    text = raw.strip()
    return text if text.isdigit() else None


def ror_id(raw: object) -> str | None:
    if not isinstance(raw, str):
        return None
    m = _ROR.match(nfkc(raw))
    return m.group(1).lower() if m else None


_ORCID_URL = "https://orcid.org/"


def orcid(raw: object) -> str | None:
    if not isinstance(raw, str):
        return None
    if raw.startswith(_ORCID_URL) and len(raw) == 37 and raw[18:].isascii():  # OpenAlex's form
        m = _ORCID.match(raw[18:])
        return m.group(1).upper() if m else None
    m = _ORCID.match(nfkc(raw))
    return m.group(1).upper() if m else None


def doi(raw: object) -> str | None:
    """A DOI in its bare lower-case form (DOIs are case-insensitive): ``10.1234/abc``."""
    if not isinstance(raw, str):
        return None
    m = _DOI.match(nfkc(raw))
    return m.group(1).lower() if m else None


def award_key(raw: str) -> str:
    """An award number compared across sources: width, case, spaces and hyphens folded.

    ``ＪＰ２０Ｈ－０１２３４``, ``jp20h 01234`` and ``JP20H01234`` are one key.
    """
    return unicodedata.normalize("NFKC", raw).casefold().translate(_DASHES)


def institution_ref(raw: str) -> str | None:
    """A funding or researcher file's institution: an OpenAlex id (``I…``) or ``ror:…``."""
    text = nfkc(raw)
    if not text:
        return None
    found = openalex_id(text)
    if found and found.startswith("I"):
        return found
    ror = ror_id(text)
    return f"ror:{ror}" if ror else None


def gender(raw: str) -> str:
    value = GENDERS.get(nfkc(raw).casefold())
    if value is None:
        raise ValueError(
            f"{raw!r} is not a gender; write 女性, 男性, その他, 不明 (or female, male, other, unknown)"
        )
    return value


def career_stage(raw: str) -> str | None:
    text = nfkc(raw).casefold()
    if not text:
        return None
    value = CAREER_STAGES.get(text)
    if value is None:
        raise ValueError(f"{raw!r} is not a career stage; write 若手, 中堅, シニア (or early, mid, senior)")
    return value
