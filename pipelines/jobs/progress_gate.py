"""How often a job's progress reaches the jobs table. A transcription reports every sentence
(a 30 s window's sentences come out together, an hour's talk has about a thousand), and each
write is a catalog transaction; the Processing table shows whole percents and is read every
1.5 s. So a stage's progress is written when it has moved by a percent and a second has
passed since the last write; what arrives in between is held, and the latest held report is
written once its second is up. A new stage and a finished one are written at once."""

from __future__ import annotations

from collections.abc import Callable

ProgressSink = Callable[[str, str, float], None]  # job id, stage, fraction

REPORT_STEP = 0.01
REPORT_EVERY_S = 1.0
FORGET_AFTER_S = 600.0  # a job that has said nothing for this long has ended


class ProgressGate:
    """Passes a job's progress reports to ``sink``: each new stage and each stage's end at
    once; in between, one that moved ``step`` past the last one written, at most one every
    ``every_s`` (the latest such report waits; ``flush`` writes it when due). A report below
    the last one written in its stage is dropped, so the table never steps back in a stage."""

    def __init__(
        self, sink: ProgressSink, *, step: float = REPORT_STEP, every_s: float = REPORT_EVERY_S
    ) -> None:
        self.sink = sink
        self.step = step
        self.every_s = every_s
        self._written: dict[str, tuple[str, float, float]] = {}  # job: stage, fraction, when
        self._held: dict[str, tuple[str, float]] = {}  # job: its latest report not written

    def offer(self, job_id: str, stage: str, fraction: float, now: float) -> None:
        last = self._written.get(job_id)
        if last is not None and last[0] == stage and fraction < 1.0:
            if fraction <= last[1]:
                return
            if fraction - last[1] < self.step:
                return  # the next report will have moved further
            if now - last[2] < self.every_s:
                self._held[job_id] = (stage, fraction)
                return
        self._write(job_id, stage, fraction, now)

    def flush(self, now: float) -> None:
        """Writes each held report whose time has come; forgets jobs long silent."""
        for job_id, (stage, fraction) in list(self._held.items()):
            if now - self._written[job_id][2] >= self.every_s:
                self._write(job_id, stage, fraction, now)
        for job_id, (_, _, when) in list(self._written.items()):
            if now - when > FORGET_AFTER_S and job_id not in self._held:
                del self._written[job_id]

    def wait_s(self, now: float) -> float:
        """How long until the next held report is due (``every_s`` when none is held)."""
        due = [self._written[job_id][2] + self.every_s - now for job_id in self._held]
        return max(0.05, min([self.every_s, *due]))

    def _write(self, job_id: str, stage: str, fraction: float, now: float) -> None:
        self._held.pop(job_id, None)
        self._written[job_id] = (stage, fraction, now)
        self.sink(job_id, stage, fraction)
