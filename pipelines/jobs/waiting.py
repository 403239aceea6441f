"""Waiting on a job's compute in the worker: woken by the compute's result or by the worker's
stop, and otherwise once a period (the worker renews the job's lease then). A stop used to be
seen only at those renewals, every third of the lease, and held a blue-green handover up to
3 s while the old server let go of its running job (docs/operating.md)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from typing import Any


class Waits:
    """The waits of one worker under way; ``stop`` wakes every one of them at once."""

    def __init__(self, stopped: threading.Event) -> None:
        self.stopped = stopped
        self._waiting: set[threading.Event] = set()

    def stop(self) -> None:
        self.stopped.set()
        for woken in list(self._waiting):
            woken.set()

    def periods(self, future: Future[Any], period_s: Callable[[], float]) -> Iterator[None]:
        """Yields once each period ``future`` is still running; ends when it is done; raises
        ``SystemExit(0)`` when the worker stops first (the job resumes at the next start)."""
        woken = threading.Event()
        future.add_done_callback(lambda _: woken.set())
        self._waiting.add(woken)
        try:
            while True:
                if not self.stopped.is_set():  # a stop after this look sets ``woken``
                    woken.wait(max(0.0, period_s()))
                if future.done():
                    return
                if self.stopped.is_set():
                    raise SystemExit(0)
                yield
        finally:
            self._waiting.discard(woken)
