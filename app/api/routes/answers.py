"""Questions about your library, answered with citations that name the second to play."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from app.api.deps import MyLibrary
from app.api.errors import error_responses
from pipelines.public import AnswerPublic
from pipelines.retrieval.search import MAX_QUERY_CHARS, MAX_SPEAKER_CHARS

router = APIRouter(prefix="/api/v1", tags=["answers"])


class Question(BaseModel):
    question: str = Field(
        min_length=1,
        max_length=MAX_QUERY_CHARS,
        examples=["how big is the marketing budget going to be"],
        description="Blank (only spaces) is 422 query.empty",
        # In the schema only: the server answers a blank question with its own code.
        json_schema_extra={"pattern": r"\S"},
    )
    video_id: str | None = Field(None, description="Only this video")
    speaker: str | None = Field(
        None,
        min_length=1,
        max_length=MAX_SPEAKER_CHARS,
        description="Only from what this speaker says: a name given to a speaker, or its "
        "label ('Speaker 2'); nobody of that name is 404 speaker.unknown",
        examples=["Dana"],
    )


@router.post(
    "/ask",
    summary="Ask your videos a question; the answer cites where each statement is said",
    response_model=AnswerPublic,
    responses=error_responses(401, 404, 422),
)
def ask(body: Question, library: MyLibrary) -> AnswerPublic:
    return library.ask(body.question, video_id=body.video_id, speaker=body.speaker)
