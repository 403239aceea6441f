"""A video's summary, key points and chapters (also as a WebVTT chapters track for a player,
or YouTube's description lines)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response

from app.api.deps import MyLibrary
from app.api.errors import error_responses
from pipelines.public import SummaryPublic

router = APIRouter(prefix="/api/v1/videos", tags=["summaries"])


@router.get(
    "/{video_id}/summary",
    summary="A short summary, 3-7 key points and chapters, each with its seconds",
    response_model=SummaryPublic,
    responses=error_responses(401, 404, 409),
)
def summary(video_id: str, library: MyLibrary) -> SummaryPublic:
    """Made by the video's ingest job once it is searchable; 409 ``summary.pending`` while
    that job is making it, made now when there is none."""
    return library.summary(video_id)


@router.post(
    "/{video_id}/summary",
    summary="Make the summary, key points and chapters again (e.g. after changing the writer)",
    response_model=SummaryPublic,
    responses=error_responses(401, 404, 409),
)
def regenerate_summary(video_id: str, library: MyLibrary) -> SummaryPublic:
    return library.summary(video_id, regenerate=True)


CHAPTER_TYPES = {"vtt": "text/vtt; charset=utf-8", "youtube": "text/plain; charset=utf-8"}


@router.get(
    "/{video_id}/chapters",
    summary="The chapters as a WebVTT chapters track or as YouTube's 'm:ss Title' lines",
    response_class=Response,
    responses={
        200: {
            "description": "The chapters in the format asked for",
            "content": {t: {"schema": {"type": "string"}} for t in CHAPTER_TYPES.values()},
        },
        **error_responses(401, 404, 422),
    },
)
def chapters(
    video_id: str,
    library: MyLibrary,
    fmt: Annotated[Literal["vtt", "youtube"], Query(alias="format")] = "vtt",
) -> Response:
    return Response(library.chapters(video_id, fmt), media_type=CHAPTER_TYPES[fmt])
