"""The follow-up pages: log in and out, a ministry's to-do list with a report form on each action,
and the secretariat's dashboard with the review queue. Forms work without JavaScript.

These pages show one user's work, so they are never in the shared page cache and are sent with
``Cache-Control: no-store``. Every form post carries the session's CSRF token; the login form,
posted before there is a session, carries a token of its own from a short-lived cookie. A refused
report is shown again with what the user typed, so nothing typed is lost.
"""

from __future__ import annotations

import json
import re
import secrets
import shutil
import tempfile
from pathlib import Path as FilePath
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, File, Form, HTTPException, Path, Query, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from ebpm.accounts import service as accounts
from ebpm.accounts.principal import Principal
from ebpm.errors import (
    AccountError,
    InvalidInputError,
    LoginFailed,
    LoginLocked,
    NotAllowedError,
    StaleVersionError,
)
from ebpm.progress.actions import action_json
from ebpm.progress.reports import MAX_NOTE, STATUS_LABELS, STATUSES
from ebpm.progress.service import ProgressService
from ebpm.progress.sheet import SheetImportError, import_sheet
from ebpm.sources.tabular import ReadError
from ebpm.web import i18n
from ebpm.web.auth import SESSION_COOKIE, check_writer, client_ip, identify
from ebpm.web.deps import BudgetDep, KnowledgeDep, ProgressDep, budget_owners, check_budget_reviewer
from ebpm.web.render import Glossary, templates

router = APIRouter(include_in_schema=False)
LOGIN_COOKIE = "ebpm_login"  # the login form's own CSRF token, before any session exists
SESSION_SECONDS = 8 * 3600
PAGE_SIZE = 50
Text = Annotated[str, Form(max_length=MAX_NOTE + 100)]


def _secure(request: Request) -> bool:
    # behind a TLS proxy, uvicorn's --proxy-headers makes the scheme https here
    return request.url.scheme == "https"


def private(response: Response) -> Response:
    response.headers["cache-control"] = "no-store"
    return response


def html(
    request: Request,
    k: Any,
    template: str,
    data: dict[str, Any],
    status: int = 200,
    json_url: str | None = None,
) -> Response:
    context = {
        "request": request,
        "data": data,
        "gloss": k.derived("glossary", lambda k_: Glossary(k_.doc.glossary)) if k is not None else None,
        "json_url": json_url,
    }
    return private(templates.TemplateResponse(request, template, context, status_code=status))


def json_response(data: dict[str, Any], status: int = 200) -> Response:
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return private(Response(body, status_code=status, media_type="application/json"))


def twin(request: Request, k: Any, template: str, data: dict[str, Any]) -> Response:
    """The page, or at ``….json`` its data (the session's CSRF token left out)."""
    if request.url.path.endswith(".json"):
        return json_response({key: v for key, v in data.items() if key != "csrf"})
    return html(request, k, template, data)


def _next(raw: str | None) -> str:
    """Where to go after logging in: only a path of this site (never //evil.example)."""
    if raw and raw.startswith("/") and not raw.startswith("//") and "\\" not in raw:
        return raw
    return "/follow-up"


# ---- login and logout --------------------------------------------------------------------------


@router.get("/login")
def login_form(request: Request, next: Annotated[str | None, Query(max_length=200)] = None) -> Response:
    setup = not accounts.users_exist(request.app.state.monitoring)  # a new install: say how to begin
    return _login_page(request, next, "", None, 200, setup)


def _login_page(
    request: Request, next: str | None, name: str, error: str | None, status: int, setup: bool = False
) -> Response:
    """The login form with a fresh token of its own, also kept in a short-lived cookie."""
    token = secrets.token_urlsafe(24)
    data = {"next": _next(next), "csrf": token, "error": error, "name": name, "setup": setup}
    response = html(request, None, "login.html", data, status)
    response.set_cookie(
        LOGIN_COOKIE, token, max_age=600, httponly=True, samesite="strict", secure=_secure(request)
    )
    return response


