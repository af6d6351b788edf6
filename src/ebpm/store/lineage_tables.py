"""The lineage review table of the monitoring store, on its one ``metadata`` (and so in its migrations).

The matcher links each row and action of an edition to its predecessor with a score; the links it
is unsure of go to an admin, whose decision is kept here and wins over the matcher's: the
predecessor of one item of the newer edition (``old_id``, or none: the item is new). A later
decision on the same item supersedes the earlier one, which is kept, as targets are.
"""

from __future__ import annotations

from sqlalchemy import Column, Index, Integer, String, Table

from ebpm.store.monitoring import metadata

lineage_reviews = Table(
    "lineage_reviews",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("old_edition", String, nullable=False),
    Column("new_edition", String, nullable=False),
    Column("kind", String, nullable=False),  # row | action
    Column("new_id", String, nullable=False),
    Column("old_id", String),  # None: the item is new in the newer edition
    Column("decision", String, nullable=False),  # confirmed | corrected
    Column("author", String, nullable=False),
    Column("created_at", String, nullable=False),
    Column("superseded_at", String),
    Index("lineage_reviews_item", "old_edition", "new_edition", "kind", "new_id"),
)
