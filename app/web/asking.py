"""The Ask tab's answer as it is written: the model's words appear as they come (a Gradio
generator: each yield replaces the answer's HTML), then the whole answer with its citation
cards. An extractive answer or an abstention comes whole, at once. With a speaker chosen
(app/web/searching.py's filter), only what that speaker says is evidence."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import gradio as gr

from app.web.render import render_answer
from app.web.searching import pictures_of
from pipelines.clock import clock
from pipelines.errors import VidscopeError
from pipelines.library import OwnerLibrary
from pipelines.public import AnswerPublic
from pipelines.services.answer_stream import AnswerToken, stream_answer

WRITING = "Looking through your videos…"


def answer_as_written(
    owner: OwnerLibrary, question: str, speaker: str | None = None
) -> Iterator[str]:
    """The answer's HTML, again after each piece the model writes; last, the cited answer
    (from what ``speaker`` says, when given). Raises gr.Error for a failure the person can
    act on."""
    question = (question or "").strip()
    if not question:
        yield render_answer("Ask a question about your videos, in your own words.", "", [])
        return
    if owner.count_videos() == 0:
        yield render_answer(
            "Your library is empty: upload a video on the Library tab first.", "", []
        )
        return
    if owner.settings.answers.generator == "extractive":
        try:  # whole at once, and from the answer cache when asked before
            yield answer_html(owner, owner.ask(question, speaker=speaker))
        except VidscopeError as exc:
            raise gr.Error(f"{exc.message} ({exc.code})") from exc
        return
    yield render_answer(WRITING, "", [])
    written = ""
    events = stream_answer(owner, question, speaker=speaker)
    try:
        for event in events:
            if isinstance(event, AnswerToken):
                written += event.text
                yield render_answer("", written + " …", [])
            else:
                yield answer_html(owner, event.answer)
    except VidscopeError as exc:
        raise gr.Error(f"{exc.message} ({exc.code})") from exc
    finally:
        events.close()  # the page moved on: the model stops writing


def answer_html(owner: OwnerLibrary, answer: AnswerPublic) -> str:
    """The whole answer: its text and a card per citation (each plays its sentence; a
    recording without pictures shows the audio tile, not a still)."""
    if answer.abstained:
        return render_answer(answer.answer, "", [])
    pictures = pictures_of(owner, (c.video_id for c in answer.citations))
    note = f" (answered from the transcript: {answer.fell_back})" if answer.fell_back else ""
    citations: list[dict[str, Any]] = [
        {
            "video_id": c.video_id,
            "number": c.number,  # the [n] in the answer's text that plays it
            "start": c.start,
            "end": c.end,
            # "[1] Dana · 03:12": the number first, as the answer's text cites it.
            "clock": f"[{c.number}] "
            + (f"{c.speaker} · " if c.speaker else "")
            + clock(c.start, padded=True),
            "title": c.title,
            "parts": [{"text": c.text, "mark": False}],
            "source": c.label,
            "picture": pictures[c.video_id],
        }
        for c in answer.citations
    ]
    return render_answer("", answer.answer + note, citations)
