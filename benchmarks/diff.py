"""Time ``ebpm diff`` and score the lineage matcher on seeded synthetic editions.

1. Timing: the bundled 2023 strategy against a synthetic 2024 (SAMPLE, seed 1). Reported apart:
   loading the two knowledge bases (``knowledge_base.read`` of each file, as the command does),
   matching (``match_editions``) and the diff on top (``diff_editions`` with the links given),
   each the median of ``--repeat`` runs. The parse of the two texts is not part of it.
2. Accuracy: precision and recall of the row and action links against the generator's ground
   truth on five seeded editions (and five with ``Rates.hard()``), beside the naive baseline of
   linking by id only (same id ⇒ same row), in the same run.

    .venv/bin/python benchmarks/diff.py [--repeat 5] [--seeds 1 2 3 4 5]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from ebpm.lineage import diff_editions, match_editions
from ebpm.lineage.evaluation import Scores, id_baseline, score
from ebpm.model import Document
from ebpm.parser.document import parse_document
from ebpm.sources.corpus import read_source
from ebpm.sources.next_edition import Rates, next_edition
from ebpm.store import knowledge_base


def _median(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def timing(old: Document, new: Document, repeat: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        a, b = Path(folder) / "ebpm.sqlite", Path(folder) / "ebpm.2024.sqlite"
        knowledge_base.write(old, a)
        knowledge_base.write(new, b)
        load = _median(lambda: (knowledge_base.read(a), knowledge_base.read(b)), repeat)
    match = _median(lambda: match_editions(old, new), repeat)
    lineage = match_editions(old, new)
    diff = _median(lambda: diff_editions(old, new, lineage=lineage), repeat)
    total = _median(lambda: diff_editions(old, new), repeat)
    print(
        f"rows {len(old.measures)} → {len(new.measures)}, actions "
        f"{sum(len(m.actions) for m in old.measures)} → {sum(len(m.actions) for m in new.measures)}"
    )
    print(f"load two knowledge bases: {load:.3f} s")
    print(
        f"match: {match:.3f} s, diff on the links: {diff:.3f} s, match + diff: {total:.3f} s (target < 2 s)"
    )


def _line(name: str, s: Scores) -> str:
    return (
        f"{name:<9} P {s.precision:.3f} R {s.recall:.3f} F1 {s.f1:.3f} | dropped P {s.dropped_precision:.2f} "
        f"R {s.dropped_recall:.2f} | new P {s.new_precision:.2f} R {s.new_recall:.2f}"
    )


def accuracy(source: str, old: Document, seeds: list[int], hard: bool) -> None:
    totals: dict[str, list[tuple[Scores, Scores]]] = {"rows": [], "actions": []}
    for seed in seeds:
        sample = next_edition(source, seed=seed, rates=Rates.hard() if hard else None)
        new = parse_document(sample.text, f"sample-{seed}.txt", "0" * 64)
        lineage = match_editions(old, new)
        baseline = id_baseline(old, new)
        truth = sample.truth
        totals["rows"].append(
            (
                score(lineage.rows, truth.rows, truth.new_rows),
                score(baseline.rows, truth.rows, truth.new_rows),
            )
        )
        totals["actions"].append(
            (
                score(lineage.actions, truth.actions, truth.new_actions),
                score(baseline.actions, truth.actions, truth.new_actions),
            )
        )
        unsure = len(lineage.unsure())
        print(
            f"  seed {seed}{' (hard)' if hard else ''}: {len(truth.lost)} lost in parse, "
            f"{unsure} unsure links"
        )
        for kind, (m, b) in ((k, v[-1]) for k, v in totals.items()):
            print(f"    {kind:<7} {_line('matcher', m)}")
            print(f"    {'':<7} {_line('id only', b)}")
    for kind, pairs in totals.items():
        mp = statistics.mean(m.precision for m, _ in pairs)
        mr = statistics.mean(m.recall for m, _ in pairs)
        bp = statistics.mean(b.precision for _, b in pairs)
        br = statistics.mean(b.recall for _, b in pairs)
        label = "hard" if hard else "default"
        print(
            f"  mean over {len(pairs)} {label} editions, {kind}: matcher P {mp:.3f} R {mr:.3f}; "
            f"id only P {bp:.3f} R {br:.3f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4, 5])
    args = parser.parse_args()
    src = read_source()
    old = parse_document(src.text, src.path, src.sha256)
    sample = next_edition(src.text, seed=1)
    new = parse_document(sample.text, "sample-1.txt", "0" * 64)
    timing(old, new, args.repeat)
    for hard in (False, True):
        accuracy(src.text, old, args.seeds, hard)


if __name__ == "__main__":
    main()
