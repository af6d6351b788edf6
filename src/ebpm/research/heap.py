"""Keeping freed memory for reuse while a large file is imported.

An import handles its file in blocks of megabytes: each is inflated, split, sent to a worker,
turned into rows and freed. By default glibc hands such blocks back to the operating system when
they are freed and asks for them again for the next one, and the kernel zeroes every page it
hands out: a tenth of an import's processor time went to that. Raising glibc's thresholds keeps
what was freed for the next block. The peak is the same; only the handing back waits until the
import ends. Where the C library is not glibc (musl, macOS) nothing changes.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any

# mallopt() parameters, from glibc's malloc.h
M_TRIM_THRESHOLD = -1
M_TOP_PAD = -2
M_MMAP_THRESHOLD = -3
DEFAULT_TRIM_THRESHOLD = 128 << 10
DEFAULT_MMAP_THRESHOLD = 128 << 10


@cache
def _glibc() -> Any | None:
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        libc = ctypes.CDLL(name)
    except OSError:
        return None
    return libc if hasattr(libc, "mallopt") and hasattr(libc, "malloc_trim") else None


def _set(options: dict[int, int]) -> Callable[[int], int] | None:
    libc = _glibc()
    if libc is None:
        return None
    for option, value in options.items():
        libc.mallopt(option, value)
    return libc.malloc_trim  # type: ignore[no-any-return]


def keep_freed_memory() -> None:
    """For a process that does nothing but import (a worker): keep freed blocks for reuse."""
    _set(
        {
            M_MMAP_THRESHOLD: 32 << 20,  # glibc's largest: blocks of 8 MiB come from the heap
            M_TRIM_THRESHOLD: 1 << 30,
            M_TOP_PAD: 64 << 20,
        }
    )


@contextmanager
def freed_memory_kept() -> Iterator[None]:
    """:func:`keep_freed_memory` for the length of an import; then glibc's defaults again, and
    what was kept is handed back."""
    keep_freed_memory()
    try:
        yield
    finally:
        trim = _set(
            {
                M_MMAP_THRESHOLD: DEFAULT_MMAP_THRESHOLD,
                M_TRIM_THRESHOLD: DEFAULT_TRIM_THRESHOLD,
                M_TOP_PAD: 0,
            }
        )
        if trim is not None:
            trim(0)
