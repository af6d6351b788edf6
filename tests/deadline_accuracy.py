"""Scoring the deadline extractor against tests/data/labels/deadlines.json (70 actions).

Run ``python tests/deadline_accuracy.py [-v]`` for precision and recall per
expression and the accuracy of each action's overall due.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

from ebpm.commitments.deadlines import Deadline, due_summary, extract_deadlines, fold
from ebpm.model import Cell, Document

LABELS = Path(__file__).parent / "data" / "labels" / "deadlines.json"


@dataclass
class DeadlineScore:
    true_positive: int = 0
    extracted: int = 0
    labelled: int = 0
    summary_right: int = 0
    items: int = 0
    misses: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return self.true_positive / self.extracted if self.extracted else 1.0

    @property
    def recall(self) -> float:
        return self.true_positive / self.labelled if self.labelled else 1.0


def _same(d: Deadline, lab: dict[str, str | None]) -> bool:
    a = fold(d.phrase).replace(" ", "")
    b = fold(str(lab["phrase"])).replace(" ", "")
    return (
        d.kind == lab["kind"]
        and (str(d.due) if d.due else None) == lab["due"]
        and (str(d.start) if d.start else None) == lab["start"]
        and (a in b or b in a)
    )


def _action(doc: Document, measure_id: str, line_start: int) -> Cell | None:
    for m in doc.measures:
        if m.id == measure_id:
            return next((a for a in m.actions if a.line_start == line_start), None)
    return None


def score(doc: Document, name: str = "deadlines.json") -> DeadlineScore:
    items = json.loads((LABELS.parent / name).read_text(encoding="utf-8"))["items"]
    s = DeadlineScore()
    for item in items:
        where = f"{item['measure_id']}@{item['line_start']}"
        action = _action(doc, item["measure_id"], item["line_start"])
        got = extract_deadlines(action.text) if action else []
        want = list(item["expressions"])
        s.items += 1
        s.extracted += len(got)
        s.labelled += len(want)
        unmatched = list(want)
        for d in got:
            hit = next((w for w in unmatched if _same(d, w)), None)
            if hit is not None:
                unmatched.remove(hit)
                s.true_positive += 1
            else:
                s.misses.append(f"{where}: extra {d.phrase!r} {d.kind} {d.start} {d.due}")
        s.misses += [
            f"{where}: missed {w['phrase']!r} {w['kind']} {w['start']} {w['due']}" for w in unmatched
        ]
        summary = due_summary(got)
        right = str(summary) == str(item["due_summary"])
        s.summary_right += right
        if not right:
            s.misses.append(f"{where}: due {summary} != {item['due_summary']}")
    return s


def main(argv: list[str]) -> None:
    from ebpm.parser.document import parse_document
    from ebpm.sources.corpus import read_source

    src = read_source()
    doc = parse_document(src.text, src.path, src.sha256)
    for name in ("deadlines.json", "deadlines_heldout.json"):
        s = score(doc, name)
        print(
            f"{name}: deadline expressions: precision {s.precision:.1%} ({s.true_positive}/{s.extracted}), "
            f"recall {s.recall:.1%} ({s.true_positive}/{s.labelled}); "
            f"action due (date or category) {s.summary_right}/{s.items} = {s.summary_right / s.items:.1%}"
        )
        if "-v" in argv:
            print("\n".join(s.misses))


if __name__ == "__main__":
    main(sys.argv[1:])
