"""A synthetic next edition of the strategy, with the ground truth of its lineage: SAMPLE data.

There is no second real edition in the project, so the lineage matcher (:mod:`ebpm.lineage`) is
measured on made-up ones: from one edition's text (the bundled 2023 strategy by default), a seeded
generator writes a plausible next edition, the kind of changes a real one brings:

- the document's name for itself moves on (統合戦略2023 → 統合戦略2024), and a first line names the
  text a SAMPLE (``統合イノベーション戦略２０２４（SAMPLE：合成データ）``; the parser reads what stands
  before 第１章 as the title page, and the edition is read from that line);
- rows are reworded (synonyms, clauses reordered, a sentence added), dropped, moved to a
  neighbouring section, and new ones inserted (copied from another section and changed);
- deadlines slip by a year (2023年度中 → 2024年度中, 2025年 → 2026年), ministry tags change;
- status items (実施状況) are rewritten to report last year's actions as done, actions are
  reworded, dropped and added.

Inserting and dropping rows renumbers the rows after them (``m1``, ``m2`` …), so the ground truth is
read back from the parse of the new text: every line the generator writes carries the origin of
the row or action that starts on it, and each parsed row or action takes the origin of its first
line. Row-level rewrites only touch rows the parser reads as one block on one page (no page break,
no footnote inside), so the new text parses as intended; anything the parser does not read back as
intended is listed in :attr:`GroundTruth.lost`.
"""

from __future__ import annotations

import hashlib
import random
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from ebpm.commitments.deadlines import extract_deadlines
from ebpm.model import Cell, Document, Measure
from ebpm.parser.document import parse_document
from ebpm.parser.edition import edition_of_text
from ebpm.sources.corpus import read_source
from ebpm.sources.normalize import fold_in_place, join_wrapped, normalize

SAMPLE_LABEL = "SAMPLE：合成データ"
_FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
_WIDTH = 17  # characters per line of a table cell, as in the 2023 text
# a line that starts with one of these reads as a new item, heading, footnote or page number
_BAD_START = frozenset("・○〇（(①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳―-‐ 　0123456789０１２３４５６７８９第【】")
_SELF = re.compile(r"(統合(?:イノベーション)?戦略[ 　]*)(\d{4}|[０-９]{4})")
_TAG = re.compile(r"【[^【】]*】")
_TAIL = re.compile(r"(?:\s*(?:【[^【】]*】|[（(]\s*再\s*掲\s*[）)]|\d{1,3}))+\s*$")
_YEAR_DIGITS = re.compile(r"[0-9０-９]{4}")

# word-level substitutions on the NFKC-folded text, one way each, as a drafter's rewording
SYNONYMS: tuple[tuple[str, str], ...] = (
    ("推進する", "促進する"),
    ("推進", "促進"),
    ("強化", "拡充"),
    ("実施", "実行"),
    ("検討", "検証"),
    ("支援", "後押し"),
    ("整備", "構築"),
    ("取組", "取り組み"),
    ("図る", "目指す"),
    ("連携", "協働"),
    ("充実", "拡充"),
    ("確保", "担保"),
    ("構築", "整備"),
    ("促進", "推進"),
    ("活用", "利用"),
    ("育成", "養成"),
    ("展開", "普及"),
    ("着実に", "確実に"),
)
ADDED_SENTENCES: tuple[str, ...] = (
    "また、関係府省と連携し、進捗状況を定期的に把握する。",
    "あわせて、成果の普及展開を図る。",
    "その際、国際的な動向を踏まえる。",
    "加えて、必要に応じて施策の見直しを行う。",
    "これらの取組の効果を検証し、公表する。",
)
DONE_LEADS: tuple[str, ...] = ("", "前年度の方針に基づき、", "前年度に引き続き、")

Origin = tuple[str, str]  # ("row" | "action" | "new-row" | "new-action", id or label)


