"""Budget imports stream through the shared staging table: memory stays bounded, results unchanged.

The 200k-row import runs as its own process; its peak resident memory (see tests/peak_memory.py)
is compared with that of the same command on a four-row file, as for the indicator import.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from ebpm.budget.projects import BudgetImportError, import_projects
from ebpm.store.monitoring import open_store
from tests.peak_memory import run_measured

ROWS = 200_000
HEADROOM_MIB = 40  # what the 200k-row import may use beyond the tiny one
SAMPLE = Path(__file__).resolve().parents[1] / "src" / "ebpm" / "data" / "budget_sample" / "projects.csv"
JA = "事業番号,年度,事業名,府省庁,部局,事業の目的,事業概要,当初予算額（百万円）,執行額（百万円）\n"


def _rows(n: int) -> Iterator[str]:
    purpose = "研究開発の成果を社会実装につなげるため、産学官の共同研究を支援する。" * 3
    summary = "公募により選定した研究課題に対し、研究費を交付し、進捗を評価する。" * 3
    for k in range(n):
        yield f"P-{k:06d},2023,研究開発推進事業{k},文部科学省,研究振興局,{purpose},{summary},{k % 5000},\n"


@pytest.fixture(scope="module")
def big_file(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    path = tmp_path_factory.mktemp("big-budget") / "projects-200k.csv"
    with path.open("w", encoding="utf-8") as fh:
        fh.write(JA)
        fh.writelines(_rows(ROWS))
    yield path
    path.unlink()


def test_a_200k_row_budget_import_is_streamed_with_bounded_memory(
    big_file: Path, kb_file: Path, tmp_path: Path
) -> None:
    ebpm = str(Path(sys.executable).with_name("ebpm"))
    common = ["--no-map", "--db", str(kb_file), "--monitoring-db", str(tmp_path / "m.sqlite")]
    small = tmp_path / "small.csv"
    small.write_text(JA + "".join(_rows(4)), encoding="utf-8")
    code, output, baseline = run_measured([ebpm, "budget", "import", str(small), *common])
    assert code == 0, output
    code, output, peak = run_measured([ebpm, "budget", "import", str(big_file), *common])
    assert code == 0, output
    assert f"{ROWS:,} rows; {ROWS - 4:,} added" in " ".join(output.split())
    with open_store(tmp_path / "m.sqlite", "read").connect() as conn:
        stored = conn.execute(text("SELECT COUNT(*) FROM budget_projects")).scalar_one()
    assert stored == ROWS
    assert peak < baseline + HEADROOM_MIB, f"peak {peak:.0f} MiB vs {baseline:.0f} MiB for a tiny file"


def _snapshot(path: Path) -> list[tuple[object, ...]]:
    with open_store(path, "read").connect() as conn:
        return [
            tuple(r)
            for r in conn.execute(
                text(
                    "SELECT id, project_id, fiscal_year, name, ministry, bureau, purpose, summary, "
                    "budget_yen, executed_yen, import_id, line, superseded_at IS NULL FROM budget_projects "
                    "ORDER BY id"
                )
            )
        ]


def test_the_sample_imports_as_before(tmp_path: Path) -> None:
    store = open_store(tmp_path / "m.sqlite", "write")
    first = import_projects(store, SAMPLE)
    assert (first.rows, first.added, first.revised, first.unchanged, first.duplicates) == (192, 192, 0, 0, 0)
    rows = _snapshot(tmp_path / "m.sqlite")
    assert [r[11] for r in rows] == list(range(2, 194))  # file order, each with its line
    sample_21 = next(r for r in rows if r[1] == "SAMPLE-21-01" and r[2] == 2022)
    assert sample_21[8] == 1_840_000_000 and sample_21[4] and sample_21[12] == 1
    again = import_projects(store, SAMPLE)
    assert (again.added, again.revised, again.unchanged) == (0, 0, 192)
    assert _snapshot(tmp_path / "m.sqlite") == rows  # the same file again changes no row
    dry = import_projects(store, SAMPLE, dry_run=True)
    assert dry.unchanged == 192 and _snapshot(tmp_path / "m.sqlite") == rows
    with store.connect() as conn:
        imports = conn.execute(text("SELECT sha256, rows, added, unchanged FROM budget_imports")).all()
    import hashlib

    digest = hashlib.sha256(SAMPLE.read_bytes()).hexdigest()
    assert [tuple(r) for r in imports] == [(digest, 192, 192, 0), (digest, 192, 0, 192)]


def test_duplicates_revisions_and_conflicts(tmp_path: Path) -> None:
    store = open_store(tmp_path / "m.sqlite", "write")
    path = tmp_path / "dup.csv"
    path.write_text(
        JA + "S-1,2023,名前,内閣府,,,,100,\nS-2,2023,二つ目,総務省,,,,,\nS-1,2023,名前,内閣府,,,,100,\n"
        "S-2,2023,二つ目,総務省,,,,,\n",
        encoding="utf-8",
    )
    result = import_projects(store, path)
    assert (result.rows, result.added, result.duplicates) == (4, 2, 2)
    path.write_text(JA + "S-1,2023,名前,内閣府,,,,150,\nS-2,2023,二つ目,総務省,,,,,\n", encoding="utf-8")
    revised = import_projects(store, path)
    assert (revised.added, revised.revised, revised.unchanged) == (0, 1, 1)
    rows = _snapshot(tmp_path / "m.sqlite")
    assert [(r[1], r[8], r[12]) for r in rows] == [
        ("S-1", 100_000_000, 0),
        ("S-2", None, 1),
        ("S-1", 150_000_000, 1),
    ]
    path.write_text(
        JA + "S-3,2023,名前,内閣府,,,,1,\nS-4,2023,x,内閣府,,,,1,\nS-3,2023,名前,内閣府,,,,1,\n"
        "S-3,2023,名前,内閣府,部局,,,1,\nS-4,2023,x,内閣府,,,,2,\n",
        encoding="utf-8",
    )
    with pytest.raises(BudgetImportError) as info:
        import_projects(store, path)
    assert info.value.errors == [
        "dup.csv: lines 2 and 5: project S-3 FY2023 is given twice with different values; keep one",
        "dup.csv: lines 3 and 6: project S-4 FY2023 is given twice with different values; keep one",
    ]
    assert _snapshot(tmp_path / "m.sqlite") == rows  # all or nothing
