"""Every failure leaves the server as one JSON envelope,
``{"error": {"code", "message", "correlation_id", "details"}}``, whose code is the
``VidscopeError`` code. Library errors become HTTP statuses here, and only here."""

from __future__ import annotations

import json
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import Send

from pipelines.errors import VidscopeError
from pipelines.logs import get_logger
from pipelines.public import ErrorBody
from pipelines.storage.faults import library_fault

log = get_logger(__name__)
# Paging past this is a request error, not a 64-bit overflow in the database (schemathesis
# found GET /api/v1/jobs?offset=2**63 answering 500).
MAX_OFFSET = 1_000_000_000


class ErrorEnvelope(BaseModel):
    error: ErrorBody


# The HTTP status of every code, decided here and only here: an exact code first, then its
# area ("media.*"), then "*.not_found". The OpenAPI descriptions below name codes by these
# rules, and tests/unit/test_error_statuses.py holds them to this table; a code whose area is
# missing falls to 400, which that test refuses for the areas clients meet.
_BY_CODE = {
    "auth.disabled": 403,
    "auth.registration_closed": 403,
    "auth.forbidden": 403,
    "auth.username_taken": 409,
    "auth.bad_username": 422,
    "auth.weak_password": 422,  # nosec B105  # an error code, not a password
    "media.too_large": 413,
    "upload.too_large": 413,
    "quota.exceeded": 413,
    "media.unsupported": 415,
    "media.busy": 409,
    "clip.not_ready": 409,
    "reel.not_ready": 409,  # as a clip's: being made, follow its job
    "job.not_retryable": 409,
    "job.queue_full": 429,  # the owner's cap on queued and running jobs
    "reel.too_many_parts": 422,
    "reel.too_long": 422,
    "rate.limited": 429,
    "request.too_large": 413,
    "request.length_required": 411,
    "library.locked": 503,
    "library.closed": 503,
    "library.damaged": 503,
    "library.read_only": 503,
    "storage.full": 507,
    "media.missing": 404,
    "server.unavailable": 503,
    "query.no_match": 404,
    "web.session_mismatch": 403,
    "web.session_changed": 403,
    "auth.reserved_account": 403,
    "request.cross_origin": 403,
    "web.unknown_event": 404,
    "speaker.unknown": 404,  # like a video that is not yours: nothing there by that name
    "speaker.bad_name": 422,
    "speaker.name_like_label": 422,  # a name, like bad_name, that cannot be given
    "speaker.name_taken": 409,
    "speaker.bad_count": 422,  # an upload's 'speakers' outside 1-20
}
_BY_AREA = {
    "auth": 401,
    "media": 422,
    "upload": 400,
    "query": 422,
    "clip": 422,
    "reel": 422,  # a reel's source or limits, as a clip's range: the request cannot be made
    "summary": 409,  # being made, or the video not searchable yet: ask again
    "transcript": 422,
    "request": 422,
    "http": 400,
    "processing": 500,
    "model": 500,
    "config": 500,
    "internal": 500,
}


def status_for(code: str) -> int:
    if code in _BY_CODE:
        return _BY_CODE[code]
    if code.endswith(".not_found"):
        return 404
    return _BY_AREA.get(code.split(".", 1)[0], 400)


def error_response(
    request: Request,
    *,
    code: str,
    message: str,
    status: int | None = None,
    details: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body = {
        "error": {
            "code": code,
            "message": message,
            "correlation_id": getattr(request.state, "request_id", None),
            "details": details or {},
        }
    }
    return JSONResponse(body, status_code=status or status_for(code), headers=headers)


def _public_details(exc: VidscopeError) -> dict[str, Any]:
    """The error's context a client may see. Server paths never leave the server, nor do
    FFmpeg's raw details (they name paths); those stay in the log."""
    return {
        key: value
        for key, value in exc.context.items()
        if key not in ("path", "home", "source", "detail")
        and isinstance(value, str | int | float | bool)
        and not (isinstance(value, str) and "/" in value)
    }


async def _vidscope_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, VidscopeError)
    headers = {}
    if exc.code == "rate.limited":
        headers["Retry-After"] = str(exc.context.get("retry_after", 1))
    if status_for(exc.code) == 401:
        headers["WWW-Authenticate"] = _challenge(exc.code)
    return error_response(
        request, code=exc.code, message=exc.message, details=_public_details(exc), headers=headers
    )


