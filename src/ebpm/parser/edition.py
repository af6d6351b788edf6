"""Which edition of the strategy a text is: 統合イノベーション戦略２０２４ → "2024"."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter

# 統合イノベーション戦略２０２４ on the title lines; in the body the document calls itself 統合戦略2023
# (NFKC makes the digits ASCII)
_TITLE = re.compile(r"統合イノベーション戦略\s*((?:19|20)\d\d)")
# the document names itself once: 統合イノベーション戦略２０２３（以下「統合戦略２０２３」という。）
_NAMED = re.compile(r"統合イノベーション戦略\s*((?:19|20)\d\d)\s*[(（]以下")
_SELF = re.compile(r"統合(?:イノベーション)?戦略\s*((?:19|20)\d\d)(?![-‐–〜~]\d)")
TITLE_LINES = 30


def edition_of_text(text: str) -> str | None:
    """The edition a strategy text names: its title on the first lines, else the name it gives
    itself (統合イノベーション戦略2023（以下…）, else the latest year it
    calls itself by (統合戦略2023) at least twice, since an edition cites earlier ones by name
    but never a later one; None when it names none."""
    head = unicodedata.normalize("NFKC", "\n".join(text.split("\n", TITLE_LINES)[:TITLE_LINES]))
    found = _TITLE.search(head)
    if found:
        return found.group(1)
    folded = unicodedata.normalize("NFKC", text)
    named = _NAMED.search(folded)
    if named:
        return named.group(1)
    years = Counter(m.group(1) for m in _SELF.finditer(folded))
    repeated = [y for y, n in years.items() if n >= 2]
    return max(repeated) if repeated else None
