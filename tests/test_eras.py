"""The one era table (ebpm/eras.py), as the three readers of dates use it."""

from __future__ import annotations

import pytest

from ebpm import eras
from ebpm.commitments.deadlines import extract_deadlines
from ebpm.indicators.periods import parse_period as observation_period
from ebpm.parser.indicator_values import parse_period as document_period


@pytest.mark.parametrize(
    ("era", "year", "expected"),
    [("令和", "元", 2019), ("令和", "５", 2023), ("R", 5, 2023), ("平成", "30", 2018), ("昭和", "64", 1989)],
)
def test_gregorian(era: str, year: str | int, expected: int) -> None:
    assert eras.gregorian(era, year) == expected


@pytest.mark.parametrize(
    ("written", "fiscal_year"), [("令和元年度", 2019), ("平成30年度", 2018), ("昭和63年度", 1988)]
)
def test_every_reader_reads_an_era_year_alike(written: str, fiscal_year: int) -> None:
    assert document_period(written) == (None, fiscal_year)
    assert observation_period(written).label == f"FY{fiscal_year}"
    # a deadline falls at the end of its fiscal year: 31 March of the next calendar year
    (deadline,) = extract_deadlines(f"{written}中に実施する。")
    assert deadline.due is not None and deadline.due.year == fiscal_year + 1 and deadline.due.month == 3
