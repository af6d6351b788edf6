"""Web throughput and latency over real HTTP, against a constant endpoint measured in the same run.

The server is the real `ebpm serve` (uvicorn, one process) on 127.0.0.1, over a knowledge base
built by the real ingest. The client runs in this process, with one keep-alive connection per
worker. For each URL:

- latency: REQUESTS requests one after another; p50 and p95 as the client sees them, and the
  server-side time (the app's own Server-Timing header: routing, data, rendering, headers);
- throughput: the same URL from CONCURRENCY client threads for DURATION seconds; requests/s.

The reference is /api/health, which returns a constant: what the server, HTTP and the
middleware cost on their own. The targets: the section page within 5x the constant endpoint's
latency, and server-side rendering under 50 ms.

Keep-alive: the reference and /api/measures, REQUESTS requests over one reused connection
against the same over a new connection each. A reused connection must not be the slower one:
a server that leaves Nagle's algorithm on (no TCP_NODELAY) holds each response's body until the
client's delayed ACK, 40 ms on Linux, on a reused connection only (issue 15).

    .venv/bin/python benchmarks/web.py [--requests N] [--duration S] [--concurrency C]
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

from ebpm.services.ingest import ingest

# A URL with {n} gets a fresh query string on every request: the page cache never has it, so
# every request renders the page anew (pages ignore query parameters they do not know).
URLS = [
    ("constant (reference)", "/api/health"),
    ("/api/measures?limit=50", "/api/measures?limit=50"),
    ("section 2.2.1, cached", "/sections/2.2.1"),
    ("section 2.2.1, rendered", "/sections/2.2.1?n={n}"),
    ("section 2.1 (largest), cached", "/sections/2.1"),
    ("section 2.1 (largest), rendered", "/sections/2.1?n={n}"),
    ("search (API)", "/api/search?q=女性研究者の活躍"),
    ("search page, rendered", "/search?q=女性研究者の活躍&n={n}"),
]
KEEP_ALIVE_URLS = [URLS[0], URLS[1]]
counter = itertools.count()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(db: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    ebpm = Path(sys.executable).with_name("ebpm")
    with log.open("wb") as out:  # a file, not a pipe: a full pipe would stall the server
        proc = subprocess.Popen(
            [str(ebpm), "serve", "--db", str(db), "--port", str(port)], stdout=out, stderr=subprocess.STDOUT
        )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=1).status_code == 200:
                return proc
        except httpx.TransportError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError(f"the server did not start: {log.read_text()}")


def pct(values: list[float], q: float) -> float:
    return (
        statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1] if len(values) > 1 else values[0]
    )


def latency(client: httpx.Client, url: str, n: int) -> tuple[list[float], list[float], int]:
    total, server = [], []
    size = 0
    for _ in range(n):
        t0 = time.perf_counter()
        r = client.get(url.format(n=next(counter)))
        total.append((time.perf_counter() - t0) * 1000)
        r.raise_for_status()
        size = len(r.content)
        server.append(float(r.headers["server-timing"].split("dur=")[1]))
    return total, server, size


def one_connection(port: int, url: str, n: int, reuse: bool) -> list[float]:
    """``n`` sequential GETs, over one keep-alive connection (``reuse``) or a new one each."""
    times = []
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.connect()
    first = conn.sock
    for _ in range(n):
        if not reuse:
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        t0 = time.perf_counter()
        conn.request("GET", url.format(n=next(counter)), headers={} if reuse else {"connection": "close"})
        response = conn.getresponse()
        response.read()
        times.append((time.perf_counter() - t0) * 1000)
        if response.status != 200 or (reuse and conn.sock is not first):
            raise RuntimeError(f"{url}: status {response.status}, connection reused: {conn.sock is first}")
    conn.close()
    return times


def throughput(base: str, url: str, seconds: float, workers: int) -> float:
    counts = [0] * workers
    stop = time.perf_counter() + seconds

    def work(k: int) -> None:
        with httpx.Client(base_url=base, timeout=30) as c:
            while time.perf_counter() < stop:
                c.get(url.format(n=next(counter))).raise_for_status()
                counts[k] += 1

    threads = [threading.Thread(target=work, args=(k,)) for k in range(workers)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(counts) / (time.perf_counter() - started)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--requests", type=int, default=300, help="sequential requests per URL")
    ap.add_argument("--duration", type=float, default=3.0, help="seconds of load per URL")
    ap.add_argument("--concurrency", type=int, default=4, help="client threads for the load")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "kb.sqlite"
        ingest(None, db)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = start_server(db, port, Path(tmp) / "server.log")
        try:
            rows = []
            with httpx.Client(base_url=base, timeout=30) as client:
                for label, url in URLS:
                    latency(client, url, 20)  # warm-up: first loads, caches
                    total, app, size = latency(client, url, args.requests)
                    rps = throughput(base, url, args.duration, args.concurrency)
                    rows.append(
                        (label, size, pct(total, 50), pct(total, 95), pct(app, 50), pct(app, 95), rps)
                    )
            kept = []
            for label, url in KEEP_ALIVE_URLS:
                one_connection(port, url, 20, reuse=True)  # warm-up
                reused = one_connection(port, url, args.requests, reuse=True)
                fresh = one_connection(port, url, args.requests, reuse=False)
                kept.append((label, pct(reused, 50), pct(reused, 95), pct(fresh, 50), pct(fresh, 95)))
        finally:
            server.terminate()
            server.wait(timeout=10)
            errors = (Path(tmp) / "server.log").read_text()
            if "Traceback" in errors:
                print(errors[-3000:], file=sys.stderr)

    cpu = os.cpu_count()
    print(
        f"web benchmark: {args.requests} sequential requests per URL, then {args.concurrency} client threads"
    )
    print(
        f"for {args.duration:.0f} s; `ebpm serve` (uvicorn, 1 process) on {cpu} cores shared with the client"
    )
    print()
    columns = ("bytes", "p50 ms", "p95 ms", "server p50", "server p95", "req/s")
    header = f"{'request':32} " + " ".join(f"{c:>{max(8, len(c))}}" for c in columns)
    print(header)
    print("-" * len(header))
    for label, size, p50, p95, s50, s95, rps in rows:
        print(f"{label:32} {size:8d} {p50:8.2f} {p95:8.2f} {s50:11.2f} {s95:11.2f} {rps:8.0f}")
    ref = rows[0]
    print()
    for label, _size, _p50, p95, _s50, s95, _rps in rows[1:]:
        print(f"{label:32} p95 = {p95 / ref[3]:5.1f}x the constant endpoint; server-side p95 {s95:.1f} ms")
    print()
    for cached, rendered in ((rows[2], rows[3]), (rows[4], rows[5])):
        print(
            f"{cached[0]}: p95 {cached[3] / ref[3]:.1f}x the constant endpoint "
            f"(target 5x: {'met' if cached[3] <= 5 * ref[3] else 'NOT met'}); "
            f"{rendered[0]}: p95 {rendered[3] / ref[3]:.1f}x, server-side p95 {rendered[5]:.1f} ms "
            f"(target < 50 ms: {'met' if rendered[5] < 50 else 'NOT met'})"
        )
    print()
    print(f"keep-alive: {args.requests} sequential requests over one connection, then a new connection each")
    columns = ("reused p50", "reused p95", "new p50", "new p95")
    header = f"{'request':32} " + " ".join(f"{c:>11}" for c in columns)
    print(header)
    print("-" * len(header))
    for label, r50, r95, f50, f95 in kept:
        print(f"{label:32} {r50:11.2f} {r95:11.2f} {f50:11.2f} {f95:11.2f}")
    print()
    for label, r50, _r95, f50, _f95 in kept:
        stalled = r50 > max(2 * f50, f50 + 20)  # the delayed-ACK stall adds ~40 ms to reused ones only
        print(
            f"{label}, one reused connection: p50 {r50:.2f} ms = {r50 / ref[2]:.1f}x the constant "
            f"endpoint's p50 above, {r50 / f50:.2f}x a new connection's "
            f"({'a Nagle/delayed-ACK stall: TCP_NODELAY is off' if stalled else 'no stall'})"
        )


if __name__ == "__main__":
    main()
