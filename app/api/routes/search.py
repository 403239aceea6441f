"""Search your library by meaning and words."""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel

from app.api.deps import MyLibrary
from app.api.errors import error_responses
from pipelines.public import HitPublic
from pipelines.retrieval.search import MAX_K, MAX_QUERY_CHARS, MAX_SPEAKER_CHARS

router = APIRouter(prefix="/api/v1", tags=["search"])


class SearchResults(BaseModel):
    hits: list[HitPublic]


@router.get(
    "/search",
    summary="Search your videos; each hit says where to jump (start, end in seconds)",
    response_model=SearchResults,
    responses=error_responses(401, 404, 422),
)
def search(
    request: Request,
    library: MyLibrary,
    q: Annotated[
        str,
        Query(
            min_length=1,
            max_length=MAX_QUERY_CHARS,
            examples=["solar power"],
            description="What to look for; blank (only spaces) is 422 query.empty",
            # In the schema only, so the server keeps answering with its own code
            # (query.empty) rather than request.invalid: a query of spaces finds nothing.
            json_schema_extra={"pattern": r"\S"},
        ),
    ],
    k: Annotated[
        int | None, Query(ge=1, le=MAX_K, description="Default: VIDSCOPE_SEARCH_K")
    ] = None,
    video_id: Annotated[str | None, Query(description="Only this video")] = None,
    speaker: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=MAX_SPEAKER_CHARS,
            description="Only what this speaker says: a name given to a speaker, or its label "
            "('Speaker 2'); nobody of that name is 404 speaker.unknown",
            examples=["Dana"],
        ),
    ] = None,
) -> SearchResults:
    started = time.perf_counter()
    hits = library.search(q, k=k, video_id=video_id, speaker=speaker)
    request.app.state.metrics.search_latency.observe(time.perf_counter() - started)
    return SearchResults(hits=[HitPublic.of(h) for h in hits])
