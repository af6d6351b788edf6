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
from collections.abc import Set
from dataclasses import dataclass

from ebpm.model import Indicator, IndicatorBlock, IndicatorValue
from ebpm.parser.indicator_refs import choose_refs, find_candidates
from ebpm.parser.indicator_values import date_spans, find_top, parse_period, parse_value, split_top
from ebpm.sources.normalize import join_wrapped, normalize

__all__ = [
    "parse_indicator_block",
    "parse_period",
    "parse_value",
]


# --------------------------------------------------------------------------
# Items
# --------------------------------------------------------------------------


@dataclass(slots=True)
class _Item:
    lines: list[int]
    segments: list[list[str]]  # segment -> raw line texts (bullet removed)


BULLET = "・"


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
    pieces_raw = split_top(part, "、")
    norm_pieces = [normalize(p) for p in pieces_raw]
    prose = "。" in normalize(part).rstrip("。") or any(len(p) > 40 for p in norm_pieces)
    if prose:
        pieces_raw = [part]
    values: list[IndicatorValue] = []
    for piece in pieces_raw:
        spans = date_spans(piece)
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
    colon = find_top(head, "：:")
    if colon >= 0:
        name = head[:colon].strip()
        value_parts = [head[colon + 1 :], *clean[1:]]
    else:
        name = head
        value_parts = list(clean[1:])
    # Date: the first date bracket of the item, in reading order.
    date: str | None = None
    for part in [name, *value_parts]:
        for a, b in date_spans(part):
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
    chosen = choose_refs(find_candidates(segments, defined))
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
