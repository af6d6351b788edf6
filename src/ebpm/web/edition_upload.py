"""A new edition of the strategy from the web: the secretariat uploads its text or PDF, and the
server ingests it in the background as ``ebpm ingest FILE [--edition YEAR]`` would.

The ingest takes seconds to minutes (the sentence vectors of a whole edition, with a cold cache,
about two), longer than a request should wait, so the form starts a job and sends the browser to
its page, which follows the steps and refreshes itself while the job runs (no JavaScript), with a
JSON twin for scripts. One ingest runs at a time per server: two at once would compete for the
machine's cores and could write the same edition's file. The ingest service is atomic: a file it
refuses, or that fails half-way, leaves the knowledge base as it was, and the running server
picks a new edition's file up on the next request (:class:`ebpm.services.knowledge.EditionCaches`).

Admins only: the form and the job pages as the other admin pages (log in first, 403 for others),
the post through :func:`ebpm.web.auth.check_admin_writer` (CSRF, refusals audited). Every ingest
started here is in the audit log (``edition.ingest``) with its outcome, and so are the posts
refused for a bad form or a busy server.
"""

from __future__ import annotations

import logging
import secrets
import shutil
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path as FilePath
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, HTTPException, Path, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import Engine

from ebpm.audit import log as audit
from ebpm.errors import EditionFormatError, InvalidInputError, NotFoundError, VectorError
from ebpm.parser.document import StructureError
from ebpm.services.ingest import Summary, ingest
from ebpm.services.knowledge import EditionCaches, Knowledge
from ebpm.sources.corpus import CorpusError
from ebpm.store import editions
from ebpm.store.knowledge_base import KnowledgeBaseError
from ebpm.web import i18n
from ebpm.web.admin_pages import admin_reader
from ebpm.web.auth import check_admin_writer, client_ip
from ebpm.web.deps import get_knowledge
from ebpm.web.follow_pages import html, json_response, private, upload_name

log = logging.getLogger("ebpm.web")
router = APIRouter(include_in_schema=False)

UPLOAD_PATH = "/editions/add"  # the one route with the larger body limit (ebpm.web.limits)
ACTION = "edition.ingest"  # the audit log's name for it
SUFFIXES = (".txt", ".pdf")  # what `ebpm ingest` reads (a PDF is known by its magic bytes)
REFRESH_SECONDS = 2
KEEP_JOBS = 20  # finished jobs whose pages stay readable; older ones are forgotten
# the errors `ebpm ingest` answers with one line (exit 1): the same are the user's here
USER_ERRORS = (CorpusError, StructureError, EditionFormatError, VectorError)
JobId = Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{8,40}$")]
IngestFn = Callable[..., tuple[Any, Summary]]


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass(slots=True)
class Step:
    name: str  # the ingest's stage: read, footnotes, ministries, headings, sections, index, vectors, store
    detail: str = ""  # "page 3/194", "120/1791"


@dataclass(slots=True)
class IngestJob:
    """One ingest started from the page: what it was asked, the steps so far, how it ended."""

    id: str
    file: str
    actor: str
    edition: str | None  # the year asked for; None: read from the document
    allow_partial: bool
    started: str = field(default_factory=_now)
    state: str = "running"  # running, done (summary), failed (error)
    steps: list[Step] = field(default_factory=list)
    vectors: tuple[int, int] | None = None  # encoded, of how many
    finished: str | None = None
    error: str | None = None
    summary: dict[str, Any] | None = None

    def step(self, name: str) -> None:
        """The ingest's progress callback: a new stage is a new step, a count moves the last one."""
        stage, _, detail = name.partition(": ")
        if self.steps and self.steps[-1].name == stage:
            self.steps[-1].detail = detail
        else:
            self.steps.append(Step(stage, detail))
        if stage == "vectors" and detail:
            done, _, total = detail.partition("/")
            if done.isdecimal() and total.isdecimal():
                self.vectors = (int(done), int(total))

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "file": self.file,
            "actor": self.actor,
            "edition_asked": self.edition,
            "allow_partial": self.allow_partial,
            "state": self.state,
            "started": self.started,
            "finished": self.finished,
            "steps": [{"name": s.name, "detail": s.detail} for s in self.steps],
            "vectors": None if self.vectors is None else {"done": self.vectors[0], "total": self.vectors[1]},
            "error": self.error,
            "summary": self.summary,
        }


class Busy(Exception):
    """Another ingest is running; ``job`` is its id."""

    def __init__(self, job: str) -> None:
        super().__init__(job)
        self.job = job


