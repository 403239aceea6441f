"""Clips and reels made from the page, in two steps. The first queues the job: a refusal (a
bad range, a video not ready) is the error's toast alone, because that step's only output is
the page's state, which shows no error mark (once, both the player and the link under it
showed a red "Error" beside the toast). The second waits for the worker and shows the player
and a download link named after the video, or the job's failure in one line."""

from __future__ import annotations

import html
import time
from typing import Any

import gradio as gr

from app.web.render import REEL_WORDS, render_clip
from pipelines.clock import clock
from pipelines.editing.names import clip_name, download_name
from pipelines.errors import VidscopeError
from pipelines.library import OwnerLibrary


def made(url: str, name: str, what: str, note: str = "") -> dict[str, Any]:
    """What the first step hands the second (kept in the page's state)."""
    return {"url": url, "name": name, "what": what, "note": note}


def queue_clip(owner: OwnerLibrary, video_id: str, start: float, end: float) -> dict[str, Any]:
    """Queues the clip [start, end) of the video; ``gr.Error`` with the library's reason
    and code when refused. An end past the video's end is cut at the end, and the note
    says so."""
    try:
        video = owner.get_video(video_id)
        clip_id, job_id = owner.queue_clip(video_id=video_id, start=start, end=end)
    except VidscopeError as exc:
        raise gr.Error(f"{exc.message} ({exc.code})") from exc
    note = ""
    if end > video.duration:
        end = video.duration
        note = (
            f"The video ends at {clock(video.duration, padded=True)}, so the clip ends there "
            f"({clock(start, padded=True)} to {clock(end, padded=True)})."
        )
    name = clip_name(video.title, start, end)
    return {"job_id": job_id, **made(f"api/v1/clips/{clip_id}/file", name, "clip", note)}


def reel_words(words: list[str] | None) -> dict[str, bool]:
    """The REEL_WORDS ticked (others ignored), as queue_reel's keywords."""
    ticked = words or []
    return {"subtitles": REEL_WORDS[0] in ticked, "title_cards": REEL_WORDS[1] in ticked}


def queue_reel(owner: OwnerLibrary, named: str, **source: Any) -> dict[str, Any]:
    """Queues a reel (``source``: queue_reel's keywords); ``named``: what its file is
    called after (the query, or the video's title)."""
    try:
        reel_id, job_id = owner.queue_reel(**source)
    except VidscopeError as exc:
        raise gr.Error(f"{exc.message} ({exc.code})") from exc
    name = download_name(named, "reel", "mp4")
    return {"job_id": job_id, **made(f"api/v1/reels/{reel_id}/file", name, "reel")}


def wait_for(owner: OwnerLibrary, worker: Any, queued: dict[str, Any] | None) -> tuple[str, str]:
    """Waits for the queued job, then (player, link and note); a failed or late job is one
    line in place of the link, with its code."""
    if not queued:
        return render_clip(""), ""
    if worker is not None:
        worker.wake()
    what = queued["what"]
    deadline = time.monotonic() + owner.settings.clips.ffmpeg_timeout_s
    while time.monotonic() < deadline:
        job = owner.job(queued["job_id"])
        if job.status == "succeeded":
            link = (
                f'<a href="{html.escape(queued["url"])}" '
                f'download="{html.escape(queued["name"])}">Download the {what}</a>'
            )
            note = queued.get("note")
            if note:
                link += f' <span class="vs-note" role="status">{html.escape(note)}</span>'
            return render_clip(queued["url"], f"The {what}"), link
        if job.status == "failed":
            return render_clip(""), _failed(f"{job.error_message} ({job.error_code})")
        time.sleep(0.3)
    # One code for clips and reels, as before (both wait for the same worker).
    return render_clip(""), _failed(f"The {what} took too long (clip.timeout)")


def _failed(message: str) -> str:
    return f'<p class="vs-failed" role="alert">{html.escape(message)}</p>'
