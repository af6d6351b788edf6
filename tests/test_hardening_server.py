"""The HTTP server (issue 15): bodies are capped and a write is authenticated before its body is
read (defect 8); accepted connections get TCP_NODELAY (defect 9)."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI

from ebpm.cli.serve import listen
from ebpm.web.app import create_app
from ebpm.web.limits import ENV_VAR, LimitError
from tests.conftest import Invoke
from tests.web_client import client_for

TOKEN = "server-token-5678"
TARGET = "/api/indicators/series/2.2.1.ref.6/target"
REVIEW = "/api/budget/projects/SAMPLE-21-01/reviews"
Receive = Callable[[], Awaitable[dict[str, Any]]]


def never_read() -> Receive:
    async def receive() -> dict[str, Any]:
        raise AssertionError("the request body was read")

    return receive


def endless(chunk: int, reads: list[int]) -> Receive:
    """A chunked body that never ends (reading it all would never finish): after 100 chunks it
    fails the test instead."""

    async def receive() -> dict[str, Any]:
        reads.append(chunk)
        if len(reads) > 100:
            raise AssertionError("the body was read far past the limit")
        return {"type": "http.request", "body": b"x" * chunk, "more_body": True}

    return receive


def call(
    app: FastAPI, method: str, path: str, headers: dict[str, str], receive: Receive
) -> tuple[int, bytes]:
    """One request straight through the ASGI app, with ``receive`` as the client's body."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }
    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    start = next(m for m in sent if m["type"] == "http.response.start")
    return start["status"], b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")


@pytest.fixture
def app(kb_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FastAPI:
    monkeypatch.setenv(ENV_VAR, "1000")
    return create_app(kb_file, tmp_path / "m.sqlite", TOKEN)


HUGE = {"content-type": "application/json", "content-length": str(200 * 1024 * 1024)}


@pytest.mark.parametrize("path", [TARGET, REVIEW])
def test_a_write_without_the_token_is_refused_unread(
    app: FastAPI, kb_file: Path, tmp_path: Path, path: str
) -> None:
    assert call(app, "PUT", path, HUGE, never_read())[0] == 401
    assert call(app, "PUT", path, HUGE | {"authorization": "Bearer wrong"}, never_read())[0] == 401
    read_only = create_app(kb_file, tmp_path / "m.sqlite", "")
    status, body = call(read_only, "PUT", path, HUGE | {"authorization": f"Bearer {TOKEN}"}, never_read())
    assert status == 403 and b"read-only" in body
    # and a chunked body, with no length to go by
    chunked = {"content-type": "application/json", "transfer-encoding": "chunked"}
    assert call(app, "PUT", path, chunked, never_read())[0] == 401


def test_a_route_without_the_method_is_still_a_405(app: FastAPI) -> None:
    assert call(app, "PUT", "/api/measures", HUGE, never_read())[0] == 405


def test_a_declared_oversized_body_is_413_unread(app: FastAPI) -> None:
    headers = HUGE | {"authorization": f"Bearer {TOKEN}"}
    status, body = call(app, "PUT", TARGET, headers, never_read())
    assert status == 413 and ENV_VAR.encode() in body


def test_a_streamed_body_is_cut_at_the_limit(app: FastAPI) -> None:
    reads: list[int] = []
    headers = {"content-type": "application/json", "authorization": f"Bearer {TOKEN}"}
    status, body = call(app, "PUT", TARGET, headers, endless(400, reads))
    assert status == 413 and b"1000 bytes" in body
    assert sum(reads) <= 1200  # stopped at the first chunk past 1000 bytes


def test_a_write_within_the_limit_still_works(
    kb_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENV_VAR, "1000")
    client = client_for(kb_file, tmp_path / "m.sqlite", token=TOKEN)
    payload = {"value": 30, "period": "FY2030", "direction": "up"}
    ok = client.put(TARGET, json=payload, headers={"authorization": f"Bearer {TOKEN}"})
    assert ok.status_code == 200, ok.text
    big = client.put(
        TARGET, json=payload | {"note": "x" * 2000}, headers={"authorization": f"Bearer {TOKEN}"}
    )
    assert big.status_code == 413 and big.headers["content-type"] == "application/json"
    assert ENV_VAR in big.json()["detail"]


def test_a_bad_limit_is_one_clear_line(
    kb_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, invoke: Invoke
) -> None:
    monkeypatch.setenv(ENV_VAR, "4MB")
    with pytest.raises(LimitError, match=ENV_VAR):
        create_app(kb_file, tmp_path / "m.sqlite", TOKEN)
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = str(probe.getsockname()[1])
    out = invoke("serve", "--port", port, "--db", str(kb_file), "--monitoring-db", str(tmp_path / "m.sqlite"))
    assert out.exit_code == 1 and ENV_VAR in out.output and "Traceback" not in out.output


def test_accepted_connections_have_tcp_nodelay() -> None:
    """asyncio (as uvicorn runs it) sets TCP_NODELAY only on connections of an IPPROTO_TCP socket."""
    sock = listen("127.0.0.1", 0)

    async def accepted_nodelay() -> int:
        loop = asyncio.get_running_loop()
        nodelay: asyncio.Future[int] = loop.create_future()

        class Accept(asyncio.Protocol):
            def connection_made(self, transport: asyncio.BaseTransport) -> None:
                conn = transport.get_extra_info("socket")
                nodelay.set_result(conn.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
                transport.close()

        server = await loop.create_server(Accept, sock=sock)
        try:
            _, writer = await asyncio.open_connection(*sock.getsockname()[:2])
            value = await asyncio.wait_for(nodelay, 10)
            writer.close()
            return value
        finally:
            server.close()

    assert asyncio.run(accepted_nodelay()) != 0
