"""The secretariat's follow-up sheet (Excel or CSV, UTF-8 or CP932): one progress report a row.

Columns (English or Japanese): action_id (取組ID), status (状況), note (実施状況), as_of (時点) and,
optionally, evidence_url (根拠URL). Status may be written in Japanese (未着手, 実施中, 完了, 遅延, 中止).
Every row is checked first, the importer's scope included, then all rows are written in one
transaction, or none. A row that repeats an action's current report changes nothing, so
importing the same sheet again writes nothing. A row whose report cells (status, note, as_of,
evidence_url) are all empty is skipped: the sheet ``ebpm report followup`` writes lists every
action, and a ministry fills in only some. A cell that ebpm's writers neutralised (``'=…``)
reads back as the text they were given.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from ebpm.accounts.principal import Principal
from ebpm.audit import log as audit
from ebpm.errors import InvalidInputError, StaleVersionError
from ebpm.export.tables import restore
from ebpm.progress.reports import STATUS_LABELS, ReportIn, check_report
from ebpm.progress.service import ProgressService
from ebpm.sources.digest import sha256
from ebpm.sources.tabular import ReadError, read_table
from ebpm.store.staging import MAX_ERRORS, conflicts, duplicates, stage, staging_transaction, temp

HEADERS = {
    "action_id": ("action_id", "取組id", "id"),
    "status": ("status", "状況", "ステータス"),
    "note": ("note", "実施状況", "備考"),
    "as_of": ("as_of", "時点", "基準日"),
    "evidence_url": ("evidence_url", "根拠url", "url"),
}
REQUIRED = ("action_id", "status", "as_of")
REPORT_CELLS = ("status", "note", "as_of", "evidence_url")
FROM_LABEL = {label: status for status, label in STATUS_LABELS.items()}


class SheetImportError(ValueError):
    """Rows of a follow-up sheet that cannot be imported; nothing was written."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("\n".join(errors))
        self.errors = errors


@dataclass
class SheetResult:
    file: str
    rows: int = 0
    written: int = 0
    unchanged: int = 0
    duplicates: int = 0  # rows that repeat an earlier row exactly (counted once)
    skipped: int = 0  # rows with no report filled in
    dry_run: bool = False
    actions: list[str] = field(default_factory=list)


def _columns(path: Path, header: list[str]) -> dict[str, int]:
    names = [h.strip().lstrip("\ufeff").lower() for h in header]
    index: dict[str, int] = {}
    for name, aliases in HEADERS.items():
        for k, h in enumerate(names):
            if h in aliases:
                index[name] = k
                break
    missing = [c for c in REQUIRED if c not in index]
    if missing:
        raise ReadError(
            f"{path}: line 1: missing column(s) {', '.join(missing)}; "
            "the columns are action_id, status, note, as_of and evidence_url "
            "(or 取組ID, 状況, 実施状況, 時点, 根拠URL)"
        )
    return index


KEY = ("action_id",)
CONTENT = ("status", "note", "evidence_url", "as_of")
STAGED = ("action_id TEXT", "status TEXT", "note TEXT", "evidence_url TEXT", "as_of TEXT", "line INTEGER")


def _unchanged(current: dict[str, object] | None, data: ReportIn) -> bool:
    return current is not None and _same(current, data)


def _outside(action_id: str, owners: Sequence[str], principal: Principal) -> str:
    return f"{action_id} is owned by {'、'.join(owners)}; {principal.name} may not report on it"


