"""Videos: list, upload, read, delete, transcript, media (with HTTP Range) and thumbnails."""

from __future__ import annotations

from collections import Counter
from functools import partial
from typing import Annotated, Literal

import anyio
from fastapi import APIRouter, Header, Query, Request, Response
from fastapi.responses import FileResponse, JSONResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from app.api.deps import CurrentUser, LibraryDep, MyLibrary, audit
from app.api.errors import MAX_OFFSET, error_responses
from app.api.ratelimit import RateLimited
from app.api.uploads import stream_upload
from pipelines.config import MAX_SPEAKERS
from pipelines.media.thumbnails import STILLS, thumbnail_jpeg
from pipelines.public import VideoPublic
from pipelines.storage.faults import ensure_free_space

router = APIRouter(prefix="/api/v1/videos", tags=["videos"])

MEDIA_TYPES = {
    "mp4": "video/mp4",
    "mov": "video/quicktime",
    "mkv": "video/x-matroska",
    "webm": "video/webm",
    "avi": "video/x-msvideo",
    "m4a": "audio/mp4",
    "mp3": "audio/mpeg",
    "wav": "audio/wav",
    "flac": "audio/flac",
    "ogg": "audio/ogg",
}
# What an upload's bytes must be. No JSON Schema keyword can say it (contentMediaType is one
# media type, and a label: the server reads the bytes), so the file is any binary and the
# answers to what is not a recording are documented: 415 media.unsupported, 422 media.*.
UPLOAD_FILE = (
    "An audio or video recording in one of the server's allowed containers (by default mp4, "
    "mov, mkv, webm, avi, m4a, mp3, wav, flac, ogg; VIDSCOPE_ALLOWED_CONTAINERS), checked "
    "from its bytes before the answer: its name and its part's Content-Type do not count. "
    "Other bytes are 415 media.unsupported; an allowed container that cannot be read or is "
    "past the duration or picture limits is 422 media.*; past the size limit or your quota, 413"
)
# A file's bytes, in the OpenAPI document: the type it is sent as, and no JSON.
BINARY = {"schema": {"type": "string", "format": "binary"}}
# The seeks every stored file can serve (it is never empty): its start, or its last N bytes;
# or an empty header (spaces and tabs around a value are not part of it), which names no range
# and is served the whole file: Schemathesis sent `Range:` as a value the pattern refused, and
# was answered 200.
SEEK_PATTERN = r"^[ \t]*(bytes=(0-[0-9]{0,15}|-[1-9][0-9]{0,15})[ \t]*)?$"
TRANSCRIPT_TYPES = {
    "txt": "text/plain; charset=utf-8",
    "json": "application/json",
    "srt": "application/x-subrip; charset=utf-8",
    "vtt": "text/vtt; charset=utf-8",
}
_TIMED = {"start": {"type": "number"}, "end": {"type": "number"}}
# format=json (pipelines/speech/export.py): one object per sentence, its words timed.
TRANSCRIPT_JSON = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["start", "end", "text", "words"],
        "properties": {
            **_TIMED,
            "speaker": {"type": ["string", "null"]},
            "text": {"type": "string"},
            "words": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["start", "end", "text"],
                    "properties": {
                        **_TIMED,
                        "text": {"type": "string"},
                        "probability": {"type": "number"},
                    },
                },
            },
        },
    },
}


class VideoPage(BaseModel):
    items: list[VideoPublic]
    total: int
    limit: int
    offset: int


class UploadAccepted(BaseModel):
    video_id: str
    job_id: str | None = Field(description="The ingest job to follow at /api/v1/jobs/{id}")
    status: Literal["queued", "processing", "already_indexed"]


