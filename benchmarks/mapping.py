"""Budget-to-strategy mapping: quality on labelled sets against a baseline, calibration, and speed.

Sets, each labelled by reading the strategy (``relevant``: the rows a project serves; none for
a project that serves no row):
- **realistic** (tests/data/mapping): projects written from the public descriptions of real
  programs, in their offices' own wording, no 5-character run shared with their rows (checked by
  tests/test_mapping_set.py), plus administrative negatives. Split in halves by the writer:
  ``dev`` (the weights and the calibration were chosen on it) and ``heldout``, scored with
  ``--heldout`` once, after the last change.
- **sample** (src/ebpm/data/budget_sample): the fictional SAMPLE sheets, written from the rows
  and sharing character runs with them: easy, and seen.

Engines, measured in the same run: the default engine; the same without one signal at a time;
with the subsection lift; with confirmed reviews (each fold of the set matched by an engine
given the other folds' labels as confirmations, ``budget.evaluation.cross_fitted``); and the
baseline, TF-IDF over character 2- and 3-grams with cosine similarity, its unmatched threshold
chosen on the dev half by best F1.

Unmatched: the engine's calibrated probability against its threshold (``calibration.json``).
``--calibrate`` refits it: a logistic regression (scikit-learn) on the realistic dev half's
best-row score and vocabulary coverage, the threshold chosen on out-of-fold probabilities
(5-fold cross-validation) by the best F1 of the flag, and writes it with its cross-validated
figures. The baseline's threshold is chosen on the same dev half.

Speed: 6,000 projects resampled from the sample (new ids) are imported and mapped against the
whole strategy (matching, explanations, storing) by `ebpm budget map`, in a process of its own,
against the import of the same file as reference.

    .venv/bin/python benchmarks/mapping.py [--heldout] [--calibrate] [--projects N]
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
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ebpm.budget import engine as mapping_engine
from ebpm.budget.engine import MappingEngine, Project, ProjectMatches, build_items
from ebpm.budget.evaluation import Scores, cross_fitted, score, score_ranked
from ebpm.model import Document
from ebpm.search.analysis import fold
from ebpm.services.ingest import ingest
from ebpm.store import knowledge_base

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.peak_memory import run_measured

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "src" / "ebpm" / "data" / "budget_sample"
REALISTIC = ROOT / "tests" / "data" / "mapping"
CALIBRATION = ROOT / "src" / "ebpm" / "budget" / "calibration.json"
Labels = dict[str, list[str]]


def load(folder: Path, split: str | None = None) -> tuple[list[Project], Labels]:
    raw = json.loads((folder / "labels.json").read_text(encoding="utf-8"))["projects"]
    keep = {pid for pid, lab in raw.items() if split is None or lab.get("split") == split}
    projects: dict[str, Project] = {}  # a project's latest year: the text the mapping reads
    with (folder / "projects.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if row["事業番号"] in keep:
                projects[row["事業番号"]] = Project(
                    row["事業番号"],
                    row["事業名"],
                    row["事業の目的"],
                    row["事業概要"],
                    row["府省庁"],
                    row.get("現状・課題", "") or "",
                )
    return list(projects.values()), {pid: list(raw[pid]["relevant"]) for pid in keep}


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


def best_threshold(scores: Sequence[float], negative: Sequence[bool]) -> float:
    """The cut below which projects are flagged that gives the flag its best F1."""

    def f1(th: float) -> float:
        tp = sum(s < th and n for s, n in zip(scores, negative, strict=True))
        flagged = sum(s < th for s in scores)
        p = tp / flagged if flagged else 0.0
        r = tp / sum(negative) if any(negative) else 0.0
        return 2 * p * r / (p + r) if p + r else 0.0

    candidates = sorted(set(scores))
    cuts = [(a + b) / 2 for a, b in itertools.pairwise(candidates)] or list(candidates)
    return max(cuts, key=lambda th: (f1(th), -th))


def line(name: str, n: str, s: Scores) -> str:
    return (
        f"  {name:44} {n:>7} {s.top1:6.3f} {s.top3:6.3f} {s.negatives_flagged:9.3f} "
        f"{s.positives_flagged:9.3f}"
    )


def header() -> str:
    return f"  {'engine':44} {'pos/neg':>7} {'top-1':>6} {'top-3':>6} {'neg flag':>9} {'pos flag':>9}"


# each variant: the engine's module weights it overrides, and whether confirmed reviews are used
VARIANTS: dict[str, tuple[dict[str, Any], bool]] = {
    "ebpm (default)": ({}, False),
    "  without words": ({"SIGNAL_WEIGHTS": {"words": 0.0}}, False),
    "  without synonym groups": ({"SIGNAL_WEIGHTS": {"meanings": 0.0}}, False),
    "  without characters": ({"SIGNAL_WEIGHTS": {"chars": 0.0}}, False),
    "  with the subsection lift 0.5": ({"SUBSECTION_SHARE": 0.5}, False),
    "  + the other folds' labels as confirmed reviews": ({}, True),
}


def run_variant(
    doc: Document, overrides: dict[str, Any], confirmed: bool, projects: list[Project], labels: Labels
) -> dict[str, ProjectMatches]:
    """Match ``projects`` with the engine built under ``overrides`` of its module weights; with
    ``confirmed``, each fold's projects by an engine given the other folds' labels as reviews."""
    saved = {k: getattr(mapping_engine, k) for k in overrides}
    try:
        for key, value in overrides.items():
            setattr(mapping_engine, key, {**saved[key], **value} if isinstance(value, dict) else value)
        if confirmed:
            return cross_fitted(doc, projects, labels, folds=5)
        engine = MappingEngine(doc)
        return {p.project_id: engine.match(p) for p in projects}
    finally:
        for key, value in saved.items():
            setattr(mapping_engine, key, value)


def quality(doc: Document, sets: list[tuple[str, list[Project], Labels]], threshold: float) -> None:
    """Each set: every engine variant and the baseline."""
    measures = [i for i in build_items(doc) if i.kind == "measure"]
    baseline = CharTfidf([i.text for i in measures])
    for name, projects, labels in sets:
        print(f"\n{name}")
        print(header())
        pool = {p.project_id: p for p in projects}
        for label, (overrides, use_confirmed) in VARIANTS.items():
            results = run_variant(doc, overrides, use_confirmed, projects, labels)
            s = score(results, labels)
            print(line(label, f"{s.positives}/{s.negatives}", s))
        ranked, flags = {}, {}
        for pid, p in pool.items():
            r = baseline.rank(p.text)
            ranked[pid] = [measures[k].id for _, k in r[:5]]
            flags[pid] = r[0][0] < threshold
        s = score_ranked(ranked, flags, labels)
        print(line(f"baseline char TF-IDF (flag below {threshold:.3f})", f"{s.positives}/{s.negatives}", s))


def calibrate(doc: Document, projects: list[Project], labels: Labels) -> dict[str, Any]:
    """Fit the unmatched model on the labelled projects' best-row signals (see the module doc)."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold

    features = ("best", "coverage", "meaning_coverage")
    engine = MappingEngine(doc)
    x = np.array([[engine.match(p).signals[f] for f in features] for p in projects])
    y = np.array([1 if labels[p.project_id] else 0 for p in projects])  # 1: serves a row
    oof = np.zeros(len(y))
    for train, test in StratifiedKFold(5, shuffle=True, random_state=1204).split(x, y):
        model = LogisticRegression(C=10.0, max_iter=1000).fit(x[train], y[train])
        oof[test] = model.predict_proba(x[test])[:, 1]
    threshold = best_threshold(list(oof), [not v for v in y])
    flagged = oof < threshold
    model = LogisticRegression(C=10.0, max_iter=1000).fit(x, y)
    neg, pos = y == 0, y == 1
    return {
        "about": (
            "The unmatched flag's model (benchmarks/mapping.py --calibrate): a logistic regression "
            "(scikit-learn, C=10) of P(the project serves a row) on the best row's signals, fitted on "
            f"{int(pos.sum())} projects that serve rows and {int(neg.sum())} that serve none (the dev half "
            "of tests/data/mapping: real programs in their own wording; the fictional SAMPLE sheets, written "
            "from the rows, would teach it that a match always shares wording); threshold: the best F1 of "
            "the flag on 5-fold out-of-fold probabilities."
        ),
        "features": list(features),
        "coefficients": [round(float(c), 6) for c in model.coef_[0]],
        "intercept": round(float(model.intercept_[0]), 6),
        "threshold": round(float(threshold), 4),
        "cross_validated": {
            "negatives_flagged": round(float(flagged[neg].mean()), 3),
            "positives_flagged": round(float(flagged[pos].mean()), 3),
        },
    }


