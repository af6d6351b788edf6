"""Cell units of a measure table: the pieces the column assigner works on.

A unit is one marked item (``○…``, ``・…``, ``- …``, ``―``), one sub-head, or
one unmarked fragment: text that continues a column after a page break. Units
are built from the raw lines of a table region with footnote blocks and page
numbers removed; where such noise was removed, the page certainly broke.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cached_property
from typing import Literal

from ebpm.parser.lines import is_complete as _line_complete
from ebpm.parser.tags import has_trailing_tag, is_ministry_tag
from ebpm.sources.normalize import join_wrapped

UnitKind = Literal["row", "item", "empty", "subhead", "frag"]
# "seam": a page break the repair inferred inside a unit (``seams.py``), which pays for it
Break = Literal["hard", "soft", "seam"] | None

ROW_MARKERS = ("○", "〇")
_ITEM = re.compile(r"^(・|- |-(?=\S)|－)")
# sub-heads of section 4 cells: a whole-line （topic）, a numbered (１)/(a) heading, or a
# katakana-lettered one such as 「ア データ集積のための基盤強化」 (16568)
_SUBHEAD = re.compile(
    r"^(?:[（(][^（）()。]{1,40}[）)]\s*$"
    r"|[(（](?:[０-９\d]{1,2}|[a-zａ-ｚ])[)）]"
    r"|[アイウエオカキクケコ] \S[^。]{0,30}$)"
)
_SHARED_LINE = re.compile(r" ・")
_LETTERED = re.compile(r"^[アイウエオカキクケコ] \S[^。]{0,30}$")
_WHOLE_TOPIC = re.compile(r"^[（(][^（）()。]{1,40}[）)]$")
_BRACKET_LINE = re.compile(r"^【[^【】]+】\s*$")
_LIST_INTRO = re.compile(r"以下の|以下を|下記")
_LEAD_IN_END = ("、", "：", ":")
# in section 4 an unmarked paragraph opening with 以下 is the lead-in of a column (16970, 17022)
_LEAD_IN = re.compile(r"^以下")
# a paragraph opening with a conjunction continues the cell above it
_CONJUNCTION = re.compile(
    r"^(また|さらに|更に|なお|あわせて|併せて|加えて|このため|一方|その上で|その際|特に)、"
)
# numbered paragraphs inside a cell (（１）…, ①…) after a finished paragraph are items of
# their own: each carries its own ministry tag (3604–3709)
_ENUMERATION = re.compile(r"^(?:（([０-９\d]{1,2})）|([①-⑳➀-➉])|\(([０-９\d]{1,2})\))")
_CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"
_DINGBAT_CIRCLED = "➀➁➂➃➄➅➆➇➈➉"


def enumeration_number(stripped: str) -> int | None:
    """The number of an in-cell enumeration (（３）, ③, ➂, (3)), or None."""
    m = _ENUMERATION.match(stripped)
    if not m:
        return None
    if m.group(2):
        ch = m.group(2)
        return (_CIRCLED.index(ch) if ch in _CIRCLED else _DINGBAT_CIRCLED.index(ch)) + 1
    digits = m.group(1) or m.group(3)
    return int(digits.translate(str.maketrans("０１２３４５６７８９", "0123456789")))


def is_complete(raw: str) -> bool:
    """Whether a cell line ends its paragraph.

    The extractor keeps a trailing space after an English word even where the
    line only wraps (「（ＪＨ：Japan Health␣」 16562), so such a line does not
    end a cell paragraph; cell items end in Japanese text, a bracket or a tag. A
    full-width Latin word counts as English (「情報基盤（ＪＨ␣」 + 「Super Highway…」, 16569).
    """
    body = raw.rstrip()
    last = unicodedata.normalize("NFKC", body[-1:])
    return _line_complete(raw) and not (last.isascii() and last.isalpha())


@dataclass
class Unit:
    kind: UnitKind
    lines: list[int]  # 1-based source lines
    texts: list[str]  # raw text of each line (or line part)
    break_before: Break = None
    shared_line: bool = False
    # 1-based line of a paragraph opening with a conjunction that was joined to this unit
    conjunction_line: int | None = None

    # The cached features are read only once the unit is fully built.
    @cached_property
    def text(self) -> str:
        return join_wrapped(self.texts)

    @cached_property
    def complete(self) -> bool:
        return is_complete(self.texts[-1])

    @cached_property
    def tagged(self) -> bool:
        return has_trailing_tag(self.text)

    @cached_property
    def lone_tag(self) -> bool:
        """An unmarked fragment that is a ministry tag and nothing else: the end of an item."""
        text = self.text.strip()
        return self.kind == "frag" and bool(_BRACKET_LINE.match(text)) and is_ministry_tag(text)

    @cached_property
    def introduces_list(self) -> bool:
        """The unit announces the items below it (「以下の取組を推進。」「主な成果は下記。」)."""
        # a finished line that stops on a comma or colon leads into the items under it
        # (「…整備計画」に基づき、」 over 「-携帯電話等…」 1920–1923)
        return bool(_LIST_INTRO.search(self.text)) or self.text.rstrip().endswith(_LEAD_IN_END)

    @cached_property
    def number(self) -> int | None:
        """Enumeration number of a numbered in-cell item."""
        return enumeration_number(self.texts[0].lstrip()) if self.kind == "item" else None

    @cached_property
    def continues_prior_work(self) -> bool:
        body = _ENUMERATION.sub("", self.text.lstrip("・-－ ")).lstrip()
        return body.startswith(("引き続き", "引続き"))


@dataclass(slots=True)
class ContentLine:
    index: int  # 0-based source index
    text: str
    break_before: Break


def _kind_of_start(stripped: str, prose_rows: bool, after_complete: bool) -> UnitKind | None:
    if stripped.startswith(ROW_MARKERS):
        return "row"
    if stripped.startswith("―") and len(stripped.strip()) <= 2:
        return "empty"
    if _ITEM.match(stripped):
        return "item"
    if stripped.startswith(("＜", "<")) and "【" not in stripped:
        # ＜topic＞ sub-heads occur in every section (12680–12755); ＜ never continues a
        # sentence in the bundled text, so a sub-head may also follow a column cut above it
        # (「…監視員による施設」 then 「＜研究データ利活⽤…＞」, 12610–12611)
        return "subhead"
    if prose_rows and after_complete and _BRACKET_LINE.match(stripped) and not is_ministry_tag(stripped):
        return "subhead"  # 【ＩＳＳ延⻑期間】 on a line of its own (17141)
    if prose_rows and after_complete and _SUBHEAD.match(stripped) and "【" not in stripped:
        return "subhead"
    if prose_rows and _LETTERED.match(stripped):
        # a lettered sub-head (「エ 広報」) never continues a sentence: it follows a one-line
        # item that fills its column, which a text without trailing spaces reads as cut
        # (「・知財・法務教育コンテンツ作成」, 16585–16586)
        return "subhead"
    if not prose_rows and after_complete and _ENUMERATION.match(stripped):
        return "item"
    if prose_rows and _LEAD_IN.match(stripped) and (after_complete or is_complete(stripped)):
        return "item"  # a one-line lead-in may follow the cut last line of the column before
    return None


def build_units(content: list[ContentLine], prose_rows: bool) -> list[Unit]:
    """Group the content lines of one table into units.

    ``prose_rows``: the table is in section 4 or 6, where rows are unmarked
    prose and cells carry sub-heads.
    """
    units: list[Unit] = []
    for cl in content:
        raw = cl.text
        stripped = raw.lstrip()
        leading_space = raw.startswith(" ")
        brk: Break = cl.break_before or ("soft" if leading_space else None)
        prev_complete = not units or is_complete(units[-1].texts[-1])
        kind = _kind_of_start(stripped, prose_rows, prev_complete or brk is not None)
        # three cells sharing the bottom line of a page: "〇… ・… ・…"
        if kind == "row" and _SHARED_LINE.search(stripped):
            pieces = _SHARED_LINE.split(stripped)
            units.append(Unit("row", [cl.index + 1], [pieces[0]], brk, shared_line=True))
            for piece in pieces[1:]:
                units.append(Unit("item", [cl.index + 1], ["・" + piece], None, shared_line=True))
            continue
        prev = units[-1] if units else None
        if kind is None and prev is not None:
            # the shared bottom line is always followed by a page break: whatever comes next
            # continues a column
            starts_fragment = is_complete(prev.texts[-1]) or brk is not None or prev.shared_line
            if brk is None and not prev.shared_line and _CONJUNCTION.match(stripped):
                starts_fragment = False
            if not starts_fragment:
                if is_complete(prev.texts[-1]):
                    prev.conjunction_line = cl.index + 1
                prev.lines.append(cl.index + 1)
                prev.texts.append(raw)
                continue
            kind = "frag"
        units.append(Unit(kind or "frag", [cl.index + 1], [raw], brk))
    if prose_rows:
        for k, u in enumerate(units):
            # a （topic） sub-head wrapped over two lines (16357–16358) is only whole once built
            if u.kind == "frag" and k and units[k - 1].complete and _WHOLE_TOPIC.match(u.text) and u.complete:
                u.kind = "subhead"
    return units


def split_rows(units: list[Unit], prose_rows: bool) -> list[list[Unit]]:
    """Split a table's units into rows at each ``○``/``〇``.

    In sections 4 and 6 a table holds one unmarked prose row, so whatever
    precedes the first marker opens a row of its own.
    """
    rows: list[list[Unit]] = []
    for u in units:
        if u.kind == "row" or not rows:
            if u.kind != "row":
                u.kind = "row"  # unmarked prose row, or text the table starts with
            rows.append([u])
        else:
            rows[-1].append(u)
    return rows
