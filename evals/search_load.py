"""The search endpoint under a bounded loopback load, measured: ``vidscope serve`` on 127.0.0.1
with a library of 10^4 passages, 8 concurrent clients for 20 s, against the same searches made
in-process through ``Library`` with the same concurrency, in the same run. Run by
``python -m evals.bench`` (``make bench``) and alone by ``python -m evals.load``."""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import numpy as np

from evals.serving import served, served_process
from evals.synthetic import latencies
from pipelines.config import load_settings
from pipelines.library import Library

CLIENTS = 8
DURATION_S = 20.0
PASSAGES = 10_000


def _hammer(call: Callable[[str], bool], queries: tuple[str, ...]) -> dict[str, float]:
    """CLIENTS threads calling ``call`` back to back for DURATION_S; latencies and errors."""
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    stop_at = time.perf_counter() + DURATION_S

    def client(number: int) -> None:
        nonlocal errors
        n = number
        while time.perf_counter() < stop_at:
            started = time.perf_counter()
            ok = call(queries[n % len(queries)])
            elapsed = time.perf_counter() - started
            with lock:
                latencies.append(elapsed * 1000)
                errors += 0 if ok else 1
            n += 1

    threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    return {
        "requests": float(len(latencies)),
        "rps": len(latencies) / wall,
        "p50_ms": statistics.median(latencies),
        "p99_ms": float(np.percentile(latencies, 99)),
        "errors": float(errors),
    }


def _searcher(url: str, token: str) -> Callable[[str], bool]:
    """A search over HTTP as one of the clients: an ``httpx.Client`` per thread."""
    local = threading.local()

    def over_http(query: str) -> bool:
        if not hasattr(local, "client"):
            local.client = httpx.Client(
                base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=30
            )
        response = local.client.get("/api/v1/search", params={"q": query, "k": 10})
        return response.status_code == 200 and bool(response.json()["hits"] is not None)

    return over_http


RATE_LIMIT = "1000000/minute"  # the load is the point here


def memory_mb(pid: int) -> dict[str, float]:
    """A process's resident memory in MB: all of it, and its anonymous and file-backed parts
    (memory-mapped index files count as file-backed: the kernel can drop them)."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "RssAnon", "RssFile", "VmHWM"):
            fields[name] = int(value.split()[0]) / 1024
    return {
        "rss_mb": fields["VmRSS"],
        "rss_anon_mb": fields["RssAnon"],
        "rss_file_mb": fields["RssFile"],
        "rss_peak_mb": fields["VmHWM"],
    }


def bench_served_search(
    home: Path, queries: tuple[str, ...], log: Callable[[str], None]
) -> dict[str, float]:
    """A server on ``home``'s library (its index files already built): one client's searches
    one after another (p50, p99), then CLIENTS at once for DURATION_S, then the server
    process's resident memory, steady after that load."""
    with served_process(home, VIDSCOPE_RATE_LIMIT=RATE_LIMIT, VIDSCOPE_LOG_LEVEL="WARNING") as (
        url,
        pid,
    ):
        token = (home / ".server" / "admin-token").read_text().strip()
        search = _searcher(url, token)
        one_p50, one_p99 = latencies(search, queries)
        log(f"served: {CLIENTS} clients for {DURATION_S:.0f} s against {url}/api/v1/search")
        loaded = _hammer(search, queries)
        results = {f"served_{k}": v for k, v in memory_mb(pid).items()}
    results["served_one_p50_ms"], results["served_one_p99_ms"] = one_p50, one_p99
    return results | {f"served_load_{k}": v for k, v in loaded.items()}


def bench_search_load(
    home: Path, queries: tuple[str, ...], log: Callable[[str], None]
) -> dict[str, float]:
    """``home`` holds a library of the local owner's passages (evals.bench builds it)."""
    with served(home, VIDSCOPE_RATE_LIMIT=RATE_LIMIT, VIDSCOPE_LOG_LEVEL="WARNING") as url:
        token = (home / ".server" / "admin-token").read_text().strip()
        over_http = _searcher(url, token)
        for query in queries:  # warm-up
            over_http(query)
        log(f"load: {CLIENTS} clients for {DURATION_S:.0f} s against {url}/api/v1/search")
        http = _hammer(over_http, queries)

    with Library(load_settings(home=home)) as library:

        def in_process(query: str) -> bool:
            library.local.search(query, k=10)
            return True

        for query in queries:
            in_process(query)
        log(f"load: {CLIENTS} threads for {DURATION_S:.0f} s calling Library.search in-process")
        direct = _hammer(in_process, queries)
    results = {f"load_http_{k}": v for k, v in http.items()}
    results |= {f"load_inproc_{k}": v for k, v in direct.items()}
    results["load_http_p99_over_p50"] = http["p99_ms"] / http["p50_ms"]
    results["load_http_overhead_p50"] = http["p50_ms"] / direct["p50_ms"]
    results["load_http_rps_ratio"] = http["rps"] / direct["rps"]
    return results


def report_lines(r: dict[str, float]) -> list[str]:
    return [
        f"\nSearch endpoint under load (`GET /api/v1/search`, k = 10): `vidscope serve` on "
        f"127.0.0.1, a library of {PASSAGES:,} synthetic passages, {CLIENTS} concurrent clients "
        f"(threads of this process, on the same 2 cores as the server) for {DURATION_S:.0f} s, "
        "each sending the next query as soon as the last one answered; then the same queries "
        "with the same concurrency through `Library.search` in-process:\n",
        "| | requests/s | p50 | p99 | p99 / p50 | errors |",
        "| --- | --- | --- | --- | --- | --- |",
        f"| HTTP | {r['load_http_rps']:.1f} | {r['load_http_p50_ms']:.1f} ms "
        f"| {r['load_http_p99_ms']:.1f} ms | **{r['load_http_p99_over_p50']:.2f}** (target ≤ 3) "
        f"| **{r['load_http_errors']:.0f}** of {r['load_http_requests']:.0f} (target 0) |",
        f"| in-process | {r['load_inproc_rps']:.1f} | {r['load_inproc_p50_ms']:.1f} ms "
        f"| {r['load_inproc_p99_ms']:.1f} ms "
        f"| {r['load_inproc_p99_ms'] / r['load_inproc_p50_ms']:.2f} "
        f"| {r['load_inproc_errors']:.0f} of {r['load_inproc_requests']:.0f} |",
        f"\nHTTP overhead: p50 {r['load_http_overhead_p50']:.2f}× the in-process p50, "
        f"{r['load_http_rps_ratio']:.2f}× its throughput (the clients' own work shares the "
        "two cores with the server).\n",
    ]
