"""A video's summary, key points and chapters (also as a WebVTT chapters track for a player,
or YouTube's description lines)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import PlainTextResponse

from app.api.deps import MyLibrary
from app.api.errors import error_responses
from pipelines.public import SummaryPublic

router = APIRouter(prefix="/api/v1/videos", tags=["summaries"])


@router.get(
    "/{video_id}/summary",
    summary="A short summary, 3-7 key points and chapters, each with its seconds",
    response_model=SummaryPublic,
    responses=error_responses(401, 404),
)
def summary(video_id: str, library: MyLibrary) -> SummaryPublic:
    return library.summary(video_id)


@router.get(
    "/{video_id}/chapters",
    summary="The chapters as a WebVTT chapters track or as YouTube's 'm:ss Title' lines",
    response_class=PlainTextResponse,
    responses={
        **error_responses(401, 404, 422),
        200: {"content": {"text/vtt": {}, "text/plain": {}}},
    },
)
def chapters(
    video_id: str,
    library: MyLibrary,
    fmt: Annotated[Literal["vtt", "youtube"], Query(alias="format")] = "vtt",
) -> PlainTextResponse:
    text = library.chapters(video_id, fmt)
    media = "text/vtt" if fmt == "vtt" else "text/plain"
    return PlainTextResponse(text, media_type=f"{media}; charset=utf-8")
