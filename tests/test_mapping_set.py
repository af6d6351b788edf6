"""The realistic mapping set (tests/data/mapping) keeps its rules, and the mapping's evaluation
and calibration behave as documented."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from ebpm.budget.engine import Calibration, MappingEngine, Project, bundled_calibration
from ebpm.budget.evaluation import confirmed_texts, cross_fitted, labels_from_reviews, score_ranked
from ebpm.model import Document
from ebpm.search.analysis import bare, fold
from ebpm.sources.normalize import normalize

SET = Path(__file__).parent / "data" / "mapping"
RUN = 5  # characters: no run this long may be shared by a project and its rows


def flat(text: str) -> str:
    return "".join(normalize(text).split())


@pytest.fixture(scope="module")
def labelled() -> tuple[list[dict[str, str]], dict[str, dict[str, object]]]:
    with (SET / "projects.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    labels = json.loads((SET / "labels.json").read_text(encoding="utf-8"))["projects"]
    return rows, labels


def test_the_set_has_its_size_split_and_labels(
    labelled: tuple[list[dict[str, str]], dict[str, dict[str, object]]], doc: Document
) -> None:
    rows, labels = labelled
    assert {r["事業番号"] for r in rows} == set(labels)
    pos = [p for p, lab in labels.items() if lab["relevant"]]
    neg = [p for p, lab in labels.items() if not lab["relevant"]]
    assert len(pos) >= 60 and len(neg) >= 20
    assert all(labels[p]["unmatched"] is False for p in pos) and all(labels[p]["unmatched"] for p in neg)
    for group in (pos, neg):  # half held out, of the positives and of the negatives
        held = sum(labels[p]["split"] == "heldout" for p in group)
        assert abs(held - (len(group) - held)) <= 1
    known = {m.id for m in doc.measures}
    assert all(set(lab["relevant"]) <= known for lab in labels.values())  # type: ignore[arg-type]
    assert "SAMPLE" in (SET / "README.md").read_text(encoding="utf-8")


def test_no_project_shares_a_five_character_run_with_its_rows(
    labelled: tuple[list[dict[str, str]], dict[str, dict[str, object]]], doc: Document
) -> None:
    """The wording is the program office's own: the set measures matching by meaning."""
    rows, labels = labelled
    by_id = {m.id: m for m in doc.measures}
    for r in rows:
        text = flat(r["事業名"] + r["事業の目的"] + r["事業概要"])
        for row_id in labels[r["事業番号"]]["relevant"]:  # type: ignore[attr-defined]
            m = by_id[row_id]
            target = flat("".join([m.commitment.text, *(c.text for c in (*m.status, *m.actions))]))
            shared = {text[i : i + RUN] for i in range(len(text) - RUN + 1)} & {
                target[i : i + RUN] for i in range(len(target) - RUN + 1)
            }
            assert not shared, (r["事業番号"], row_id, sorted(shared)[:5])


def test_the_calibration_is_a_probability_with_a_threshold() -> None:
    c = bundled_calibration()
    assert len(c.features) == len(c.coefficients) and 0 < c.threshold < 1
    low = c.probability(dict.fromkeys(c.features, 0.0))
    high = c.probability(dict.fromkeys(c.features, 1.0))
    assert 0.0 <= low < high <= 1.0
    # no overflow on absurd signals
    assert Calibration(("best",), (1e6,), 0.0, 0.5).probability({"best": 1e6}) == pytest.approx(1.0)


def test_a_project_is_never_scored_with_its_own_confirmation(doc: Document) -> None:
    a = Project("A", "重ね合わせ状態を用いた次世代計算機の試作", "誤り訂正の研究。")
    b = Project("B", "国民年金の給付事務", "年金を支払う。")
    labels = {"A": ["2.4.3.m1"], "B": []}
    assert confirmed_texts([a, b], labels) == {"2.4.3.m1": [a.text]}
    assert confirmed_texts([a, b], labels, exclude={"A"}) == {}
    results = cross_fitted(doc, [a, b], labels, folds=2)
    assert set(results) == {"A", "B"}


def test_confirmed_texts_lift_a_row(doc: Document) -> None:
    """A row's confirmed projects are a field of it: a project worded like them finds the row."""
    odd = Project("X", "港湾の荷役機械の遠隔操作", "岸壁のクレーンを離れた場所から操作する。")
    plain = MappingEngine(doc).match(odd)
    row = "2.1.6.2.m2"
    taught = MappingEngine(doc, {row: ["港湾の荷役機械の遠隔操作を進め、岸壁のクレーンを離れて操作する事業"]})
    before = [m.item_id for m in plain.items if m.kind == "measure"]
    after = [m.item_id for m in taught.match(odd).items if m.kind == "measure"]
    assert after[0] == row and row not in before[:1]


def test_labels_from_reviews() -> None:
    decisions = {
        "P1": {"2.4.3.m1": "confirm", "2.1.1.1.m1": "reject"},
        "P2": {"2.4.3.m1": "reject", "2.4.3": "reject"},
        "P3": {"2.9.9.m9": "add"},  # an item the document does not hold: no label
    }
    assert labels_from_reviews(decisions, {"2.4.3.m1", "2.1.1.1.m1"}) == {"P1": ["2.4.3.m1"], "P2": []}


def test_scores() -> None:
    ranked = {"P1": ["a", "b", "c"], "P2": ["x", "a"], "N1": ["a"], "N2": ["b"]}
    flagged = {"P1": False, "P2": True, "N1": True, "N2": False}
    s = score_ranked(ranked, flagged, {"P1": ["a"], "P2": ["a"], "N1": [], "N2": []})
    assert (s.positives, s.negatives, s.top1, s.top3) == (2, 2, 0.5, 1.0)
    assert (s.negatives_flagged, s.positives_flagged, s.flag_precision) == (0.5, 0.5, 0.5)


def test_bare_folding_matches_the_rule() -> None:
    # the rule's folding (NFKC, radicals) is the one the engine reads: ⼤学 is 大学
    assert bare(fold("⼤学 ファンド")) == "大学ファンド" == flat("⼤学 ファンド")
