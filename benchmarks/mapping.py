"""Budget-to-strategy mapping: quality on the labelled sample, against a baseline, and speed.

Quality (src/ebpm/data/budget_sample: 70 projects that serve rows, 26 that serve none):
- top-1 / top-3: a project counts when one of its labelled rows is the first / among the
  first three measure rows ranked; overall and on the records worded differently from their rows;
- the `unmatched` flag: precision and recall on the 26 labelled negatives, at the engine's
  threshold, and with the threshold chosen on one half of the sample and scored on the other
  (two-fold cross-validation), which shows how much the calibration flatters itself.
Baseline, measured in the same run: TF-IDF over character 2- and 3-grams of the same texts,
cosine similarity, its unmatched threshold chosen the same way (best F1 on the sample).

Speed: 6,000 projects resampled from the sample (new ids) are imported and mapped against the
whole strategy (matching, explanations, storing) by `ebpm budget map`, in a process of its own;
wall time and peak memory.

    .venv/bin/python benchmarks/mapping.py [--projects N]
"""

from __future__ import annotations

import argparse
import csv
import itertools
import json
import math
import random
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from ebpm.budget.engine import MappingEngine, Project, build_items
from ebpm.search.analysis import fold
from ebpm.services.ingest import ingest
from ebpm.store import knowledge_base

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.peak_memory import run_measured

SAMPLE = Path(__file__).resolve().parents[1] / "src" / "ebpm" / "data" / "budget_sample"


def load_sample() -> tuple[list[Project], dict[str, dict[str, object]]]:
    labels = json.loads((SAMPLE / "labels.json").read_text(encoding="utf-8"))["projects"]
    projects: dict[str, Project] = {}
    with (SAMPLE / "projects.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            projects[row["事業番号"]] = Project(
                row["事業番号"], row["事業名"], row["事業の目的"], row["事業概要"], row["府省庁"]
            )
    return list(projects.values()), labels


class CharTfidf:
    """The baseline: TF-IDF over character 2- and 3-grams, cosine similarity."""

    def __init__(self, texts: list[str]) -> None:
        grams = [self._grams(t) for t in texts]
        df = Counter(g for gs in grams for g in gs)
        self.idf = {g: math.log((1 + len(texts)) / (1 + n)) + 1 for g, n in df.items()}
        self.vectors = [self._vector(gs) for gs in grams]

    @staticmethod
    def _grams(text: str) -> Counter[str]:
        t = "".join(fold(text).split())
        return Counter(t[i : i + n] for n in (2, 3) for i in range(len(t) - n + 1))

    def _vector(self, grams: Counter[str]) -> dict[str, float]:
        v = {g: (1 + math.log(c)) * self.idf.get(g, 0.0) for g, c in grams.items()}
        norm = math.sqrt(sum(x * x for x in v.values())) or 1.0
        return {g: x / norm for g, x in v.items()}

    def rank(self, text: str) -> list[tuple[float, int]]:
        q = self._vector(self._grams(text))
        scores = [(sum(x * v.get(g, 0.0) for g, x in q.items()), k) for k, v in enumerate(self.vectors)]
        return sorted(scores, reverse=True)


def topk(ranked: list[list[str]], labels: list[set[str]], k: int) -> float:
    hits = [bool(set(r[:k]) & rel) for r, rel in zip(ranked, labels, strict=True)]
    return sum(hits) / len(hits) if hits else 0.0


def flag_quality(scores: list[float], negative: list[bool], threshold: float) -> tuple[float, float]:
    flagged = [s < threshold for s in scores]
    tp = sum(f and n for f, n in zip(flagged, negative, strict=True))
    precision = tp / sum(flagged) if any(flagged) else 0.0
    recall = tp / sum(negative) if any(negative) else 0.0
    return precision, recall


def best_threshold(scores: list[float], negative: list[bool]) -> float:
    def f1(th: float) -> float:
        p, r = flag_quality(scores, negative, th)
        return 2 * p * r / (p + r) if p + r else 0.0

    candidates = sorted(set(scores))
    cuts = [(a + b) / 2 for a, b in itertools.pairwise(candidates)] or candidates
    return max(cuts, key=lambda th: (f1(th), -th))


