"""The outermost layer of every request: a request id (``X-Request-ID``, accepted when it is
well-formed, else made), one JSON log line per request with its route template, user and
latency, the request metrics, security headers, and the body-size limit for everything but
uploads (which enforce their own, larger limit while streaming)."""

from __future__ import annotations

import json
import re
import time
import uuid
from typing import Any

import structlog
from fastapi import HTTPException
from opentelemetry.trace import Tracer
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.api.errors import code_for_status, envelope_bytes, send_envelope
from app.api.metrics import Metrics
from pipelines.logs import get_logger

log = get_logger("vidscope.http")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{8,64}$")
# Uploads enforce their own, larger limit while streaming: the API's, and the web page's
# (Gradio's upload route, held to VIDSCOPE_MAX_FILE_BYTES by the web app's guard and Gradio).
UPLOAD_PATHS = frozenset({"/api/v1/videos", "/gradio_api/upload"})

API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'"
# Swagger UI is served from this server (no CDN): its own script, style and inline setup.
DOCS_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'"
)


class _TooLarge(HTTPException):
    """Raised while the body is read. FastAPI's own HTTPException, which FastAPI passes on to
    the handlers (``request.too_large``) where it turns any other error met while reading a
    body into its 400 'error parsing the body' (which was answered 422 ``request.invalid``:
    a chunked body over the limit, with no Content-Length to refuse it by)."""

    def __init__(self, limit: int) -> None:
        super().__init__(
            413,
            f"the request body is over the {limit}-byte limit (VIDSCOPE_REQUEST_MAX_BYTES); "
            "uploads go to POST /api/v1/videos",
            headers={"Connection": "close"},
        )
        self.limit = limit


class RequestContext:
    def __init__(
        self, app: ASGIApp, *, metrics: Metrics, max_body_bytes: int, tracer: Tracer
    ) -> None:
        self.app = app
        self.metrics = metrics
        self.max_body_bytes = max_body_bytes
        self.tracer = tracer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        given = headers.get("x-request-id", "")
        request_id = given if _REQUEST_ID.match(given) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        structlog.contextvars.bind_contextvars(request_id=request_id)
        started = time.perf_counter()
        status = 500
        path = scope["path"]
        https = scope.get("scheme") == "https"

        held: Message | None = None  # an error's start, held until its body is known
        held_body = bytearray()
        wrapped = False

        async def send_with_headers(message: Message) -> None:
            nonlocal status, held, wrapped
            if message["type"] == "http.response.start":
                status = message["status"]
                present = {k.lower() for k, _ in message.get("headers", [])}
                extra = []
                if b"cache-control" not in present and not _cacheable(path):
                    # Answers are one person's: no shared cache may keep them.
                    extra.append((b"cache-control", b"no-store"))
                if status >= 400 and not wrapped and _wrappable(message):
                    held = message
                    return
                extra += [
                    (b"x-request-id", request_id.encode()),
                    (b"x-content-type-options", b"nosniff"),
                    # Not 'no-referrer': under it a browser posts this site's own forms with
                    # "Origin: null", and the origin check could not tell them from a stranger.
                    (b"referrer-policy", b"same-origin"),
                    (b"x-frame-options", b"DENY"),
                    (b"cross-origin-opener-policy", b"same-origin"),
                    (b"content-security-policy", _csp(path).encode()),
                ]
                if https:
                    extra.append((b"strict-transport-security", b"max-age=31536000"))
                message["headers"] = list(message.get("headers", [])) + extra
            elif held is not None and message["type"] == "http.response.body":
                held_body.extend(message.get("body", b""))
                if message.get("more_body", False):
                    return
                start, held, wrapped = held, None, True
                body = _as_envelope(bytes(held_body), status, request_id)
                start["headers"] = [
                    (k, v)
                    for k, v in start.get("headers", [])
                    if k.lower() not in (b"content-length", b"content-type")
                ] + [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ]
                await send_with_headers(start)
                await send({"type": "http.response.body", "body": body})
                return
            await send(message)

        limit = None if path in UPLOAD_PATHS else self.max_body_bytes
        declared = headers.get("content-length", "")
        if limit is not None and declared.isdigit() and int(declared) > limit:
            await _reject_too_large(send_with_headers, request_id, limit)
            self._record(scope, 413, started)
            return
        received = 0

        async def counted_receive() -> Message:
            nonlocal received
            message = await receive()
            if limit is not None and message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _TooLarge(limit)
            return message

        with self.tracer.start_as_current_span(f"{scope['method']} {path}") as span:
            span.set_attribute("http.request_id", request_id)
            try:
                await self.app(scope, counted_receive, send_with_headers)
            except _TooLarge:
                await _reject_too_large(send_with_headers, request_id, limit or 0)
                status = 413
            except BaseExceptionGroup as group:
                # The limit met inside a task group (a route that reads its own body, as
                # login does): the 413 too, not a 500 in the log and the metrics.
                if not isinstance(_first_leaf(group), _TooLarge):
                    raise
                await _reject_too_large(send_with_headers, request_id, limit or 0)
                status = 413
            finally:
                span.update_name(f"{scope['method']} {_route_template(scope)}")
                span.set_attribute("http.route", _route_template(scope))
                span.set_attribute("http.status_code", status)
                self._record(scope, status, started)

    def _record(self, scope: Scope, status: int, started: float) -> None:
        elapsed = time.perf_counter() - started
        route = _route_template(scope)
        self.metrics.requests.labels(route, scope["method"], str(status)).inc()
        self.metrics.latency.labels(route).observe(elapsed)
        state: dict[str, Any] = scope.get("state", {})
        log.info(
            "http.request",
            method=scope["method"],
            route=route,
            status=status,
            latency_ms=round(elapsed * 1000, 1),
            user_id=state.get("user_id"),
            client=(scope.get("client") or ("", 0))[0],
        )