def import_sheet(
    service: ProgressService,
    principal: Principal,
    path: Path,
    *,
    dry_run: bool = False,
    ip: str | None = None,
    today: date | None = None,
) -> SheetResult:
    """Check every row (the user's scope included) through the one staging path of the store's
    imports, then write a report for each row that differs from its action's current one: all
    in one transaction, or nothing (also on a dry run)."""
    header, rows = read_table(path)
    index = _columns(path, header)
    day = today or date.today()
    result = SheetResult(str(path), dry_run=dry_run)
    # a sheet exported for every ministry comes back with other ministries' reports as they were:
    # those rows change nothing, so they are no write outside the importer's scope (checked again
    # inside the transaction, where a report changed meanwhile makes such a row a write)
    before = service.current()

    def check(item: tuple[int, list[str]]) -> tuple[object, ...]:
        line, cells = item
        raw = {name: restore(cells[k].strip()) if k < len(cells) else "" for name, k in index.items()}
        raw["status"] = FROM_LABEL.get(raw["status"], raw["status"])
        try:
            action = service.action(raw["action_id"])
        except LookupError as exc:
            raise InvalidInputError("action_id", str(exc)) from None
        data = check_report(raw, day)
        if not principal.can_write_for(action.owners) and not _unchanged(before.get(action.id), data):
            raise InvalidInputError("action_id", _outside(action.id, action.owners, principal))
        return (action.id, data.status, data.note, data.evidence_url, data.as_of.isoformat(), line)

    def filled(cells: list[str]) -> bool:
        if any(cells[index[c]].strip() for c in REPORT_CELLS if c in index and index[c] < len(cells)):
            return True
        result.skipped += 1
        return False

    with staging_transaction(service.store, dry_run) as conn:
        staged = stage(
            conn,
            "progress_sheet",
            STAGED,
            ((n, (n, c)) for n, c in rows if filled(c)),
            check,
            path.name,
            key=KEY,
            values=CONTENT,
        )
        result.rows = staged.rows
        if staged.rows == 0 and result.skipped:
            staged.errors = [f"{path.name}: no report filled in ({result.skipped:,} rows without a status)"]
        errors = staged.errors or [
            f"{path.name}: lines {c.first} and {c.second}: action {c.key[0]} is given different reports; "
            "keep one"
            for c in conflicts(conn, "progress_sheet", KEY)
        ]
        if errors:
            if any("may not report" in e for e in errors):
                audit.record(
                    service.store,
                    actor=principal.name,
                    action="progress.import",
                    outcome="denied",
                    target=path.name,
                    ip=ip,
                    after={"errors": errors[:MAX_ERRORS]},
                )
            raise SheetImportError(errors)
        result.duplicates = duplicates(conn, "progress_sheet")
        # a write first: it takes the lock (SQLite's, or the audit head's row on PostgreSQL) before
        # the versions are read, so no other writer slips in between (see audit.lock)
        audit.lock(conn)
        current = service.current(conn)
        query = f"SELECT {', '.join(KEY + CONTENT)}, line FROM {temp(conn, 'progress_sheet')} ORDER BY line"
        try:
            for action_id, status, note, url, as_of, _line in conn.exec_driver_sql(query).all():
                data = ReportIn(status, note or "", url, date.fromisoformat(as_of))
                now_ = current.get(action_id)
                if now_ is not None and _same(now_, data):
                    result.unchanged += 1
                    continue
                owners = service.action(action_id).owners
                if not principal.can_write_for(owners):  # its report changed since the check
                    raise SheetImportError(
                        [f"{path.name}: action_id: {_outside(action_id, owners, principal)}"]
                    )
                version = int(now_["state_version"]) if now_ else 0
                service._write(conn, principal.name, action_id, version, data, ip)
                result.written += 1
                result.actions.append(action_id)
        except StaleVersionError:
            raise SheetImportError(
                [
                    f"{path.name}: a report was written on one of its actions meanwhile; "
                    "nothing was imported, import it again"
                ]
            ) from None
        if result.written:
            summary = {
                "sha256": sha256(path),
                "rows": result.rows,
                "written": result.written,
                "unchanged": result.unchanged,
            }
            audit.append(
                conn,
                actor=principal.name,
                action="progress.import",
                outcome="ok",
                target=path.name,
                ip=ip,
                after=summary,
            )
        conn.exec_driver_sql(f"DROP TABLE {temp(conn, 'progress_sheet')}")
    return result


def _same(current: dict[str, object], data: ReportIn) -> bool:
    """The row repeats the action's current report: importing it again writes nothing."""
    return (current["status"], current["note"], current["evidence_url"], current["as_of"]) == (
        data.status,
        data.note,
        data.evidence_url,
        data.as_of.isoformat(),
    )
