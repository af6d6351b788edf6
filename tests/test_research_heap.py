"""The research import keeps freed memory only while it runs (research/heap.py)."""

from __future__ import annotations

import sys
from typing import Any

import pytest

from ebpm.research import heap


class FakeLibc:
    def __init__(self) -> None:
        self.calls: list[tuple[str, int, int]] = []

    def mallopt(self, option: int, value: int) -> int:
        self.calls.append(("mallopt", option, value))
        return 1

    def malloc_trim(self, pad: int) -> int:
        self.calls.append(("malloc_trim", pad, 0))
        return 1


def test_thresholds_are_raised_for_the_import_and_restored_after_it(monkeypatch: pytest.MonkeyPatch) -> None:
    libc = FakeLibc()
    monkeypatch.setattr(heap, "_glibc", lambda: libc)
    with heap.freed_memory_kept():
        during = dict((option, value) for _, option, value in libc.calls)
        assert during[heap.M_TRIM_THRESHOLD] >= 1 << 30
        assert during[heap.M_MMAP_THRESHOLD] > 8 << 20  # an 8 MiB chunk comes from the heap
        libc.calls.clear()
    after = dict((option, value) for name, option, value in libc.calls if name == "mallopt")
    assert after == {
        heap.M_MMAP_THRESHOLD: heap.DEFAULT_MMAP_THRESHOLD,
        heap.M_TRIM_THRESHOLD: heap.DEFAULT_TRIM_THRESHOLD,
        heap.M_TOP_PAD: 0,
    }
    assert libc.calls[-1] == ("malloc_trim", 0, 0)  # what was kept is handed back


def test_defaults_come_back_when_the_import_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    libc = FakeLibc()
    monkeypatch.setattr(heap, "_glibc", lambda: libc)
    with pytest.raises(RuntimeError), heap.freed_memory_kept():
        raise RuntimeError("a bad line")
    assert libc.calls[-1] == ("malloc_trim", 0, 0)


def test_without_glibc_nothing_is_called(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(heap, "_glibc", lambda: None)
    assert heap._set({heap.M_TOP_PAD: 0}) is None  # no C library to call, and no trim to make
    entered = False
    with heap.freed_memory_kept():
        entered = True  # the import runs as it would anyway
    assert entered


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc is Linux's C library")
def test_glibc_is_found_here() -> None:
    found: Any = heap._glibc()
    assert found is not None and hasattr(found, "mallopt")
