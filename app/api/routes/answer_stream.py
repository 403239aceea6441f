"""A question's answer streamed as it is written (server-sent events), for pages and clients that
show a local model's words as they come: ``token`` events, then one ``answer`` event whose data
is the same ``AnswerPublic`` JSON that ``POST /api/v1/ask`` returns."""

from __future__ import annotations

import json
from collections.abc import Generator, Iterator
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from app.api.deps import MyLibrary
from app.api.errors import envelope_bytes, error_responses
from app.api.routes.answers import Question
from pipelines.errors import VidscopeError
from pipelines.logs import get_logger
from pipelines.services.answer_stream import AnswerEvent, AnswerToken, stream_answer

log = get_logger(__name__)

router = APIRouter(prefix="/api/v1", tags=["answers"])

EXAMPLE = (
    'event: token\ndata: {"text": "The marketing budget"}\n\n'
    'event: token\ndata: {"text": " will grow by 10% next year. [1]"}\n\n'
    'event: answer\ndata: {"question": "how big is the marketing budget going to be", '
    '"answer": "The marketing budget will grow by 10% next year. [1]", "abstained": false, '
    '"generator": "local", "fell_back": null, "citations": [...]}\n\n'
)
STREAM_DOC: dict[int | str, dict[str, Any]] = {
    200: {
        "description": (
            'Server-sent events: `token` events (`data: {"text": ...}`, the answer\'s text piece '
            "by piece as the model writes it; an extractive answer's text in one piece), "
            "then one `answer` event whose data is the AnswerPublic JSON of `POST /api/v1/ask` "
            "(its text and citations are final: show them in place of the pieces). A failure "
            "after the stream began is an `error` event whose data is the error envelope. "
            "Failures before it began are the usual JSON envelope with its status."
        ),
        "content": {
            "text/event-stream": {
                # One event's schema (as OpenAPI 3.2's itemSchema): its name and its JSON data.
                "schema": {
                    "type": "object",
                    "required": ["event", "data"],
                    "properties": {
                        "event": {"enum": ["token", "answer", "error"]},
                        "data": {"type": "string", "contentMediaType": "application/json"},
                    },
                },
                "example": EXAMPLE,
            }
        },
    }
}


def _sse(event: str, data: str) -> bytes:
    return f"event: {event}\ndata: {data}\n\n".encode()


def _encoded(event: AnswerEvent) -> bytes:
    if isinstance(event, AnswerToken):
        return _sse("token", json.dumps({"text": event.text}))
    return _sse("answer", event.answer.model_dump_json())


def _rest(
    first: AnswerEvent, events: Generator[AnswerEvent, None, None], request_id: str | None
) -> Iterator[bytes]:
    try:
        yield _encoded(first)
        for event in events:
            yield _encoded(event)
    except VidscopeError as exc:
        yield _sse("error", envelope_bytes(exc.code, exc.message, request_id).decode())
    except Exception:
        log.error("answers.stream_failed", exc_info=True, request_id=request_id)
        message = (
            "something went wrong on the server; the log has the details under the correlation id"
        )
        yield _sse("error", envelope_bytes("server.error", message, request_id).decode())
    finally:
        events.close()  # a reader that went away stops the model


@router.post(
    "/ask/stream",
    summary="Ask your videos a question and receive the answer as it is written (SSE)",
    response_class=StreamingResponse,
    responses={**STREAM_DOC, **error_responses(401, 404, 422)},
)
async def ask_stream(body: Question, library: MyLibrary, request: Request) -> StreamingResponse:
    events = stream_answer(library, body.question, video_id=body.video_id, speaker=body.speaker)
    # The first event is awaited here: a question refused before any text (an unknown video,
    # an empty one) is an ordinary error response with its status, not a stream.
    first: AnswerEvent = await run_in_threadpool(next, events)
    return StreamingResponse(
        _rest(first, events, getattr(request.state, "request_id", None)),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
