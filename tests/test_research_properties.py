"""Properties of the methods on random worlds (hypothesis): what must hold whatever the data."""

from __future__ import annotations

import tempfile
from collections import defaultdict
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ebpm.research import analytics
from ebpm.research.methods import Query
from tests.research_helpers import Reader, store_of, work

INSTITUTIONS = [("I1", "JP"), ("I2", "JP"), ("I3", "US"), ("I4", "CN")]
authorship = st.lists(st.sampled_from(INSTITUTIONS), min_size=0, max_size=2, unique=True)
a_work = st.tuples(
    st.integers(0, 30),  # citations: small, so ties are common
    st.sampled_from(["17", "25"]),
    st.sampled_from([2019, 2020]),
    st.lists(authorship, min_size=1, max_size=4),
)
SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
Q = Query(2019, 2020)


def _world(works: list[tuple[int, str, int, list[list[tuple[str, str]]]]], tmp: Path) -> Path:
    records = [
        work(n, cites, field=field, year=year, authors=authors)
        for n, (cites, field, year, authors) in enumerate(works, start=1)
    ]
    return store_of(tmp, records)


@SETTINGS
@given(st.lists(a_work, min_size=1, max_size=60))
def test_top_weights_of_every_cell_sum_to_its_share(works: list) -> None:  # type: ignore[type-arg]
    with tempfile.TemporaryDirectory() as tmp:
        r = Reader(_world(works, Path(tmp)))
        try:
            rows = analytics.weights(r.engine, Q)
        finally:
            r.close()
    cells: dict[tuple[str, int], list[tuple[float, float]]] = defaultdict(list)
    for row in rows:
        cells[(row["field_id"], row["pub_year"])].append((row["w10"], row["w1"]))
    assert sum(len(c) for c in cells.values()) == len(works)
    for members in cells.values():
        n = len(members)
        assert sum(w10 for w10, _ in members) == pytest.approx(0.1 * n, abs=1e-9)
        assert sum(w1 for _, w1 in members) == pytest.approx(0.01 * n, abs=1e-9)
        assert all(0 <= w10 <= 1 and 0 <= w1 <= w10 + 1e-12 for w10, w1 in members)


@SETTINGS
@given(st.lists(a_work, min_size=1, max_size=40))
def test_fractional_counts_plus_unaffiliated_add_up_and_whole_is_never_less(works: list) -> None:  # type: ignore[type-arg]
    with tempfile.TemporaryDirectory() as tmp:
        r = Reader(_world(works, Path(tmp)))
        try:
            for by in ("institution", "country"):
                frac = analytics.indicators(r.engine, by, Query(2019, 2020, "fractional"))
                whole = analytics.indicators(r.engine, by, Q)
                total = sum(i["p"] for i in frac["items"]) + frac["totals"]["unaffiliated_p"]
                assert total == pytest.approx(len(works), abs=1e-9)
                whole_p = {i["id"]: i for i in whole["items"]}
                for item in frac["items"]:
                    assert whole_p[item["id"]]["p"] >= item["p"] - 1e-12
                    assert whole_p[item["id"]]["p_top10"] >= item["p_top10"] - 1e-12
        finally:
            r.close()
