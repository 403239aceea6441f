"""The page's handlers: thin calls into the signed-in owner's services (``Library.for_owner``);
media, thumbnails and clips reach the browser only through the owner-checked API routes."""

from __future__ import annotations

import html
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gradio as gr

from app.api.uploads import plain_filename, title_from_filename
from app.web.access import PageAccess
from app.web.asking import answer_as_written
from app.web.ledger import UploadLedger
from app.web.render import (
    REEL_WORDS,
    clock_text,
    render_clip,
    render_overview,
    render_player,
)
from app.web.searching import chosen_speaker, search_html, speaker_choices
from app.web.speakers import (
    answer,
    rename,
    rename_choices,
    shown_again,
    speakers_html,
    watch_speakers,
)
from pipelines.accounts import Accounts
from pipelines.errors import VidscopeError
from pipelines.library import Library, OwnerLibrary
from pipelines.storage.files import sha256_file


def _fail(exc: VidscopeError) -> gr.Error:
    return gr.Error(f"{exc.message} ({exc.code})")


class WebApp:
    """The page's handlers, bound to the library of the server that mounts them."""

    def __init__(self, ledger: UploadLedger) -> None:
        self.ledger = ledger
        self.access = PageAccess(ledger)  # who is asking, and the room for their uploads
        self.library: Library | None = None
        self.worker: Any = None

    def attach(self, library: Library, accounts: Accounts, worker: Any) -> None:
        self.library, self.worker = library, worker
        self.access.attach(library, accounts)

    def _owner(self, request: gr.Request) -> OwnerLibrary:
        user_id = request.username
        if not user_id or self.library is None:
            raise gr.Error("Your session has ended: sign in again (auth.missing_token)")
        return self.library.for_owner(str(user_id))

    def videos_table(self, request: gr.Request) -> list[list[Any]]:
        owner = self._owner(request)
        return [
            [
                v.title,
                clock_text(v.duration),
                v.status,
                v.language or "—",
                f"{v.created_at:%Y-%m-%d %H:%M}" if v.created_at else "",
                v.id,
            ]
            for v in owner.public_videos()
        ]

    def video_choices(self, request: gr.Request) -> Any:
        return gr.update(choices=self._ready_videos(self._owner(request)))

    @staticmethod
    def _ready_videos(owner: OwnerLibrary) -> list[tuple[str, str]]:
        return [(v.title, v.id) for v in owner.public_videos() if v.status == "ready"]

    def jobs_table(self, request: gr.Request) -> list[list[Any]]:
        owner = self._owner(request)
        rows = []
        for job in owner.jobs(limit=20):
            if job.kind != "ingest":
                continue
            title = job.payload.get("title") or job.video_id or ""
            if job.status == "running":
                state = f"{job.stage or 'running'} {round(job.progress * 100)}%"
            elif job.status == "succeeded":
                state = "indexed"
            elif job.status == "failed":
                state = f"failed: {job.error_message} ({job.error_code})"
            else:
                state = "queued"
            rows.append([title, state])
        return rows

    def upload_files(
        self,
        files: list[str] | None,
        speakers: int | None,
        request: gr.Request,
        progress: gr.Progress = gr.Progress(),  # noqa: B008  (Gradio injects it)
    ) -> str:
        """Moves the files this user sent to Gradio's upload route into their library and
        queues each one, ``speakers`` people speaking in each when the list says (0 or None:
        the voices are counted; outside 1-20 each file is refused with ``speaker.bad_count``). A
        path that is not the user's own pending upload (the guard already refused it; checked
        again here, where the file is opened) is reported, never read."""
        owner = self._owner(request)
        count = speakers or None  # 0 is the list's "Not known"
        if not files:
            raise gr.Error(
                "Choose one or more video files, and wait until they have reached the server "
                "(upload.empty)"
            )
        report = []
        for index, path in enumerate(files):
            name = plain_filename(Path(str(path)).name)
            progress(index / len(files), desc=f"Checking {name}")
            try:
                claimed = self.ledger.claim(owner.owner_id, str(path))
            except VidscopeError as exc:
                report.append(f"✗ {name}: {exc.message} ({exc.code})")
                continue
            try:
                video, job_id = owner.accept_upload(
                    claimed,
                    title=title_from_filename(name),
                    sha256=sha256_file(claimed),
                    shown_as=name,
                    speakers=count,
                )
            except VidscopeError as exc:
                report.append(f"✗ {name}: {exc.message} ({exc.code})")
                continue
            finally:
                self.ledger.discard(claimed)
            if job_id is None:
                report.append(f"= {name}: already in your library")
            else:
                report.append(f"✓ {name}: queued")
                owner.audit(
                    "video.uploaded",
                    ip=request.client.host if request.client else None,
                    video_id=video.id,
                    via="web",
                )
                if self.worker is not None:
                    self.worker.wake()
        progress(1.0, desc="Done")
        return "\n".join(report)

    def search_cards(self, query: str, speaker: str | None, request: gr.Request) -> str:
        """The hits for ``query`` as cards; ``speaker``: the filter's choice ("" is anyone)."""
        return search_html(self._owner(request), query, chosen_speaker(speaker))

    def answer_cards(
        self, question: str, speaker: str | None, request: gr.Request
    ) -> Iterator[str]:
        """The answer as it is written, then with its citations (``app/web/asking.py``);
        ``speaker``: the filter's choice ("" is anyone)."""
        yield from answer_as_written(self._owner(request), question, chosen_speaker(speaker))

    def speaker_filter(self, chosen: str | None, request: gr.Request) -> Any:
        """The speaker filter's choices as the owner's names now are (a tab opened after a
        rename lists the new name); ``chosen`` stays chosen while someone has that name."""
        return speaker_choices(self._owner(request), chosen)

    def open_video(
        self,
        video_id: str,
        start: float,
        request: gr.Request,
        *,
        end: float | None = None,
        play: bool = False,
    ) -> tuple[Any, ...]:
        """Everything the Watch tab shows of a video, opened at ``start``; from a hit, the
        clip builder is pre-filled with the hit's sentence (word-aligned, padded a little)."""
        owner = self._owner(request)
        try:
            video = owner.get_video(video_id)
            segments = owner.segments(video_id)
        except VidscopeError as exc:
            raise _fail(exc) from exc
        message, summary = "No speech was found in this video.", None
        try:  # a summary being made is shown as such: the video plays meanwhile
            summary = owner.summary(video_id).model_dump(mode="json") if segments else None
        except VidscopeError as exc:
            message = exc.message[:1].upper() + exc.message[1:] + "."
        overview = render_overview(message, summary)
        player = render_player(
            src=f"api/v1/videos/{video.id}/media",
            vtt=f"api/v1/videos/{video.id}/transcript?format=vtt" if segments else "",
            chapters=f"api/v1/videos/{video.id}/chapters?format=vtt" if segments else "",
            start=round(start, 2),
            title=video.title,
            play=play,
            opened=time.monotonic_ns(),
        )
        talks, lines = watch_speakers(
            owner,
            video_id,
            segments,
            message="" if segments else "No speech was found in this video.",
        )
        downloads = " · ".join(
            f'<a href="api/v1/videos/{html.escape(video.id)}/transcript?format={fmt}" '
            f'download="{html.escape(video.id)}.{fmt}">{fmt.upper()}</a>'
            for fmt in ("srt", "vtt", "txt")
        )
        pad = owner.settings.clips.padding_s
        clip_start = max(0.0, start - pad) if end is not None else start
        clip_end = min(video.duration, end + pad if end is not None else start + 30.0)
        return (
            player,
            speakers_html(talks, segments, video.duration),
            rename_choices(talks),
            gr.update(visible=any(t.renamable for t in talks)),
            overview,
            lines,
            f"Transcript: {downloads}",
            gr.update(choices=self._ready_videos(owner), value=video.id),
            video.id,
            round(clip_start, 2),
            round(clip_end, 2),
            gr.Tabs(selected="watch"),
        )

    def pick_hit(self, evt: gr.EventData, request: gr.Request) -> tuple[Any, ...]:
        data = getattr(evt, "_data", None) or {}
        return self.open_video(
            str(data.get("video_id", "")),
            float(data.get("start", 0.0)),
            request,
            end=float(data.get("end", 0.0)) or None,
            play=True,
        )

    def choose_video(self, video_id: str | None, request: gr.Request) -> tuple[Any, ...]:
        if not video_id:
            raise gr.Error("Choose a video")
        return self.open_video(video_id, 0.0, request)

    def rename_speaker(
        self, video_id: str | None, label: str | None, name: str | None, request: gr.Request
    ) -> None:
        """Names a speaker of the open video (app/web/speakers.py). It has no outputs, so a
        refusal is the error's message alone, not an error mark over the fields to fix."""
        rename(self._owner(request), video_id, label, name, request)

    def answer_suggestion(
        self, video_id: str | None, evt: gr.EventData, request: gr.Request
    ) -> None:
        """Yes or no to a name suggested for a speaker of the open video (a button under the
        speaker's row sent it; app/web/speakers.py). No outputs, as for a rename."""
        answer(self._owner(request), video_id, getattr(evt, "_data", None), request)

    def open_named_in(self, evt: gr.EventData, request: gr.Request) -> tuple[Any, ...]:
        """The video a suggested name was given in, opened on the Watch tab."""
        data = getattr(evt, "_data", None) or {}
        return self.open_video(str(data.get("video_id", "")), 0.0, request)

    def speakers_again(
        self, video_id: str | None, label: str | None, request: gr.Request
    ) -> tuple[str, str, Any, Any, str]:
        """The transcript, strip, chart, suggestions and picker as the names now are."""
        return shown_again(self._owner(request), video_id, label)

    def cut_clip(
        self, video_id: str | None, start: float, end: float, request: gr.Request
    ) -> tuple[Any, str]:
        owner = self._owner(request)
        if not video_id:
            raise gr.Error("Open a video first")
        try:
            clip_id, job_id = owner.queue_clip(
                video_id=video_id, start=float(start), end=float(end)
            )
        except VidscopeError as exc:
            raise _fail(exc) from exc
        return self._made(owner, job_id, f"api/v1/clips/{clip_id}/file", f"clip-{clip_id}.mp4")

    def reel_of_results(
        self, query: str, speaker: str | None, words: list[str] | None, request: gr.Request
    ) -> tuple[Any, str]:
        """A reel of the query's best hits (what the Search tab shows: what the speaker its
        filter names says, when one is chosen)."""
        if not query.strip():
            raise gr.Error("Search for something first; the reel shows its best hits")
        return self._reel(
            request, words or [], query=query.strip(), speaker=chosen_speaker(speaker)
        )

    def reel_of_chapters(
        self, video_id: str | None, words: list[str] | None, request: gr.Request
    ) -> tuple[Any, str]:
        """A reel of the open video's key points, one per chapter."""
        if not video_id:
            raise gr.Error("Open a video first")
        return self._reel(request, words or [], chapters_of=video_id)

    def _reel(self, request: gr.Request, words: list[str], **source: str | None) -> tuple[Any, str]:
        """``source``: query (and speaker) or chapters_of; ``words``: the REEL_WORDS ticked
        (others ignored)."""
        owner = self._owner(request)
        try:
            reel_id, job_id = owner.queue_reel(
                query=source.get("query"),
                speaker=source.get("speaker"),
                chapters_of=source.get("chapters_of"),
                subtitles=REEL_WORDS[0] in words,
                title_cards=REEL_WORDS[1] in words,
            )
        except VidscopeError as exc:
            raise _fail(exc) from exc
        return self._made(owner, job_id, f"api/v1/reels/{reel_id}/file", f"reel-{reel_id}.mp4")

    def _made(self, owner: OwnerLibrary, job_id: str, url: str, name: str) -> tuple[Any, str]:
        """Waits for the worker's job, then the player and a download link for its file
        (``name``: clip-….mp4 or reel-….mp4)."""
        if self.worker is not None:
            self.worker.wake()
        deadline = time.monotonic() + owner.settings.clips.ffmpeg_timeout_s
        while time.monotonic() < deadline:
            job = owner.job(job_id)
            if job.status == "succeeded":
                what = name.split("-", 1)[0]
                return render_clip(url, f"The {what}"), (
                    f'<a href="{url}" download="{name}">Download the {what}</a>'
                )
            if job.status == "failed":
                raise gr.Error(f"{job.error_message} ({job.error_code})")
            time.sleep(0.3)
        raise gr.Error("It took too long (clip.timeout)")

    def delete_video(self, video_id: str | None, request: gr.Request) -> str:
        owner = self._owner(request)
        if not video_id:
            raise gr.Error("Select a video in the table first")
        try:
            owner.delete(video_id)
        except VidscopeError as exc:
            raise _fail(exc) from exc
        return ""

    def select_row(self, table: Any, evt: gr.SelectData) -> tuple[str, Any]:
        row = evt.index[0] if isinstance(evt.index, list | tuple) else evt.index
        try:
            video_id = str(table.iloc[row, 5])
            title = str(table.iloc[row, 0])
        except (AttributeError, IndexError, KeyError):
            return "", gr.update(visible=False)
        return video_id, gr.update(value=f"Delete “{title}”", visible=True)

    def whoami(self, request: gr.Request) -> str:
        owner = self._owner(request)
        user = owner.user()
        return (
            f'<div class="vs-user">Signed in as <strong>{html.escape(user.username)}</strong> '
            '<form method="post" action="logout" style="display:inline">'
            '<button type="submit">Sign out</button></form></div>'
        )
