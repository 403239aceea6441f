"""Prometheus metrics (``GET /metrics``): requests by route template and status, latencies,
search latency, ingest speed, the job queue read from the catalog at scrape time, the answer
cache's hits and misses, readiness (as /readyz) and the library disk's free space. The alert
rules and the Grafana dashboard over them are in deploy/ (docs/operating.md)."""

from __future__ import annotations

import hmac
import ipaddress
import shutil
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from pipelines.accounts import AuthError
from pipelines.storage.catalog import JOB_STATUSES
from pipelines.understanding.cache import Cache


def check_scraper(client: str | None, headers: Mapping[str, str], token: str | None) -> None:
    """Refuses (``auth.metrics_token``) a scrape unless it sends ``Authorization: Bearer
    <VIDSCOPE_METRICS_TOKEN>``, or, with no token set, comes from this machine: a loopback
    client that no proxy forwarded (a reverse proxy on the same host makes every visitor look
    local, so a request carrying a forwarding header is not counted as one)."""
    if token is not None:
        given = headers.get("authorization", "").removeprefix("Bearer ").strip()
        if not hmac.compare_digest(given.encode(), token.encode()):
            raise AuthError(
                "/metrics needs 'Authorization: Bearer <VIDSCOPE_METRICS_TOKEN>'",
                code="auth.metrics_token",
            )
        return
    forwarded = "x-forwarded-for" in headers or "forwarded" in headers
    if forwarded or not _loopback(client):
        raise AuthError(
            "/metrics answers only this machine (a loopback address) while "
            "VIDSCOPE_METRICS_TOKEN is unset; set it, and have Prometheus send "
            "'Authorization: Bearer <token>'",
            code="auth.metrics_token",
        )


def _loopback(client: str | None) -> bool:
    try:
        return client is not None and ipaddress.ip_address(client).is_loopback
    except ValueError:
        return False


class Metrics:
    """One registry per app (tests build several apps in one process)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "vidscope_http_requests",
            "HTTP requests by route template, method and status",
            ["route", "method", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "vidscope_http_request_seconds",
            "HTTP request latency by route template",
            ["route"],
            registry=self.registry,
        )
        self.search_latency = Histogram(
            "vidscope_search_seconds",
            "Time to answer a search inside the library",
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
            registry=self.registry,
        )
        self.ingest_speed = Histogram(
            "vidscope_ingest_seconds_per_audio_second",
            "Wall seconds the worker spent per second of media ingested",
            buckets=(0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5),
            registry=self.registry,
        )
        self.jobs_finished = Counter(
            "vidscope_jobs_finished",
            "Jobs that ended, by kind and status",
            ["kind", "status"],
            registry=self.registry,
        )

    def watch_jobs(self, counts: Callable[[], dict[str, int]]) -> None:
        self.registry.register(_JobGauges(counts))

    def watch_cache(self, cache: Cache) -> None:
        self.registry.register(_CacheCounters(cache))

    def watch_readiness(self, checks: Callable[[], dict[str, str]]) -> None:
        """``checks``: each part's status ("ok", "down", "off"), as /readyz reports them."""
        self.registry.register(_ReadinessGauges(checks))

    def watch_disk(self, home: Path) -> None:
        self.registry.register(_DiskGauges(home))


class _ReadinessGauges(Collector):
    """/readyz as gauges, so an alert needs no second probe: 1 ready, 0 not."""

    def __init__(self, checks: Callable[[], dict[str, str]]) -> None:
        self.checks = checks

    def collect(self) -> Iterator[GaugeMetricFamily]:
        checks = self.checks()
        yield GaugeMetricFamily(
            "vidscope_ready",
            "1 when every part of the server is ready (/readyz answers 200)",
            value=float(all(status != "down" for status in checks.values())),
        )
        parts = GaugeMetricFamily(
            "vidscope_ready_check",
            "Each part of /readyz: 1 ok, off or degraded, 0 down",
            labels=["check"],
        )
        for name, status in sorted(checks.items()):
            parts.add_metric([name], float(status != "down"))
        yield parts


class _DiskGauges(Collector):
    """The library folder's file system, read at scrape time."""

    def __init__(self, home: Path) -> None:
        self.home = home

    def collect(self) -> Iterator[GaugeMetricFamily]:
        usage = shutil.disk_usage(self.home)
        yield GaugeMetricFamily(
            "vidscope_library_free_bytes",
            "Bytes free on the library's file system (for its owner)",
            value=usage.free,
        )
        yield GaugeMetricFamily(
            "vidscope_library_disk_bytes", "Size of the library's file system", value=usage.total
        )


class _CacheCounters(Collector):
    """The answer cache's hits and misses in this process, read at scrape time."""

    def __init__(self, cache: Cache) -> None:
        self.cache = cache

    def collect(self) -> Iterator[CounterMetricFamily]:
        yield CounterMetricFamily(
            "vidscope_answer_cache_hits", "Answers served from the cache", value=self.cache.hits
        )
        yield CounterMetricFamily(
            "vidscope_answer_cache_misses",
            "Answers the cache did not hold (computed, then stored)",
            value=self.cache.misses,
        )


class _JobGauges(Collector):
    def __init__(self, counts: Callable[[], dict[str, int]]) -> None:
        self.counts = counts

    def collect(self) -> Iterator[GaugeMetricFamily]:
        counts = self.counts()
        by_state = GaugeMetricFamily("vidscope_jobs", "Jobs by state", labels=["state"])
        for state in JOB_STATUSES:
            by_state.add_metric([state], counts.get(state, 0))
        yield by_state
        yield GaugeMetricFamily(
            "vidscope_queue_depth", "Jobs waiting to run", value=counts.get("queued", 0)
        )
