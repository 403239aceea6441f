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
from app.web.making import queue_clip, queue_reel, reel_words, wait_for
from app.web.processing import (
    processing_rows,
    ready_choices,
    report_text,
    sent_line,
)
from app.web.render import (
    render_lines,
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
from app.web.watching import CLIP_DECIMALS, clip_seconds, linked_video
from pipelines.accounts import Accounts
from pipelines.clock import clock
from pipelines.editing.names import download_name
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

    def library_now(
        self, seen: list[Any] | None, sent: list[dict[str, Any]] | None, request: gr.Request
    ) -> tuple[Any, ...]:
        """The Library tab and the Watch tab's list as they are now, for the page's timer and
        after each change: (Processing rows, the videos' rows, the empty library's hint, the
        Watch list and the ready videos it was made of, the upload report). The Watch list is
        sent only when the ready videos changed (``seen``: those it was last sent), so a list
        being opened is not redrawn under the pointer; the report only while it has lines."""
        owner = self._owner(request)
        videos = owner.public_videos()
        ids = {v.id for v in videos}
        rows = [
            [
                v.title,
                clock(v.duration, padded=True),
                v.status,
                v.language or "—",
                f"{v.created_at:%Y-%m-%d %H:%M}" if v.created_at else "",
                v.id,
            ]
            for v in videos
        ]
        ready = [[v.title, v.id] for v in videos if v.status == "ready"]
        changed = ready != (seen or [])
        return (
            processing_rows(owner, ids),
            rows,
            gr.update(visible=not videos),
            gr.update(choices=[tuple(r) for r in ready]) if changed else gr.skip(),
            ready if changed else gr.skip(),
            report_text(owner, sent, ids) if sent else gr.skip(),
        )

    def video_choices(self, request: gr.Request) -> Any:
        return gr.update(choices=ready_choices(self._owner(request)))

    def upload_files(
        self,
        files: list[str] | None,
        speakers: int | None,
        request: gr.Request,
        progress: gr.Progress = gr.Progress(),  # noqa: B008  (Gradio injects it)
    ) -> tuple[str, list[dict[str, Any]]]:
        """Moves the files this user sent to Gradio's upload route into their library and
        queues each one, ``speakers`` people speaking in each when the list says (0 or None:
        the voices are counted; outside 1-20 each file is refused with ``speaker.bad_count``). A
        path that is not the user's own pending upload (the guard already refused it; checked
        again here, where the file is opened) is reported, never read. Returns the report and
        its lines for the page's state, where each queued file's line follows its job."""
        owner = self._owner(request)
        count = speakers or None  # 0 is the list's "Not known"
        if not files:
            raise gr.Error(
                "Choose one or more video files, and wait until they have reached the server "
                "(upload.empty)"
            )
        report: list[dict[str, Any]] = []
        for index, path in enumerate(files):
            name = plain_filename(Path(str(path)).name)
            progress(index / len(files), desc=f"Checking {name}")
            try:
                claimed = self.ledger.claim(owner.owner_id, str(path))
            except VidscopeError as exc:
                report.append(sent_line(name, None, "", f"✗ {name}: {exc.message} ({exc.code})"))
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
                report.append(sent_line(name, None, "", f"✗ {name}: {exc.message} ({exc.code})"))
                continue
            finally:
                self.ledger.discard(claimed)
            if job_id is None:
                report.append(sent_line(name, None, video.id, f"= {name}: already in your library"))
            else:
                report.append(sent_line(name, job_id, video.id, f"✓ {name}: queued"))
                assert self.library is not None  # _owner refused a page without one
                self.library.administration.audit(
                    "video.uploaded",
                    user_id=owner.owner_id,
                    ip=request.client.host if request.client else None,
                    video_id=video.id,
                    via="web",
                )
                if self.worker is not None:
                    self.worker.wake()
        progress(1.0, desc="Done")
        return "\n".join(str(line["text"]) for line in report), report

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
            video_id=video.id,
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
        # Saved under the video's title, as a person looks for it, not its id.
        downloads = " · ".join(
            f'<a href="api/v1/videos/{html.escape(video.id)}/transcript?format={fmt}" '
            f'download="{html.escape(download_name(video.title, "", fmt))}">{fmt.upper()}</a>'
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
            gr.update(choices=ready_choices(owner), value=video.id),
            video.id,
            clock(clip_start, decimals=CLIP_DECIMALS),
            clock(clip_end, decimals=CLIP_DECIMALS),
            gr.Tabs(selected="watch"),
            # Cut clip, Make a reel of the key points, and the playhead's two: a video is open.
            *[gr.update(interactive=True)] * 4,
        )

    def open_link(self, address: str | None, request: gr.Request) -> tuple[Any, ...]:
        """The video and second the page's address names (``?v=ID&t=SECONDS``), on the Watch
        tab; an id that is not this person's own is the same "not found" as a deleted one's,
        in the player's place. An address without a video changes nothing."""
        linked = linked_video(address)
        if linked is None:
            return tuple(gr.skip() for _ in range(16))
        try:
            return self.open_video(linked[0], linked[1], request)
        except gr.Error as exc:
            said = exc.message[:1].upper() + exc.message[1:]
            shown = render_player(message=f"{said} Pick a video, or a search result.")
            return (shown, *[gr.skip()] * 10, gr.Tabs(selected="watch"), *[gr.skip()] * 4)

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
        self, video_id: str | None, start: str | None, end: str | None, request: gr.Request
    ) -> dict[str, Any]:
        """Queues the clip from ``start`` to ``end`` as the person wrote them (seconds, m:ss
        or h:mm:ss; app/web/making.py: a refusal is its toast alone)."""
        owner = self._owner(request)
        if not video_id:
            raise gr.Error("Open a video first")
        begin, stop = clip_seconds(start, "The start"), clip_seconds(end, "The end")
        return queue_clip(owner, video_id, begin, stop)

    def reel_of_results(
        self, query: str, speaker: str | None, words: list[str] | None, request: gr.Request
    ) -> dict[str, Any]:
        """Queues a reel of the query's best hits (what the Search tab shows: what the speaker
        its filter names says, when one is chosen)."""
        if not query.strip():
            raise gr.Error("Search for something first; the reel shows its best hits")
        return queue_reel(
            self._owner(request),
            query.strip(),
            query=query.strip(),
            speaker=chosen_speaker(speaker),
            **reel_words(words),
        )

    def reel_of_chapters(
        self, video_id: str | None, words: list[str] | None, request: gr.Request
    ) -> dict[str, Any]:
        """Queues a reel of the open video's key points, one per chapter."""
        if not video_id:
            raise gr.Error("Open a video first")
        owner = self._owner(request)
        try:
            title = owner.get_video(video_id).title
        except VidscopeError as exc:
            raise _fail(exc) from exc
        named = f"{title} key points"
        return queue_reel(owner, named, chapters_of=video_id, **reel_words(words))

    def show_made(self, queued: dict[str, Any] | None, request: gr.Request) -> tuple[Any, Any]:
        """The clip or reel once the worker has made it: its player and download link (each
        shown only with something in it)."""
        player, link = wait_for(self._owner(request), self.worker, queued)
        return gr.update(value=player, visible=bool(player)), gr.update(value=link, visible=True)

    def delete_video(self, video_id: str | None, request: gr.Request) -> tuple[str, str]:
        """Deletes the video selected in the table; ("" for the selection, the id deleted)."""
        owner = self._owner(request)
        if not video_id:
            raise gr.Error("Select a video in the table first")
        try:
            owner.delete(video_id)
        except VidscopeError as exc:
            raise _fail(exc) from exc
        return "", video_id

    def close_if_deleted(self, deleted: str, current: str, request: gr.Request) -> tuple[Any, ...]:
        """The Watch tab emptied when the video it shows was just deleted: no player, summary,
        speakers or transcript of a video that is gone, and nothing to cut (``closed`` in
        app/web/page.py); else as it is, with the list of ready videos."""
        choices = gr.update(choices=ready_choices(self._owner(request)))
        if not deleted or deleted != current:
            return (choices, *[gr.skip()] * 16)
        off = gr.update(interactive=False)
        return (
            gr.update(choices=choices["choices"], value=None),
            render_player(message="That video was deleted. Pick another, or a search result."),
            "",  # speakers
            gr.update(choices=[], value=None),
            gr.update(visible=False),  # the rename row
            "",  # summary
            render_lines("", []),
            "",  # downloads
            "",  # the open video
            *[off] * 4,  # Cut clip, Make a reel of the key points, the playhead's two
            *[gr.update(value="", visible=False)] * 4,  # the clip and the reel, with their links
        )

    def select_row(self, table: Any, evt: gr.SelectData) -> tuple[str, Any, Any]:
        """The row's video, its Delete button; a confirmation still open for another row is
        closed."""
        row = evt.index[0] if isinstance(evt.index, list | tuple) else evt.index
        closed = gr.update(visible=False)
        try:
            video_id = str(table.iloc[row, 5])
            title = str(table.iloc[row, 0])
        except (AttributeError, IndexError, KeyError):
            return "", gr.update(visible=False), closed
        return video_id, gr.update(value=f"Delete “{title}”", visible=True), closed

    def whoami(self, request: gr.Request) -> str:
        owner = self._owner(request)
        user = owner.user()
        return (
            f'<div class="vs-user">Signed in as <strong>{html.escape(user.username)}</strong> '
            '<form method="post" action="logout" style="display:inline">'
            '<button type="submit">Sign out</button></form></div>'
        )
