"""Relational schema of the knowledge base (SQLAlchemy Core).

One row per entity, provenance line numbers on every row. List-valued
attributes that are never queried on their own (reasons, line lists) are JSON;
ministries of cells get their own table because "what does 文 own" is the
first question users ask.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
)

metadata = MetaData()

document = Table(
    "document",
    metadata,
    Column("key", String, primary_key=True),
    Column("value", Text, nullable=False),
)

headings = Table(
    "headings",
    metadata,
    Column("id", String, primary_key=True),
    Column("level", String, nullable=False),
    Column("number", String, nullable=False),
    Column("title", Text, nullable=False),
    Column("line", Integer, nullable=False),
    Column("parent_id", String),
    Column("position", Integer, nullable=False),
)

goals = Table(
    "goals",
    metadata,
    Column("id", String, primary_key=True),
    Column("kind", String, nullable=False),
    Column("section", String, nullable=False, index=True),
    Column("text", Text, nullable=False),
    Column("line_start", Integer, nullable=False),
    Column("line_end", Integer, nullable=False),
    Column("position", Integer, nullable=False),
)

indicators = Table(
    "indicators",
    metadata,
    Column("id", String, primary_key=True),
    Column("block", String, nullable=False),
    Column("section", String, nullable=False, index=True),
    Column("name", Text, nullable=False),
    Column("date", String),
    Column("year", Integer),
    Column("fiscal_year", Integer),
    Column("footnotes", JSON, nullable=False),
    Column("text", Text, nullable=False),
    Column("line", Integer, nullable=False),
    Column("line_end", Integer, nullable=False),
    Column("position", Integer, nullable=False),
)

indicator_values = Table(
    "indicator_values",
    metadata,
    Column("indicator_id", String, ForeignKey("indicators.id"), primary_key=True),
    Column("position", Integer, primary_key=True),
    Column("text", Text, nullable=False),
    Column("number", Float),
    Column("unit", String),
)

measures = Table(
    "measures",
    metadata,
    Column("id", String, primary_key=True),
    Column("section", String, nullable=False, index=True),
    Column("table_line", Integer, nullable=False),
    Column("marker_line", Integer, nullable=False),
    Column("line_start", Integer, nullable=False),
    Column("line_end", Integer, nullable=False),
    Column("crosses_page", Boolean, nullable=False),
    Column("confidence", Float, nullable=False),
    Column("reasons", JSON, nullable=False),
    Column("position", Integer, nullable=False),
)

cells = Table(
    "cells",
    metadata,
    Column("measure_id", String, ForeignKey("measures.id"), primary_key=True),
    Column("column", String, primary_key=True),  # commitment | status | action
    Column("position", Integer, primary_key=True),
    Column("text", Text, nullable=False),
    Column("other_tags", JSON, nullable=False),
    Column("reposted", Boolean, nullable=False),
    Column("topic", Text),
    Column("line_start", Integer, nullable=False),
    Column("line_end", Integer, nullable=False),
    Column("lines", JSON, nullable=False),
)

cell_ministries = Table(
    "cell_ministries",
    metadata,
    Column("measure_id", String, primary_key=True),
    Column("column", String, primary_key=True),
    Column("position", Integer, primary_key=True),
    Column("rank", Integer, primary_key=True),
    Column("ministry", String, nullable=False, index=True),
)

footnotes = Table(
    "footnotes",
    metadata,
    Column("number", Integer, primary_key=True),
    Column("text", Text, nullable=False),
    Column("line", Integer, nullable=False),
    Column("line_end", Integer, nullable=False),
    Column("references", JSON, nullable=False),
)

glossary = Table(
    "glossary",
    metadata,
    Column("position", Integer, primary_key=True),
    Column("abbreviation", String, nullable=False, index=True),
    Column("name_ja", Text, nullable=False),
    Column("name_en", Text),
    Column("line", Integer, nullable=False),
    Column("line_end", Integer, nullable=False),
)

ministries = Table(
    "ministries",
    metadata,
    Column("position", Integer, primary_key=True),
    Column("abbreviation", String, nullable=False, index=True),
    Column("name", Text, nullable=False),
    Column("group", String),
    Column("line", Integer, nullable=False),
)

# which element each source line belongs to, as runs of consecutive lines
coverage = Table(
    "coverage",
    metadata,
    Column("line_start", Integer, primary_key=True),
    Column("line_end", Integer, nullable=False),
    Column("element", String, nullable=False, index=True),
)

messages = Table(
    "messages",
    metadata,
    Column("position", Integer, primary_key=True),
    Column("kind", String, nullable=False),  # warning | missing
    Column("text", Text, nullable=False),
)


# the source file's lines as read (raw, 1-based), so that every page can show its provenance
# verbatim without the source file at hand
source_lines = Table(
    "source_lines",
    metadata,
    Column("line", Integer, primary_key=True),
    Column("text", Text, nullable=False),
)


# The search index, built at ingest (ebpm.search.index): documents and BM25 postings of
# their SudachiPy words and synonym groups (their character trigrams are counted when the
# index is loaded: cheaper than storing them).
search_docs = Table(
    "search_docs",
    metadata,
    Column("doc", Integer, primary_key=True),
    Column("id", String, nullable=False, unique=True),
    Column("kind", String, nullable=False, index=True),
    Column("section", String, nullable=False),
    Column("ministries", JSON, nullable=False),
    Column("line_start", Integer, nullable=False),
    Column("line_end", Integer, nullable=False),
    Column("text", Text, nullable=False),
    Column("measure_id", String),
    Column("due", String),
    Column("length_words", Integer, nullable=False),
    # the document's words with their counts, and its SudachiDict synonym groups with their
    # summed shares (1/k for a word in k groups; ebpm.search.analysis.analyse): the two BM25
    # fields, read whole into memory, so kept as one value a document rather than a row a term
    Column("terms", JSON, nullable=False),
    Column("meanings", JSON, nullable=False),
)

# Each document's sentence vector (ebpm.search.vectors: float16 bytes) and the model that made
# it: vectors of another model are not comparable with its query vectors. Empty when the
# knowledge base was built with ``--no-vectors``.
search_vectors = Table(
    "search_vectors",
    metadata,
    Column("doc", Integer, primary_key=True),
    Column("model", String, primary_key=True),  # a document has a vector by each model
    Column("vector", LargeBinary, nullable=False),
)

# The optional data written for one edition's text that this knowledge base was built with
# (``ebpm ingest --search-extras``): "phrasings", "thesaurus". None by default.
search_extras = Table("search_extras", metadata, Column("name", String, primary_key=True))

# Plain-language phrasings of some documents (ebpm.search.paraphrases), a second field.
search_paraphrases = Table(
    "search_paraphrases",
    metadata,
    Column("doc", Integer, primary_key=True),
    Column("text", Text, nullable=False),
    Column("length_words", Integer, nullable=False),
)

search_paraphrase_postings = Table(
    "search_paraphrase_postings",
    metadata,
    Column("term", String, primary_key=True),
    Column("doc", Integer, primary_key=True),
    Column("tf", Integer, nullable=False),
)
