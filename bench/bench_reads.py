"""Reads benchmark: requests per second of the API's read pages on gunicorn (3 workers).

``run(args) -> dict`` loads a synthetic corpus (``--read-trials``, default 1,000) into a
scratch database, starts gunicorn with 3 sync workers twice, with the read-page cache
(``evidence.api.caching``) on and off, and measures for each:

- ``/healthz``: Django's cheapest view on the same server, the ceiling of this machine and
  of this load generator;
- ``GET /api/v1/trials/`` (first page, 50 trials);
- ``GET /api/v1/events/?after=0`` (first 100 events, with their labelled changes).

The load generator is plain Python: processes of threads, each sending HTTP/1.0 requests on
a fresh connection (gunicorn's sync workers close every connection) for ``--read-seconds``.
Cache on Redis when REDIS_URL is set (as in production), else per-process locmem.
Target: at least 1,000 requests per second for each API read.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TARGET_REQUESTS_PER_SECOND = 1000
PATHS = {
    "healthz": "/healthz",
    "trials": "/api/v1/trials/",
    "events": "/api/v1/events/?after=0",
}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(port: int, path: str) -> int:
    """One request on a fresh connection; returns the status code (the body is read whole)."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(f"GET {path} HTTP/1.0\r\nHost: localhost\r\n\r\n".encode())
        chunks = []
        while chunk := sock.recv(262144):
            chunks.append(chunk)
    head = b"".join(chunks[:1])[:16]
    return int(head.split()[1]) if head.startswith(b"HTTP/") else 0


def _load_process(port: int, path: str, seconds: float, threads: int, out) -> None:
    latencies: list[float] = []
    failures = [0]
    deadline = time.perf_counter() + seconds

    def worker() -> None:
        while (start := time.perf_counter()) < deadline:
            if _get(port, path) != 200:
                failures[0] += 1
            latencies.append(time.perf_counter() - start)

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    out.send((latencies, failures[0]))


def measure(port: int, path: str, seconds: float, processes: int = 2, threads: int = 6) -> dict:
    """Requests per second and median latency of ``path`` under concurrent load."""
    for _ in range(20):  # warm every worker (and the cache) first
        _get(port, path)
    pipes, children = [], []
    started = time.perf_counter()
    for _ in range(processes):
        receiving, sending = multiprocessing.Pipe(duplex=False)
        child = multiprocessing.Process(
            target=_load_process, args=(port, path, seconds, threads, sending)
        )
        child.start()
        pipes.append(receiving)
        children.append(child)
    latencies: list[float] = []
    failures = 0
    for receiving in pipes:
        got, failed = receiving.recv()
        latencies += got
        failures += failed
    elapsed = time.perf_counter() - started
    for child in children:
        child.join()
    return {
        "requests_per_second": round(len(latencies) / elapsed, 1),
        "p50_ms": round(statistics.median(latencies) * 1000, 2) if latencies else None,
        "requests": len(latencies),
        "failures": failures,
    }


def _wait_until_up(port: int, server: subprocess.Popen) -> None:
    for _ in range(300):
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {server.returncode}")
        try:
            if _get(port, "/healthz") == 200:
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError("gunicorn did not answer /healthz")


def serve_and_measure(env: dict, seconds: float, cached: bool) -> dict:
    port = _free_port()
    server_env = {**env, "READ_CACHE_SECONDS": "300" if cached else "0"}
    server = subprocess.Popen(
        [
            *(sys.executable, "-m", "gunicorn", "config.wsgi:application"),
            *("--workers", "3", "--bind", f"127.0.0.1:{port}", "--log-level", "warning"),
        ],
        cwd=REPO,
        env=server_env,
        start_new_session=True,
    )
    try:
        _wait_until_up(port, server)
        return {name: measure(port, path, seconds) for name, path in PATHS.items()}
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


def phase_load(n_trials: int) -> None:
    from bench.database import use_fresh_database

    use_fresh_database(os.environ["BENCH_READS_DATABASE"])
    from bench.generator import load_dataset

    load_dataset(n_trials)


def run(args=None) -> dict:
    n_trials = int(getattr(args, "read_trials", None) or 1000)
    seconds = float(getattr(args, "read_seconds", None) or 5)
    database_url = os.environ.get("DATABASE_URL", "")
    if not database_url.startswith(("postgres://", "postgresql://")):
        return {"skipped": "the reads benchmark needs DATABASE_URL=postgres://..."}
    from urllib.parse import urlsplit, urlunsplit

    from bench.database import scratch_name

    name = scratch_name(f"bench_reads_{os.getpid()}", database_url)
    env = {
        **os.environ,
        "BENCH_READS_DATABASE": name,
        "DJANGO_DEBUG": "false",  # as served: no query log
        "API_ANON_RATE": "100000000/min",  # measure the view, not the throttle's refusals
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(REPO),
    }
    subprocess.run(
        [sys.executable, "-c", f"from bench.bench_reads import phase_load; phase_load({n_trials})"],
        cwd=REPO,
        env=env,
        check=True,
    )
    env["DATABASE_URL"] = urlunsplit(urlsplit(database_url)._replace(path=f"/{name}"))
    try:
        results: dict = {"trials": n_trials, "seconds_each": seconds, "workers": 3}
        results["uncached"] = serve_and_measure(env, seconds, cached=False)
        results["cached"] = serve_and_measure(env, seconds, cached=True)
    finally:
        import psycopg

        admin = urlunsplit(urlsplit(database_url)._replace(path="/postgres"))
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    cached = results["cached"]
    results["ratios_to_healthz"] = {
        name: round(
            cached[name]["requests_per_second"] / cached["healthz"]["requests_per_second"], 3
        )
        for name in ("trials", "events")
    }
    results["targets"] = {
        f"{name}_at_least_{TARGET_REQUESTS_PER_SECOND}_per_second": cached[name][
            "requests_per_second"
        ]
        >= TARGET_REQUESTS_PER_SECOND
        for name in ("trials", "events")
    }
    return results