def _first_leaf(group: BaseExceptionGroup[BaseException]) -> BaseException:
    error: BaseException = group
    while isinstance(error, BaseExceptionGroup) and error.exceptions:
        error = error.exceptions[0]
    return error


def _cacheable(path: str) -> bool:
    """Static assets may be cached; everything else is someone's data or a live page."""
    return path.startswith(("/static/", "/assets/", "/gradio_api/assets/")) or path.endswith(
        (".js", ".css", ".woff2", ".svg", ".png", ".ico")
    )


def _wrappable(start: Message) -> bool:
    """An error answer that is not one of ours and not a page: plain text, or JSON that may
    lack the envelope (Gradio's own 404s and 500s, Starlette's 400 for a bad Range)."""
    for key, value in start.get("headers", []):
        if key.lower() == b"content-type":
            kind = value.split(b";")[0].strip().lower()
            return kind in (b"text/plain", b"application/json")
    return True


def _as_envelope(body: bytes, status: int, request_id: str) -> bytes:
    """The body as it was when it is already an envelope; else the envelope around it."""
    text = body.decode("utf-8", "replace").strip()
    try:
        parsed = json.loads(text) if text else None
    except ValueError:
        parsed = None
    if isinstance(parsed, dict) and set(parsed) != {"detail"}:
        return body  # ours: an envelope, or a body with its own shape (/readyz's checks)
    if isinstance(parsed, dict):
        text = str(parsed["detail"])  # Starlette's and Gradio's own {"detail": ...}
    if status >= 500:
        text = (
            "something went wrong on the server; the log has the details under the correlation id"
        )
    return envelope_bytes(code_for_status(status), text[:500] or f"HTTP {status}", request_id)


def _route_template(scope: Scope) -> str:
    route = scope.get("route")
    return str(getattr(route, "path", "unmatched"))


# The web app's pages (Gradio and the sign-in forms): their own scripts, styles and media, and
# nothing from anywhere else; forms post only here.
WEB_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' 'unsafe-eval'; "
    "style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; media-src 'self' blob:; "
    "font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; "
    "form-action 'self'"
)


def _csp(path: str) -> str:
    if path.startswith(("/docs", "/static/swagger")):
        return DOCS_CSP
    if path.startswith(("/api/", "/openapi.json", "/metrics", "/healthz", "/readyz")):
        return API_CSP
    return WEB_CSP


async def _reject_too_large(send: Send, request_id: str, limit: int) -> None:
    await send_envelope(
        send,
        status=413,
        code="request.too_large",
        message=f"the request body is over the {limit}-byte limit "
        "(VIDSCOPE_REQUEST_MAX_BYTES); uploads go to POST /api/v1/videos",
        correlation_id=request_id,
        details={"limit_bytes": limit},
        close=True,
    )
