"""The part of an OpenAlex Work record that ebpm reads, as msgspec structs.

Decoding into these structs skips every other field (titles, abstracts, locations …) without
building Python objects for them, which halves the time to parse a line against a decoder
that builds every dict. The structs fix the shape (objects and lists); the values at the leaves
stay ``Any`` so that the importer checks them itself and names the field and the value at
fault. A record of the wrong shape is a :class:`msgspec.ValidationError`, turned into the same
kind of message by :func:`shape_error`.
"""

from __future__ import annotations

import re
from typing import Any

import msgspec

# gc=False: decoded records hold no reference cycles, and untracked objects cost less to make


class Named(msgspec.Struct, gc=False):
    id: Any = None
    display_name: Any = None


class Topic(msgspec.Struct, gc=False):
    field: Named | None = None
    subfield: Named | None = None


class Author(msgspec.Struct, gc=False):
    id: Any = None
    orcid: Any = None


class Institution(msgspec.Struct, gc=False):
    id: Any = None
    ror: Any = None
    display_name: Any = None
    country_code: Any = None
    type: Any = None


class Authorship(msgspec.Struct, gc=False):
    author: Author | None = None
    institutions: list[Institution] | None = None
    countries: list[Any] | None = None


class CitationsInYear(msgspec.Struct, gc=False):
    year: Any = None
    cited_by_count: Any = 0


class Grant(msgspec.Struct, gc=False):
    funder: Any = None
    funder_display_name: Any = None
    award_id: Any = None


class Work(msgspec.Struct, gc=False):
    id: Any = None
    doi: Any = None
    type: Any = None
    publication_year: Any = None
    cited_by_count: Any = 0
    counts_by_year: list[CitationsInYear] | None = None
    updated_date: Any = None
    primary_topic: Topic | None = None
    authorships: list[Authorship] | None = None
    grants: list[Grant] | None = None
    referenced_works: list[Any] | None = None


DECODER = msgspec.json.Decoder(Work)
DecodeError = msgspec.DecodeError
ShapeError = msgspec.ValidationError

_KINDS = {"array": "a list", "object": "an object"}
_MESSAGE = re.compile(r"Expected `(\w+)(?: \| null)?`, got `(\w+)`(?: - at `\$\.?(.*)`)?")


def shape_error(exc: msgspec.ValidationError) -> str:
    """msgspec's "Expected `array`, got `object` - at `$.authorships`" as the importer's own
    "authorships: expected a list, got object"."""
    text = str(exc)
    match = _MESSAGE.fullmatch(text)
    if match is None:
        return text
    expected, got, where = match.groups()
    if not where:
        return f"expected a Work object, got {got}"
    return f"{where}: expected {_KINDS.get(expected, expected)}, got {got}"
