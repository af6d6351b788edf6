"""Top-level bracket spans, for parsers that read structure around （…） groups."""

from __future__ import annotations


def top_level_spans(
    text: str, openers: str, closers: str, unclosed_to_end: bool = False
) -> list[tuple[int, int]]:
    """(start, end) of every top-level bracket group, brackets included, end exclusive.

    Mismatched bracket kinds are tolerated. An unclosed group yields no span, or
    runs to the end of the text with ``unclosed_to_end``.
    """
    spans: list[tuple[int, int]] = []
    depth = 0
    start = 0
    for i, ch in enumerate(text):
        if ch in openers:
            if depth == 0:
                start = i
            depth += 1
        elif ch in closers and depth > 0:
            depth -= 1
            if depth == 0:
                spans.append((start, i + 1))
    if unclosed_to_end and depth > 0:
        spans.append((start, len(text)))
    return spans