class IngestJobs:
    """The server's ingest jobs: at most one running, the last :data:`KEEP_JOBS` kept to be read.

    Jobs live in this process's memory: a page refreshed after a restart (or answered by another
    worker process) no longer finds its job, while the knowledge base itself says what was stored.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._jobs: dict[str, IngestJob] = {}
        self._running: str | None = None

    def reserve(self, file: str, actor: str, edition: str | None, allow_partial: bool) -> IngestJob:
        """A new running job, or :class:`Busy` while another runs (taken under the lock, so two
        posts at once never both start)."""
        with self._lock:
            if self._running is not None:
                raise Busy(self._running)
            job = IngestJob(secrets.token_urlsafe(12), file, actor, edition, allow_partial)
            self._jobs[job.id] = job
            self._running = job.id
            for old in list(self._jobs)[:-KEEP_JOBS]:
                if old != job.id:
                    del self._jobs[old]
            return job

    def finish(self, job: IngestJob, summary: dict[str, Any] | None, error: str | None) -> None:
        with self._lock:
            job.summary, job.error = summary, error
            job.state = "failed" if error is not None else "done"
            job.finished = _now()
            if self._running == job.id:
                self._running = None

    def running(self) -> str | None:
        return self._running

    def snapshot(self, job_id: str) -> dict[str, Any]:
        """The job as JSON, read under the lock (the worker thread updates it)."""
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None:
                raise HTTPException(404, f"no ingest job {job_id} on this server (it may have restarted)")
            return job.as_json()

    def step_of(self, job: IngestJob) -> Callable[[str], None]:
        def step(name: str) -> None:
            with self._lock:
                job.step(name)

        return step


def summary_json(summary: Summary, db: FilePath) -> dict[str, Any]:
    """What the job page shows of an ingest's summary (no server paths)."""
    return {
        "edition": summary.edition,
        "kept": summary.kept,
        # why an incomplete or poorly parsed document was kept out, as `ebpm ingest` says it
        "kept_because": ("incomplete" if summary.missing else "poor") if summary.kept else None,
        "counts": summary.counts,
        "verdict": summary.verdict,
        "verdict_reasons": summary.verdict_reasons,
        "missing": summary.missing,
        "warnings": summary.warnings,
        "low_confidence": len(summary.low_confidence),
        "unassigned": len(summary.unassigned),
        "noise_lines": summary.noise_lines,
        "encoding": summary.encoding,
        "vectors": summary.vectors,
        "vectors_encoded": summary.vectors_encoded,
        "editions": editions.Editions.of(db).names(),
    }


def run_job(
    jobs: IngestJobs,
    job: IngestJob,
    source: FilePath,
    db: FilePath,
    store: Engine,
    ip: str | None,
    ingest_fn: IngestFn,
) -> None:
    """Ingest ``source`` into the knowledge base at ``db`` as ``ebpm ingest`` does (vectors on),
    record the outcome in the job and the audit log, and remove the uploaded file's folder."""
    folder = source.parent
    summary: dict[str, Any] | None = None
    error: str | None = None
    outcome = "ok"
    try:
        # the CLI's arguments: no search extras (data written for the 2023 text), vectors on
        _, result = ingest_fn(source, db, jobs.step_of(job), job.allow_partial, False, job.edition, True)
        summary = summary_json(result, db)
    except USER_ERRORS as exc:
        # the messages name the file by its path: the temporary folder is the server's business
        error, outcome = str(exc).replace(f"{folder}/", ""), "invalid"
    except Exception:  # a thread's error would otherwise vanish: the log has it, the page says so
        log.exception("ingest of %s failed", job.file)
        error, outcome = "internal error; the server log has the details", "failed"
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    after: dict[str, Any] = {"error": error}
    if summary is not None:
        after = {
            "edition": summary["edition"],
            "kept": summary["kept"],
            "verdict": summary["verdict"],
            "counts": summary["counts"],
        }
    try:
        audit.record(
            store, actor=job.actor, action=ACTION, outcome=outcome, target=job.file, after=after, ip=ip
        )
    except Exception:  # the job's page must still end; the server log says what the audit lost
        log.exception("could not audit the ingest of %s", job.file)
    jobs.finish(job, summary, error)


# ---- the pages -----------------------------------------------------------------------------------


def _jobs(request: Request) -> IngestJobs:
    found: IngestJobs = request.app.state.edition_jobs
    return found


def _knowledge(request: Request) -> Knowledge | None:
    """The latest edition, for the page's header; None on a server with no knowledge base yet
    (where this page adds the first edition)."""
    try:
        return get_knowledge(request, None)
    except (KnowledgeBaseError, NotFoundError, InvalidInputError, HTTPException):
        # a form answered at another edition's prefix is still answered, with a plain header
        return None