def cross_validated(scores: list[float], negative: list[bool]) -> tuple[float, float]:
    """Threshold from one half (odd/even positions), flags scored on the other; both folds pooled."""
    tp = flagged = negatives = 0
    for fold_ in (0, 1):
        train = [k for k in range(len(scores)) if k % 2 == fold_]
        test = [k for k in range(len(scores)) if k % 2 != fold_]
        th = best_threshold([scores[k] for k in train], [negative[k] for k in train])
        for k in test:
            f = scores[k] < th
            flagged += f
            tp += f and negative[k]
            negatives += negative[k]
    return (tp / flagged if flagged else 0.0), (tp / negatives if negatives else 0.0)


def quality(doc_path: Path) -> None:
    doc = knowledge_base.read(doc_path)
    projects, labels = load_sample()
    engine = MappingEngine(doc)
    measures = [i for i in build_items(doc) if i.kind == "measure"]
    baseline = CharTfidf([i.text for i in measures])
    rows = []
    for p in projects:
        label = labels[p.project_id]
        result = engine.match(p)
        ours = [m.item_id for m in result.items if m.kind == "measure"]
        theirs_ranked = baseline.rank(p.text)
        theirs = [measures[k].id for _, k in theirs_ranked[:5]]
        rows.append((label, ours, result.confidence, theirs, theirs_ranked[0][0]))
    print(f"mapping quality on the sample: {len(rows)} projects")
    print()
    print(f"{'set':34} {'n':>3} {'ebpm top-1':>11} {'ebpm top-3':>11} {'base top-1':>11} {'base top-3':>11}")
    for name, keep in (
        ("all that serve a row", lambda lab: bool(lab["relevant"])),
        ("worded differently from the row", lambda lab: lab["wording"] == "different"),
        ("worded close to the row", lambda lab: lab["wording"] == "close"),
    ):
        chosen = [r for r in rows if keep(r[0])]
        rel = [set(r[0]["relevant"]) for r in chosen]
        print(
            f"{name:34} {len(chosen):3d} {topk([r[1] for r in chosen], rel, 1):11.3f} "
            f"{topk([r[1] for r in chosen], rel, 3):11.3f} {topk([r[3] for r in chosen], rel, 1):11.3f} "
            f"{topk([r[3] for r in chosen], rel, 3):11.3f}"
        )
    negative = [bool(r[0]["unmatched"]) for r in rows]
    ours_scores = [r[2] for r in rows]
    base_scores = [r[4] for r in rows]
    print()
    print(f"unmatched flag ({sum(negative)} labelled negatives, {len(negative) - sum(negative)} positives)")
    p, r = flag_quality(ours_scores, negative, engine.threshold)
    print(f"  ebpm at its threshold {engine.threshold}:          precision {p:.3f} recall {r:.3f}")
    p, r = cross_validated(ours_scores, negative)
    print(f"  ebpm, threshold cross-validated (2-fold):   precision {p:.3f} recall {r:.3f}")
    th = best_threshold(base_scores, negative)
    p, r = flag_quality(base_scores, negative, th)
    print(f"  baseline at its best threshold {th:.3f}:     precision {p:.3f} recall {r:.3f}")
    p, r = cross_validated(base_scores, negative)
    print(f"  baseline, threshold cross-validated:        precision {p:.3f} recall {r:.3f}")
    print(f"  (ebpm's best threshold on the whole sample: {best_threshold(ours_scores, negative):.3f})")


def speed(doc_path: Path, folder: Path, count: int) -> None:
    rng = random.Random(20231129)
    with (SAMPLE / "projects.csv").open(encoding="utf-8") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        rows = [r for r in reader if r[1] == "2023"]
    big = folder / "projects-resampled.csv"
    with big.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        for n in range(count):
            row = list(rng.choice(rows))
            row[0] = f"RESAMPLED-{n:05d}"
            writer.writerow(row)
    ebpm = str(Path(sys.executable).with_name("ebpm"))
    store = ["--db", str(doc_path), "--monitoring-db", str(folder / "speed.sqlite")]
    started = time.perf_counter()
    code, output, _ = run_measured([ebpm, "budget", "import", str(big), "--no-map", *store])
    if code:
        raise RuntimeError(output)
    imported = time.perf_counter() - started
    started = time.perf_counter()
    code, output, peak = run_measured([ebpm, "budget", "map", *store])
    mapped = time.perf_counter() - started
    if code:
        raise RuntimeError(output)
    print()
    print(
        f"speed: {count:,} resampled projects; import {imported:.1f} s; `ebpm budget map` {mapped:.1f} s "
        f"(target < 30 s), peak memory {peak:.0f} MiB"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--projects", type=int, default=6000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        kb = folder / "kb.sqlite"
        ingest(None, kb)
        quality(kb)
        speed(kb, folder, args.projects)


if __name__ == "__main__":
    main()
