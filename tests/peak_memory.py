"""Peak resident memory of a command, measured by a small launcher process.

Linux carries a process's peak RSS across fork and exec: a child forked from a large
process (pytest, a benchmark that has parsed the document) reports the parent's size as its
own peak. The launcher is a fresh, small interpreter; the command is forked from it, so
what wait4 reports is the command's own peak.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

LAUNCHER = (
    "import os, subprocess, sys\n"
    "p = subprocess.Popen(sys.argv[1:])\n"
    "_, status, usage = os.wait4(p.pid, 0)\n"
    "print('\\nPEAK_KIB', usage.ru_maxrss, os.waitstatus_to_exitcode(status))\n"
)


def run_measured(args: list[str]) -> tuple[int, str, float]:
    """Exit code, output (stdout and stderr) and peak RSS in MiB of ``args``."""
    done = subprocess.run(
        [sys.executable, "-c", LAUNCHER, *args], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, check=False
    )
    output, _, tail = done.stdout.decode().rpartition("PEAK_KIB")
    kib, code = tail.split()
    return int(code), output, int(kib) / 1024


def measure(args: list[str]) -> tuple[float, float, str]:
    """Wall seconds, peak RSS (MiB) and output of a command that must succeed."""
    started = time.perf_counter()
    code, output, peak = run_measured(args)
    elapsed = time.perf_counter() - started
    if code != 0:
        raise RuntimeError(f"{args[0]} failed:\n{output[-2000:]}")
    return elapsed, peak, output


def as_installed(python: str) -> None:
    """Let measured commands run as an installed program does, from compiled bytecode.

    The machines here set PYTHONDONTWRITEBYTECODE, so without this every run compiles ebpm and
    its libraries afresh (over a second of each command's start); an installation compiles once.
    One run of the CLI writes the bytecode of everything it imports.
    """
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    subprocess.run([python, "-c", "import ebpm.cli"], check=True)
