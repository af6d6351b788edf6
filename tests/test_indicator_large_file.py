"""A 1 GiB observations file is streamed: memory stays bounded, whatever the file's size.

The import runs as its own process; its peak resident memory (see tests/peak_memory.py) is
compared with that of the same command on a four-row file. The file's rows are one observation repeated
(about 196,000 rows of 5.5 kB), so the check is about reading, validating and staging a
large file, not about how many distinct values it holds.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.peak_memory import run_measured

GIB = 1 << 30
HEADROOM_MIB = 100  # what the 1 GiB import may use beyond the tiny one


@pytest.fixture(scope="module")
def big_file(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    path = tmp_path_factory.mktemp("big") / "observations-1gib.csv"
    note = "観測値の注記" * 300
    row = f"2.2.1.ref.6,FY2015,15.3,%,総務省 科学技術研究調査,{note}\n".encode()
    block = row * ((1 << 20) // len(row) + 1)  # about 1 MiB of whole rows
    with path.open("wb") as fh:
        fh.write(b"indicator_id,period,value,unit,source,note\n")
        written = 0
        while written < GIB:
            fh.write(block)
            written += len(block)
    yield path
    path.unlink()


def test_a_1gib_file_is_streamed_with_bounded_memory(big_file: Path, kb_file: Path, tmp_path: Path) -> None:
    ebpm = str(Path(sys.executable).with_name("ebpm"))
    common = ["--dry-run", "--db", str(kb_file), "--monitoring-db", str(tmp_path / "m.sqlite")]
    small = tmp_path / "small.csv"
    small.write_text("indicator_id,period,value,unit\n" + "2.2.1.ref.6,FY2015,15.3,%\n" * 4, encoding="utf-8")
    code, output, baseline = run_measured([ebpm, "indicators", "import", str(small), *common])
    assert code == 0, output
    code, output, peak = run_measured([ebpm, "indicators", "import", str(big_file), *common])
    assert code == 0, output
    assert "would import" in output and "identical duplicate rows counted once" in output
    assert big_file.stat().st_size >= GIB
    assert peak < baseline + HEADROOM_MIB, f"peak {peak:.0f} MiB vs {baseline:.0f} MiB for a tiny file"
