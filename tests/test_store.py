"""The SQLite knowledge base: round trip, atomic replace, errors."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from ebpm.export.graph_json import to_json
from ebpm.model import Document
from ebpm.parser.document import parse_document
from ebpm.store import knowledge_base
from ebpm.store.knowledge_base import KnowledgeBaseError, read, resolve_path, write


@pytest.fixture(scope="module")
def stored(kb_file: Path) -> Document:
    return read(kb_file)


def test_round_trip_json_equal(doc: Document, stored: Document) -> None:
    assert to_json(stored) == to_json(doc)


def test_round_trip_dataclasses_equal(doc: Document, stored: Document) -> None:
    assert stored.coverage == doc.coverage
    assert stored.warnings == doc.warnings
    assert stored.missing == doc.missing
    assert stored.headings == doc.headings
    assert stored.goals == doc.goals
    assert stored.indicators == doc.indicators
    assert stored.measures == doc.measures
    assert stored.footnotes == doc.footnotes
    assert stored.glossary == doc.glossary
    assert stored.ministries == doc.ministries
    assert stored == doc


def test_round_trip_keeps_order_and_cells(doc: Document, stored: Document) -> None:
    assert [m.id for m in stored.measures] == [m.id for m in doc.measures]
    m = next(m for m in doc.measures if len(m.status) > 2 and len(m.actions) > 2)
    s = next(x for x in stored.measures if x.id == m.id)
    assert [c.text for c in s.status] == [c.text for c in m.status]
    assert [c.ministries for c in s.actions] == [c.ministries for c in m.actions]
    assert [c.lines for c in s.actions] == [c.lines for c in m.actions]
    assert s.reposted == m.reposted


def test_round_trip_of_a_partial_document_keeps_messages(tmp_path: Path, lines: list[str]) -> None:
    part = parse_document("\n".join(lines[:5000]) + "\n", "part.txt", "a" * 64)
    assert part.missing
    path = tmp_path / "part.sqlite"
    write(part, path)
    back = read(path)
    assert back.missing == part.missing
    assert back.warnings == part.warnings
    assert to_json(back) == to_json(part)


def test_write_replaces_and_leaves_no_temp_files(doc: Document, tmp_path: Path) -> None:
    path = tmp_path / "kb.sqlite"
    path.write_bytes(b"an old file that is not a database")
    write(doc, path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kb.sqlite"]
    assert len(read(path).measures) == 218
    write(doc, path)  # over an existing knowledge base
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kb.sqlite"]
    assert to_json(read(path)) == to_json(doc)


def test_write_creates_parent_folders(doc: Document, tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "kb.sqlite"
    write(doc, path)
    assert path.is_file()
    assert [p.name for p in path.parent.iterdir()] == ["kb.sqlite"]


def test_failed_write_keeps_old_kb_and_removes_temp(
    doc: Document, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "kb.sqlite"
    write(doc, path)
    before = path.read_bytes()

    def broken_rows(_doc: Document) -> dict[object, list[dict[str, object]]]:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(knowledge_base, "_rows", broken_rows)
    with pytest.raises(RuntimeError, match="disk on fire"):
        write(doc, path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kb.sqlite"]


def test_read_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "none.sqlite"
    with pytest.raises(KnowledgeBaseError) as info:
        read(path)
    assert str(path) in str(info.value)
    assert "ebpm ingest" in str(info.value)
    assert not path.exists()  # reading never creates a file


def test_read_foreign_sqlite_file(tmp_path: Path) -> None:
    path = tmp_path / "other.sqlite"
    with sqlite3.connect(path) as conn:
        conn.execute("create table people (name text)")
        conn.execute("insert into people values ('x')")
    conn.close()
    with pytest.raises(KnowledgeBaseError) as info:
        read(path)
    assert str(path) in str(info.value)


def test_read_sqlite_with_a_document_table_but_no_kb(tmp_path: Path) -> None:
    path = tmp_path / "almost.sqlite"
    with sqlite3.connect(path) as conn:
        conn.execute("create table document (key text primary key, value text)")
    conn.close()
    with pytest.raises(KnowledgeBaseError, match="not an ebpm knowledge base") as info:
        read(path)
    assert str(path) in str(info.value)


@pytest.mark.parametrize("data", [b"garbage " * 1000, b"SQLite format 3\x00" + b"\xff" * 4000, b"\x00" * 10])
def test_read_garbage_file(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "garbage.sqlite"
    path.write_bytes(data)
    with pytest.raises(KnowledgeBaseError) as info:
        read(path)
    assert str(path) in str(info.value)
    assert path.read_bytes() == data  # left as it was


def test_resolve_path(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("EBPM_DB", raising=False)
    assert resolve_path(None) == Path("ebpm.sqlite")
    monkeypatch.setenv("EBPM_DB", str(tmp_path / "env.sqlite"))
    assert resolve_path(None) == tmp_path / "env.sqlite"
    assert resolve_path(tmp_path / "opt.sqlite") == tmp_path / "opt.sqlite"
    monkeypatch.setenv("EBPM_DB", "")
    assert resolve_path(None) == Path("ebpm.sqlite")