@router.post("/login")
def login(
    request: Request,
    name: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=1024)],
    csrf: Annotated[str, Form(max_length=100)],
    next: Annotated[str, Form(max_length=200)] = "/follow-up",
) -> Response:
    _ = i18n.gettext_for(request)
    expected = request.cookies.get(LOGIN_COOKIE, "")
    error: str | None = None
    status = 401
    if not expected or not secrets.compare_digest(expected.encode(), csrf.encode()):
        error, status = _("フォームの有効期限が切れました。もう一度ログインしてください"), 403
    else:
        try:
            cookie, _csrf = accounts.login(
                request.app.state.monitoring, name, password, ip=client_ip(request)
            )
        except LoginLocked as exc:
            error = _("ログインの失敗が続いたため、%(until)s (UTC) までロックされています", until=exc.until)
        except LoginFailed:
            error = _("名前またはパスワードが違います")
        else:
            redirect = RedirectResponse(_next(next), status_code=303)
            redirect.set_cookie(
                SESSION_COOKIE,
                cookie,
                max_age=SESSION_SECONDS,
                httponly=True,
                samesite="strict",
                secure=_secure(request),
                path="/",
            )
            redirect.delete_cookie(LOGIN_COOKIE)
            return private(redirect)
    return _login_page(request, next, name, error, status)


@router.post("/logout")
def logout(request: Request, csrf: Annotated[str, Form(max_length=100)] = "") -> Response:
    identity = identify(request)
    if identity is not None and identity.csrf is not None:
        if not secrets.compare_digest(csrf.encode(), identity.csrf.encode()):
            raise HTTPException(
                403, "the form is out of date (CSRF check failed): reload the page and try again"
            )
        accounts.logout(
            request.app.state.monitoring, request.cookies.get(SESSION_COOKIE, ""), ip=client_ip(request)
        )
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return private(response)


# ---- a ministry's to-do list ------------------------------------------------------------------------


