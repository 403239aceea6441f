"""Clips: ask for a range (or the best hit for a query), follow the job, download the file."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse
from pydantic import BaseModel, ConfigDict, Field, JsonValue, model_validator

from app.api.deps import CurrentUser, MyLibrary, audit
from app.api.errors import error_responses
from pipelines.editing.names import clip_name
from pipelines.public import ClipPublic

router = APIRouter(prefix="/api/v1/clips", tags=["clips"])


# The two shapes in the schema, as _range_or_query checks them: a query (not null), or all
# three of video_id, start and end (not null).
_RANGE_OR_QUERY: list[JsonValue] = [
    {"required": ["query"], "properties": {"query": {"not": {"type": "null"}}}},
    {
        "required": ["video_id", "start", "end"],
        "properties": {name: {"not": {"type": "null"}} for name in ("video_id", "start", "end")},
    },
]


class ClipRequest(BaseModel):
    """Either ``video_id`` with ``start`` and ``end``, or ``query`` (optionally within
    ``video_id``): the best hit, padded a little."""

    # Strict: JSON's 0 is not false, nor "1.5" a number, as the schema says.
    model_config = ConfigDict(strict=True, json_schema_extra={"anyOf": _RANGE_OR_QUERY})

    video_id: str | None = Field(None, max_length=64, examples=["3f2a9c0d1e4b5a6c"])
    start: float | None = Field(None, ge=0, examples=[12.5])
    end: float | None = Field(None, gt=0, examples=[31.0])
    query: str | None = Field(
        None,
        min_length=1,
        max_length=1000,
        description="Blank (only spaces) is 422 query.empty",
        # In the schema only: the server answers a blank query with its own code.
        json_schema_extra={"pattern": r"\S"},
    )

    @model_validator(mode="after")
    def _range_or_query(self) -> ClipRequest:
        if self.query is None and None in (self.video_id, self.start, self.end):
            raise ValueError("give video_id, start and end, or a query")
        return self


class ClipAccepted(BaseModel):
    clip_id: str
    job_id: str


@router.post(
    "",
    status_code=202,
    summary="Cut a clip (a job); the server names the file",
    response_model=ClipAccepted,
    responses=error_responses(401, 404, 409, 422),
)
def create_clip(
    body: ClipRequest, request: Request, user: CurrentUser, library: MyLibrary
) -> ClipAccepted:
    clip_id, job_id = library.queue_clip(
        video_id=body.video_id, start=body.start, end=body.end, query=body.query
    )
    request.app.state.worker.wake()
    audit(request, "clip.requested", user=user, clip_id=clip_id)
    return ClipAccepted(clip_id=clip_id, job_id=job_id)


@router.get(
    "/{clip_id}",
    summary="One of your clips",
    response_model=ClipPublic,
    responses=error_responses(401, 404),
)
def get_clip(clip_id: str, library: MyLibrary) -> ClipPublic:
    return ClipPublic.of(library.get_clip(clip_id))


@router.get(
    "/{clip_id}/file",
    summary="Download a ready clip (MP4)",
    response_class=FileResponse,
    responses={
        200: {
            "description": "The clip's MP4",
            "content": {"video/mp4": {"schema": {"type": "string", "format": "binary"}}},
        },
        **error_responses(401, 404, 409),
    },
)
def get_clip_file(clip_id: str, library: MyLibrary) -> FileResponse:
    path = library.clip_file(clip_id)
    clip = library.get_clip(clip_id)
    title = library.get_video(clip.video_id).title
    return FileResponse(
        path, media_type="video/mp4", filename=clip_name(title, clip.start, clip.end)
    )
