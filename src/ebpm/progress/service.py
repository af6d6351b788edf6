"""Progress reports: written with optimistic concurrency, never overwritten, reviewed by the
secretariat, every write in the audit log in the same transaction.

Each action's report state has a ``version`` (0 before its first report). A write names the
version it read; the state row is moved from that version to the next in one conditional
statement, which only one of several racing writers can do (SQLite's write lock, PostgreSQL's
row lock). The others get :class:`StaleVersionError` with the state now, and their attempt is
kept only as a rejected entry in the audit log. A review moves the version too, so a ministry
never overwrites a report it has not seen returned.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlalchemy import Connection, Engine, insert, select, text, update

from ebpm.accounts.principal import Principal
from ebpm.audit import log as audit
from ebpm.errors import InvalidInputError, NotAllowedError, NotFoundError, StaleVersionError
from ebpm.model import Document
from ebpm.progress.actions import ActionRef, action_index, action_json
from ebpm.progress.reports import CLOSED, DECISIONS, MAX_NOTE, STATUSES, ReportIn, check_report, check_version
from ebpm.store.follow_tables import progress_reports, progress_reviews, progress_state
from ebpm.store.monitoring import now

Json = dict[str, Any]


class ProgressService:
    def __init__(
        self,
        doc: Document,
        store: Engine,
        actions: dict[str, ActionRef] | None = None,
        carried: dict[str, str] | None = None,
    ) -> None:
        """``carried``: for an edition other than the one the store's reports were filed against,
        each of this edition's actions that continues one of that edition (its lineage), with the
        id the store knows it by; its reports are seen from here. Nothing is written from here."""
        self.store = store
        self.actions = action_index(doc) if actions is None else actions
        self.carried = carried

    def stored_id(self, action_id: str) -> str:
        """The id the store keeps ``action_id``'s reports under ("" for none)."""
        return action_id if self.carried is None else self.carried.get(action_id, "")

    def _writable(self, action_id: str) -> None:
        if self.carried is not None:
            raise InvalidInputError(
                "action_id",
                f"{action_id}: progress is reported on the edition the follow-up follows, "
                "not on this one; its reports are shown here through the action's lineage",
            )

    # ---- reads -------------------------------------------------------------------------------

    def action(self, action_id: str) -> ActionRef:
        found = self.actions.get(action_id)
        if found is None:
            raise NotFoundError(
                f"no action {action_id!r}; action ids look like 2.2.1.m3.a1 (GET /api/actions)"
            )
        return found

    def state(self, action_id: str) -> Json:
        """One action's progress: its version, the current report with its latest review, the history."""
        action = self.action(action_id)
        stored = self.stored_id(action_id)
        with self.store.connect() as conn:
            version = conn.execute(
                select(progress_state.c.version).where(progress_state.c.action_id == stored)
            ).scalar()
            rows = conn.execute(
                select(progress_reports)
                .where(progress_reports.c.action_id == stored)
                .order_by(progress_reports.c.id.desc())
            ).all()
            reviews = _reviews(conn, [r.id for r in rows])
        history = [_report_json(r, reviews.get(r.id)) for r in rows]
        current = next((h for h in history if h["superseded_at"] is None), None)
        return {
            "action": action_json(action),
            "version": int(version or 0),
            "report": current,
            "history": history,
        }

    def current(self, conn: Connection | None = None) -> dict[str, Json]:
        """Every action's current report (with its latest review and the state's version), by
        action id; read on ``conn`` when given (inside a writer's transaction)."""
        if conn is None:
            with self.store.connect() as own:
                return self.current(own)
        rows = conn.execute(
            select(progress_reports, progress_state.c.version.label("state_version")).join(
                progress_state, progress_state.c.report_id == progress_reports.c.id
            )
        ).all()
        reviews = _reviews(conn, [r.id for r in rows])
        found = {
            r.action_id: {**_report_json(r, reviews.get(r.id)), "state_version": r.state_version}
            for r in rows
        }
        if self.carried is None:
            return found
        # seen from a later edition: each report under the id of the action that continues its own
        return {
            mine: {**found[theirs], "carried_from": theirs}
            for mine, theirs in self.carried.items()
            if theirs in found
        }

    def listing(
        self,
        ministry: str | None = None,
        status: str | None = None,
        overdue_as_of: date | None = None,
        section: str | None = None,
        current: dict[str, Json] | None = None,
    ) -> list[Json]:
        """Actions with their current status: ``status`` is a report status or ``none`` (no report
        yet); ``overdue_as_of`` keeps actions due before that day that are not done or cancelled.
        Due and overdue first, then by due date."""
        if status is not None and status not in (*STATUSES, "none"):
            raise InvalidInputError("status", f"{status!r}: use one of {', '.join(STATUSES)} or none")
        current = self.current() if current is None else current
        today = overdue_as_of or date.today()
        out = []
        for action in self.actions.values():
            if ministry is not None and ministry not in action.owners:
                continue
            if section is not None and not (
                action.section == section or action.section.startswith(section + ".")
            ):
                continue
            report = current.get(action.id)
            now_status = report["status"] if report else "none"
            if status is not None and now_status != status:
                continue
            overdue = action.due is not None and action.due < today and now_status not in CLOSED
            if overdue_as_of is not None and not overdue:
                continue
            out.append(
                {
                    **action_json(action),
                    "status": now_status,
                    "overdue": overdue,
                    "version": report["state_version"] if report else 0,
                    "report": report,
                }
            )
        out.sort(key=lambda r: (not r["overdue"], r["due"] is None, r["due"] or "", r["id"]))
        return out

    def coverage(self, as_of: date | None = None) -> Json:
        """Per ministry and per section: actions, how many have a current report, the statuses."""
        current = self.current()
        today = as_of or date.today()
        by_ministry: dict[str, Counter[str]] = defaultdict(Counter)
        by_section: dict[str, Counter[str]] = defaultdict(Counter)
        for action in self.actions.values():
            report = current.get(action.id)
            status = report["status"] if report else "none"
            overdue = action.due is not None and action.due < today and status not in CLOSED
            section = ".".join(action.section.split(".")[:2])
            for bucket in [by_ministry[o] for o in action.owners] + [by_section[section]]:
                bucket["actions"] += 1
                bucket["reported"] += report is not None
                bucket[status] += 1
                bucket["overdue"] += overdue

        def rows(groups: dict[str, Counter[str]], key: str) -> list[Json]:
            return [
                {
                    key: name,
                    "actions": c["actions"],
                    "reported": c["reported"],
                    "coverage": round(c["reported"] / c["actions"], 4) if c["actions"] else 0.0,
                    "overdue": c["overdue"],
                    "statuses": {s: c[s] for s in (*STATUSES, "none")},
                }
                for name, c in sorted(groups.items())
            ]

        return {
            "as_of": today.isoformat(),
            "by_ministry": rows(by_ministry, "ministry"),
            "by_section": rows(by_section, "section"),
        }

    def review_queue(self) -> list[Json]:
        """Current reports the secretariat has not reviewed yet, oldest first."""
        current = self.current()
        queue = [
            {**action_json(self.actions[a]), "report": r}
            for a, r in current.items()
            if r["review"] is None and a in self.actions
        ]
        return sorted(queue, key=lambda q: q["report"]["created_at"])

    def returned(self, principal: Principal, current: dict[str, Json] | None = None) -> list[Json]:
        """Current reports returned by the secretariat on actions ``principal`` may report on
        (``current``: :meth:`current`, when the caller has read it already)."""
        current = self.current() if current is None else current
        return [
            {**action_json(self.actions[a]), "report": r, "version": r["state_version"]}
            for a, r in sorted(current.items())
            if a in self.actions
            and r["review"] is not None
            and r["review"]["decision"] == "returned"
            and principal.can_write_for(self.actions[a].owners)
        ]

    # ---- writes ------------------------------------------------------------------------------

    def authorise(self, principal: Principal, action: ActionRef, what: str, ip: str | None) -> None:
        """Refuse, and audit the refusal, a write ``principal`` may not make on ``action``."""
        if principal.can_write_for(action.owners):
            return
        audit.record(
            self.store,
            actor=principal.name,
            action=what,
            outcome="denied",
            target=action.id,
            ip=ip,
            after={"role": principal.role, "ministries": sorted(principal.ministries)},
        )
        owners = "、".join(action.owners) or "none"
        if principal.role == "editor":
            mine = "、".join(sorted(principal.ministries))
            raise NotAllowedError(
                f"{principal.name} reports for {mine}; action {action.id} is owned by {owners}"
            )
        raise NotAllowedError(f"{principal.name} is a {principal.role} and may not write progress reports")

    def report(
        self,
        principal: Principal,
        action_id: str,
        version: object,
        raw: dict[str, object],
        ip: str | None = None,
        today: date | None = None,
    ) -> Json:
        """Write a report on top of ``version``; the new state, or StaleVersionError (409)."""
        action = self.action(action_id)
        self._writable(action_id)
        self.authorise(principal, action, "progress.report", ip)
        read = check_version(version)
        data = check_report(raw, today or date.today())
        try:
            with self.store.begin() as conn:
                self._write(conn, principal.name, action.id, read, data, ip)
        except StaleVersionError:
            current = self.state(action.id)
            audit.record(
                self.store,
                actor=principal.name,
                action="progress.report",
                outcome="conflict",
                target=action.id,
                ip=ip,
                before={"version": current["version"]},
                after={"version": read, **_data_json(data)},
            )
            raise StaleVersionError(
                f"action {action.id} is at version {current['version']}, not {read}: someone reported "
                "in between; read it again and resend",
                current,
            ) from None
        return self.state(action.id)

    def _write(
        self, conn: Connection, author: str, action_id: str, read: int, data: ReportIn, ip: str | None
    ) -> int:
        """Move the state from ``read`` to the next version and add the report; raises
        StaleVersionError (the caller's transaction rolls back) when ``read`` is not current."""
        audit.lock(conn)  # first, as every writer of the follow-up does: no two wait for each other
        if read == 0:
            moved = conn.execute(
                text(
                    "INSERT INTO progress_state (action_id, version) VALUES (:a, 1) "
                    "ON CONFLICT (action_id) DO NOTHING"
                ),
                {"a": action_id},
            ).rowcount
        else:
            moved = conn.execute(
                update(progress_state)
                .where(progress_state.c.action_id == action_id, progress_state.c.version == read)
                .values(version=progress_state.c.version + 1)
            ).rowcount
        if moved != 1:
            raise StaleVersionError("stale", {})
        previous = conn.execute(
            select(progress_reports)
            .join(progress_state, progress_state.c.report_id == progress_reports.c.id)
            .where(progress_state.c.action_id == action_id)
        ).one_or_none()
        stamp = now()
        report_id = int(
            conn.execute(
                insert(progress_reports).values(
                    action_id=action_id,
                    version=read + 1,
                    status=data.status,
                    note=data.note,
                    evidence_url=data.evidence_url,
                    as_of=data.as_of.isoformat(),
                    author=author,
                    created_at=stamp,
                )
            ).inserted_primary_key[0]  # type: ignore[index]
        )
        if previous is not None:
            conn.execute(
                update(progress_reports)
                .where(progress_reports.c.id == previous.id)
                .values(superseded_at=stamp, superseded_by=report_id)
            )
        conn.execute(
            update(progress_state).where(progress_state.c.action_id == action_id).values(report_id=report_id)
        )
        audit.append(
            conn,
            actor=author,
            action="progress.report",
            outcome="ok",
            target=action_id,
            ip=ip,
            before=None
            if previous is None
            else {"report_id": previous.id, "status": previous.status, "version": read},
            after={"report_id": report_id, "version": read + 1, **_data_json(data)},
        )
        return report_id

    def review(
        self, principal: Principal, report_id: int, decision: str, comment: str, ip: str | None = None
    ) -> Json:
        """The secretariat accepts or returns the current report of an action (admins only)."""
        with self.store.connect() as conn:
            row = conn.execute(
                select(progress_reports).where(progress_reports.c.id == report_id)
            ).one_or_none()
        if row is None:
            raise NotFoundError(f"no progress report {report_id}")
        action = self.action(row.action_id)
        if not principal.is_admin:
            audit.record(
                self.store,
                actor=principal.name,
                action="progress.review",
                outcome="denied",
                target=action.id,
                ip=ip,
                after={"report_id": report_id},
            )
            raise NotAllowedError("only the secretariat (admin) reviews progress reports")
        if decision not in DECISIONS:
            raise InvalidInputError("decision", f"{decision!r}: use accepted or returned")
        comment = comment or ""
        if len(comment) > MAX_NOTE:
            raise InvalidInputError("comment", f"{len(comment)} characters; at most {MAX_NOTE}")
        if decision == "returned" and not comment.strip():
            raise InvalidInputError("comment", "say why the report is returned")
        with self.store.begin() as conn:
            audit.lock(conn)
            # only the current report is reviewed; moving the version tells its ministry
            moved = conn.execute(
                update(progress_state)
                .where(progress_state.c.action_id == action.id, progress_state.c.report_id == report_id)
                .values(version=progress_state.c.version + 1)
            ).rowcount
            if moved != 1:
                raise StaleVersionError(
                    f"report {report_id} is no longer the current report of {action.id}",
                    self.state(action.id),
                )
            conn.execute(
                insert(progress_reviews).values(
                    report_id=report_id,
                    decision=decision,
                    comment=comment,
                    reviewer=principal.name,
                    created_at=now(),
                )
            )
            audit.append(
                conn,
                actor=principal.name,
                action="progress.review",
                outcome="ok",
                target=action.id,
                ip=ip,
                after={"report_id": report_id, "decision": decision, "comment": comment},
            )
        return self.state(action.id)


def _data_json(data: ReportIn) -> Json:
    return {
        "status": data.status,
        "note": data.note,
        "evidence_url": data.evidence_url,
        "as_of": data.as_of.isoformat(),
    }


def _reviews(conn: Connection, report_ids: Iterable[int]) -> dict[int, Json]:
    """The latest review of each report."""
    ids = list(report_ids)
    out: dict[int, Json] = {}
    for chunk in (ids[i : i + 500] for i in range(0, len(ids), 500)):
        for r in conn.execute(
            select(progress_reviews)
            .where(progress_reviews.c.report_id.in_(chunk))
            .order_by(progress_reviews.c.id)
        ):
            out[r.report_id] = {
                "decision": r.decision,
                "comment": r.comment,
                "reviewer": r.reviewer,
                "created_at": r.created_at,
            }
    return out


def _report_json(row: Any, review: Json | None) -> Json:
    return {
        "id": row.id,
        "action_id": row.action_id,
        "version": row.version,
        "status": row.status,
        "note": row.note,
        "evidence_url": row.evidence_url,
        "as_of": row.as_of,
        "author": row.author,
        "created_at": row.created_at,
        "superseded_at": row.superseded_at,
        "review": review,
    }
