"""The server: one FastAPI app whose lifespan opens the one writer (``Library.open``), starts
the job worker and publishes the local administrator's credentials for the CLI."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from opentelemetry.sdk.trace import SpanProcessor
from starlette.concurrency import run_in_threadpool

from app.api.contract import install_contract
from app.api.errors import install_error_handlers
from app.api.methods import MethodsOfKnownPaths
from app.api.metrics import Metrics
from app.api.middleware import RequestContext
from app.api.origins import SameOriginWrites
from app.api.ratelimit import RateLimits
from app.api.routes import (
    admin,
    answer_stream,
    answers,
    auth,
    batches,
    clips,
    health,
    jobs,
    reels,
    search,
    speakers,
    summaries,
    videos,
    web_session,
)
from app.api.routes.health import readiness
from app.api.telemetry import get_tracer, tracer_provider
from pipelines.accounts import Accounts
from pipelines.config import Settings
from pipelines.library import Library
from pipelines.logs import get_logger
from pipelines.storage.files import atomic_write

log = get_logger(__name__)
API_VERSION = "1.0.0"
ADMIN_TOKEN_TTL_S = 30 * 24 * 3600


def _write_private(path: Path, text: str) -> None:
    """Writes a file only its owner can read (mode 0600), replacing any older one."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    with atomic_write(path, mode=0o600) as partial:
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(text)


def _publish_for_cli(library: Library, accounts: Accounts, url: str | None) -> None:
    """The CLI beside the server finds it here: its address, and a token for the local owner
    (who administers this machine's library) in a file only this OS user can read."""
    settings = library.settings
    local = library.local.user()
    accounts.end_all_sessions(local)  # an earlier server's token stops working
    token = accounts.access_token(local, ttl_s=ADMIN_TOKEN_TTL_S)
    _write_private(settings.layout.admin_token_path, token)
    if url is not None:
        _write_private(
            settings.layout.server_info_path, json.dumps({"url": url, "pid": os.getpid()})
        )


def _withdraw_for_cli(library: Library, accounts: Accounts) -> None:
    """The server's administrator token ends with the server, wherever a copy of it went."""
    settings = library.settings
    settings.layout.server_info_path.unlink(missing_ok=True)
    settings.layout.admin_token_path.unlink(missing_ok=True)
    accounts.end_all_sessions(library.local.user())


def _warm_models(library: Library, ready: threading.Event) -> None:
    """Loads the query embedder once, so the first search does not pay for it, and the local
    language model when answers use one (prepared and loaded once: the first question and
    the CLI beside the server find it warm); /readyz says ready after both."""
    from pipelines.models import warm_language_model

    try:
        library.embed_query("warm up")
        warm_language_model(library.settings)
        ready.set()
        if library.settings.speakers.enabled:
            # After ready: only a first start with an empty cache compiles (~50 s), and
            # only recordings over 20 minutes need it.
            from pipelines.speech.diarize import (
                clustering_compiled,
                compile_long_recording_clustering,
            )

            if not clustering_compiled():
                compile_long_recording_clustering()
    except Exception:
        log.error("models.load_failed", exc_info=True)