def _form(
    request: Request,
    csrf: str | None,
    error: str | None = None,
    typed: dict[str, Any] | None = None,
    status: int = 200,
) -> Response:
    k = _knowledge(request)
    caches: EditionCaches = request.app.state.cache
    data = {
        "csrf": csrf,
        "editions": caches.editions().names(),
        "running": _jobs(request).running(),
        "error": error,
        "typed": typed or {"edition": "", "allow_partial": False},
    }
    return html(request, k, "edition_add.html", data, status)


@router.get(UPLOAD_PATH)
def add_form(request: Request) -> Response:
    """The upload form (admins): the editions there are, a running ingest linked."""
    found = admin_reader(request)
    if isinstance(found, Response):
        return found
    return _form(request, found[1])


@router.post(UPLOAD_PATH)
def add_edition(
    request: Request,
    file: Annotated[UploadFile | None, File()] = None,
    csrf: Annotated[str, Form(max_length=100)] = "",
    edition: Annotated[str, Form(max_length=20)] = "",
    allow_partial: Annotated[bool, Form()] = False,
) -> Response:
    """Start the ingest of the uploaded file in the background and go to its page; a bad form
    comes back with why (422), a second ingest while one runs is a 409."""
    # the file is optional to FastAPI so that who is asking is checked first: a refused post is
    # audited as a refusal, not answered as a form without its file
    who = check_admin_writer(request, csrf)
    _ = i18n.gettext_for(request)
    name = upload_name(file.filename if file is not None else None, "strategy.txt")
    typed = {"edition": edition, "allow_partial": allow_partial}
    store: Engine = request.app.state.monitoring
    ip = client_ip(request)

    def refused(message: str, status: int, outcome: str) -> Response:
        after = {"reason": message, "edition": edition or None}
        audit.record(store, actor=who.name, action=ACTION, outcome=outcome, target=name, after=after, ip=ip)
        return _form(request, csrf, message, typed, status)

    if file is None or not file.filename:
        return refused(_("ファイルを選んでください"), 422, "invalid")
    if FilePath(name).suffix.lower() not in SUFFIXES:
        return refused(
            _("%(file)s: 戦略のテキスト（.txt）かPDF（.pdf）を選んでください", file=name), 422, "invalid"
        )
    asked: str | None = None
    if edition.strip():
        try:
            asked = editions.check(edition)
        except EditionFormatError as exc:
            return refused(str(exc), 422, "invalid")
    jobs = _jobs(request)
    try:
        job = jobs.reserve(name, who.name, asked, allow_partial)
    except Busy:
        message = _("別の年版を取り込んでいます。終わってからもう一度送信してください")
        response = refused(message, 409, "conflict")
        response.headers["retry-after"] = "30"
        return response
    folder = FilePath(tempfile.mkdtemp(prefix="ebpm-edition-"))
    source = folder / name
    try:
        with source.open("wb") as out:
            shutil.copyfileobj(file.file, out)
    except BaseException:  # a full disk: the slot is free again, nothing is left behind
        shutil.rmtree(folder, ignore_errors=True)
        jobs.finish(job, None, "the uploaded file could not be saved")
        raise
    db = request.app.state.cache.db
    worker = threading.Thread(
        target=run_job,
        args=(jobs, job, source, db, store, ip, ingest),
        name=f"ebpm-ingest-{job.id}",
        daemon=True,  # a server stopped mid-ingest leaves the old file: ingest writes atomically
    )
    worker.start()
    return private(RedirectResponse(f"{UPLOAD_PATH}/{job.id}", status_code=303))


@router.get(UPLOAD_PATH + "/{job_id}.json")
def job_json(request: Request, job_id: JobId) -> Response:
    """The job as JSON: its state, steps, vectors encoded and, once done, the summary or the error."""
    found = admin_reader(request)
    if isinstance(found, Response):
        return found
    return json_response(_jobs(request).snapshot(job_id))


@router.get(UPLOAD_PATH + "/{job_id}")
def job_page(request: Request, job_id: JobId) -> Response:
    """The job's steps as they happen (the page refreshes itself while it runs), then its summary
    and a link to the edition, or the one-line error."""
    found = admin_reader(request)
    if isinstance(found, Response):
        return found
    data = _jobs(request).snapshot(job_id) | {"refresh": REFRESH_SECONDS}
    return html(
        request, _knowledge(request), "edition_job.html", data, json_url=f"{UPLOAD_PATH}/{job_id}.json"
    )
