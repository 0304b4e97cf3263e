"""Reads benchmark: requests per second of the API's read pages on gunicorn (3 workers).

``run(args) -> dict`` loads a synthetic corpus (``--read-trials``, default 1,000) into a
scratch database, starts gunicorn with 3 sync workers twice, with the read-page cache
(``evidence.api.caching``) on and off, and measures for each:

- ``/healthz``: Django's cheapest view on the same server, the ceiling of this machine and
  of this load generator;
- ``GET /api/v1/trials/`` (first page, 50 trials);
- ``GET /api/v1/events/?after=0`` (first 100 events, with their labelled changes).

The load generator is ApacheBench (``ab``, Debian's apache2-utils) when it is installed, else
plain Python (processes of threads); either sends HTTP/1.0 requests on a fresh connection each
(gunicorn's sync workers close every connection), 12 at a time, for ``--read-seconds``, and
the output names the one used. The pages are measured in turns (healthz, trials, events,
then again) so that a change in the machine's load falls on all of them alike; each figure
also gives the workers' CPU time per request (from /proc), which load changes less.
Cache on Redis when REDIS_URL is set (as in production), else per-process locmem.
Target: at least 1,000 requests per second for each API read.
"""

from __future__ import annotations

import multiprocessing
import os
import re
import shutil
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


CONCURRENCY = 12
ROUNDS = 2  # turns over the pages, each for seconds / ROUNDS


def load_generator() -> str:
    return "ab" if shutil.which("ab") else "python"


def measure_with_ab(port: int, path: str, seconds: float) -> dict:
    """``ab``'s figures for ``path``: requests per second, median latency, failures."""
    whole_seconds = max(1, round(seconds))  # ab reads -t as an integer (0 would be no limit)
    output = subprocess.run(
        [
            *("ab", "-q", "-r", "-c", str(CONCURRENCY), "-t", str(whole_seconds)),
            *("-n", "100000000", f"http://127.0.0.1:{port}{path}"),
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    figures = dict(re.findall(r"^([A-Za-z0-9% -]+):\s+([0-9.]+)", output, re.MULTILINE))
    p50 = re.search(r"^\s+50%\s+([0-9]+)", output, re.MULTILINE)
    requests = int(figures["Complete requests"])
    failures = int(figures.get("Failed requests", 0)) + int(figures.get("Non-2xx responses", 0))
    return {
        "requests_per_second": float(figures["Requests per second"]),
        "p50_ms": float(p50.group(1)) if p50 else None,
        "requests": requests,
        "failures": failures,
    }


def _workers(master: int) -> list[int]:
    """The gunicorn master's children (its workers), from /proc; [] where there is none."""
    found = []
    for entry in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = entry.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == master:
            found.append(int(entry.parent.name))
    return found


def _cpu_seconds(pids: list[int]) -> float:
    """User plus system CPU time of ``pids`` so far (/proc/<pid>/stat)."""
    ticks = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def measure(port: int, path: str, seconds: float, processes: int = 2, threads: int = 6) -> dict:
    """Requests per second and median latency of ``path`` under concurrent load (``ab`` when
    installed, else Python processes of threads)."""
    for _ in range(20):  # warm every worker (and the cache) first
        _get(port, path)
    if load_generator() == "ab":
        return measure_with_ab(port, path, seconds)
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


def _combined(runs: list[dict]) -> dict:
    """One page's turns as one figure: their mean rate, median p50, summed counts."""
    cpu = [run["worker_cpu_ms_per_request"] for run in runs]
    p50 = [run["p50_ms"] for run in runs if run["p50_ms"] is not None]
    return {
        "requests_per_second": round(statistics.mean(r["requests_per_second"] for r in runs), 1),
        "p50_ms": round(statistics.median(p50), 2) if p50 else None,
        "requests": sum(run["requests"] for run in runs),
        "failures": sum(run["failures"] for run in runs),
        "worker_cpu_ms_per_request": round(statistics.mean(cpu), 3) if None not in cpu else None,
        "turns_per_second": [run["requests_per_second"] for run in runs],
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
        workers = _workers(server.pid)
        turns: dict[str, list[dict]] = {name: [] for name in PATHS}
        for _ in range(ROUNDS):
            for name, path in PATHS.items():
                cpu_before = _cpu_seconds(workers)
                figures = measure(port, path, seconds / ROUNDS)
                cpu = _cpu_seconds(workers) - cpu_before
                figures["worker_cpu_ms_per_request"] = (
                    cpu * 1000 / figures["requests"] if workers and figures["requests"] else None
                )
                turns[name].append(figures)
        return {name: _combined(runs) for name, runs in turns.items()}
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
        # Measure the view, not the throttles' refusals: anonymous clients count against both
        # the anon and the user rate (DRF's UserRateThrottle falls back to the address).
        "API_ANON_RATE": "100000000/min",
        "API_USER_RATE": "100000000/min",
        # Its own keys in the shared Redis: its windows fill at 1,000 requests a second, and
        # tests or a server on the same Redis would otherwise be refused (429) for a minute.
        "CACHE_KEY_PREFIX": f"bench-reads-{os.getpid()}",
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
    print(f"   load generator: {load_generator()}", flush=True)
    try:
        results: dict = {
            "trials": n_trials,
            "seconds_each": seconds,
            "workers": 3,
            "load_generator": load_generator(),
            "load_average_before": os.getloadavg()[0],
        }
        results["uncached"] = serve_and_measure(env, seconds, cached=False)
        results["cached"] = serve_and_measure(env, seconds, cached=True)
    finally:
        import psycopg

        admin = urlunsplit(urlsplit(database_url)._replace(path="/postgres"))
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    results["load_average_after"] = os.getloadavg()[0]
    cached = results["cached"]
    results["ratios_to_healthz"] = {
        f"{name}_{state}": round(
            results[state][name]["requests_per_second"]
            / results[state]["healthz"]["requests_per_second"],
            3,
        )
        for state in ("cached", "uncached")
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