def _home_data(
    progress: ProgressService, who: Principal, csrf: str | None, filters: dict[str, Any]
) -> dict[str, Any]:
    mine = who.ministries if not who.is_admin else None
    current = progress.current()
    rows = [
        r
        for r in progress.listing(
            status=filters["status"] or None, section=filters["section"] or None, current=current
        )
        if mine is None or not mine.isdisjoint(r["ministries"])
    ]
    if filters["overdue"]:
        rows = [r for r in rows if r["overdue"]]
    start = (filters["page"] - 1) * PAGE_SIZE
    return {
        "user": {"name": who.name, "role": who.role, "ministries": sorted(who.ministries)},
        "csrf": csrf,
        "filters": filters,
        "total": len(rows),
        "overdue": sum(1 for r in rows if r["overdue"]),
        "pages": max(1, -(-len(rows) // PAGE_SIZE)),
        "actions": rows[start : start + PAGE_SIZE],
        "returned": progress.returned(who, current),
        "statuses": [{"value": s, "label": STATUS_LABELS[s]} for s in STATUSES],
    }


def login_first(request: Request) -> Response:
    if request.url.path.endswith(".json"):
        return json_response({"detail": "log in first"}, 401)
    return private(RedirectResponse(f"/login?next={quote(request.url.path)}", status_code=303))


@router.get("/follow-up.json")
@router.get("/follow-up")
def follow_up(
    request: Request,
    k: KnowledgeDep,
    progress: ProgressDep,
    status: Annotated[str | None, Query(max_length=20)] = None,
    section: Annotated[str | None, Query(max_length=40)] = None,
    overdue: Annotated[bool, Query()] = False,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> Response:
    """The logged-in user's actions, due and overdue first, each with a report form."""
    identity = identify(request)
    if identity is None:
        return login_first(request)
    filters = {"status": status or "", "section": section or "", "overdue": overdue, "page": page}
    try:
        data = _home_data(progress, identity.principal, identity.csrf, filters)
    except InvalidInputError as exc:
        raise HTTPException(422, str(exc)) from None
    return twin(request, k, "follow_up.html", data)


@router.post("/follow-up/actions/{action_id}")
def report_form(
    request: Request,
    k: KnowledgeDep,
    progress: ProgressDep,
    action_id: Annotated[str, Path(max_length=60)],
    csrf: Annotated[str, Form(max_length=100)] = "",
    status: Annotated[str, Form(max_length=40)] = "",
    note: Text = "",
    evidence_url: Annotated[str, Form(max_length=2100)] = "",
    as_of: Annotated[str, Form(max_length=20)] = "",
    version: Annotated[str, Form(max_length=12)] = "",
) -> Response:
    """A report from the form; refused, the form comes back with what was typed and why."""
    who = check_writer(request, csrf)
    raw: dict[str, object] = {"status": status, "note": note, "evidence_url": evidence_url, "as_of": as_of}
    try:
        progress.report(who, action_id, version, raw, client_ip(request))
    except (InvalidInputError, StaleVersionError, NotAllowedError) as exc:
        code = (
            422 if isinstance(exc, InvalidInputError) else 409 if isinstance(exc, StaleVersionError) else 403
        )
        data = {
            "action": action_json(progress.action(action_id)),
            "state": progress.state(action_id),
            "typed": raw,
            "error": str(exc),
            "conflict": isinstance(exc, StaleVersionError),
            "csrf": csrf,
            "statuses": [{"value": s, "label": STATUS_LABELS[s]} for s in STATUSES],
        }
        return html(request, k, "follow_up_retry.html", data, code)
    return private(
        RedirectResponse(f"/follow-up?saved={quote(action_id)}#a-{quote(action_id)}", status_code=303)
    )


# ---- the secretariat ------------------------------------------------------------------------------


@router.get("/follow-up/secretariat.json")
@router.get("/follow-up/secretariat")
def secretariat(request: Request, k: KnowledgeDep, progress: ProgressDep) -> Response:
    """Report coverage per ministry, statuses per section, and the review queue (admins)."""
    identity = identify(request)
    if identity is None:
        return login_first(request)
    if not identity.principal.is_admin:
        raise HTTPException(403, "the secretariat's dashboard is for admins")
    data = {
        "user": {"name": identity.principal.name, "role": identity.principal.role},
        "csrf": identity.csrf,
        "coverage": progress.coverage(),
        "queue": progress.review_queue(),
        "status_labels": STATUS_LABELS,
        "statuses": list(STATUSES),
    }
    return twin(request, k, "secretariat.html", data)


@router.post("/follow-up/reports/{report_id}/review")
def review_form(
    request: Request,
    progress: ProgressDep,
    report_id: Annotated[int, Path(ge=1, le=2**62)],
    csrf: Annotated[str, Form(max_length=100)] = "",
    decision: Annotated[str, Form(max_length=20)] = "",
    comment: Text = "",
) -> Response:
    who = check_writer(request, csrf)
    try:
        progress.review(who, report_id, decision, comment, client_ip(request))
    except InvalidInputError as exc:
        raise HTTPException(422, str(exc)) from None
    except NotAllowedError as exc:
        raise HTTPException(403, str(exc)) from None
    return private(RedirectResponse("/follow-up/secretariat#queue", status_code=303))


# ---- the follow-up sheet, uploaded -------------------------------------------------------------


def upload_name(filename: str | None, default: str) -> str:
    """A safe name for an uploaded file (it names the file on disk and in messages): its base
    name, with characters other than letters, digits, . _ - replaced; ``default`` if none is left."""
    base = re.split(r"[\\/]", filename or "")[-1]
    name = re.sub(r"[^\w.\-]", "_", base)[:100].lstrip(".")
    return name or default


@router.post("/follow-up/import")
def import_form(
    request: Request,
    k: KnowledgeDep,
    progress: ProgressDep,
    sheet: Annotated[UploadFile, File()],
    csrf: Annotated[str, Form(max_length=100)] = "",
    dry_run: Annotated[bool, Form()] = False,
) -> Response:
    """The follow-up sheet from the page: checked as `ebpm progress import` checks it (the
    user's scope row by row), then all rows written or none."""
    who = check_writer(request, csrf)
    name = upload_name(sheet.filename, "sheet.csv")
    data: dict[str, Any] = {"file": name, "dry_run": dry_run, "errors": [], "result": None}
    status = 200
    if FilePath(name).suffix.lower() not in (".csv", ".xlsx", ".xlsm"):
        data["errors"] = [f"{name}: give a .csv (UTF-8 or CP932) or .xlsx file"]
        status = 422
    else:
        with tempfile.TemporaryDirectory(prefix="ebpm-sheet-") as folder:
            path = FilePath(folder) / name
            with path.open("wb") as out:
                shutil.copyfileobj(sheet.file, out)
            try:
                result = import_sheet(progress, who, path, dry_run=dry_run, ip=client_ip(request))
            except SheetImportError as exc:
                data["errors"], status = exc.errors, 422
            except ReadError as exc:
                data["errors"], status = [str(exc).replace(folder + "/", "")], 422
            else:
                data["result"] = {
                    "rows": result.rows,
                    "written": result.written,
                    "unchanged": result.unchanged,
                    "actions": result.actions,
                }
    return html(request, k, "follow_import.html", data, status)


# ---- the user's own password -----------------------------------------------------------------------


@router.get("/account/password")
def password_form(request: Request) -> Response:
    identity = identify(request)
    if identity is None or identity.csrf is None:
        return login_first(request)
    data = {"csrf": identity.csrf, "name": identity.principal.name, "error": None}
    return html(request, None, "password.html", data)


@router.post("/account/password")
def change_password(
    request: Request,
    csrf: Annotated[str, Form(max_length=100)] = "",
    current: Annotated[str, Form(max_length=1024)] = "",
    new: Annotated[str, Form(max_length=1024)] = "",
    confirm: Annotated[str, Form(max_length=1024)] = "",
) -> Response:
    """A logged-in user changes their own password (the current one first); every session of
    theirs ends, so they log in again."""
    identity = identify(request)
    if identity is None or identity.csrf is None:
        return login_first(request)
    # any user, viewers too, may change their own password: the session's CSRF token is the check
    if not secrets.compare_digest(csrf.encode(), identity.csrf.encode()):
        raise HTTPException(403, "the form is out of date (CSRF check failed): reload the page and try again")
    who = identity.principal
    error = None
    if new != confirm:
        _ = i18n.gettext_for(request)
        error = _("新しいパスワードが一致しません")
    else:
        try:
            accounts.set_password(
                request.app.state.monitoring,
                who.name,
                new,
                actor=who.name,
                ip=client_ip(request),
                current=current,
            )
        except AccountError as exc:
            error = str(exc)
    if error is not None:
        data = {"csrf": identity.csrf, "name": who.name, "error": error}
        return html(request, None, "password.html", data, 422)
    response = RedirectResponse("/login?next=/follow-up", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return private(response)


# ---- budget reviews by the project's ministry -----------------------------------------------------


@router.get("/budget/projects/{project_id}/review")
def budget_review_form(
    request: Request, k: KnowledgeDep, views: BudgetDep, project_id: Annotated[str, Path(max_length=80)]
) -> Response:
    """A project's ranked matches with a confirm and a reject button each, and a form to add an
    item: for the project's ministry and the secretariat (the page says so to anyone else)."""
    identity = identify(request)
    if identity is None:
        return login_first(request)
    owners = budget_owners(k, views, project_id)
    data = views.project(project_id) | {
        "csrf": identity.csrf,
        "owners": owners,
        "allowed": identity.principal.can_write_for(owners),
        "user": identity.principal.name,
    }
    return html(request, k, "budget_review.html", data)


@router.post("/budget/projects/{project_id}/review")
def budget_review(
    request: Request,
    k: KnowledgeDep,
    views: BudgetDep,
    project_id: Annotated[str, Path(max_length=80)],
    csrf: Annotated[str, Form(max_length=100)] = "",
    item_id: Annotated[str, Form(max_length=60)] = "",
    decision: Annotated[str, Form(max_length=20)] = "",
    note: Annotated[str, Form(max_length=2000)] = "",
    back: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """Record one decision; back to the review page, or (``back=project``) to the project's page
    whose buttons posted it. Only those two: a redirect never goes where a form says."""
    who = check_writer(request, csrf)
    check_budget_reviewer(request, k, views, who, project_id)
    try:
        views.service.review(
            project_id, item_id.strip(), decision, who.name, note or None, client_ip(request)
        )
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from None
    page = f"/budget/projects/{quote(project_id)}" + ("" if back == "project" else "/review")
    return private(RedirectResponse(f"{page}?saved=1", status_code=303))
