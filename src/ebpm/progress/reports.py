"""What a progress report may contain: each field checked, each refusal naming its field."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from urllib.parse import urlsplit

from ebpm.errors import InvalidInputError

STATUSES = ("not_started", "in_progress", "done", "delayed", "cancelled")
STATUS_LABELS = {
    "not_started": "未着手",
    "in_progress": "実施中",
    "done": "完了",
    "delayed": "遅延",
    "cancelled": "中止",
}
DECISIONS = ("accepted", "returned")
MAX_NOTE = 4000
MAX_URL = 2000
# finished work needs no more reports; anything else past its due date is overdue
CLOSED = ("done", "cancelled")


@dataclass(frozen=True, slots=True)
class ReportIn:
    status: str
    note: str
    evidence_url: str | None
    as_of: date


def check_report(raw: Mapping[str, object], today: date) -> ReportIn:
    """A report from user input (JSON, a form, a sheet row); InvalidInputError names the field."""
    status = str(raw.get("status") or "").strip()
    if status not in STATUSES:
        raise InvalidInputError("status", f"{status!r} is not a status; use one of {', '.join(STATUSES)}")
    note = raw.get("note")
    note = "" if note is None else str(note)
    if len(note) > MAX_NOTE:
        raise InvalidInputError("note", f"{len(note)} characters; at most {MAX_NOTE}")
    if "\x00" in note:
        raise InvalidInputError("note", "contains a NUL character")
    return ReportIn(status, note, check_url(raw.get("evidence_url")), check_as_of(raw.get("as_of"), today))


def check_url(raw: object) -> str | None:
    """An evidence link: absolute http or https with a host, or nothing (``javascript:`` and other
    schemes would run or leak when the link is followed)."""
    if raw is None or str(raw).strip() == "":
        return None
    url = str(raw).strip()
    if len(url) > MAX_URL:
        raise InvalidInputError("evidence_url", f"{len(url)} characters; at most {MAX_URL}")
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname or re.search(r"\s", url):
        raise InvalidInputError(
            "evidence_url", f"{url!r}: give an http(s) address, e.g. https://www.mext.go.jp/…"
        )
    return url


def check_as_of(raw: object, today: date) -> date:
    """The day the report describes: YYYY-MM-DD, not after ``today`` (a report cannot describe
    the future)."""
    if isinstance(raw, date):
        day = raw
    else:
        text = "" if raw is None else str(raw).strip()
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            raise InvalidInputError("as_of", f"{text!r}: write the date as YYYY-MM-DD, e.g. 2025-03-31")
        try:
            day = date.fromisoformat(text)
        except ValueError as exc:
            raise InvalidInputError("as_of", f"{text!r}: {exc}") from None
    if day > today:
        raise InvalidInputError("as_of", f"{day.isoformat()} is after today ({today.isoformat()})")
    return day


def check_version(raw: object) -> int:
    """The version of the action's progress the writer read: 0 when it had no report yet."""
    if raw is None or str(raw).strip() == "":
        raise InvalidInputError(
            "version",
            "send the version you read (If-Match header or a version field); 0 if there was no report",
        )
    text = str(raw).strip().strip('"').removeprefix('W/"').strip('"')
    if not text.isdigit() or len(text) > 9:
        raise InvalidInputError("version", f"{raw!r} is not a version number")
    return int(text)
