"""Progress reports written over HTTP by many editors at once, against a real `ebpm serve`, on
SQLite and on PostgreSQL, with the HTTP floor of the same server and client as the reference.

Each editor reads an action's version (GET) and reports on top of it (PUT If-Match), action
after action, for the given seconds. Figures per backend: reports acknowledged per second, the
PUT's median and 95th-percentile latency, and the share of 409s (two editors of one ministry on
one action). The reference is `GET /api/health` from as many client threads for as long: what
the server and client do for a request that touches no store.

    .venv/bin/python benchmarks/follow_up.py [--editors 32] [--seconds 20]

PostgreSQL: $EBPM_TEST_POSTGRES_URL, else postgres@127.0.0.1:5432/test (a fresh schema, dropped after).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.conftest import postgres_schema
from tests.test_follow_up_load import TODAY, _serve, _users

from ebpm.services.ingest import ingest
from ebpm.store.monitoring import parse_url


def _load(
    base: str, tokens: list[str], plan: list[tuple[str, list[str]]], seconds: float
) -> dict[str, float]:
    latencies: list[float] = []
    codes: list[int] = []
    lock = threading.Lock()
    until = time.monotonic() + seconds

    def editor(token: str, actions: list[str]) -> None:
        with httpx.Client(base_url=base, headers={"authorization": f"Bearer {token}"}, timeout=60) as c:
            n = 0
            while time.monotonic() < until:
                action = actions[n % len(actions)]
                n += 1
                etag = c.get(f"/api/actions/{action}/progress").headers["etag"]
                t = time.perf_counter()
                r = c.put(
                    f"/api/actions/{action}/progress",
                    headers={"if-match": etag},
                    json={"status": "in_progress", "note": f"bench {n}", "as_of": TODAY},
                )
                with lock:
                    latencies.append(time.perf_counter() - t)
                    codes.append(r.status_code)

    threads = [
        threading.Thread(target=editor, args=(tok, acts))
        for tok, (_n, acts) in zip(tokens, plan, strict=True)
    ]
    start = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - start
    ok = codes.count(200)
    assert not [c for c in codes if c >= 500], "5xx answers"
    q = statistics.quantiles(latencies, n=20)
    return {
        "per_s": ok / elapsed,
        "p50": statistics.median(latencies) * 1000,
        "p95": q[18] * 1000,
        "conflicts": codes.count(409) / max(1, len(codes)),
    }


def _floor(base: str, threads_n: int, seconds: float) -> float:
    count = [0]
    lock = threading.Lock()
    until = time.monotonic() + seconds

    def client() -> None:
        with httpx.Client(base_url=base, timeout=60) as c:
            while time.monotonic() < until:
                c.get("/api/health")
                with lock:
                    count[0] += 1

    threads = [threading.Thread(target=client) for _ in range(threads_n)]
    start = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return count[0] / (time.monotonic() - start)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--editors", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ebpm-bench-") as folder:
        kb = Path(folder) / "kb.sqlite"
        ingest(None, kb)
        rows = []
        for backend in ("sqlite", "postgresql"):
            schemas = postgres_schema() if backend == "postgresql" else iter([None])
            for url in schemas:
                location = parse_url(url) if url else Path(folder) / "monitoring.sqlite"
                plan, tokens = _users(location, kb, args.editors)
                server = _serve(location, kb)
                server.start()
                try:
                    floor = _floor(server.url, args.editors, min(args.seconds, 10))
                    figures = _load(server.url, tokens, plan, args.seconds)
                finally:
                    server.stop()
                rows.append((backend, floor, figures))
    print(f"{args.editors} editors for {args.seconds:g} s against one `ebpm serve` process")
    header = ("backend", "floor GET/s", "reports/s", "PUT p50 ms", "PUT p95 ms", "409 share")
    print(f"{header[0]:<11} " + " ".join(f"{h:>11}" for h in header[1:]))
    for backend, floor, f in rows:
        cells = (
            f"{floor:.0f}",
            f"{f['per_s']:.1f}",
            f"{f['p50']:.1f}",
            f"{f['p95']:.1f}",
            f"{f['conflicts']:.1%}",
        )
        print(f"{backend:<11} " + " ".join(f"{c:>11}" for c in cells))
    print(
        "floor: GET /api/health from as many client threads (no store touched); a report is a GET and a PUT"
    )


if __name__ == "__main__":
    main()