def _challenge(code: str) -> str:
    """RFC 6750's challenge: invalid_token (expired, ended, tampered, reused, an account
    disabled since) with our code as its description; no error when no token came (or the
    401 is a wrong password at login)."""
    if code in ("auth.missing_token", "auth.failed"):
        return 'Bearer realm="vidscope"'
    return f'Bearer realm="vidscope", error="invalid_token", error_description="{code}"'


# FastAPI answers a JSON body it cannot read as text (bytes that are not UTF-8) with this
# 400, while a body that is text but not JSON is its 422 'json_invalid': one malformed body,
# two answers. Both are the documented validation error here.
_UNPARSABLE_BODY = "There was an error parsing the body"


def _http_leaf(error: BaseException | None) -> StarletteHTTPException | None:
    """The HTTP error inside a middleware's task group's ExceptionGroup (the body limit's
    413 met while a body was read), which FastAPI reports as its 400 'error parsing the
    body', and a route reading its own body as an unexpected error."""
    while isinstance(error, BaseExceptionGroup) and error.exceptions:
        error = error.exceptions[0]
    return error if isinstance(error, StarletteHTTPException) else None


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 400 and exc.detail == _UNPARSABLE_BODY:
        exc = _http_leaf(exc.__cause__) or exc
    if exc.status_code == 400 and exc.detail == _UNPARSABLE_BODY:
        return error_response(
            request,
            code="request.invalid",
            message="the request is not valid: body: not JSON (send UTF-8 JSON, "
            "Content-Type: application/json)",
            details={"problems": [{"where": "body", "problem": "not JSON"}]},
        )
    code = code_for_status(exc.status_code)
    message = {
        404: f"no route {request.url.path}; the API is under /api/v1 (see /docs)",
        405: f"{request.method} is not allowed on {request.url.path}",
    }.get(exc.status_code, str(exc.detail))
    return error_response(
        request,
        code=code,
        message=message,
        status=exc.status_code,
        headers=dict(exc.headers or {}),
    )


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = [
        {"where": ".".join(str(part) for part in err.get("loc", ())), "problem": err.get("msg")}
        for err in exc.errors()
    ]
    summary = "; ".join(f"{p['where']}: {p['problem']}" for p in problems[:5])
    return error_response(
        request,
        code="request.invalid",
        message=f"the request is not valid: {summary}",
        details={"problems": problems},
    )


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    if isinstance(exc, BaseExceptionGroup) and (leaf := _http_leaf(exc)) is not None:
        return await _http_error(request, leaf)
    # A library fault met mid-request (a damaged catalog, a full disk, a read-only library)
    # is named with its code and the way back, not reported as a bug.
    library = getattr(request.app.state, "library", None)
    fault = library_fault(exc, library.settings.home) if library is not None else None
    if fault is not None:
        log.error("http.library_fault", code=fault.code, exc_info=exc)
        return await _vidscope_error(request, fault)
    log.error("http.unexpected_error", exc_info=exc)
    return error_response(
        request,
        code="internal.error",
        message="something went wrong on the server; the log has the details under the "
        "correlation id",
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(VidscopeError, _vidscope_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(Exception, _unexpected)


# What each route may answer besides success, for the OpenAPI document: each status with its
# codes and an example envelope of one of them.
_DOCUMENTED: dict[int, tuple[str, str, str]] = {
    400: (
        "Bad request (`http.bad_request`, `upload.*`)",
        "http.bad_request",
        "bytes=x-y is not a range",
    ),
    401: (
        "Missing, expired or invalid token (`auth.*`)",
        "auth.missing_token",
        "send Authorization: Bearer <access_token>",
    ),
    403: (
        "Forbidden (`auth.disabled`, `auth.forbidden`, `request.cross_origin`)",
        "auth.forbidden",
        "administrators only",
    ),
    404: (
        "Not found, or not yours (`*.not_found`, `query.no_match`)",
        "video.not_found",
        "no video 3f2a9c0d1e4b5a6c",
    ),
    409: (
        "Conflict (`media.busy`, `clip.not_ready`, `reel.not_ready`, `job.not_retryable`, "
        "`*_taken`)",
        "clip.not_ready",
        "the clip is not ready yet; follow its job",
    ),
    413: (
        "Too large (`request.too_large`, `upload.too_large`, `quota.exceeded`)",
        "request.too_large",
        "the request body is over the 1048576-byte limit (VIDSCOPE_REQUEST_MAX_BYTES)",
    ),
    416: (
        "Range not satisfiable (`http.range_not_satisfiable`): the range starts past the "
        "file's end; Content-Range gives its size",
        "http.range_not_satisfiable",
        "Range Not Satisfiable",
    ),
    415: (
        "Unsupported media (`media.unsupported`): the file's bytes are not one of the allowed "
        "audio/video containers (its name and its part's Content-Type do not count)",
        "media.unsupported",
        "slides.pdf: not an allowed audio/video container (allowed: mp4, mov, mkv, webm, avi, "
        "m4a, mp3, wav, flac, ogg)",
    ),
    422: (
        "Invalid input (`request.invalid`, a body that is not JSON included; `media.*`, "
        "`clip.*`, `reel.*`, `query.*`, `auth.bad_username`, `auth.weak_password`)",
        "request.invalid",
        "the request is not valid: body: not JSON",
    ),
    429: (
        "Rate limited (`rate.limited`, `job.queue_full`); see Retry-After",
        "rate.limited",
        "too many requests; retry in 12 s",
    ),
    500: ("Server error (`internal.error`)", "internal.error", "something went wrong"),
    503: (
        "The library cannot serve this now (`library.damaged`, `library.read_only`, …)",
        "library.locked",
        "another process holds the library",
    ),
    507: ("The library's disk is full (`storage.full`)", "storage.full", "the disk is full"),
}


def documented_error(status: int) -> dict[str, Any]:
    description, code, message = _DOCUMENTED.get(status, ("Error", code_for_status(status), ""))
    example = {
        "error": {"code": code, "message": message, "correlation_id": "5c777ea0", "details": {}}
    }
    return {
        "model": ErrorEnvelope,
        "description": description,
        "content": {"application/json": {"example": example}},
    }


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return {status: documented_error(status) for status in (*statuses, 429, 500)}


async def send_envelope(
    send: Send,
    *,
    status: int,
    code: str,
    message: str,
    correlation_id: str | None,
    details: dict[str, Any] | None = None,
    close: bool = False,
    retry_after_s: int | None = None,
    headers: dict[str, str] | None = None,
) -> None:
    """The error envelope written straight to ASGI, for the layers that answer before any
    route runs (the body limit, the origin check, the web app's guard)."""
    body = envelope_bytes(code, message, correlation_id, details)
    raw_headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"cache-control", b"no-store"),
        *((k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in (headers or {}).items()),
    ]
    if retry_after_s is not None:
        raw_headers.append((b"retry-after", str(retry_after_s).encode()))
    if close:
        raw_headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": raw_headers})
    await send({"type": "http.response.body", "body": body})


# The code of an HTTP status that reached the client without one of ours (Starlette's own
# exceptions, Gradio's plain-text answers).
_STATUS_CODES = {
    400: "http.bad_request",
    401: "auth.missing_token",
    403: "auth.forbidden",
    404: "http.not_found",
    405: "http.method_not_allowed",
    413: "request.too_large",
    416: "http.range_not_satisfiable",
    500: "internal.error",
}


def code_for_status(status: int) -> str:
    return _STATUS_CODES.get(status, f"http.status_{status}")


def envelope_bytes(
    code: str, message: str, correlation_id: str | None, details: dict[str, Any] | None = None
) -> bytes:
    """The envelope's JSON, for the layers that write bytes themselves."""
    body = {"code": code, "message": message, "correlation_id": correlation_id}
    return json.dumps({"error": {**body, "details": details or {}}}).encode()
