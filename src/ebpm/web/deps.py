"""What every route shares: the current knowledge base, and the common query parameters."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import Depends, Query, Request
from pydantic import BeforeValidator

from ebpm.services.knowledge import Knowledge


def get_knowledge(request: Request) -> Knowledge:
    knowledge: Knowledge = request.app.state.cache.get()
    return knowledge


KnowledgeDep = Annotated[Knowledge, Depends(get_knowledge)]
Limit = Annotated[int, Query(ge=1, le=500, description="Items per page.")]
Offset = Annotated[int, Query(ge=0, le=1_000_000, description="Items to skip.")]
Format = Annotated[Literal["json", "csv"], Query(description="csv: the whole filtered list as CSV.")]
SectionQ = Annotated[
    str | None, Query(max_length=40, description="Heading id, e.g. 2.2 or 2.2.1 (takes everything below).")
]
MinistryQ = Annotated[str | None, Query(max_length=40, description="Owner abbreviation, e.g. 文 or 内閣府.")]


def _iso_date(value: Any) -> Any:
    """Only YYYY-MM-DD: pydantic alone would also read ``0`` as 1970-01-01."""
    if isinstance(value, str) and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise ValueError("write the date as YYYY-MM-DD, e.g. 2025-03-31")
    return value


IsoDate = Annotated[date, BeforeValidator(_iso_date)]
