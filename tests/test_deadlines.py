"""Deadline expressions → due dates (fiscal years run April to March)."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ebpm.commitments.deadlines import due_summary, extract_deadlines, fold
from ebpm.model import Document
from tests.deadline_accuracy import score


@pytest.mark.parametrize(
    ("text", "phrase", "kind", "start", "due"),
    [
        ("2023年度中に策定する。", "2023年度中", "date", None, date(2024, 3, 31)),
        ("2023 年度末までに整備する。", "2023 年度末までに", "date", None, date(2024, 3, 31)),
        ("2025年までに構築する。", "2025年までに", "date", None, date(2025, 12, 31)),
        ("2024年６⽉までに結論を得る。", "2024年６⽉までに", "date", None, date(2024, 6, 30)),
        ("2030年の実現を目指す。", "2030年", "date", None, date(2030, 12, 31)),
        ("令和５年度中に開始する。", "令和５年度中", "date", None, date(2024, 3, 31)),
        ("２０２６年度までに移行する。", "２０２６年度までに", "date", None, date(2027, 3, 31)),
        (
            "2023年度から2025年度まで実施。",
            "2023年度から2025年度まで",
            "range",
            date(2023, 4, 1),
            date(2026, 3, 31),
        ),
        ("2023 から 2025 年度の３か年", "2023 から 2025 年度", "range", date(2023, 4, 1), date(2026, 3, 31)),
        ("2024年度からの運用に向け", "2024年度から", "range", date(2024, 4, 1), None),
        ("2023 年２月から募集する。", "2023 年２月から", "range", date(2023, 2, 1), None),
        ("2023年度以降も継続", "2023年度以降", "range", date(2023, 4, 1), None),
        ("早期に実施する。", "早期に", "asap", None, None),
        ("速やかに検討する。", "速やかに", "asap", None, None),
        ("引き続き推進する。", "引き続き", "ongoing", None, None),
    ],
)
def test_forms(text: str, phrase: str, kind: str, start: date | None, due: date | None) -> None:
    found = extract_deadlines(text)
    assert [(d.phrase, d.kind, d.start, d.due) for d in found][:1] == [(phrase, kind, start, due)]
    assert text[found[0].offset :].startswith(phrase)  # the phrase as written, at its place


@pytest.mark.parametrize(
    "text",
    [
        "2022年12月に策定された計画に基づき",  # a past event
        "2023 年 4 ⽉に取りまとめた G7 宣言",
        "「ＡＩ戦略2022」を踏まえ",  # inside a title
        "2013年度比で46％削減",  # a baseline
        "2022 年度補正予算において",  # a budget
        "2022 年 12 月の中央教育審議会答申を踏まえ",  # the basis of the action
        "2050年カーボンニュートラルの実現",  # part of a name
        "2023 年 2 ⽉ 28 ⽇に改正",  # an event down to the day
    ],
)
def test_not_deadlines(text: str) -> None:
    assert [d for d in extract_deadlines(text) if d.kind in ("date", "range")] == []


def test_due_summary_prefers_the_earliest_date_then_asap_then_ongoing() -> None:
    assert due_summary(extract_deadlines("2025年度までに整備し、2023年度中に着手。")) == date(2024, 3, 31)
    assert due_summary(extract_deadlines("引き続き、速やかに検討。")) == "asap"
    assert due_summary(extract_deadlines("引き続き推進。")) == "ongoing"
    assert due_summary(extract_deadlines("推進する。")) == "unspecified"


def test_fold_keeps_offsets() -> None:
    raw = "２０２３ 年度⽉⺠"
    assert len(fold(raw)) == len(raw)
    assert fold(raw) == "2023 年度月民"


@settings(max_examples=200, deadline=None)
@given(
    st.text(
        alphabet=st.sampled_from(list("0123456789０１２年度月末中までにからの、。引き続き早期令和元 ")),
        max_size=60,
    )
)
def test_never_raises_and_phrases_are_in_the_text(text: str) -> None:
    for d in extract_deadlines(text):
        assert text[d.offset : d.offset + len(d.phrase)] == d.phrase
        if d.start and d.due:
            assert d.start <= d.due


def test_labelled_precision_and_recall(doc: Document) -> None:
    """Floors under the measured figures (README / closing note) on both labelled sets."""
    tuned = score(doc, "deadlines.json")
    assert tuned.precision >= 0.97 and tuned.recall >= 0.95, tuned.misses
    held = score(doc, "deadlines_heldout.json")
    assert held.precision >= 0.85 and held.recall >= 0.85, held.misses
    assert held.summary_right / held.items >= 0.9, held.misses
