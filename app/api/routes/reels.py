"""Reels: ask for a highlight reel (a query's best hits, a list of hits, or a video's key
points), follow the job, download the file."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse
from pydantic import BaseModel, ConfigDict, Field, JsonValue, model_validator

from app.api.deps import CurrentUser, MyLibrary, audit
from app.api.errors import error_responses
from pipelines.editing.names import download_name
from pipelines.public import ReelPublic

router = APIRouter(prefix="/api/v1/reels", tags=["reels"])


class HitRange(BaseModel):
    # Strict: JSON's 0 is not false, nor "1.5" a number, as the schema says.
    model_config = ConfigDict(strict=True)

    video_id: str = Field(max_length=64, examples=["3f2a9c0d1e4b5a6c"])
    start: float = Field(ge=0, examples=[83.2])
    end: float = Field(gt=0, examples=[88.9])


# "Exactly one source" in the schema: each alternative requires its field, not null, so a
# body with none or two of them matches no alternative or two (oneOf refuses both), as
# _one_source does. Null for the others stays allowed, as the model allows it.
_ONE_SOURCE: list[JsonValue] = [
    {"required": [name], "properties": {name: {"not": {"type": "null"}}}}
    for name in ("query", "hits", "chapters_of")
]


class ReelRequest(BaseModel):
    """Exactly one source: ``query`` (its best hits), ``hits`` (ranges, e.g. search results)
    or ``chapters_of`` (a video id: one key point per chapter)."""

    # Strict: JSON's 0 is not false, nor "1.5" a number, as the schema says.
    model_config = ConfigDict(strict=True, json_schema_extra={"oneOf": _ONE_SOURCE})

    query: str | None = Field(
        None,
        min_length=1,
        max_length=1000,
        examples=["solar panels"],
        description="Blank (only spaces) is 422 query.empty",
        # In the schema only: the server answers a blank query with its own code.
        json_schema_extra={"pattern": r"\S"},
    )
    hits: list[HitRange] | None = Field(None, min_length=1, max_length=50)
    chapters_of: str | None = Field(None, max_length=64)
    vertical: bool = Field(
        False, description="A 9:16 picture (each part whole, over a blurred fill)"
    )
    subtitles: bool = Field(False, description="Burn in what is said")
    title_cards: bool = Field(
        False, description="Each part's chapter title, video title and time for 2 s first"
    )

    @model_validator(mode="after")
    def _one_source(self) -> ReelRequest:
        if sum(x is not None for x in (self.query, self.hits, self.chapters_of)) != 1:
            raise ValueError("give exactly one of query, hits or chapters_of")
        return self


class ReelAccepted(BaseModel):
    reel_id: str
    job_id: str


@router.post(
    "",
    status_code=202,
    summary="Make a highlight reel (a job)",
    response_model=ReelAccepted,
    responses=error_responses(401, 404, 409, 422),
)
def create_reel(
    body: ReelRequest, request: Request, user: CurrentUser, library: MyLibrary
) -> ReelAccepted:
    from pipelines.records import ReelPart

    reel_id, job_id = library.queue_reel(
        query=body.query,
        parts=[ReelPart(h.video_id, h.start, h.end) for h in body.hits] if body.hits else None,
        chapters_of=body.chapters_of,
        vertical=body.vertical,
        subtitles=body.subtitles,
        title_cards=body.title_cards,
    )
    request.app.state.worker.wake()
    audit(request, "reel.requested", user=user, reel_id=reel_id)
    return ReelAccepted(reel_id=reel_id, job_id=job_id)


@router.get(
    "/{reel_id}",
    summary="One of your reels",
    response_model=ReelPublic,
    responses=error_responses(401, 404),
)
def get_reel(reel_id: str, library: MyLibrary) -> ReelPublic:
    return ReelPublic.of(library.get_reel(reel_id))


@router.get(
    "/{reel_id}/file",
    summary="Download a ready reel (MP4)",
    response_class=FileResponse,
    responses={
        200: {
            "description": "The reel's MP4",
            "content": {"video/mp4": {"schema": {"type": "string", "format": "binary"}}},
        },
        **error_responses(401, 404, 409),
    },
)
def get_reel_file(reel_id: str, library: MyLibrary) -> FileResponse:
    path = library.reel_file(reel_id)
    parts = library.get_reel(reel_id).parts
    # Named after the video of a one-video reel; a reel across videos after the first's.
    title = library.get_video(parts[0].video_id).title if parts else "reel"
    more = len({p.video_id for p in parts}) > 1
    return FileResponse(
        path,
        media_type="video/mp4",
        filename=download_name(title, "and more reel" if more else "reel", "mp4"),
    )
