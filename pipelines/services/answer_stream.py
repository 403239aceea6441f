"""An answer as it is written: the text piece by piece while the model writes it, then the whole
answer with its citations. The API streams it (server-sent events) and the web Ask tab shows
it; both read the same events.

The answer runs in a thread of its own (``AnswerService.answer`` calls back with each piece);
the reader takes the events from a queue. A reader that goes away (a closed browser tab) stops
the model at its next piece instead of leaving it to write to nobody."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Protocol

from pipelines.public import AnswerPublic
from pipelines.understanding.answers import Answer


@dataclass(frozen=True)
class AnswerToken:
    """A piece of the answer's text; joined in order, the pieces are the answer's text."""

    text: str


@dataclass(frozen=True)
class AnswerDone:
    answer: AnswerPublic


AnswerEvent = AnswerToken | AnswerDone


class Answers(Protocol):
    """What streaming needs of an owner's library: ``AnswerService.answer``."""

    def answer(
        self,
        question: str,
        *,
        video_id: str | None = None,
        speaker: str | None = None,
        on_token: Callable[[str], None] | None = None,
    ) -> Answer: ...


class _ReaderGone(Exception):
    """Raised inside the answer's thread when nobody reads its pieces any more."""


_END = object()


def stream_answer(
    library: Answers, question: str, *, video_id: str | None = None, speaker: str | None = None
) -> Generator[AnswerEvent, None, None]:
    """``AnswerToken`` events as the answer is written (an extractive answer's text comes in
    one piece), then one ``AnswerDone``. A VidscopeError (an empty
    question, an unknown video, a model that failed) is raised from the iterator, before any
    event when it happens before the first piece. A streamed answer is written anew: the
    answer cache, which holds whole answers, is not asked."""
    events: queue.Queue[object] = queue.Queue()
    gone = threading.Event()

    def on_token(text: str) -> None:
        if gone.is_set():
            raise _ReaderGone
        if text:
            events.put(AnswerToken(text))

    def run() -> None:
        try:
            events.put(
                AnswerDone(
                    AnswerPublic.of(
                        library.answer(
                            question, video_id=video_id, speaker=speaker, on_token=on_token
                        )
                    )
                )
            )
        except _ReaderGone:
            pass
        except BaseException as exc:  # noqa: BLE001 - handed to the reader, who raises it
            events.put(exc)
        finally:
            events.put(_END)

    worker = threading.Thread(target=run, name="answer-stream", daemon=True)
    worker.start()
    try:
        while (event := events.get()) is not _END:
            if isinstance(event, BaseException):
                raise event
            assert isinstance(event, AnswerToken | AnswerDone)
            yield event
    finally:
        gone.set()
        worker.join()
