"""Operators' routes: liveness, readiness (each part with its own status) and metrics."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel

from app.api.metrics import check_scraper
from pipelines.storage.faults import free_bytes

router = APIRouter(tags=["operations"])


class Liveness(BaseModel):
    status: Literal["ok"]


class Check(BaseModel):
    # degraded: serving, but refusing some work (a disk below its margin)
    status: Literal["ok", "degraded", "down", "off"]
    detail: str | None = None


class Readiness(BaseModel):
    status: Literal["ready", "not_ready"]
    checks: dict[str, Check]


@router.get("/healthz", summary="Liveness: the process answers (no I/O)", response_model=Liveness)
def healthz() -> Liveness:
    return Liveness(status="ok")


@router.get(
    "/readyz",
    summary="Readiness: catalog, indexes, models, job worker, disk and Redis, each with its status",
    response_model=Readiness,
    responses={503: {"model": Readiness, "description": "A part is down"}},
)
def readyz(request: Request) -> JSONResponse:
    body = readiness(request.app.state)
    return JSONResponse(body.model_dump(), status_code=200 if body.status == "ready" else 503)


def readiness(state: Any) -> Readiness:
    """Each part's status (the route's body, and /metrics's ``vidscope_ready*`` gauges)."""
    checks: dict[str, Check] = {}

    def check(name: str, probe: object) -> None:
        try:
            ok = probe() if callable(probe) else bool(probe)
            checks[name] = Check(status="ok" if ok else "down")
        except Exception as exc:  # a readiness probe reports, never raises
            checks[name] = Check(status="down", detail=type(exc).__name__)

    library = state.library
    check("catalog", lambda: library.catalog.con.execute("SELECT 1").fetchone() == (1,))
    check("indexes", lambda: library.indexes.snapshot("local") is not None)
    check("models", lambda: state.models_ready.is_set())
    check("worker", lambda: state.worker.state().alive)
    checks["disk"] = _disk(library)
    if library.settings.server.redis_url:
        check("redis", state.limits.healthy)
    else:
        checks["redis"] = Check(status="off", detail="VIDSCOPE_REDIS_URL is not set")
    ready = all(c.status != "down" for c in checks.values())
    return Readiness(status="ready" if ready else "not_ready", checks=checks)


def _disk(library: Any) -> Check:
    margin = library.settings.limits.min_free_bytes
    try:
        free = free_bytes(library.settings.home)
    except OSError as exc:
        return Check(status="down", detail=exc.strerror or type(exc).__name__)
    if free < margin:
        return Check(
            status="degraded",
            detail=f"{free // 2**20} MiB free, below VIDSCOPE_MIN_FREE_BYTES "
            f"({margin // 2**20} MiB): uploads, ingests and clips are refused",
        )
    return Check(status="ok")


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    response_class=Response,
    responses={
        200: {
            "description": "The Prometheus text format",
            "content": {CONTENT_TYPE_LATEST: {"schema": {"type": "string"}}},
        }
    },
)
def metrics(request: Request) -> Response:
    """Only with ``Authorization: Bearer <VIDSCOPE_METRICS_TOKEN>`` (as Prometheus's
    ``authorization`` setting sends it); with no token set, only to this machine (a loopback
    client no proxy forwarded)."""
    token = request.app.state.library.settings.server.metrics_token
    check_scraper(
        request.client.host if request.client else None,
        request.headers,
        token.get_secret_value() if token is not None else None,
    )
    return Response(
        generate_latest(request.app.state.metrics.registry), media_type=CONTENT_TYPE_LATEST
    )