@router.get(
    "", summary="List your videos", response_model=VideoPage, responses=error_responses(401, 422)
)
def list_videos(
    library: MyLibrary,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> VideoPage:
    return VideoPage(
        items=library.public_videos(limit=limit, offset=offset),
        total=library.count_videos(),
        limit=limit,
        offset=offset,
    )


@router.post(
    "",
    status_code=202,
    summary="Upload a video (multipart field 'file'); it is processed by a job",
    response_model=UploadAccepted,
    responses={
        200: {"model": UploadAccepted, "description": "You already have this file"},
        **error_responses(400, 401, 413, 415, 422),
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "required": ["file"],
                        "properties": {
                            "file": {
                                "type": "string",
                                "format": "binary",
                                # An empty file is 422 media.empty.
                                "minLength": 1,
                                "description": UPLOAD_FILE,
                            },
                            "speakers": {
                                "type": "integer",
                                "minimum": 1,
                                "maximum": MAX_SPEAKERS,
                                "description": "How many people speak, when you know "
                                "(the voices are counted otherwise); 422 speaker.bad_count "
                                f"outside 1-{MAX_SPEAKERS}",
                            },
                        },
                    }
                }
            },
        }
    },
)
async def upload_video(request: Request, user: CurrentUser, library: LibraryDep) -> JSONResponse:
    settings = library.settings
    owner = library.for_owner(user.id)
    quota_left = await run_in_threadpool(owner.quota_left)
    # Room for the upload (staged, then moved into the library) and the margin, before a
    # byte is read; a body sent without its length is stopped by ENOSPC, as storage.full.
    declared = request.headers.get("content-length", "")
    ensure_free_space(
        settings.layout.staging_dir,
        int(declared) if declared.isdigit() else 0,
        settings.limits.min_free_bytes,
    )
    staged = await stream_upload(
        request,
        staging_dir=settings.layout.staging_dir,
        max_bytes=settings.limits.max_file_bytes,
        quota_left=quota_left,
    )
    video, job_id = await run_in_threadpool(
        lambda: owner.accept_upload(
            staged.path,
            title=staged.title,
            sha256=staged.sha256,
            shown_as=staged.filename,
            speakers=staged.speakers,
        )
    )
    if job_id is not None:
        request.app.state.worker.wake()
        await run_in_threadpool(
            lambda: audit(
                request,
                "video.uploaded",
                user=user,
                video_id=video.id,
                size_bytes=staged.size_bytes,
            )
        )
        body = UploadAccepted(video_id=video.id, job_id=job_id, status="queued")
        return JSONResponse(body.model_dump(), status_code=202)
    if video.status == "processing":
        latest = await run_in_threadpool(lambda: owner.latest_job(video.id))
        body = UploadAccepted(
            video_id=video.id, job_id=latest.id if latest else None, status="processing"
        )
        return JSONResponse(body.model_dump(), status_code=202)
    body = UploadAccepted(video_id=video.id, job_id=None, status="already_indexed")
    return JSONResponse(body.model_dump(), status_code=200)


@router.get(
    "/{video_id}",
    summary="One of your videos",
    response_model=VideoPublic,
    responses=error_responses(401, 404),
)
def get_video(video_id: str, library: MyLibrary) -> VideoPublic:
    return library.public_video(video_id)


@router.delete(
    "/{video_id}",
    status_code=204,
    summary="Delete a video with its transcript, vectors, clips and media",
    responses=error_responses(401, 404),
)
def delete_video(
    video_id: str, request: Request, user: CurrentUser, library: MyLibrary
) -> Response:
    library.delete(video_id)
    audit(request, "video.deleted", user=user, video_id=video_id)
    return Response(status_code=204)


@router.get(
    "/{video_id}/transcript",
    summary="The transcript as text, JSON (with word times), SRT or WebVTT",
    response_class=Response,
    responses={
        200: {
            "description": "The transcript in the format asked for",
            "content": {
                t: {"schema": TRANSCRIPT_JSON if f == "json" else {"type": "string"}}
                for f, t in TRANSCRIPT_TYPES.items()
            },
        },
        **error_responses(401, 404, 422),
    },
)
def get_transcript(
    video_id: str,
    library: MyLibrary,
    format: Annotated[Literal["txt", "json", "srt", "vtt"], Query()] = "txt",  # noqa: A002
) -> Response:
    text = library.transcript(video_id, format)
    return Response(text, media_type=TRANSCRIPT_TYPES[format])


_MEDIA_CONTENT = {kind: BINARY for kind in (*MEDIA_TYPES.values(), "application/octet-stream")}