@dataclass(frozen=True, slots=True)
class Rates:
    """How much changes from one edition to the next: shares of rows, actions or dated items."""

    drop_row: float = 0.05
    move_row: float = 0.04
    new_row: float = 0.04
    reword: float = 0.15
    owners: float = 0.08
    slip: float = 0.3  # of the items with a dated deadline
    status: float = 0.3
    drop_action: float = 0.04
    new_action: float = 0.05
    reword_ops: tuple[int, int] = (1, 3)  # edits (synonym, reordering, sentence, 引き続き) per rewording

    @classmethod
    def hard(cls) -> Rates:
        """About twice the change of the default, with heavier rewording: a stress test."""
        return cls(0.1, 0.08, 0.08, 0.4, 0.15, 0.5, 0.6, 0.1, 0.15, (3, 6))


@dataclass(frozen=True, slots=True)
class Slip:
    """A deadline moved: the item in the first edition, its successor, and by how many days."""

    old_id: str
    new_id: str
    old_due: date
    new_due: date

    @property
    def days(self) -> int:
        return (self.new_due - self.old_due).days


@dataclass(slots=True)
class GroundTruth:
    """What the generator did, in the ids the parser gives both texts."""

    # every row (action) id of the first edition -> the id of its successor, or None: dropped
    rows: dict[str, str | None] = field(default_factory=dict)
    actions: dict[str, str | None] = field(default_factory=dict)
    new_rows: list[str] = field(default_factory=list)  # ids in the new text with no predecessor
    new_actions: list[str] = field(default_factory=list)
    # first-edition id -> the kinds of change made: reworded, owners, deadline, status, moved
    changes: dict[str, list[str]] = field(default_factory=dict)
    slips: list[Slip] = field(default_factory=list)
    # first-edition id -> (owners added, owners removed)
    owners: dict[str, tuple[list[str], list[str]]] = field(default_factory=dict)
    lost: list[str] = field(default_factory=list)  # intentions the parse did not read back


@dataclass(frozen=True, slots=True)
class NextEdition:
    edition: str
    previous: str
    seed: int
    text: str
    truth: GroundTruth


def _action_id(measure_id: str, k: int) -> str:
    return f"{measure_id}.a{k + 1}"


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _wrap(text: str, width: int = _WIDTH) -> list[str]:
    """``text`` as the lines of one cell item: wrapped lines with no trailing space (so the parser
    reads them as one item), the last ending in one; no line may start like a new item."""
    text = text.strip()
    out: list[str] = []
    i = 0
    while i < len(text):
        j = min(i + width, len(text))
        while j < len(text) and j - i > width // 2 and (text[j] in _BAD_START or text[j - 1] == " "):
            j -= 1
        out.append(text[i:j])
        i = j
    out[-1] += " "
    return out


def _split_item(text: str) -> tuple[str, str, str]:
    """(bullet, body, tail): the tail is the trailing tags, re-post mark and footnote number."""
    text = text.strip()
    bullet = text[0] if text[:1] in ("○", "〇", "・") else ""
    rest = text[len(bullet) :]
    m = _TAIL.search(rest)
    if m is None:
        return bullet, rest, ""
    return bullet, rest[: m.start()], rest[m.start() :].strip()


def _key(text: str) -> str:
    """A cell's text folded, tags and spaces aside: what makes two items the same text."""
    return re.sub(r"^[○〇・]|\s+|[(（]再掲[)）]", "", _TAG.sub("", normalize(text)))


def _tag(owners: list[str]) -> str:
    return "【" + "、".join(owners) + "】"


