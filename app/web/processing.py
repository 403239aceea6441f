"""The Library tab as the owner's jobs and videos are now: the Processing table, the upload
report (each file's line follows its job: queued, then the stage, then indexed or why it
failed), the hint an empty library shows, and the Watch tab's list of ready videos."""

from __future__ import annotations

from typing import Any

from pipelines.errors import VidscopeError
from pipelines.library import OwnerLibrary
from pipelines.records import Job

# How many of the newest ingest jobs the Processing table lists.
JOBS_SHOWN = 20

EMPTY_HINT = (
    "**Your library is empty.** Choose video or audio files above (or drop them there) and "
    "press *Upload*. Each file is listed under *Processing* while it is transcribed, then "
    "under *Your videos*; then you can search it, ask it questions and watch it."
)


def job_state(job: Job) -> str:
    """What a person is told of an ingest job: queued, its stage and share, indexed, or
    failed with the reason and its code. The share is rounded down, so 100% means the stage
    is done; a job on its second try says so, as its share starts again from the beginning
    (a server restarted mid-job, or a retry)."""
    if job.status == "running":
        percent = int(job.progress * 100 + 1e-6)  # down, but 0.29 * 100 is 28.999…
        state = f"{job.stage or 'running'} {percent}%"
        if job.attempts > 1:
            state += f" (try {job.attempts} of {job.max_attempts})"
        return state
    if job.status == "succeeded":
        return "indexed"
    if job.status == "failed":
        return f"failed: {job.error_message} ({job.error_code})"
    return "queued"


def making_progress(job: Job, parts: int | None = None) -> tuple[float | None, str]:
    """What the page's progress bar shows while a clip or reel of ``parts`` parts is made,
    as ``gr.Progress`` takes it: (share done, or None where none is known, and what is
    being done), in place of Gradio's estimate from earlier runs ("5.6/2.1 s" for a reel
    with cards that took 59 s). The cut reports each part as it starts; the join (and the
    cards and words laid over) reports no share."""
    if job.status == "queued":
        return None, "queued: waiting for the worker"
    if job.stage == "cut" and parts:
        part = min(parts, int(job.progress * parts + 1e-6) + 1)
        return job.progress, f"cutting part {part} of {parts}"
    if job.stage == "join":
        return None, "joining the parts"  # with the cards and words, when asked for
    stage = job.stage or "starting"
    return (None if stage == "starting" else job.progress), stage


def processing_rows(owner: OwnerLibrary, video_ids: set[str]) -> list[list[str]]:
    """The owner's newest ingest jobs as (file, status) rows. A job whose video has since been
    deleted is not listed (``video_ids``: the videos the owner has now); a failed new file,
    whose video never stayed, keeps its row and its reason."""
    rows = []
    for job in owner.jobs(limit=JOBS_SHOWN):
        if job.kind != "ingest":
            continue
        if job.status != "failed" and job.video_id and job.video_id not in video_ids:
            continue
        rows.append([str(job.payload.get("title") or job.video_id or ""), job_state(job)])
    return rows


def sent_line(name: str, job_id: str | None, video_id: str, text: str) -> dict[str, Any]:
    """One line of the upload report, kept in the page's state: a file whose ``job_id`` is
    followed, or (no job) ``text`` as it stands."""
    return {"name": name, "job_id": job_id, "video_id": video_id, "text": text}


def report_text(owner: OwnerLibrary, sent: list[dict[str, Any]], video_ids: set[str]) -> str:
    """The upload report as the jobs are now: "✓ talk.mp4: indexed" once it is, never a
    "queued" that has long stopped being true."""
    lines = []
    for line in sent:
        if not line.get("job_id"):
            lines.append(str(line["text"]))
            continue
        try:
            job = owner.job(str(line["job_id"]))
        except VidscopeError:
            lines.append(f"✓ {line['name']}: deleted")
            continue
        state = job_state(job)
        if job.status == "succeeded" and line["video_id"] not in video_ids:
            state = "indexed, since deleted"
        mark = "✗" if job.status == "failed" else "✓"
        lines.append(f"{mark} {line['name']}: {state}")
    return "\n".join(lines)


def ready_choices(owner: OwnerLibrary) -> list[tuple[str, str]]:
    """The Watch tab's list: (title, id) of each video that is ready."""
    return [(v.title, v.id) for v in owner.public_videos() if v.status == "ready"]
