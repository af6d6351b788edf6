"""Periods as written: calendar years, fiscal years (April–March), Japanese eras, months, dates."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ebpm.indicators.periods import PeriodError, find_period, parse_period


@pytest.mark.parametrize(
    ("text", "label", "end"),
    [
        ("2022", "2022", date(2022, 12, 31)),
        ("2022年", "2022", date(2022, 12, 31)),
        ("FY2022", "FY2022", date(2023, 3, 31)),
        ("2022年度", "FY2022", date(2023, 3, 31)),
        ("２０２２年度", "FY2022", date(2023, 3, 31)),
        ("令和4年度", "FY2022", date(2023, 3, 31)),
        ("令和元年度", "FY2019", date(2020, 3, 31)),
        ("平成30年", "2018", date(2018, 12, 31)),
        ("2022年３月末", "2022-03", date(2022, 3, 31)),
        ("2024年2月", "2024-02", date(2024, 2, 29)),
        ("2022-03", "2022-03", date(2022, 3, 31)),
        ("2022-03-15", "2022-03-15", date(2022, 3, 15)),
        ("2022/3/15", "2022-03-15", date(2022, 3, 15)),
    ],
)
def test_periods(text: str, label: str, end: date) -> None:
    p = parse_period(text)
    assert (p.label, p.end) == (label, end)


@pytest.mark.parametrize("text", ["", "abc", "2022年13月", "1800", "22年", "FY20222", "2022-02-30"])
def test_bad_periods(text: str) -> None:
    with pytest.raises(PeriodError):
        parse_period(text)


def test_find_period_in_text() -> None:
    found = find_period("民間企業 17.8%（2021年度）")
    assert found is not None and found.label == "FY2021"


@given(st.integers(min_value=1900, max_value=2099))
def test_fiscal_year_round_trip(year: int) -> None:
    p = parse_period(f"FY{year}")
    assert parse_period(p.label) == p
    assert p.end == date(year + 1, 3, 31)
    assert parse_period(f"{year}年度") == p
