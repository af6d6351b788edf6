"""Property tests: the parser never crashes and accounts for every non-blank line."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from ebpm.export.graph_json import to_json
from ebpm.model import Document
from ebpm.parser.document import StructureError, parse_document
from ebpm.sources.corpus import SourceText
from ebpm.sources.normalize import compact, join_wrapped, normalize

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

ALPHABET = (
    "統合戦略取組実施状況現状分析今後方針目標大指標参考主要科技総経文内府省"
    "⽂⼤⽬⽅⺠⻑"  # look-alikes as in the source
    "あいうえおのにをはがでしたる"
    "○〇・【】（）１２３．①②③―－、。："
    "0123456789０１２３４５６７８９"
    "ABCxyz"
    "  \u3000\n\t"
)

# lines that drive the parser into its deeper paths
STRUCTURE_LINES = [
    "第１章 総論 ",
    "第２章 各論 ",
    "第３章 ",
    "１．安全と安心 ",
    "２．知の創造 ",
    "（１）サイバー空間 ",
    "（２）防災 ",
    "① 戦略 ",
    "② 組織 ",
    "（戦略的に取り組むべき基盤技術） ",
    "基本計画における具体的な取組 実施状況・現状分析 今後の取組⽅針 ",
    "【⼤⽬標】 ",
    "【あるべき姿とその実現に向けた⽅向性】 ",
    "【⽬標】 ",
    "【科学技術・イノベーション政策において⽬指す主要な数値⽬標】（主要指標） ",
    "【現状データ】（参考指標） ",
    "・ 指標名：52件（2022年）3 ",
    "○取組を推進する。【内、総】 ",
    "〇取組を推進",
    "する。【科技】 ",
    "・実施した。 ",
    "・引き続き実施。【文】 ",
    "―",
    "（再掲）",
    "- 項目 ",
    "1 脚注の本文。 ",
    "2脚注 ",
    "12 ",
    " ",
    "",
    "略称⼀覧 ",
    "ＡＩ 人工知能 ",
    "ＡＭＥＤ 国立研究開発法人日本医療研究開発機構 (Japan Agency) ",
    "※【 】中において、以下の略称を用いる。 ",
    "内 内閣府 ",
    "総 総務省 ",
]

random_line = st.text(alphabet=ALPHABET.replace("\n", ""), max_size=40)
line_strategy = st.one_of(random_line, st.sampled_from(STRUCTURE_LINES))
document_text = st.one_of(
    st.text(alphabet=ALPHABET, max_size=400),
    st.lists(line_strategy, max_size=60).map("\n".join),
)


def nonblank_lines(text: str) -> set[int]:
    return {i + 1 for i, raw in enumerate(text.split("\n")) if raw.strip()}


def check_invariants(doc: Document, text: str) -> None:
    covered = set(doc.coverage)
    missing = nonblank_lines(text) - covered
    assert not missing, f"non-blank lines not in coverage: {sorted(missing)[:10]}"
    n_lines = len(text.split("\n"))
    assert all(1 <= ln <= n_lines for ln in covered)
    for m in doc.measures:
        assert m.line_start <= m.line_end, m.id
        for cell in [m.commitment, *m.status, *m.actions]:
            assert cell.lines, m.id
            for ln in cell.lines:
                assert m.line_start <= ln <= m.line_end, (m.id, ln)
    ids = [m.id for m in doc.measures]
    assert len(ids) == len(set(ids))
    for f in doc.footnotes:
        assert f.line <= f.line_end
    numbers = [f.number for f in doc.footnotes]
    assert len(numbers) == len(set(numbers))


def parse_or_structure_error(text: str) -> Document | None:
    try:
        return parse_document(text, "generated.txt", "0" * 64)
    except StructureError as exc:
        assert str(exc)
        return None


@SETTINGS
@given(document_text)
def test_parse_arbitrary_text(text: str) -> None:
    doc = parse_or_structure_error(text)
    if doc is not None:
        check_invariants(doc, text)


@SETTINGS
@given(st.data())
def test_parse_fragments_of_the_real_document(lines: list[str], data: st.DataObject) -> None:
    # hypothesis favours small integers; a seeded Random spreads the slices over the whole file
    rnd = data.draw(st.randoms(use_true_random=False), label="rnd")
    start = rnd.randrange(len(lines))
    length = rnd.randint(1, 2500)
    fragment = lines[start : start + length]
    text = "\n".join(fragment) + "\n"
    doc = parse_or_structure_error(text)
    if doc is not None:
        check_invariants(doc, text)


@SETTINGS
@given(st.data())
def test_parse_fragments_under_the_real_headings(
    lines: list[str], doc: Document, data: st.DataObject
) -> None:
    """A fragment of chapter 2 preceded by the heading lines above it, so its tables are parsed."""
    rnd = data.draw(st.randoms(use_true_random=False), label="rnd")
    start = rnd.randrange(1315, 18852)
    length = rnd.randint(1, 1500)
    skeleton = [lines[h.line - 1] for h in doc.headings if h.line - 1 < start]
    fragment = lines[start : min(start + length, 18852)]
    text = "\n".join(skeleton + fragment) + "\n"
    parsed = parse_or_structure_error(text)
    assert parsed is not None  # chapter headings are always there
    check_invariants(parsed, text)
    assert any(h.id == "2" for h in parsed.headings)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_parse_real_document_prefix(lines: list[str], data: st.DataObject) -> None:
    """A document cut anywhere (a truncated file) parses and reports what is missing."""
    rnd = data.draw(st.randoms(use_true_random=False), label="rnd")
    stop = rnd.randrange(1320, len(lines))
    text = "\n".join(lines[:stop]) + "\n"
    doc = parse_document(text, "prefix.txt", "0" * 64)
    check_invariants(doc, text)
    assert any(h.id == "2" for h in doc.headings)
    if stop < 18852:  # cut before the abbreviation list
        assert any("abbreviation list" in m for m in doc.missing)
        assert any("ministry abbreviation list" in m for m in doc.missing)


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=60))
def test_normalize_is_idempotent(text: str) -> None:
    once = normalize(text)
    assert normalize(once) == once
    assert compact(text) == once.replace(" ", "")
    assert " " not in compact(text)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.text(alphabet="ab 日本。", max_size=8), max_size=6))
def test_join_wrapped_keeps_every_character(parts: list[str]) -> None:
    joined = join_wrapped(parts)
    assume(joined)
    assert joined.replace(" ", "") == "".join(p.strip() for p in parts).replace(" ", "")
    assert not joined.startswith(" ") and not joined.endswith(" ")


def test_whole_document_invariants(doc: Document, lines: list[str]) -> None:
    check_invariants(doc, "\n".join(lines) + "\n")


# A stray line in the abbreviation or ministry list (e.g. a file cut in the middle of a
# vertically written ministry row) is kept with its list and reported as a warning.
@pytest.mark.parametrize(
    "text",
    [
        "第１章 総論 \n※【 】中において⽤いられる府省の略称は、以下のとおり。 \n内 内閣府 \nＮＩＳＣ ",
        "第１章 総論 \n略称⼀覧 \ny",
    ],
    ids=["ministry-list-cut-mid-row", "glossary-stray-line"],
)
def test_appendix_lines_are_covered(text: str) -> None:
    doc = parse_document(text, "appendix.txt", "0" * 64)
    assert nonblank_lines(text) <= doc.coverage.keys()
    assert any("not recognized" in w for w in doc.warnings)


def test_real_document_cut_inside_ministry_list_is_covered(lines: list[str]) -> None:
    text = "\n".join(lines[:19421]) + "\n"  # ends with the lone 'ＮＩＳＣ ' of a vertical row
    doc = parse_document(text, "cut.txt", "0" * 64)
    assert doc.coverage[19421] == "ministries"
    assert any(w.startswith("line 19421:") for w in doc.warnings)


_DIGEST_SCRIPT = """
import hashlib, json
from ebpm.sources.corpus import read_source
from ebpm.parser.document import parse_document
from ebpm.export.graph_json import to_json
src = read_source()
doc = parse_document(src.text, src.path, src.sha256)
payload = json.dumps(to_json(doc), ensure_ascii=False, sort_keys=True)
print(hashlib.sha256(payload.encode()).hexdigest())
"""


def _digest(doc: Document) -> str:
    return hashlib.sha256(json.dumps(to_json(doc), ensure_ascii=False, sort_keys=True).encode()).hexdigest()


def test_parse_does_not_depend_on_hash_seed(source: SourceText) -> None:
    """Set iteration order changes with PYTHONHASHSEED; the parse must not."""
    here = _digest(parse_document(source.text, source.path, source.sha256))
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        proc = subprocess.run(
            [sys.executable, "-c", _DIGEST_SCRIPT], capture_output=True, text=True, env=env, check=True
        )
        assert proc.stdout.strip() == here, f"PYTHONHASHSEED={seed}"


def test_session_document_is_not_mutated_by_other_tests(doc: Document, source: SourceText) -> None:
    assert _digest(doc) == _digest(parse_document(source.text, source.path, source.sha256))
