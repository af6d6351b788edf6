"""Lineage across editions: links, the diff and ``ebpm diff``, on seeded synthetic editions.

The ground truth comes from the generator (``ebpm.sources.next_edition``): what it dropped, moved,
inserted, reworded, re-tagged and slipped, in the ids the parser gives the new text. The figures
are printed (``pytest -s``) beside the naive baseline, linking by id only.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from scipy.optimize import linear_sum_assignment

from ebpm.lineage import Lineage, diff_editions, match_editions, trace
from ebpm.lineage.assign import hungarian
from ebpm.lineage.diff import EditionDiff, ItemDiff, text_diff
from ebpm.lineage.evaluation import Scores, id_baseline, score
from ebpm.model import Document
from ebpm.parser.document import parse_document
from ebpm.sources.corpus import SourceText
from ebpm.sources.next_edition import SAMPLE_LABEL, NextEdition, Rates, next_edition
from ebpm.store import knowledge_base
from tests.conftest import Invoke

SEEDS = (1, 2, 3)
HARD_SEED = 4


@dataclass
class Case:
    name: str
    sample: NextEdition
    new: Document
    lineage: Lineage
    diff: EditionDiff


def _case(doc: Document, source: SourceText, seed: int, rates: Rates | None, name: str) -> Case:
    sample = next_edition(source.text, seed=seed, rates=rates)
    new = parse_document(sample.text, f"sample-{seed}.txt", "0" * 64)
    lineage = match_editions(doc, new)
    return Case(name, sample, new, lineage, diff_editions(doc, new, lineage=lineage))


@pytest.fixture(scope="module")
def cases(doc: Document, source: SourceText) -> list[Case]:
    out = [_case(doc, source, seed, None, f"seed {seed}") for seed in SEEDS]
    out.append(_case(doc, source, HARD_SEED, Rates.hard(), f"seed {HARD_SEED} (hard)"))
    return out


def _scores(case: Case, doc: Document) -> dict[str, tuple[Scores, Scores]]:
    truth = case.sample.truth
    baseline = id_baseline(doc, case.new)
    return {
        "rows": (
            score(case.lineage.rows, truth.rows, truth.new_rows),
            score(baseline.rows, truth.rows, truth.new_rows),
        ),
        "actions": (
            score(case.lineage.actions, truth.actions, truth.new_actions),
            score(baseline.actions, truth.actions, truth.new_actions),
        ),
    }


# --- the generator ------------------------------------------------------------------------------


def test_generator_is_seeded_labelled_and_read_back(source: SourceText, cases: list[Case]) -> None:
    again = next_edition(source.text, seed=SEEDS[0])
    assert again.text == cases[0].sample.text
    assert next_edition(source.text, seed=99).text != again.text
    for case in cases:
        first = case.sample.text.split("\n", 1)[0]
        assert SAMPLE_LABEL in first and "２０２４" in first
        assert case.new.edition == "2024"
        assert not case.new.missing
        assert case.sample.truth.lost == []  # every intention read back by the parser
        assert "統合戦略2023" not in case.sample.text.replace(" ", "")
        truth = case.sample.truth
        assert sum(v is None for v in truth.rows.values()) >= 5
        assert len(truth.new_rows) >= 5
        assert any("moved" in kinds for kinds in truth.changes.values())
        assert truth.slips and truth.owners


# --- links against the ground truth -------------------------------------------------------------


def test_links_precision_and_recall(doc: Document, cases: list[Case]) -> None:
    for case in cases:
        for kind, (matcher, baseline) in _scores(case, doc).items():
            print(
                f"{case.name} {kind}: matcher P {matcher.precision:.3f} R {matcher.recall:.3f}, "
                f"id-only baseline P {baseline.precision:.3f} R {baseline.recall:.3f}"
            )
            assert matcher.precision >= 0.98 and matcher.recall >= 0.98, (case.name, kind, matcher)
            assert matcher.f1 > baseline.f1 + 0.05


def test_dropped_and_new_are_detected(doc: Document, cases: list[Case]) -> None:
    for case in cases:
        for kind, (matcher, _) in _scores(case, doc).items():
            assert matcher.dropped_recall >= 0.9 and matcher.dropped_precision >= 0.9, (case.name, kind)
            assert matcher.new_recall >= 0.9 and matcher.new_precision >= 0.9, (case.name, kind)


def _by_new(diff: EditionDiff) -> dict[str, ItemDiff]:
    return {i.link.new: i for i in (*diff.rows, *diff.actions) if i.link.new}


def _by_old(diff: EditionDiff) -> dict[str, ItemDiff]:
    return {i.link.old: i for i in (*diff.rows, *diff.actions) if i.link.old}


def test_slipped_deadlines_are_found_with_their_days(cases: list[Case]) -> None:
    for case in cases:
        items = _by_new(case.diff)
        for slip in case.sample.truth.slips:
            item = items[slip.new_id]
            assert item.link.old == slip.old_id
            assert item.link.change == "changed"
            days = [m.days for m in item.moves if m.due_from == slip.old_due]
            assert days == [slip.days], (slip, item.moves)
            assert slip.days in (365, 366)


def test_owner_changes_are_found(cases: list[Case]) -> None:
    for case in cases:
        items = _by_old(case.diff)
        for old_id, (added, removed) in case.sample.truth.owners.items():
            item = items[old_id]
            assert item.link.new == (case.sample.truth.rows | case.sample.truth.actions)[old_id]
            assert sorted(item.owners_added) == sorted(added), old_id
            assert sorted(item.owners_removed) == sorted(removed), old_id
            assert item.link.change == "changed"


def test_unchanged_items_are_continued(cases: list[Case]) -> None:
    """An item the generator left alone (and whose successor it did not move) is `continued`; a row
    also needs its actions left alone (an action changed, dropped or added changes its row)."""
    for case in cases:
        truth = case.sample.truth
        items = _by_old(case.diff)
        successors = truth.rows | truth.actions
        touched_rows = {
            a.rsplit(".a", 1)[0] for a, new in truth.actions.items() if new is None or truth.changes.get(a)
        }
        gained_rows = {a.rsplit(".a", 1)[0] for a in truth.new_actions}
        for old_id, new_id in successors.items():
            if new_id is None or truth.changes.get(old_id):
                continue
            if ".a" not in old_id and (old_id in touched_rows or new_id in gained_rows):
                assert items[old_id].link.change == "changed", old_id
                continue
            link = items[old_id].link
            assert link.new == new_id
            assert link.change == "continued", (old_id, items[old_id].text_diff)


def test_an_edition_against_itself_is_all_continued(doc: Document) -> None:
    diff = diff_editions(doc, doc)
    assert len(diff.rows) == len(doc.measures)
    assert len(diff.actions) == sum(len(m.actions) for m in doc.measures)
    for item in (*diff.rows, *diff.actions):
        assert item.link.old == item.link.new
        assert item.link.change == "continued" and item.link.score == 1.0
        assert item.link.method == "identical" and not item.link.unsure
        assert not item.moves and not item.owners_added and not item.owners_removed
    summary = diff.summary()
    assert summary["rows"]["continued"] == len(doc.measures) and summary["rows"]["changed"] == 0


def test_text_diff_rebuilds_both_texts(cases: list[Case]) -> None:
    for item in (*cases[0].diff.rows, *cases[0].diff.actions):
        old = "".join(t for op, t in item.text_diff if op != "insert")
        new = "".join(t for op, t in item.text_diff if op != "delete")
        assert old == (item.text_from or "") and new == (item.text_to or "")
    assert text_diff("研究開発を推進する。", "研究開発を促進する。") == [
        ("equal", "研究開発を"),
        ("delete", "推進"),
        ("insert", "促進"),
        ("equal", "する。"),
    ]


def test_ministry_filter(doc: Document, cases: list[Case]) -> None:
    case = cases[0]
    only = diff_editions(doc, case.new, ministry="文", lineage=case.lineage)
    assert 0 < len(only.rows) < len(case.diff.rows)
    for item in only.actions:
        assert item.link in case.lineage.actions


def test_unsure_links_sit_between_the_thresholds(cases: list[Case]) -> None:
    for case in cases:
        for link in case.lineage.unsure():
            assert link.score is not None
            assert link.method == "by heading path" or link.score < 0.75


def test_hungarian_agrees_with_scipy() -> None:
    rng = np.random.default_rng(7)
    for shape in ((1, 1), (4, 4), (6, 3), (3, 8), (40, 37)):
        for _ in range(10):
            scores = rng.random(shape)
            ours = hungarian(scores)
            rows, cols = linear_sum_assignment(scores, maximize=True)
            assert len(ours) == min(shape)
            assert sum(scores[r, c] for r, c in ours) == pytest.approx(scores[rows, cols].sum())


def test_history_across_three_editions(doc: Document, cases: list[Case]) -> None:
    first = cases[0]
    sample_2025 = next_edition(first.sample.text, seed=11)
    assert sample_2025.edition == "2025"
    third = parse_document(sample_2025.text, "sample-2025.txt", "0" * 64)
    lineages = [first.lineage, match_editions(first.new, third)]
    moved = next(k for k, v in first.sample.truth.changes.items() if "moved" in v)
    steps = trace(lineages, "2023", moved)
    assert [s.edition for s in steps] == ["2023", "2024", "2025"]
    assert steps[0].id == moved and steps[1].id == first.sample.truth.rows[moved]
    assert steps[1].method == "moved section"
    assert steps[2].id == sample_2025.truth.rows.get(steps[1].id or "")
    dropped = next(k for k, v in first.sample.truth.rows.items() if v is None)
    assert [s.id for s in trace(lineages, "2023", dropped)] == [dropped, None, None]
    assert trace(lineages, "2024", first.sample.truth.new_rows[0])[0].id is None


# --- the CLI ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def two_editions(tmp_path_factory: pytest.TempPathFactory, doc: Document, cases: list[Case]) -> Path:
    db = tmp_path_factory.mktemp("editions") / "ebpm.sqlite"
    knowledge_base.write(doc, db)
    knowledge_base.write(cases[0].new, db.with_name("ebpm.2024.sqlite"))
    return db


def test_cli_json(invoke: Invoke, two_editions: Path, cases: list[Case]) -> None:
    result = invoke("diff", "2023", "2024", "--json", "--db", str(two_editions))
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["from"] == "2023" and payload["to"] == "2024"
    assert set(payload) >= {"rows", "actions", "summary"}
    row = payload["rows"][0]
    for key in ("from", "to", "change", "score", "method", "unsure", "text_diff", "owners", "deadline"):
        assert key in row
    assert set(row["owners"]) >= {"added", "removed"}
    assert set(row["deadline"]) >= {"from", "to", "moved_days"}
    assert all(len(seg) == 2 for seg in row["text_diff"])
    changes = {r["change"] for r in payload["rows"]}
    assert changes == {"continued", "changed", "dropped", "new"}
    assert payload["summary"]["rows"]["dropped"] == sum(
        v is None for v in cases[0].sample.truth.rows.values()
    )
    slipped = [a for a in payload["actions"] + payload["rows"] if a["deadline"]["moves"]]
    assert slipped and all(m["days"] in (365, 366) for a in slipped for m in a["deadline"]["moves"])


def test_cli_csv_and_human(invoke: Invoke, two_editions: Path) -> None:
    result = invoke("diff", "2023", "2024", "--csv", "--ministry", "文", "--db", str(two_editions))
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("\ufeff")
    records = list(csv.DictReader(io.StringIO(result.stdout.lstrip("\ufeff"))))
    assert records and {r["kind"] for r in records} == {"row", "action"}
    assert not any(v.startswith(("=", "+", "-", "@")) for r in records for v in r.values() if v)
    human = invoke("diff", "2023", "2024", "--db", str(two_editions))
    assert human.exit_code == 0 and "dropped" in human.stdout and "moved section" in human.stdout


def test_cli_errors(invoke: Invoke, two_editions: Path) -> None:
    for args in (("2023", "2031"), ("2023", "twenty"), ("2023", "2024", "--ministry", "火星")):
        result = invoke("diff", *args, "--db", str(two_editions))
        assert result.exit_code == 1
        assert "Traceback" not in result.output
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
