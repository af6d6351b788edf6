"""Each ministry's actions with due dates, and re-posted items linked to their originals."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from pathlib import Path

import pytest

from ebpm.commitments.listing import UnknownMinistryError, counts_by_year, list_commitments
from ebpm.commitments.reposts import cells, link_reposts, reposts_of
from ebpm.model import Document
from tests.conftest import Invoke


def test_sorted_by_due_date_then_category(doc: Document) -> None:
    rows = list_commitments(doc)
    keys = [r.sort_key() for r in rows]
    assert keys == sorted(keys)
    dated = [r for r in rows if r.due]
    assert dated and rows[: len(dated)] == dated  # dated first
    assert {r.category for r in rows[len(dated) :]} <= {"asap", "ongoing", "unspecified"}


def test_one_ministry(doc: Document) -> None:
    rows = list_commitments(doc, ministry="⽂")  # a Kangxi look-alike is folded
    assert rows and {r.ministry for r in rows} == {"文"}
    # an untagged action is listed under its row's owners, and says so
    for r in rows:
        m = next(m for m in doc.measures if m.id == r.measure_id)
        action = m.actions[r.position]
        assert ("文" in action.ministries) or (r.inherited and "文" in m.commitment.ministries)


def test_one_section(doc: Document) -> None:
    """Which commitments does 文 own in 2.2.(1), and what did it promise to do next?"""
    rows = list_commitments(doc, ministry="文", section="2.2.1")
    assert rows and all(r.section.startswith("2.2.1.") and r.ministry == "文" for r in rows)
    assert all(r.line_start >= 9557 for r in rows)  # provenance: lines of the bundled file


def test_due_by_and_overdue(doc: Document) -> None:
    by = list_commitments(doc, due_by=date(2024, 3, 31))
    assert by and all(r.due is not None and r.due <= date(2024, 3, 31) for r in by)
    overdue = list_commitments(doc, overdue_as_of=date(2023, 6, 9))
    assert overdue and all(r.due is not None and r.due < date(2023, 6, 9) for r in overdue)


def test_unknown_ministry_is_a_clear_error(doc: Document) -> None:
    with pytest.raises(UnknownMinistryError, match=r"unknown ministry 'XYZ'.*科技"):
        list_commitments(doc, ministry="XYZ")


def test_counts_by_fiscal_year(doc: Document) -> None:
    counts = counts_by_year(list_commitments(doc))
    assert counts["FY2023"] > 0  # April 2023 – March 2024
    assert sum(counts.values()) == len(list_commitments(doc))


def test_reposts_link_both_ways(doc: Document) -> None:
    links = link_reposts(doc)
    by_key = dict(cells(doc))
    assert len(links) >= 120  # the text marks about 126 re-posts
    linked = [link for link in links if link.original is not None]
    assert len(linked) / len(links) >= 0.9
    for link in linked:
        assert by_key[link.original].line_start < by_key[link.copy].line_start  # the original comes first
    back = reposts_of(links)
    assert sum(len(v) for v in back.values()) == len(linked)
    # 18615 (section 6) re-posts the action at 7945 word for word
    exact = next(link for link in links if by_key[link.copy].line_start == 18615)
    assert exact.similarity == 1.0 and by_key[exact.original].line_start == 7945


def test_cli_commitments(invoke: Invoke, kb_file: Path) -> None:
    out = invoke("commitments", "--db", str(kb_file), "--ministry", "文", "--json")
    assert out.exit_code == 0, out.output
    payload = json.loads(out.stdout)
    assert payload["commitments"] and all(c["ministry"] == "文" for c in payload["commitments"])
    first = payload["commitments"][0]
    assert {"due", "due_category", "due_phrase", "deadlines", "measure_id", "line_start"} <= set(first)
    assert payload["counts"]["by_ministry"]["文"] == len(payload["commitments"])
    out = invoke("commitments", "--db", str(kb_file), "--due-by", "2024-03-31", "--csv")
    assert out.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(out.stdout.lstrip("\ufeff"))))
    assert rows and all(r["due"] <= "2024-03-31" for r in rows)
    out = invoke("commitments", "--db", str(kb_file))
    assert out.exit_code == 0 and "per ministry" in out.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--ministry", "XYZ"], "unknown ministry"),
        (["--due-by", "2024-13-01"], "not a date"),
        (["--overdue-as-of", "tomorrow"], "not a date"),
        (["--json", "--csv"], "choose one"),
        (["--section", "9.9"], "unknown section '9.9'"),
    ],
)
def test_cli_commitments_bad_input(invoke: Invoke, kb_file: Path, args: list[str], message: str) -> None:
    out = invoke("commitments", "--db", str(kb_file), *args)
    assert out.exit_code == 1
    assert message in out.output and "Traceback" not in out.output


def test_cli_reposts(invoke: Invoke, kb_file: Path) -> None:
    out = invoke("reposts", "--db", str(kb_file), "--json")
    assert out.exit_code == 0
    payload = json.loads(out.stdout)
    assert payload["reposts"] and payload["originals"]
    copy = payload["reposts"][0]["copy"]
    assert {"measure_id", "column", "position", "line_start", "text"} <= set(copy)
    out = invoke("reposts", "--db", str(kb_file))
    assert out.exit_code == 0 and "linked to an original" in out.stdout
