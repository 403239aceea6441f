"""What the OpenAPI document says beyond what each route declares: the answers every route with
a body can give, and the links between operations (an id one answer gives is the path of
another), so a client, and Schemathesis's stateful phase, can follow them."""

from __future__ import annotations

import json
from typing import Any

from fastapi import FastAPI

from app.api.errors import documented_error
from app.api.session_cookie import SECURE_SESSION_COOKIE, SESSION_COOKIE

_SAME_VIDEO = {"video_id": "$request.path.video_id"}
# The first speaker a video's list names (a video with speech has at least one).
_SPEAKER = {**_SAME_VIDEO, "label": "$response.body#/items/0/label"}
# (operation, status, link name, target operation, {target parameter: where in the answer}).
_LINKS: tuple[tuple[str, str, str, str, dict[str, str]], ...] = (
    ("list_videos", "200", "GetVideo", "get_video", {"video_id": "$response.body#/items/0/id"}),
    ("get_video", "200", "GetChapters", "chapters", {"video_id": "$response.body#/id"}),
    ("get_video", "200", "GetTranscript", "get_transcript", {"video_id": "$response.body#/id"}),
    ("get_video", "200", "GetSpeakers", "list_speakers", {"video_id": "$response.body#/id"}),
    ("get_video", "200", "GetSummary", "summary", {"video_id": "$response.body#/id"}),
    ("get_video", "200", "GetThumbnail", "get_thumbnail", {"video_id": "$response.body#/id"}),
    ("get_video", "200", "GetMedia", "get_media", {"video_id": "$response.body#/id"}),
    (
        "get_video",
        "200",
        "RegenerateSummary",
        "regenerate_summary",
        {"video_id": "$response.body#/id"},
    ),
    ("upload_video", "202", "GetJob", "get_job", {"job_id": "$response.body#/job_id"}),
    # 200 is a file this owner has already: its video.
    ("upload_video", "200", "GetVideo", "get_video", {"video_id": "$response.body#/video_id"}),
    ("list_jobs", "200", "GetJob", "get_job", {"job_id": "$response.body#/items/0/id"}),
    ("get_job", "200", "GetVideo", "get_video", {"video_id": "$response.body#/video_id"}),
    ("get_job", "200", "GetClip", "get_clip", {"clip_id": "$response.body#/clip_id"}),
    ("get_job", "200", "RetryJob", "retry_job", {"job_id": "$response.body#/id"}),
    ("create_clip", "202", "GetClip", "get_clip", {"clip_id": "$response.body#/clip_id"}),
    ("create_clip", "202", "GetJob", "get_job", {"job_id": "$response.body#/job_id"}),
    ("get_clip", "200", "GetClipFile", "get_clip_file", {"clip_id": "$response.body#/id"}),
    ("get_clip", "200", "GetVideo", "get_video", {"video_id": "$response.body#/video_id"}),
    ("create_reel", "202", "GetReel", "get_reel", {"reel_id": "$response.body#/reel_id"}),
    ("create_reel", "202", "GetJob", "get_job", {"job_id": "$response.body#/job_id"}),
    ("get_reel", "200", "GetReelFile", "get_reel_file", {"reel_id": "$response.body#/id"}),
    # No link from /search: a search with no hit has no video to follow (the link broke).
    ("list_speakers", "200", "RenameSpeaker", "rename_speaker", _SPEAKER),
    ("list_speakers", "200", "RejectSpeakerName", "reject_speaker_name", _SPEAKER),
    ("rename_speaker", "200", "GetSpeakers", "list_speakers", _SAME_VIDEO),
    ("reject_speaker_name", "200", "GetSpeakers", "list_speakers", _SAME_VIDEO),
)

# Links whose target takes a body: (operation, status, link name, target, the body). The
# body is the whole request ("x-schemathesis": merge_body false), not fields to mix into
# another: a reel's body with a second source would be refused (exactly one of three).
_WHOLE_VIDEO = {"video_id": "$response.body#/id", "start": 0, "end": "$response.body#/duration"}
_BODY_LINKS: tuple[tuple[str, str, str, str, dict[str, Any]], ...] = (
    ("get_video", "200", "ClipVideo", "create_clip", _WHOLE_VIDEO),
    ("get_video", "200", "ReelOfVideo", "create_reel", {"hits": [_WHOLE_VIDEO]}),
)