def create_app(
    settings: Settings,
    *,
    public_url: str | None = None,
    span_processor: SpanProcessor | None = None,
    start_worker: bool = True,
    library: Library | None = None,
    web: bool = False,
) -> FastAPI:
    """The app. ``public_url`` is where the CLI can reach it (written for the CLI to find);
    ``span_processor`` receives the traces (tests); ``library``, opened by the caller, is
    owned by the app from then on (else the lifespan opens it); ``web`` mounts the web app
    at ``/``."""
    metrics = Metrics()
    provider = tracer_provider(settings, span_processor)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        nonlocal library
        if library is None:
            library = await run_in_threadpool(Library.open, settings)
        accounts = library.accounts
        from pipelines.jobs.startup import library_worker

        worker = library_worker(library)
        worker.tracer = get_tracer(provider)
        worker.on_job_done = _job_metrics(metrics, library)
        metrics.watch_jobs(library.system.jobs_by_status)
        metrics.watch_cache(library.answer_cache)
        metrics.watch_readiness(
            lambda: {name: c.status for name, c in readiness(app.state).checks.items()}
        )
        metrics.watch_disk(settings.home)
        app.state.library = library
        app.state.accounts = accounts
        app.state.worker = worker
        if web_app is not None:
            web_app.attach(library, accounts, worker)
        app.state.models_ready = threading.Event()
        threading.Thread(
            target=_warm_models, args=(library, app.state.models_ready), daemon=True
        ).start()
        if start_worker:
            worker.start()
        _publish_for_cli(library, accounts, public_url)
        log.info("server.started", home=str(settings.home), url=public_url)
        try:
            yield
        finally:
            _withdraw_for_cli(library, accounts)
            worker.stop()
            library.close()
            provider.shutdown()
            log.info("server.stopped")

    app = FastAPI(
        title="Vidscope API",
        version=API_VERSION,
        summary="Search, read and cut your recorded videos.",
        description=(
            "Every route under `/api/v1` except sign-up and login needs "
            "`Authorization: Bearer <access_token>`. Every failure is "
            '`{"error": {"code", "message", "correlation_id", "details"}}`.'
        ),
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        swagger_ui_oauth2_redirect_url=None,
    )
    app.state.metrics = metrics
    app.state.limits = RateLimits(settings)
    app.state.tracer = get_tracer(provider)
    install_error_handlers(app)
    for module in (
        auth,
        videos,
        summaries,
        speakers,
        search,
        answers,
        answer_stream,
        clips,
        reels,
        jobs,
        admin,
        batches,
        health,
        web_session,
    ):
        app.include_router(module.router)
    install_contract(app)
    _offline_docs(app)
    web_app = None
    if web:
        from app.web import mount_web  # Gradio loads only when the web app is served

        web_app = mount_web(app, settings)
    # Innermost: a CORS preflight is answered before it, and the envelope has its request id.
    app.add_middleware(MethodsOfKnownPaths, routes=app.router.routes)
    origins = settings.server.cors_origins
    app.add_middleware(SameOriginWrites, allowed_origins=origins)
    # Always installed, even with no origin listed: one policy for every path (Gradio backs
    # off when the parent app has its own). Other origins use bearer tokens, never the
    # session cookie, so no credentials cross origins.
    app.add_middleware(
        CORSMiddleware,
        allow_origins=list(origins),
        allow_credentials=False,
        allow_methods=["GET", "POST", "PATCH", "DELETE"],
        allow_headers=["Authorization", "Content-Type", "X-Request-ID"],
        expose_headers=["X-Request-ID", "Content-Range", "Retry-After"],
    )
    app.add_middleware(
        RequestContext,
        metrics=metrics,
        max_body_bytes=settings.limits.request_max_bytes,
        tracer=app.state.tracer,
    )
    return app


STATIC = Path(__file__).resolve().parents[1] / "static"


def _offline_docs(app: FastAPI) -> None:
    """Swagger UI served from the wheel that ships it: no CDN, so /docs works air-gapped."""
    import swagger_ui_bundle

    app.mount("/static/web", StaticFiles(directory=STATIC / "web"), name="web-static")
    app.mount(
        "/static/swagger",
        StaticFiles(directory=swagger_ui_bundle.swagger_ui_path),
        name="swagger",
    )

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title="Vidscope API",
            swagger_js_url="/static/swagger/swagger-ui-bundle.js",
            swagger_css_url="/static/swagger/swagger-ui.css",
            swagger_favicon_url="/static/swagger/favicon-32x32.png",
        )


def _job_metrics(metrics: Metrics, library: Library) -> Any:
    import time

    def record(job: Any, started: float) -> None:
        if job.status not in ("succeeded", "failed"):
            return  # queued again for a retry: it has not finished
        metrics.jobs_finished.labels(job.kind, job.status).inc()
        if job.kind == "ingest" and job.status == "succeeded" and job.video_id:
            video = library.for_owner(job.owner_id).get_video(job.video_id)
            if video.duration > 0:
                metrics.ingest_speed.observe((time.perf_counter() - started) / video.duration)

    return record