def speed(doc_path: Path, folder: Path, count: int) -> None:
    rng = random.Random(20231129)
    with (SAMPLE / "projects.csv").open(encoding="utf-8") as fh:
        reader = csv.reader(fh)
        head = next(reader)
        rows = [r for r in reader if r[1] == "2023"]
    big = folder / "projects-resampled.csv"
    with big.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(head)
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
    print(
        f"\nspeed: {count:,} resampled projects; reference `ebpm budget import --no-map` {imported:.1f} s; "
        f"`ebpm budget map` {mapped:.1f} s (target < 30 s), peak memory {peak:.0f} MiB"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--projects", type=int, default=6000)
    ap.add_argument("--heldout", action="store_true", help="also score the realistic held-out half (once)")
    ap.add_argument("--calibrate", action="store_true", help="refit calibration.json first")
    ap.add_argument("--no-speed", action="store_true")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        kb = folder / "kb.sqlite"
        ingest(None, kb)
        doc = knowledge_base.read(kb)
        sample, sample_labels = load(SAMPLE)
        dev, dev_labels = load(REALISTIC, "dev")
        held, held_labels = load(REALISTIC, "heldout")
        if args.calibrate:
            fitted = calibrate(doc, dev, dev_labels)
            CALIBRATION.write_text(json.dumps(fitted, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
            print(f"calibration written: {json.dumps(fitted, ensure_ascii=False)}")
            mapping_engine.bundled_calibration.cache_clear()
        # the baseline's flag: its best-F1 threshold on the same calibration data as the engine's
        measures = [i for i in build_items(doc) if i.kind == "measure"]
        baseline = CharTfidf([i.text for i in measures])
        threshold = best_threshold(
            [baseline.rank(p.text)[0][0] for p in dev], [not dev_labels[p.project_id] for p in dev]
        )
        sets = [
            ("sample (fictional, written from the rows; seen)", sample, sample_labels),
            ("realistic, dev half (weights and calibration chosen on it)", dev, dev_labels),
        ]
        if args.heldout:
            sets.append(("realistic, HELD-OUT half (scored once)", held, held_labels))
        quality(doc, sets, threshold)
        if not args.no_speed:
            speed(kb, folder, args.projects)


if __name__ == "__main__":
    main()