@router.get(
    "/{video_id}/media",
    summary="The stored media; supports HTTP Range, so a player can seek",
    response_class=FileResponse,
    responses={
        200: {"content": _MEDIA_CONTENT, "description": "The whole file, as its container's type"},
        206: {
            "content": {**_MEDIA_CONTENT, "multipart/byteranges": BINARY},
            "description": "The requested byte range (Content-Range); several ranges come as "
            "multipart/byteranges",
        },
        **error_responses(400, 401, 404, 416, 422),
    },
)
def get_media(
    video_id: str,
    request: Request,
    library: MyLibrary,
    seek: Annotated[
        str | None,
        Header(
            alias="range",
            description="A byte range (RFC 9110). The schema states the seeks every file "
            "serves (206): `bytes=0-`, `bytes=0-N`, `bytes=-N`, and an empty header, which "
            "names no range (the whole file, 200). Any other byte range is served "
            "too (206), a start past the end is 416 `http.range_not_satisfiable` with "
            "`Content-Range: bytes */size`, and a header that is no byte range is 400 "
            "`http.bad_request`",
            # In the schema only: a player seeks to any byte, which FileResponse serves.
            json_schema_extra={"pattern": SEEK_PATTERN},
            examples=["bytes=0-1023"],
        ),
    ] = None,
) -> FileResponse:
    # FileResponse reads Range from the request itself; the parameter is the document's.
    if seek is not None and not seek.strip():
        # An empty Range names no range: the whole file (RFC 9110 lets a server ignore
        # Range), not Starlette's 400 "Malformed range header".
        request.scope["headers"] = [(k, v) for k, v in request.scope["headers"] if k != b"range"]
    video = library.get_video(video_id)
    return FileResponse(
        library.media_file(video_id),
        media_type=MEDIA_TYPES.get(video.container, "application/octet-stream"),
        filename=f"{video.id}.{video.container}",
        content_disposition_type="inline",
    )


# Thumbnails decode two at a time; the requests waiting their turn wait on this limiter, not
# in a thread of the pool every sync route and dependency shares (80 waiting there made
# another user's library list take 21.7 s). One account may have a few in progress (a
# browser opens at most six connections to a host); more are refused, not queued.
THUMBNAILS_AT_ONCE = 2
THUMBNAILS_PER_USER = 8
_decoding: anyio.CapacityLimiter | None = None
_in_progress: Counter[str] = Counter()


def _thumbnail_limiter() -> anyio.CapacityLimiter:
    global _decoding  # created on first use: a limiter belongs to the server's event loop
    if _decoding is None:
        _decoding = anyio.CapacityLimiter(THUMBNAILS_AT_ONCE)
    return _decoding


@router.get(
    "/{video_id}/thumbnail",
    summary="A JPEG of the picture at second t",
    response_class=Response,
    responses={
        200: {"content": {"image/jpeg": BINARY}, "description": "The picture"},
        **error_responses(401, 404, 422),
    },
)
async def get_thumbnail(
    video_id: str,
    user: CurrentUser,
    library: MyLibrary,
    t: Annotated[float, Query(ge=0, le=24 * 3600, description="Seconds")] = 0.0,
) -> Response:
    if _in_progress[user.id] >= THUMBNAILS_PER_USER:
        raise RateLimited(
            f"too many thumbnails at once for this account (at most {THUMBNAILS_PER_USER} in "
            "progress); try again in 1 s",
            retry_after=1,
            limit=f"{THUMBNAILS_PER_USER} at once",
        )
    # Counted on the event loop's one thread: no lock needed.
    _in_progress[user.id] += 1
    try:
        video = await run_in_threadpool(library.get_video, video_id)  # yours, or not found
        path = await run_in_threadpool(library.media_file, video_id)
        make = partial(
            thumbnail_jpeg,
            path,
            video,
            t,
            max_frame_pixels=library.settings.limits.max_frame_pixels,
            cache=STILLS,
        )
        jpeg = await anyio.to_thread.run_sync(make, limiter=_thumbnail_limiter())
    finally:
        _in_progress[user.id] -= 1
        if not _in_progress[user.id]:
            del _in_progress[user.id]
    return Response(
        jpeg, media_type="image/jpeg", headers={"Cache-Control": "private, max-age=3600"}
    )
