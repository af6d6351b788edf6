"""Bad input to ``ebpm ingest``: a clear message naming the file, a non-zero exit, no traceback."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import Result

from ebpm.export.graph_json import to_json
from ebpm.model import Document
from ebpm.parser.document import StructureError, parse_document
from ebpm.sources.corpus import CorpusError, decode, read_source
from ebpm.sources.normalize import RADICALS_SUPPLEMENT
from ebpm.store import knowledge_base

Invoke = Callable[..., Result]

NEWS = (
    "東京都は１日、都内で新たに１２３人が確認されたと発表した。\n"
    "前の週の同じ曜日より２０人少なく、専門家は引き続き注意を呼びかけている。\n"
    "\n"
    "気象庁によると、関東地方は週末にかけて晴れる見込み。\n"
)


def flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


def assert_clean_failure(result: Result, path: Path, code: int = 1) -> str:
    """The command failed with ``code``, without a traceback, naming ``path``; return the output."""
    assert result.exit_code == code, result.output
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    assert flat(str(path)) in flat(result.output), result.output
    return result.output


def ingest(invoke: Invoke, path: Path, db: Path) -> Result:
    return invoke("ingest", str(path), "--db", str(db))


def fold_lookalikes(text: str) -> str:
    """Replace the radical look-alikes (which CP932 cannot hold) by the ordinary ideographs."""
    text = text.translate(RADICALS_SUPPLEMENT)
    return "".join(unicodedata.normalize("NFKC", c) if 0x2F00 <= ord(c) <= 0x2FDF else c for c in text)


# --------------------------------------------------------------------------- not text at all


def test_empty_file(invoke: Invoke, tmp_path: Path) -> None:
    path = tmp_path / "empty.txt"
    path.write_bytes(b"")
    out = assert_clean_failure(ingest(invoke, path, tmp_path / "kb.sqlite"), path)
    assert "empty" in out
    assert not (tmp_path / "kb.sqlite").exists()


def test_whitespace_only_file(invoke: Invoke, tmp_path: Path) -> None:
    path = tmp_path / "blank.txt"
    path.write_bytes(b" \n\n  \r\n")
    out = assert_clean_failure(ingest(invoke, path, tmp_path / "kb.sqlite"), path)
    assert "empty" in out


@pytest.mark.parametrize(
    "data",
    [
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10" + bytes(range(256)) * 4,
        b"some text\x00\x00\x00 with NUL bytes\n" * 10,
        bytes(range(1, 32)) * 20,  # control characters, no NUL
    ],
    ids=["png", "nul-bytes", "control-chars"],
)
def test_binary_file(invoke: Invoke, tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "image.png"
    path.write_bytes(data)
    out = assert_clean_failure(ingest(invoke, path, tmp_path / "kb.sqlite"), path)
    assert "binary" in out
    assert not (tmp_path / "kb.sqlite").exists()


def test_invalid_bytes_in_both_encodings(invoke: Invoke, tmp_path: Path) -> None:
    path = tmp_path / "mojibake.txt"
    # 0x82 0x20: a CP932 lead byte without its trail byte; 0x82 is no UTF-8 start byte either
    path.write_bytes("第２章 本文\n".encode() + b"abc\x82 def\n")
    out = flat(assert_clean_failure(ingest(invoke, path, tmp_path / "kb.sqlite"), path))
    assert "UTF-8" in out
    assert "CP932" in out
    assert "line2:" in out  # the first undecodable byte is on line 2


def test_decode_reports_line_and_both_encodings() -> None:
    data = b"ok\nok\n" + b"\x82 \n"
    with pytest.raises(CorpusError) as info:
        decode(data, "some/file.txt")
    msg = str(info.value)
    assert msg.startswith("some/file.txt: line 3:")
    assert "UTF-8" in msg and "CP932" in msg


def test_directory(invoke: Invoke, tmp_path: Path) -> None:
    folder = tmp_path / "a-folder"
    folder.mkdir()
    out = assert_clean_failure(ingest(invoke, folder, tmp_path / "kb.sqlite"), folder)
    assert "isadirectory" in flat(out)


def test_nonexistent_path(invoke: Invoke, tmp_path: Path) -> None:
    path = tmp_path / "no-such-file.txt"
    out = assert_clean_failure(ingest(invoke, path, tmp_path / "kb.sqlite"), path)
    assert "nosuchfile" in flat(out)
    assert not (tmp_path / "kb.sqlite").exists()


def test_read_source_errors_name_the_path(tmp_path: Path) -> None:
    with pytest.raises(CorpusError, match="no such file"):
        read_source(tmp_path / "gone.txt")
    with pytest.raises(CorpusError, match="is a directory"):
        read_source(tmp_path)


# --------------------------------------------------------------------------- encodings


def test_utf8_bom_and_crlf_are_accepted(tmp_path: Path, lines: list[str]) -> None:
    path = tmp_path / "bom.txt"
    text = "\n".join(lines[1314:1500]) + "\n"
    path.write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode("utf-8"))
    src = read_source(path)
    assert src.encoding == "utf-8"
    assert src.text == text
    assert src.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def cp932_slice(lines: list[str]) -> str:
    """Lines 1–3000 as CP932 can hold them: look-alikes folded, the 52 bullets • replaced by ?."""
    text = fold_lookalikes("\n".join(lines[:3000]) + "\n")
    # the round trip also maps − (U+2212) to － (U+FF0D)
    return text.encode("cp932", errors="replace").decode("cp932")


def test_cp932_file_is_decoded(invoke: Invoke, tmp_path: Path, cp932_slice: str) -> None:
    path = tmp_path / "sjis.txt"
    path.write_bytes(cp932_slice.encode("cp932"))
    src = read_source(path)
    assert src.encoding == "cp932"
    assert src.text == cp932_slice

    db = tmp_path / "kb.sqlite"
    result = ingest(invoke, path, db)
    # a slice of the document: parsed, stored, and reported as incomplete
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    assert "cp932" in result.output
    assert "missing" in result.output

    # the CP932 file parses exactly like the same text in UTF-8
    expected = to_json(parse_document(cp932_slice, str(path), src.sha256))
    stored = to_json(knowledge_base.read(db))
    assert stored == expected
    assert any(h["id"] == "2.1.1.1" for h in stored["headings"])
    assert len(stored["measures"]) > 10


def test_decode_prefers_utf8() -> None:
    data = "統合イノベーション戦略".encode()
    assert decode(data, "x") == ("統合イノベーション戦略", "utf-8")
    assert decode("統合イノベーション戦略".encode("cp932"), "x") == ("統合イノベーション戦略", "cp932")


# --------------------------------------------------------------------------- wrong or partial documents


def test_unstructured_document_says_what_was_expected(invoke: Invoke, tmp_path: Path) -> None:
    path = tmp_path / "news.txt"
    path.write_text(NEWS, encoding="utf-8")
    db = tmp_path / "kb.sqlite"
    result = ingest(invoke, path, db)
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    out = flat(result.output)
    assert "norecognizablestructure" in out
    assert "expected" in out
    assert "第２章" in out
    assert flat("基本計画における具体的な取組 実施状況・現状分析 今後の取組方針") in out
    assert not db.exists()


def test_unstructured_document_message_names_the_file(invoke: Invoke, tmp_path: Path) -> None:
    path = tmp_path / "news.txt"
    path.write_text(NEWS, encoding="utf-8")
    assert_clean_failure(ingest(invoke, path, tmp_path / "kb.sqlite"), path)


def test_parse_document_raises_structure_error_on_prose() -> None:
    with pytest.raises(StructureError, match="expected"):
        parse_document(NEWS, "news.txt", "0" * 64)


def test_truncated_document(invoke: Invoke, tmp_path: Path, lines: list[str]) -> None:
    path = tmp_path / "first-9000.txt"
    path.write_text("\n".join(lines[:9000]) + "\n", encoding="utf-8")
    db = tmp_path / "kb.sqlite"
    result = ingest(invoke, path, db)
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    out = result.output
    assert "missing" in out
    assert "unassigned non-blank lines: 0" in out
    assert "incomplete" in out
    assert "abbreviation list" in out
    assert "ministry abbreviation list" in out
    assert flat("chapter 2 has 1 of 6 sections") in flat(out)

    doc = knowledge_base.read(db)
    assert doc.line_count == 9000
    assert len(doc.missing) == 3
    assert {h.id for h in doc.headings if h.level == "section" and h.id.startswith("2.")} == {"2.1"}
    assert doc.measures and all(m.line_end <= 9000 for m in doc.measures)
    assert not doc.glossary and not doc.ministries
    nonblank = {i + 1 for i, raw in enumerate(lines[:9000]) if raw.strip()}
    assert nonblank <= doc.coverage.keys()


def test_truncated_document_keeps_the_first_measures(doc: Document, lines: list[str]) -> None:
    part = parse_document("\n".join(lines[:9000]) + "\n", "part", "0" * 64)
    full = {m.id: m for m in doc.measures}
    # rows well inside the slice come out exactly as in the whole document
    inside = [m for m in part.measures if m.line_end < 8500]
    assert len(inside) > 50
    for m in inside:
        assert m.commitment.text == full[m.id].commitment.text
        assert (m.line_start, m.line_end) == (full[m.id].line_start, full[m.id].line_end)


def test_failed_ingest_leaves_previous_kb_untouched(invoke: Invoke, tmp_path: Path) -> None:
    db = tmp_path / "kb.sqlite"
    good = invoke("ingest", "--db", str(db))
    assert good.exit_code == 0, good.output
    before = db.read_bytes()

    bad_files = {
        "empty.txt": b"",
        "binary.bin": b"\x00\x01\x02PNG" * 100,
        "news.txt": NEWS.encode(),
        "invalid.txt": b"abc\n\x82 \n",
    }
    for name, data in bad_files.items():
        path = tmp_path / name
        path.write_bytes(data)
        result = ingest(invoke, path, db)
        assert result.exit_code == 1, (name, result.output)
        assert db.read_bytes() == before, name
    for path in (tmp_path / "missing.txt", tmp_path):
        assert ingest(invoke, path, db).exit_code == 1
        assert db.read_bytes() == before

    doc = knowledge_base.read(db)
    assert len(doc.measures) == 218
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_unwritable_kb_location(invoke: Invoke, tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x", encoding="utf-8")
    db = blocker / "kb.sqlite"  # parent is a file: cannot be created
    result = invoke("ingest", "--db", str(db))
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    assert "cannotwritetheknowledgebase" in flat(result.output)
    assert flat(str(db)) in flat(result.output)
