"""Scoring the parser against the hand-labelled sets in tests/data/labels/.

Run ``python tests/accuracy.py`` for the per-field report quoted in the closing
note; tests/test_accuracy.py asserts the thresholds.
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from ebpm.model import Cell, Document
from ebpm.parser.tags import CANONICAL_OWNERS
from ebpm.sources.normalize import compact, normalize

LABELS = Path(__file__).parent / "data" / "labels"
_TRAILING = re.compile(r"(【[^【】]*】|\(再掲\))$")


def ends_with(text: str) -> str:
    s = compact(text)
    while True:
        stripped = _TRAILING.sub("", s)
        if stripped == s:
            break
        s = stripped
    if len(s) <= 8:
        s = s.lstrip("・-")
    return s[-8:]


@dataclass
class Tally:
    right: int = 0
    total: int = 0
    misses: list[str] = field(default_factory=list)

    def add(self, ok: bool, what: str) -> None:
        self.total += 1
        self.right += ok
        if not ok:
            self.misses.append(what)

    @property
    def rate(self) -> float:
        return self.right / self.total if self.total else 1.0


def _norm_ministries(names: list[str]) -> list[str]:
    """The labels keep a tag as written (関係府省庁); the parser names generic owners canonically."""
    return [CANONICAL_OWNERS.get(compact(n), compact(n)) for n in names]


def score_measures(doc: Document, name: str = "measures.json") -> dict[str, Tally]:
    labels = json.loads((LABELS / name).read_text(encoding="utf-8"))["rows"]
    by_marker = {m.marker_line: m for m in doc.measures}
    t: dict[str, Tally] = {
        k: Tally()
        for k in (
            "row found",
            "section",
            "line_end",
            "crosses_page",
            "commitment ministries",
            "commitment text",
            "status/actions boundary",
            "per-action ministries",
            "item text joined",
            "row structurally right",
        )
    }
    for lab in labels:
        where = f"row {lab['marker_line']}"
        m = by_marker.get(lab["marker_line"])
        t["row found"].add(m is not None, where)
        if m is None:
            t["row structurally right"].add(False, where)
            continue
        t["section"].add(m.section == lab["section"], f"{where}: {m.section} != {lab['section']}")
        t["line_end"].add(m.line_end == lab["line_end"], f"{where}: {m.line_end} != {lab['line_end']}")
        t["crosses_page"].add(m.crosses_page == lab["crosses_page"], where)
        cm_ok = _norm_ministries(m.commitment.ministries) == _norm_ministries(lab["commitment"]["ministries"])
        t["commitment ministries"].add(cm_ok, f"{where}: {m.commitment.ministries}")
        ct_ok = ends_with(m.commitment.text) == lab["commitment"]["ends_with"]
        t["commitment text"].add(
            ct_ok, f"{where}: …{ends_with(m.commitment.text)} != …{lab['commitment']['ends_with']}"
        )
        got = ([c.line_start for c in m.status], [c.line_start for c in m.actions])
        want = ([s["line"] for s in lab["status"]], [a["line"] for a in lab["actions"]])
        boundary_ok = got == want
        t["status/actions boundary"].add(boundary_ok, f"{where}: got {got} want {want}")
        texts_ok = ct_ok
        actions = {c.line_start: c for c in m.actions}
        for a in lab["actions"]:
            c = actions.get(a["line"])
            ok = c is not None and _norm_ministries(c.ministries) == _norm_ministries(a["ministries"])
            t["per-action ministries"].add(ok, f"{where} action {a['line']}: {c.ministries if c else None}")
        # two cells can start on one line (the shared page-bottom line), so match per column
        for column, cells_of in (("status", m.status), ("actions", m.actions)):
            cells: dict[int, Cell] = {c.line_start: c for c in cells_of}
            for item in lab[column]:
                c = cells.get(item["line"])
                ok = c is not None and ends_with(c.text) == item["ends_with"]
                texts_ok &= ok
                t["item text joined"].add(
                    ok, f"{where} item {item['line']}: …{ends_with(c.text) if c else None}"
                )
        t["row structurally right"].add(
            boundary_ok and texts_ok and cm_ok and m.section == lab["section"], where
        )
    return t


def _num_equal(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is b
    return abs(a - b) < 1e-9 * max(1.0, abs(b))


def score_indicators(doc: Document) -> dict[str, Tally]:
    labels = json.loads((LABELS / "indicators.json").read_text(encoding="utf-8"))["items"]
    by_line = {i.line: i for i in doc.indicators}
    t: dict[str, Tally] = {
        k: Tally()
        for k in (
            "item found",
            "block",
            "section",
            "name",
            "value text",
            "value number",
            "value unit",
            "date",
            "year",
            "fiscal year",
            "footnotes",
        )
    }
    for lab in labels:
        where = f"indicator {lab['line']}"
        ind = by_line.get(lab["line"])
        t["item found"].add(ind is not None, where)
        if ind is None:
            continue
        t["block"].add(ind.block == lab["block"], where)
        t["section"].add(ind.section == lab["section"], f"{where}: {ind.section}")
        t["name"].add(
            normalize(ind.name) == lab["name"], f"{where}: {normalize(ind.name)!r} != {lab['name']!r}"
        )
        for k, v in enumerate(lab["values"]):
            got = ind.values[k] if k < len(ind.values) else None
            t["value text"].add(
                got is not None and normalize(got.text) == v["text"],
                f"{where}[{k}]: {normalize(got.text) if got else None!r} != {v['text']!r}",
            )
            t["value number"].add(
                got is not None and _num_equal(got.number, v["number"]),
                f"{where}[{k}]: {got.number if got else None} != {v['number']}",
            )
            t["value unit"].add(
                got is not None and (normalize(got.unit) if got.unit else None) == v["unit"],
                f"{where}[{k}]: {got.unit if got else None!r} != {v['unit']!r}",
            )
        date = normalize(ind.date) if ind.date else None
        t["date"].add(date == lab["date"], f"{where}: {date!r} != {lab['date']!r}")
        t["year"].add(ind.year == lab["year"], f"{where}: {ind.year} != {lab['year']}")
        t["fiscal year"].add(
            ind.fiscal_year == lab["fiscal_year"], f"{where}: {ind.fiscal_year} != {lab['fiscal_year']}"
        )
        t["footnotes"].add(
            ind.footnotes == lab["footnotes"], f"{where}: {ind.footnotes} != {lab['footnotes']}"
        )
    return t


def report(tallies: dict[str, Tally], verbose: bool) -> list[str]:
    out = []
    for name, tally in tallies.items():
        out.append(f"  {name:28s} {tally.right:4d}/{tally.total:<4d} {tally.rate:7.1%}")
        if verbose:
            out.extend(f"      miss: {m}" for m in tally.misses)
    return out


def main(argv: list[str]) -> None:
    from ebpm.parser.document import parse_document
    from ebpm.sources.corpus import read_source

    src = read_source()
    doc = parse_document(src.text, src.path, src.sha256)
    verbose = "-v" in argv
    print("measure rows (tuning set, measures.json):")
    print("\n".join(report(score_measures(doc), verbose)))
    print("measure rows (held-out set, measures_heldout.json):")
    print("\n".join(report(score_measures(doc, "measures_heldout.json"), verbose)))
    print("indicator items:")
    print("\n".join(report(score_indicators(doc), verbose)))


if __name__ == "__main__":
    main(sys.argv[1:])