class _Generator:
    def __init__(self, text: str, seed: int, rates: Rates) -> None:
        self.seed = seed
        self.rng = random.Random(seed)
        self.rates = rates
        self.text = text
        self.previous = edition_of_text(text) or "2023"
        self.edition = str(int(self.previous) + 1)
        self.doc: Document = parse_document(text, f"strategy-{self.previous}.txt", _sha(text))
        raw = text.split("\n")
        self.had_final_newline = bool(raw) and raw[-1] == ""
        if self.had_final_newline:
            raw.pop()
        self.lines = raw  # edited in place: index = line number - 1
        self.truth = GroundTruth()
        self.origin: dict[int, list[Origin]] = {}
        for m in self.doc.measures:
            self.origin.setdefault(m.marker_line, []).append(("row", m.id))
            for k, a in enumerate(m.actions):
                self.origin.setdefault(a.line_start, []).append(("action", _action_id(m.id, k)))
        self.by_id = {m.id: m for m in self.doc.measures}
        owners = Counter(o for m in self.doc.measures for _, _, c in m.cells() for o in c.ministries)
        self.common_owners = [o for o, _ in owners.most_common(14)]
        self.simple = {m.id for m in self.doc.measures if self._is_simple(m)}
        # lines that hold more than one item (three cells can share a line at a page bottom): an
        # edit there would change an item it was not meant for
        uses = Counter(ln for m in self.doc.measures for _, _, c in m.cells() for ln in set(c.lines))
        self.shared = {ln for ln, n in uses.items() if n > 1}
        self.rebuilt: dict[str, list[tuple[str, list[Origin]]]] = {}  # row id -> its new lines
        self.after: dict[str, list[str]] = {}  # anchor row id -> rows (ids or new labels) after it
        self.inserted: dict[str, list[tuple[str, list[Origin]]]] = {}  # new label -> its lines
        self.removed: set[str] = set()  # rows dropped or moved away from their place
        self.intended: dict[str, str] = {}  # "row:<id>"/"action:<id>" -> what should happen
        # texts of dropped items and of items copied into new ones: a new item that repeats a
        # dropped one word for word is that item moved, not new, so the two never meet
        self.dropped_texts: set[str] = set()
        self.copied_texts: set[str] = set()

    # --- what may be rewritten -------------------------------------------------------------

    def _is_simple(self, m: Measure) -> bool:
        """A marked row on one page whose lines are exactly its cells, in column order."""
        if m.crosses_page or m.commitment.text.lstrip()[:1] not in ("○", "〇"):
            return False
        cells = [c for _, _, c in m.cells()]
        order = [ln for c in cells for ln in c.lines]
        body = [ln for ln in range(m.line_start, m.line_end + 1) if self.lines[ln - 1].strip()]
        if order != sorted(order) or order != body or any(not c.lines for c in cells):
            return False
        # an empty cell (―) is read by its place only: an item added beside it would move it
        if any(c.topic is not None or normalize(c.text) in ("―", "-", "") for c in cells):
            return False
        # the columns must rest on strong evidence (tagged actions, untagged status items), so
        # that the rewritten lines are read into the same columns
        return all(a.ministries for a in m.actions) and not any(s.ministries for s in m.status)

    def _cell_text(self, cell: Cell) -> str:
        return join_wrapped([self.lines[ln - 1] for ln in cell.lines])

    # --- in-place edits, safe on any row -----------------------------------------------------

    def _self_references(self) -> None:
        for i, line in enumerate(self.lines):
            self.lines[i] = _SELF.sub(self._next_year, line)

    def _next_year(self, m: re.Match[str]) -> str:
        year = m.group(2)
        if normalize(year) != self.previous:
            return m.group(0)
        new = self.edition.translate(_FULLWIDTH) if year[0] in "０１２３４５６７８９" else self.edition
        return m.group(1) + new

    def _slip(self, cell: Cell) -> tuple[date, date] | None:
        """Move the first dated deadline of ``cell`` one year later, in place."""
        chars: list[tuple[int, int]] = []  # (line number, column) of each character of the join
        joined = ""
        for ln in cell.lines:
            raw = self.lines[ln - 1]
            lead = len(raw) - len(raw.lstrip())
            piece = raw.strip()
            # join_wrapped's rule: a space only between two Latin letters or digits
            if (
                joined
                and joined[-1].isascii()
                and joined[-1].isalnum()
                and piece[:1].isascii()
                and piece[:1].isalnum()
            ):
                joined += " "
                chars.append((ln, -1))
            joined += piece
            chars.extend((ln, lead + k) for k in range(len(piece)))
        for d in extract_deadlines(joined):
            if d.kind != "date" or d.due is None:
                continue
            y = _YEAR_DIGITS.search(d.phrase)
            if y is None:
                continue
            start = d.offset + y.start()
            spots = chars[start : start + 4]
            if len({ln for ln, _ in spots}) != 1 or any(col < 0 for _, col in spots):
                continue
            if spots[0][0] in self.shared:
                continue
            ln, col = spots[0]
            raw = self.lines[ln - 1]
            digits = raw[col : col + 4]
            new = str(int(normalize(digits)) + 1)
            if digits[0] in "０１２３４５６７８９":
                new = new.translate(_FULLWIDTH)
            self.lines[ln - 1] = raw[:col] + new + raw[col + 4 :]
            after = [x for x in extract_deadlines(self._cell_text(cell)) if x.offset == d.offset]
            if not after or after[0].due is None:
                self.lines[ln - 1] = raw  # the edit changed how the phrase reads: undo it
                continue
            return d.due, after[0].due
        return None

    def _synonym_in_place(self, cell: Cell) -> bool:
        lines = [ln for ln in cell.lines if ln not in self.shared]
        self.rng.shuffle(lines)
        for ln in lines:
            raw = self.lines[ln - 1]
            folded = fold_in_place(raw)
            for old, new in self.rng.sample(SYNONYMS, len(SYNONYMS)):
                at = folded.find(old)
                if at > 0:  # never the first character: a line's start carries structure
                    self.lines[ln - 1] = raw[:at] + new + raw[at + len(old) :]
                    return True
        return False

    # --- rewrites of whole items (rows on one page only) -------------------------------------

    def _reword(self, body: str, ops: int) -> str:
        text = normalize(body)
        for _ in range(ops):
            op = self.rng.choice(("synonym", "synonym", "reorder", "sentence", "continue"))
            if op == "synonym":
                options = [(o, n) for o, n in SYNONYMS if o in text]
                if options:
                    old, new = self.rng.choice(options)
                    text = text.replace(old, new, 1)
            elif op == "reorder":
                sentences = [s + "。" for s in text.split("。") if s]
                if len(sentences) >= 2 and text.endswith("。"):
                    text = "".join([sentences[-1], *sentences[:-1]])
                else:
                    parts = text.split("、")
                    if len(parts) >= 3:
                        text = "、".join([parts[1], parts[0], *parts[2:]])
            elif op == "sentence":
                text = text + ("" if text.endswith("。") else "。") + self.rng.choice(ADDED_SENTENCES)
            elif not text.startswith("引き続き"):
                text = "引き続き、" + text
        return text

    def _new_owners(self, owners: list[str]) -> list[str]:
        choice = self.rng.random()
        spare = [o for o in self.common_owners if o not in owners]
        if (choice < 0.5 or len(owners) < 2) and spare:
            return [*owners, self.rng.choice(spare)]
        if choice < 0.8 and len(owners) >= 2:
            drop = self.rng.randrange(len(owners))
            return [o for k, o in enumerate(owners) if k != drop]
        if spare and owners:
            swap = self.rng.randrange(len(owners))
            return [self.rng.choice(spare) if k == swap else o for k, o in enumerate(owners)]
        return owners

    def _item(
        self, cell: Cell, reword: bool, owners: bool
    ) -> tuple[str, list[str], tuple[list[str], list[str]] | None]:
        """The new text of one commitment or action, the kinds of change made to it, and the
        owners it gained and lost (None when they stay)."""
        bullet, body, tail = _split_item(self._cell_text(cell))
        kinds: list[str] = []
        change: tuple[list[str], list[str]] | None = None
        if reword and len(normalize(body)) >= 8:  # not an empty cell (―) or a stub
            new_body = self._reword(body, self.rng.randint(*self.rates.reword_ops))
            if new_body != normalize(body):
                body = new_body
                kinds.append("reworded")
        if owners and cell.ministries and _TAG.search(tail):
            new = self._new_owners(list(cell.ministries))
            if new != list(cell.ministries):
                # the last tag names the owners; a re-post mark or footnote number stays
                last = list(_TAG.finditer(tail))[-1]
                tail = tail[: last.start()] + _tag(new) + tail[last.end() :]
                change = (
                    [o for o in new if o not in cell.ministries],
                    [o for o in cell.ministries if o not in new],
                )
                kinds.append("owners")
        # an item keeps its bullet, and an empty cell (―) gets none: the parser reads both as written
        return bullet + body + tail, kinds, change

    def _done(self, action: Cell) -> str:
        """A status item that reports ``action`` as done (a new edition's 実施状況 reports on the
        previous one's 今後の取組方針)."""
        _, body, _ = _split_item(self._cell_text(action))
        text = normalize(body).rstrip("。")
        for lead in ("引き続き、", "引き続き"):
            text = text.removeprefix(lead)
        for present, past in (
            ("する", "した"),
            ("を図る", "を図った"),
            ("行う", "行った"),
            ("進める", "進めた"),
        ):
            if text.endswith(present):
                text = text[: -len(present)] + past
                break
        else:
            last = text[-1:]
            text += "した" if last and "\u4e00" <= last <= "\u9fff" else "（実施済み）"
        return "・" + self.rng.choice(DONE_LEADS) + text + "。"

    def _emit_item(self, text: str, origin: Origin | None) -> list[tuple[str, list[Origin]]]:
        wrapped = _wrap(text)
        out = [(line, [origin] if origin and k == 0 else []) for k, line in enumerate(wrapped)]
        return [*out, ("", [])]

    def _original(self, m: Measure) -> list[tuple[str, list[Origin]]]:
        return [(self.lines[ln - 1], self.origin.get(ln, [])) for ln in range(m.line_start, m.line_end + 1)]

    def _record(self, key: str, kinds: list[str], owners: tuple[list[str], list[str]] | None) -> None:
        self.truth.changes.setdefault(key, []).extend(kinds)
        if owners is not None:
            self.truth.owners[key] = owners

    def _rebuild(self, m: Measure, as_new: str | None = None) -> list[tuple[str, list[Origin]]]:
        """The lines of row ``m`` written afresh with its planned changes, or, with ``as_new``, the
        lines of a new row that is a changed copy of it."""
        rate = self.rates
        new = as_new is not None
        touched = False
        reword = new or self.rng.random() < rate.reword
        owners = self.rng.random() < (0.5 if new else rate.owners)
        text, kinds, change = self._item(m.commitment, reword, owners)
        if not new:
            self._record(m.id, kinds, change)
        touched |= bool(kinds)
        out = self._emit_item(text, ("new-row", as_new) if as_new is not None else ("row", m.id))
        if m.actions and self.rng.random() < (0.5 if new else rate.status):
            statuses = [self._done(a) for a in m.actions[:3]]
            if not new:
                self._record(m.id, ["status"], None)
            touched = True
        else:
            statuses = [self._cell_text(s) for s in m.status]
        for s in statuses:
            out += self._emit_item(s, None)
        keep = list(range(len(m.actions)))
        if new:
            self.copied_texts |= {_key(c.text) for _, _, c in m.cells()}
        droppable = [k for k in keep if _key(m.actions[k].text) not in self.copied_texts]
        if not new and len(keep) >= 2 and droppable and self.rng.random() < rate.drop_action * len(keep):
            dropped = self.rng.choice(droppable)
            keep.remove(dropped)
            self.intended[f"action:{_action_id(m.id, dropped)}"] = "dropped"
            self.dropped_texts.add(_key(m.actions[dropped].text))
            touched = True
        for k in keep:
            key = _action_id(m.id, k)
            reword = self.rng.random() < (0.5 if new else rate.reword)
            text, kinds, change = self._item(m.actions[k], reword, self.rng.random() < rate.owners)
            touched |= bool(kinds)
            if as_new is None:
                self._record(key, kinds, change)
                out += self._emit_item(text, ("action", key))
            else:
                out += self._emit_item(text, ("new-action", f"{as_new}.{k}"))
        if not new and self.rng.random() < rate.new_action:
            source = self._far_row(m)
            fresh = [a for a in source.actions if _key(a.text) not in self.dropped_texts] if source else []
            if fresh:
                copied = self.rng.choice(fresh)
                self.copied_texts.add(_key(copied.text))
                text, _, _ = self._item(copied, True, False)
                out += self._emit_item(text, ("new-action", f"{m.id}+"))
                touched = True
        # a row left as it was keeps its lines as written (an in-place slip included)
        return out if touched or new else self._original(m)

    def _far_row(self, m: Measure) -> Measure | None:
        """A simple row of another section of chapter 2 (a source to copy from)."""
        top = m.section.split(".")[:2]
        far = [
            self.by_id[i]
            for i in sorted(self.simple - self.removed)
            if self.by_id[i].section.split(".")[:2] != top
            and not any(_key(c.text) in self.dropped_texts for _, _, c in self.by_id[i].cells())
        ]
        return self.rng.choice(far) if far else None

    # --- the plan ------------------------------------------------------------------------------

    def run(self) -> NextEdition:
        rate = self.rates
        rows = self.doc.measures
        n = len(rows)
        self._self_references()
        per_section = Counter(m.section for m in rows)
        simple = [m for m in rows if m.id in self.simple]
        # sections whose rows are all marked (not the prose tables of sections 4 and 6)
        marked = {
            s
            for s in per_section
            if all(m.commitment.text.lstrip()[:1] in ("○", "〇") for m in rows if m.section == s)
        }
        simple = [m for m in simple if m.section in marked]
        self.rng.shuffle(simple)
        pool = list(simple)
        # dropped rows: never a section's last row
        for m in pool[: round(rate.drop_row * n)]:
            if per_section[m.section] > 1:
                per_section[m.section] -= 1
                self.removed.add(m.id)
                self.intended[f"row:{m.id}"] = "dropped"
                self.dropped_texts |= {_key(c.text) for _, _, c in m.cells()}
        pool = [m for m in pool if m.id not in self.removed]
        sections = list(dict.fromkeys(m.section for m in rows))
        anchors = {m.id for m in pool}
        moves = 0
        for m in pool:
            if moves >= round(rate.move_row * n):
                break
            if per_section[m.section] <= 1 or m.id not in anchors:
                continue
            k = sections.index(m.section)
            targets = [s for s in (sections[k - 1] if k else None, sections[(k + 1) % len(sections)]) if s]
            self.rng.shuffle(targets)
            for t in targets:
                spots = [a for a in pool if a.section == t and a.id in anchors and a.id != m.id]
                if t in marked and spots:
                    anchor = self.rng.choice(spots)
                    anchors.discard(m.id)
                    anchors.discard(anchor.id)
                    self.removed.add(m.id)
                    per_section[m.section] -= 1
                    self.after.setdefault(anchor.id, []).append(m.id)
                    self.truth.changes.setdefault(m.id, []).append("moved")
                    # a new row copied from the moved row's 再掲 twin would be a second successor
                    self.dropped_texts.add(_key(m.commitment.text))
                    moves += 1
                    break
        for j in range(round(rate.new_row * n)):
            spots = [a for a in pool if a.id in anchors]
            if not spots:
                break
            anchor = self.rng.choice(spots)
            source = self._far_row(anchor)
            if source is None:
                break
            label = f"new{j + 1}"
            self.inserted[label] = self._rebuild(source, as_new=label)
            self.after.setdefault(anchor.id, []).append(label)
        # the changes on every row that stays
        for m in rows:
            if m.id in self.removed and "moved" not in self.truth.changes.get(m.id, []):
                continue
            kinds = self.truth.changes.setdefault(m.id, [])
            if m.id in self.simple:
                self.rebuilt[m.id] = []  # placeholder: written after the deadlines moved
            elif self.rng.random() < rate.reword and self._synonym_in_place(m.commitment):
                kinds.append("reworded")
            for key, cell in [(m.id, m.commitment)] + [
                (_action_id(m.id, k), a) for k, a in enumerate(m.actions)
            ]:
                if (
                    key != m.id
                    and m.id not in self.simple
                    and self.rng.random() < rate.reword
                    and self._synonym_in_place(cell)
                ):
                    self.truth.changes.setdefault(key, []).append("reworded")
                if self.rng.random() < rate.slip:
                    moved = self._slip(cell)
                    if moved is not None:
                        self.truth.changes.setdefault(key, []).append("deadline")
                        self.intended[f"slip:{key}"] = f"{moved[0].isoformat()}/{moved[1].isoformat()}"
        for row_id in list(self.rebuilt):
            self.rebuilt[row_id] = self._rebuild(self.by_id[row_id])
        return self._read_back(self._assemble())

    def _assemble(self) -> list[tuple[str, list[Origin]]]:
        title = f"統合イノベーション戦略{self.edition.translate(_FULLWIDTH)}（{SAMPLE_LABEL}） "
        out: list[tuple[str, list[Origin]]] = [(title, []), ("", [])]
        starts = {self.by_id[r].line_start: r for r in self.simple}
        i = 1
        while i <= len(self.lines):
            row_id = starts.get(i)
            if row_id is None:
                out.append((self.lines[i - 1], self.origin.get(i, [])))
                i += 1
                continue
            if row_id not in self.removed:
                out += self.rebuilt[row_id]
            for item in self.after.get(row_id, []):
                out += self.inserted[item] if item in self.inserted else self.rebuilt[item]
            i = self.by_id[row_id].line_end + 1
        return out

    def _read_back(self, written: list[tuple[str, list[Origin]]]) -> NextEdition:
        """Parse the new text and express what was done in the ids the parser gives it."""
        text = "\n".join(line for line, _ in written) + ("\n" if self.had_final_newline else "")
        origins = {k + 1: o for k, (_, o) in enumerate(written) if o}
        new = parse_document(text, f"strategy-{self.edition}-sample.txt", _sha(text))
        truth = self.truth
        truth.rows = {m.id: None for m in self.doc.measures}
        truth.actions = {_action_id(m.id, k): None for m in self.doc.measures for k in range(len(m.actions))}
        for m in new.measures:
            tags = [o for o in origins.get(m.marker_line, []) if o[0] in ("row", "new-row")]
            if tags and tags[0][0] == "row":
                truth.rows[tags[0][1]] = m.id
            else:
                truth.new_rows.append(m.id)
                if not tags:
                    truth.lost.append(f"row {m.id} read where no row starts")
            starting: dict[int, list[str]] = {}
            for k, a in enumerate(m.actions):
                starting.setdefault(a.line_start, []).append(_action_id(m.id, k))
            for ln, ids in starting.items():
                tags = [o for o in origins.get(ln, []) if o[0] in ("action", "new-action")]
                for k, bid in enumerate(ids):
                    if k < len(tags) and tags[k][0] == "action":
                        truth.actions[tags[k][1]] = bid
                    else:
                        truth.new_actions.append(bid)
                        if k >= len(tags):
                            truth.lost.append(f"action {bid} read where no action starts")
        dropped_rows = {k.removeprefix("row:") for k, v in self.intended.items() if v == "dropped"}
        for rid, successor in truth.rows.items():
            if successor is None and rid not in dropped_rows:
                truth.lost.append(f"row {rid} not read back")
        for aid, successor in truth.actions.items():
            row = aid.rsplit(".a", 1)[0]
            if successor is None and row not in dropped_rows and f"action:{aid}" not in self.intended:
                truth.lost.append(f"action {aid} not read back")
        successors = {**truth.rows, **truth.actions}
        truth.changes = {k: sorted(set(v)) for k, v in truth.changes.items() if v and successors.get(k)}
        truth.owners = {k: v for k, v in truth.owners.items() if successors.get(k)}
        for key, value in self.intended.items():
            if key.startswith("slip:") and successors.get(key[5:]):
                old, due = (date.fromisoformat(x) for x in value.split("/"))
                truth.slips.append(Slip(key[5:], successors[key[5:]] or "", old, due))
        return NextEdition(self.edition, self.previous, self.seed, text, truth)


def next_edition(text: str | None = None, seed: int = 1, rates: Rates | None = None) -> NextEdition:
    """A synthetic edition following ``text`` (default: the bundled 2023 strategy), with the
    ground truth of what changed; the same ``seed`` gives the same text."""
    source = text if text is not None else read_source(None).text
    return _Generator(source, seed, rates or Rates()).run()
