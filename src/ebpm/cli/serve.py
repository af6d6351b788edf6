"""``ebpm serve``: the web dashboard and REST API over the knowledge base."""

from __future__ import annotations

import os
import socket
import threading
from pathlib import Path
from typing import Annotated

import typer

from ebpm.cli.budget import finish_mapping
from ebpm.cli.common import DbOption, app, console, fail
from ebpm.research.store import ENV as RESEARCH_ENV
from ebpm.research.store import resolve_path as research_path
from ebpm.search.index import IndexMissingError
from ebpm.services import lineage
from ebpm.services.knowledge import Knowledge
from ebpm.store import knowledge_base
from ebpm.store.knowledge_base import KnowledgeBaseError
from ebpm.store.monitoring import MonitoringStoreError


def listen(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host:port`` whose accepted connections get TCP_NODELAY.

    asyncio sets TCP_NODELAY on an accepted connection only when the listening socket's ``proto``
    is IPPROTO_TCP, and ``socket.create_server`` leaves it 0: without it Nagle's algorithm holds
    the body of each keep-alive response until the client's delayed ACK, 40 ms later."""
    sock = socket.create_server((host, port))
    return socket.socket(sock.family, sock.type, socket.IPPROTO_TCP, fileno=sock.detach())


@app.command("serve")
def serve_command(
    host: Annotated[
        str, typer.Option(help="Address to listen on; 127.0.0.1 keeps it to this machine.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8000,
    db: DbOption = None,
    monitoring_db: Annotated[
        Path | None,
        typer.Option(
            "--monitoring-db",
            help="Monitoring store (default: $EBPM_MONITORING_DB, else ./ebpm-monitoring.sqlite).",
            show_default=False,
        ),
    ] = None,
    research_db: Annotated[
        Path | None,
        typer.Option(
            "--research-db",
            help="Research store for /research (default: $EBPM_RESEARCH_DB, else ./ebpm-research.duckdb).",
            show_default=False,
        ),
    ] = None,
    workers: Annotated[
        int,
        typer.Option(
            min=1, max=64, help="Server processes (a shared deployment: with $EBPM_DATABASE_URL, PostgreSQL)."
        ),
    ] = 1,
) -> None:
    """Serve the dashboard (Japanese first) and the read-only REST API under /api/."""
    import uvicorn

    from ebpm.web.app import create_app
    from ebpm.web.limits import LimitError

    path = knowledge_base.resolve_path(db)
    try:
        Knowledge.load(path).close()  # fail now, with a clear message, not on the first request
    except (KnowledgeBaseError, IndexMissingError) as exc:
        raise fail(str(exc)) from None
    # bind here, so that a port in use is a clear error rather than uvicorn's log line
    try:
        sock = listen(host, port)
    except OSError as exc:
        raise fail(f"cannot listen on {host}:{port}: {exc.strerror or exc}; choose another --port") from None
    try:
        # a missing research store is no reason not to serve: its pages say how to load one
        app_ = create_app(path.resolve(), monitoring_db, research_db=research_path(research_db).resolve())
    except (MonitoringStoreError, LimitError) as exc:
        sock.close()
        raise fail(str(exc)) from None
    try:
        # projects an interrupted budget import left unmapped are mapped now, if the store is writable
        finish_mapping(path, app_.state.monitoring, monitoring_db)
    except BaseException:
        sock.close()
        raise
    console.print(f"ebpm: serving {path} at [bold]http://{host}:{port}/[/] (API: /api/, Ctrl+C to stop)")
    editions = app_.state.cache.editions().names()
    if len(editions) > 1 and workers == 1:
        # matching editions takes seconds: done now in the background, not on the first page
        threading.Thread(target=lineage.warm, args=(app_.state.cache,), daemon=True).start()
        console.print(
            f"editions {', '.join(editions)} (the latest is the default); matching them in the background"
        )
    try:
        if workers > 1:
            _run_workers(workers, sock, path, monitoring_db, research_db)
        else:
            uvicorn.Server(uvicorn.Config(app_, log_level="warning")).run(sockets=[sock])
    finally:
        sock.close()


def _run_workers(
    workers: int, sock: socket.socket, db: Path, monitoring_db: Path | None, research_db: Path | None
) -> None:
    """Several processes on one socket, each building its app from the environment
    (``ebpm.web.server``): the options are passed on as the variables they stand for. They share
    sessions, logins and writes through the store, and each page cache follows the store's
    version, so any process answers any request."""
    import uvicorn
    from uvicorn.supervisors import Multiprocess

    from ebpm.store import monitoring

    os.environ[knowledge_base.ENV_VAR] = str(db.resolve())
    if monitoring_db is not None:
        os.environ[monitoring.ENV_VAR] = str(monitoring_db.resolve())
        os.environ.pop(monitoring.URL_VAR, None)  # the option wins, as in one process
    os.environ[RESEARCH_ENV] = str(research_path(research_db).resolve())
    config = uvicorn.Config("ebpm.web.server:app", factory=True, workers=workers, log_level="warning")
    Multiprocess(config, sockets=[sock]).run()
