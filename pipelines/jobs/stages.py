"""What the job worker's compute processes run for an ingest (its compute, then its summary
stage once the video is searchable), how a job over its time limit is reported (the limit,
the setting that holds it and the stage it stopped in), and how long a failed attempt waits
before the next."""

from __future__ import annotations

import random
from pathlib import Path

from pipelines.compute import ComputeOptions, IngestArtifact, process_video
from pipelines.errors import VidscopeError
from pipelines.jobs.compute_lane import report
from pipelines.media.probe import probe
from pipelines.records import Job
from pipelines.understanding.chapters import Summary
from pipelines.understanding.summaries import SummaryInputs, SummaryOptions, make_summary


def compute_ingest(
    job_id: str, media_path: Path, track: int | None, shown_as: str, options: ComputeOptions
) -> IngestArtifact:
    """Runs in the compute process: probe and transcribe one stored file."""
    allowed = (media_path.suffix.lstrip("."),)  # the first frame decodes under the upload's cap
    info = probe(media_path, allowed=allowed, max_frame_pixels=options.screen.max_frame_pixels)

    def progress(stage: str, fraction: float) -> None:
        report(job_id, stage, fraction)

    return process_video(media_path, info, track, options, progress, shown_as=Path(shown_as))


def compute_summary(
    job_id: str, inputs: SummaryInputs, options: SummaryOptions
) -> tuple[Summary, str]:
    """Runs in the compute process: a searchable video's summary, (summary, writer)."""
    return make_summary(
        inputs.segments,
        inputs.vectors,
        inputs.duration,
        inputs.screens,
        options,
        lambda fraction: report(job_id, "summary", fraction),
    )


def timed_out(
    job: Job, limit_s: float, *, stage: str | None, setting: str | None = None
) -> VidscopeError:
    """``job.timed_out``, naming the limit, its setting and the stage the job was in."""
    setting = setting or f"VIDSCOPE_JOB_TIMEOUT_{job.kind.upper()}_S"
    where = f" in its {stage!r} stage" if stage else ""
    return VidscopeError(
        f"the {job.kind} ran over its time limit of {limit_s:g} s ({setting}){where} and was "
        "stopped; nothing of it was kept",
        code="job.timed_out",
        limit_s=limit_s,
        stage=stage or "",
    )


def backoff_s(attempt: int, *, base_s: float, cap_s: float = 300.0) -> float:
    """Exponential backoff with full jitter: uniform in [0.5, 1.5] x base x 2^(attempt-1)."""
    return float(min(cap_s, base_s * 2 ** max(0, attempt - 1)) * random.uniform(0.5, 1.5))  # nosec B311  # retry jitter, not a secret