def _operations(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Each operation by its function's name (FastAPI's operationId starts with it)."""
    found: dict[str, dict[str, Any]] = {}
    for path, methods in document.get("paths", {}).items():
        for operation in methods.values():
            suffix = "_" + "_".join(filter(None, path.replace("-", "_").split("/")))
            name = operation["operationId"].split(suffix.replace("{", "_").replace("}", "_"))[0]
            found[name] = operation
    return found


# Methods that change something: a browser page of another origin may not send them, token
# or not (app/api/origins.py answers 403 request.cross_origin before any route runs).
_WRITES = frozenset({"post", "put", "patch", "delete"})


def _complete(document: dict[str, Any]) -> dict[str, Any]:
    operations = _operations(document)
    for methods in document.get("paths", {}).values():
        for method, operation in methods.items():
            if method in _WRITES:
                operation["responses"].setdefault("403", _error_object(403))
    for operation in operations.values():
        responses = operation["responses"]
        if "HTTPValidationError" in json.dumps(responses.get("422", {})):
            # FastAPI's own shape ({"detail": [...]}), which no answer of ours has: a 422
            # is the envelope with request.invalid.
            responses["422"] = _error_object(422)
        if "requestBody" in operation:
            # The body limit (request.too_large) and a body that is not JSON (request.invalid)
            # are answered before any route runs.
            for code in (413, 422):
                operation["responses"].setdefault(str(code), _error_object(code))
    for name, operation in operations.items():
        if "422" in operation["responses"]:
            operation["responses"]["422"]["description"] = _invalid(name, operation)
        for parameter in operation.get("parameters", []):
            options = parameter.get("schema", {}).get("anyOf", [])
            if parameter["in"] == "header" and {"type": "null"} in options:
                # An optional header is absent, never JSON null: Schemathesis sent `Range:
                # null` as the schema allowed, and that is no byte range (400).
                rest = [option for option in options if option != {"type": "null"}]
                parameter["schema"] = {**parameter["schema"], **rest[0]} if len(rest) == 1 else {}
                parameter["schema"].pop("anyOf", None)
    schemes = document.setdefault("components", {}).setdefault("securitySchemes", {})
    schemes[COOKIE_SCHEME] = COOKIE_AUTH
    for operation in operations.values():
        if any(BEARER_SCHEME in need for need in operation.get("security", [])):
            operation["security"] = [{BEARER_SCHEME: []}, {COOKIE_SCHEME: []}]
    schemas = document.get("components", {}).get("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    for source, status, name, target, parameters in _LINKS:
        response = operations[source]["responses"][status]
        response.setdefault("links", {})[name] = {
            "operationId": operations[target]["operationId"],
            "parameters": parameters,
        }
    for source, status, name, target, body in _BODY_LINKS:
        response = operations[source]["responses"][status]
        response.setdefault("links", {})[name] = {
            "operationId": operations[target]["operationId"],
            "requestBody": body,
            "x-schemathesis": {"merge_body": False},
        }
    return document


# The web app's session cookie is the other way in (app/api/session_cookie.py): what a
# signed-in page's requests carry. Over HTTPS it is named __Host-vidscope_session.
BEARER_SCHEME = "OAuth2PasswordBearer"
COOKIE_SCHEME = "SessionCookie"
COOKIE_AUTH = {
    "type": "apiKey",
    "in": "cookie",
    "name": SESSION_COOKIE,
    "description": "The web app's session (HttpOnly, SameSite=Strict; over HTTPS "
    f"{SECURE_SESSION_COOKIE}), set by its sign-in form: a JWT for the web app only, not a "
    "bearer token (nor a bearer token a cookie). A write it carries must come from this "
    "server's own origin (403 request.cross_origin)",
}

# What each operation's 422 can say besides request.invalid (a parameter or body the schema
# refuses, or a body that is not JSON): the library's own codes, by operation.
_INVALID_CODES: dict[str, str] = {
    "register": "`auth.bad_username`, `auth.weak_password`",
    "create_user": "`auth.bad_username`, `auth.weak_password`",
    "upload_video": "`media.*` (a file that is not a readable recording), `speaker.bad_count`",
    "search": "`query.empty`, `query.too_long`, `query.bad_k`",
    "ask": "`query.empty`, `query.too_long`",
    "ask_stream": "`query.empty`, `query.too_long`",
    "create_clip": "`clip.too_short`, `clip.out_of_range`, `clip.bad_range`, "
    "`clip.missing_range`, `clip.video_not_ready`, `query.empty`",
    "create_reel": "`reel.missing_source`, `reel.bad_hits`, `reel.empty`, "
    "`reel.too_many_parts`, `reel.too_long`, `query.empty`",
    "rename_speaker": "`speaker.bad_name`, `speaker.name_like_label`",
    "reject_speaker_name": "`speaker.bad_name`",
    "get_thumbnail": "`media.*` (a picture that cannot be decoded)",
}


def _invalid(name: str, operation: dict[str, Any]) -> str:
    where = [
        place
        for place, present in (
            ("a parameter", operation.get("parameters")),
            ("the body", operation.get("requestBody")),
        )
        if present
    ]
    what = " or ".join(where) or "the request"
    codes = _INVALID_CODES.get(name)
    more = f"; {codes}" if codes else ""
    body = ", a body that is not JSON included" if operation.get("requestBody") else ""
    return f"Invalid input: `request.invalid` ({what} the schema refuses{body}){more}"


def _error_object(status: int) -> dict[str, Any]:
    error = documented_error(status)
    content = error["content"]["application/json"]
    content["schema"] = {"$ref": "#/components/schemas/ErrorEnvelope"}
    return {"description": error["description"], "content": error["content"]}


def install_contract(app: FastAPI) -> None:
    """FastAPI's document, completed once when it is first asked for (it caches it)."""
    made = app.openapi
    completed: list[dict[str, Any]] = []

    def openapi() -> dict[str, Any]:
        if not completed:
            completed.append(_complete(made()))
        return completed[0]

    app.openapi = openapi  # type: ignore[method-assign]
