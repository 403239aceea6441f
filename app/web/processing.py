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
    failed with the reason and its code."""
    if job.status == "running":
        return f"{job.stage or 'running'} {round(job.progress * 100)}%"
    if job.status == "succeeded":
        return "indexed"
    if job.status == "failed":
        return f"failed: {job.error_message} ({job.error_code})"
    return "queued"


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
