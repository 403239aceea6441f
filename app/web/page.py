"""The web app: a Gradio Blocks ``demo`` mounted on the API server at ``/``. Its handlers are thin
calls into the signed-in owner's services (``Library.for_owner``), never the catalog; media,
thumbnails and clips reach the browser only through the owner-checked API routes, which accept
the session cookie the sign-in pages set."""

from __future__ import annotations

import html
import tempfile
from pathlib import Path
from typing import Any

import gradio as gr
from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.routing import Mount

from app.api.deps import SESSION_COOKIE, session_user
from app.api.uploads import plain_filename, title_from_filename
from app.web.guard import GradioGuard, UploadLedger
from pipelines.accounts import Accounts
from pipelines.config import Settings
from pipelines.errors import VidscopeError
from pipelines.ingest import accept_upload
from pipelines.library import Library, OwnerLibrary
from pipelines.media import sha256_file
from pipelines.transcripts import format_timestamp

CSS = """
.vs-cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(15rem, 1fr));
            gap: .75rem; }
.vs-card { display: block; width: 100%; text-align: left; padding: 0; overflow: hidden;
           border: 1px solid #c5cad6; border-radius: 10px; background: #fff; cursor: pointer;
           color: #1d2330; font: inherit; }
.vs-card:focus { outline: 3px solid #f0b400; outline-offset: 2px; }
/* contain, not cover: a slide's text must not be cropped off the still */
.vs-card img { width: 100%; aspect-ratio: 16 / 9; object-fit: contain; background: #1d2330; }
.vs-user { display: flex; justify-content: flex-end; align-items: center; gap: .5rem;
           width: 100%; }
.vs-card .vs-meta { padding: .5rem .75rem .75rem; }
.vs-card .vs-time { font-weight: 700; color: #1f3aa8; }
.vs-card mark { background: #ffe27a; color: inherit; }
.vs-lines { max-height: 28rem; overflow-y: auto; }
.vs-line { display: block; width: 100%; text-align: left; border: 0; background: none;
           padding: .35rem .5rem; border-radius: 6px; cursor: pointer; font: inherit;
           color: #1d2330; }
.vs-line:hover, .vs-line:focus { background: #eef1fb; }
.vs-line .vs-time { font-variant-numeric: tabular-nums; color: #1f3aa8; margin-right: .5rem; }
.vs-empty { color: #4a5160; padding: 1rem 0; }
.vs-now { background: #dfe6ff; font-weight: 600; }
video { width: 100%; max-height: 70vh; background: #000; border-radius: 8px; }
"""


# Gradio's HTML templates are Handlebars whose output is then evaluated as a JavaScript
# template literal, so a title such as "${alert(1)}" would run even though Handlebars escaped
# it. The page's HTML is therefore made here, every value escaped once with html.escape, and
# handed to Gradio as the whole value (its default template "${value}" inserts a string; a
# substituted string is never evaluated again).
def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def render_cards(message: str, hits: list[dict[str, Any]]) -> str:
    """The search results as cards (each a button carrying the hit's video and times)."""
    cards = []
    for hit in hits:
        words = "".join(
            f"<mark>{_e(part['text'])}</mark>" if part["mark"] else _e(part["text"])
            for part in hit["parts"]
        )
        cards.append(
            f'<button class="vs-card" data-video="{_e(hit["video_id"])}" '
            f'data-start="{_e(hit["start"])}" data-end="{_e(hit["end"])}" '
            f'aria-label="Play {_e(hit["title"])} from {_e(hit["clock"])}">'
            f'<img src="api/v1/videos/{_e(hit["video_id"])}/thumbnail?t={_e(hit["start"])}" '
            'alt="" loading="lazy">'
            f'<div class="vs-meta"><div class="vs-time">{_e(hit["clock"])}</div>'
            f"<div><strong>{_e(hit['title'])}</strong></div><div>{words}</div>"
            f"<div><small>{_e(hit['source'])}</small></div></div></button>"
        )
    status = f'<p class="vs-empty" role="status">{_e(message)}</p>' if message else ""
    return f'{status}<div class="vs-cards">{"".join(cards)}</div>'


def render_lines(message: str, lines: list[dict[str, Any]]) -> str:
    """The transcript, one button per line, each seeking the player to its start."""
    rows = "".join(
        f'<button class="vs-line" data-start="{_e(line["start"])}">'
        f'<span class="vs-time">{_e(line["clock"])}</span>{_e(line["text"])}</button>'
        for line in lines
    )
    status = f'<p class="vs-empty">{_e(message)}</p>' if message else ""
    return f'{status}<div class="vs-lines">{rows}</div>'


def render_clip(src: str) -> str:
    if not src:
        return ""
    return (
        f'<video controls preload="metadata" playsinline src="{_e(src)}" '
        'aria-label="The clip"></video>'
    )


def render_player(
    *,
    src: str = "",
    vtt: str = "",
    start: float = 0.0,
    title: str = "",
    play: bool = False,
    message: str = "",
) -> str:
    if not src:
        return f'<p class="vs-empty">{_e(message)}</p>'
    track = (
        f'<track kind="subtitles" src="{_e(vtt)}" srclang="en" label="Subtitles" default>'
        if vtt
        else ""
    )
    return (
        f'<video id="vs-player" controls preload="metadata" playsinline src="{_e(src)}" '
        f'data-start="{_e(start)}" data-play="{"true" if play else "false"}" '
        f'aria-label="{_e(title)}">{track}</video>'
    )


PICK = """
element.addEventListener('click', (event) => {
  const card = event.target.closest('[data-video]');
  if (card) trigger('click', {video_id: card.dataset.video, start: Number(card.dataset.start),
                              end: Number(card.dataset.end)});
});
"""
# The browser fetches the media itself, with its session cookie, from the owner-checked API
# route: Gradio neither downloads nor caches it, so no Gradio file URL can ever hand one user
# another's video. Seeking and following the transcript happen here, in the page.
PLAY = """
const start = () => {
  const video = element.querySelector('video');
  if (!video) return;
  const go = () => {
    video.currentTime = Number(video.dataset.start) || 0;
    // Opened from a search hit: play from there (the click counts as the user's gesture).
    if (video.dataset.play === 'true') video.play().catch(() => {});
  };
  if (video.readyState >= 1) go(); else video.addEventListener('loadedmetadata', go, {once: true});
  const mark = () => {
    let current = null;
    document.querySelectorAll('.vs-line[data-start]').forEach((line) => {
      if (Number(line.dataset.start) <= video.currentTime + 0.05) current = line;
      line.classList.remove('vs-now');
      line.removeAttribute('aria-current');
    });
    if (current) { current.classList.add('vs-now'); current.setAttribute('aria-current', 'true'); }
  };
  video.addEventListener('timeupdate', mark);
  video.addEventListener('seeked', mark);
};
start();
watch('value', start);
"""
SEEK = """
element.addEventListener('click', (event) => {
  const line = event.target.closest('[data-start]');
  const video = document.querySelector('#vs-player');
  if (line && video) { video.currentTime = Number(line.dataset.start); video.play(); }
});
"""


def _fail(exc: VidscopeError) -> gr.Error:
    return gr.Error(f"{exc.message} ({exc.code})")


def _clock(seconds: float) -> str:
    whole = int(seconds)
    return format_timestamp(whole) if whole >= 3600 else f"{whole // 60:02d}:{whole % 60:02d}"


_STOPWORDS = frozenset(
    "a an and are at be but by can did do does for from had has have how i in is it its of on "
    "or our so that the their them they this to was we were what when where which who why will "
    "with you your".split()
)


def highlight(text: str, query: str) -> list[dict[str, Any]]:
    """The snippet cut into plain and marked parts where a query word occurs (render_cards
    escapes every part, so a title or transcript can never become markup)."""
    words = {w.lower().strip(".,;:!?\"'()") for w in query.split()} - _STOPWORDS
    parts: list[dict[str, Any]] = []
    for token in text.split(" "):
        bare = token.strip(".,;:!?\"'()").lower()
        parts.append({"text": token + " ", "mark": bool(bare) and bare in words})
    return parts


# -- handlers ------------------------------------------------------------------------------------
class WebApp:
    """The page's handlers, bound to the library of the server that mounts them."""

    def __init__(self, ledger: UploadLedger) -> None:
        self.ledger = ledger
        self.library: Library | None = None
        self.accounts: Accounts | None = None
        self.worker: Any = None

    def attach(self, library: Library, accounts: Accounts, worker: Any) -> None:
        self.library, self.accounts, self.worker = library, accounts, worker
        self.ledger.reset()

    def user_of_token(self, token: str) -> str | None:
        """The user id of a valid session token, else None."""
        if self.accounts is None:
            return None
        try:
            return self.accounts.verify(token).id
        except VidscopeError:
            return None

    def session_user(self, request: Request) -> str | None:
        """Gradio's auth dependency: the user id of a valid session cookie, else None."""
        token = request.cookies.get(SESSION_COOKIE)
        return self.user_of_token(token) if token else None

    def quota_left(self, user_id: str) -> int:
        if self.library is None:
            return 0
        return self.library.for_owner(user_id).quota_left()

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
                _clock(v.duration),
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
        for job in owner.catalog.list_jobs(owner_id=owner.owner_id, limit=20):
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
        request: gr.Request,
        progress: gr.Progress = gr.Progress(),  # noqa: B008  (Gradio injects it)
    ) -> str:
        """Moves the files this user sent to Gradio's upload route into their library and
        queues each one. A path that is not the user's own pending upload (the guard already
        refused it; checked again here, where the file is opened) is reported, never read."""
        owner = self._owner(request)
        if not files:
            raise gr.Error(
                "Choose one or more video files, and wait until they have reached the server "
                "(upload.empty)"
            )
        library = owner.library
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
                video, job_id = accept_upload(
                    claimed,
                    title=title_from_filename(name),
                    sha256=sha256_file(claimed),
                    owner_id=owner.owner_id,
                    settings=library.settings,
                    catalog=library.catalog,
                    max_attempts=library.settings.jobs.max_attempts,
                    shown_as=name,
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
                library.catalog.audit(
                    "video.uploaded",
                    user_id=owner.owner_id,
                    username=library.catalog.get_user(owner.owner_id).username,
                    ip=request.client.host if request.client else None,
                    request_id=None,
                    video_id=video.id,
                    via="web",
                )
                if self.worker is not None:
                    self.worker.wake()
        progress(1.0, desc="Done")
        return "\n".join(report)

    def search_cards(self, query: str, request: gr.Request) -> str:
        owner = self._owner(request)
        query = (query or "").strip()
        if not query:
            return render_cards("Type what you are looking for, in your own words.", [])
        if owner.count_videos() == 0:
            return render_cards(
                "Your library is empty: upload a video on the Library tab first.", []
            )
        try:
            hits = owner.search(query)
        except VidscopeError as exc:
            raise _fail(exc) from exc
        if not hits:
            return render_cards(f"Nothing in your videos matches “{query}”. Try other words.", [])
        return render_cards(
            "",
            [
                {
                    "video_id": h.video_id,
                    "start": h.start,
                    "end": h.end,
                    "clock": _clock(h.start),
                    "title": h.title,
                    "parts": highlight(h.text, query),
                    "source": h.source,
                }
                for h in hits
            ],
        )

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
            segments = owner.catalog.segments(video_id)
        except VidscopeError as exc:
            raise _fail(exc) from exc
        player = render_player(
            src=f"api/v1/videos/{video.id}/media",
            vtt=f"api/v1/videos/{video.id}/transcript?format=vtt" if segments else "",
            start=round(start, 2),
            title=video.title,
            play=play,
        )
        lines = render_lines(
            "" if segments else "No speech was found in this video.",
            [
                {
                    "start": s.start,
                    "clock": _clock(s.start),
                    "text": (f"{s.speaker}: " if s.speaker else "") + s.text,
                }
                for s in segments
            ],
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
        worker = self.worker
        if worker is not None:
            worker.wake()
        import time

        deadline = time.monotonic() + owner.settings.clips.ffmpeg_timeout_s
        while time.monotonic() < deadline:
            job = owner.catalog.get_job(job_id, owner_id=owner.owner_id)
            if job.status == "succeeded":
                clip = render_clip(f"api/v1/clips/{clip_id}/file")
                link = (
                    f'<a href="api/v1/clips/{clip_id}/file" download="clip-{clip_id}.mp4">'
                    "Download the clip</a>"
                )
                return clip, link
            if job.status == "failed":
                raise gr.Error(f"{job.error_message} ({job.error_code})")
            time.sleep(0.3)
        raise gr.Error("The clip took too long (clip.timeout)")

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
        user = owner.catalog.get_user(owner.owner_id)
        return (
            f'<div class="vs-user">Signed in as <strong>{html.escape(user.username)}</strong> '
            '<form method="post" action="logout" style="display:inline">'
            '<button type="submit">Sign out</button></form></div>'
        )


# -- the page ------------------------------------------------------------------------------------
def build_demo(web: WebApp | None = None) -> gr.Blocks:
    """The page; its handlers act through ``web`` (a new, unattached one by default)."""
    web = web or WebApp(UploadLedger(Path(tempfile.gettempdir()) / "vidscope-web"))
    # Vidscope runs offline: Gradio's usage reports stay off.
    with gr.Blocks(title="Vidscope", analytics_enabled=False) as demo:
        with gr.Row():
            gr.Markdown("# Vidscope")
            user_box = gr.HTML()
        with gr.Tabs() as tabs:
            with gr.Tab("Library", id="library"):
                files = gr.File(label="Upload videos", file_count="multiple")
                # Enabled once the chosen files have reached the server (Gradio shows each
                # file's progress while it goes); pressed before, it would have nothing.
                upload_button = gr.Button("Upload", variant="primary", interactive=False)
                upload_report = gr.Textbox(label="Upload", interactive=False, lines=2)
                status = gr.Dataframe(
                    headers=["file", "status"],
                    label="Processing",
                    interactive=False,
                    wrap=True,
                )
                table = gr.Dataframe(
                    headers=["title", "duration", "status", "language", "added", "id"],
                    label="Your videos",
                    interactive=False,
                    wrap=True,
                )
                selected = gr.Textbox(visible=False)
                delete_button = gr.Button("Delete", variant="stop", visible=False)
                confirm = gr.Button("Yes, delete it for good", variant="stop", visible=False)
            with gr.Tab("Search", id="search"):
                query = gr.Textbox(
                    label="Search your videos", placeholder="how do we pay for the batteries"
                )
                search_button = gr.Button("Search", variant="primary")
                cards = gr.HTML(
                    value=render_cards("", []),
                    css_template=CSS,
                    js_on_load=PICK,
                )
            with gr.Tab("Watch", id="watch"):
                chooser = gr.Dropdown(label="Video", choices=[], interactive=True)
                player = gr.HTML(
                    value=render_player(message="Pick a video, or a search result."),
                    css_template=CSS,
                    js_on_load=PLAY,
                )
                downloads = gr.HTML()
                transcript = gr.HTML(
                    value=render_lines("", []),
                    css_template=CSS,
                    js_on_load=SEEK,
                )
                with gr.Row():
                    clip_start = gr.Number(label="Clip start (s)", value=0.0, minimum=0)
                    clip_end = gr.Number(label="Clip end (s)", value=30.0, minimum=0)
                    cut_button = gr.Button("Cut clip", variant="primary")
                clip_player = gr.HTML(value=render_clip(""), css_template=CSS)
                clip_link = gr.HTML()
        current = gr.State("")  # the video on the Watch tab
        opened = [player, transcript, downloads, chooser, current, clip_start, clip_end, tabs]
        timer = gr.Timer(1.5)
        demo.load(web.whoami, outputs=user_box)
        demo.load(web.videos_table, outputs=table)
        demo.load(web.jobs_table, outputs=status)
        demo.load(web.video_choices, outputs=chooser)
        timer.tick(web.jobs_table, outputs=status).then(web.videos_table, outputs=table)
        files.upload(lambda: gr.update(interactive=True), outputs=upload_button)
        files.clear(lambda: gr.update(interactive=False), outputs=upload_button)
        upload_button.click(web.upload_files, inputs=files, outputs=upload_report).then(
            lambda: (None, gr.update(interactive=False)), outputs=[files, upload_button]
        ).then(web.jobs_table, outputs=status).then(web.videos_table, outputs=table).then(
            web.video_choices, outputs=chooser
        )
        table.select(web.select_row, inputs=table, outputs=[selected, delete_button])
        delete_button.click(lambda: gr.update(visible=True), outputs=confirm)
        confirm.click(web.delete_video, inputs=selected, outputs=selected).then(
            lambda: (gr.update(visible=False), gr.update(visible=False)),
            outputs=[delete_button, confirm],
        ).then(web.videos_table, outputs=table).then(web.video_choices, outputs=chooser)
        search_button.click(web.search_cards, inputs=query, outputs=cards)
        query.submit(web.search_cards, inputs=query, outputs=cards)
        cards.click(web.pick_hit, outputs=opened)
        chooser.input(web.choose_video, inputs=chooser, outputs=opened)
        cut_button.click(
            web.cut_clip, inputs=[current, clip_start, clip_end], outputs=[clip_player, clip_link]
        )
    blocks: gr.Blocks = demo
    return blocks


demo = build_demo()


class _SignInFirst(BaseHTTPMiddleware):
    """The page itself sends a visitor without a session to the sign-in form."""

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        if request.method == "GET" and request.url.path == "/" and session_user(request) is None:
            return RedirectResponse("/login", status_code=303)
        return await call_next(request)


IDLE_POLL_S = 0.02
PROGRESS_POLL_S = 0.1


def mount_web(app: FastAPI, settings: Settings) -> WebApp:
    """Mounts the page at ``/`` with the session cookie as its sign-in, behind the guard of
    its file inputs and result streams; returns its handlers, which the server's lifespan
    attaches to the library once it is open."""
    web = WebApp(UploadLedger(settings.staging_dir / "web"))
    blocks = build_demo(web)
    app.add_middleware(_SignInFirst)
    gr.mount_gradio_app(
        app,
        blocks,
        path="/",
        auth_dependency=web.session_user,
        max_file_size=settings.limits.max_file_bytes,
        # Gradio serves no file from the library: media goes through the owner-checked API.
        blocked_paths=[str(settings.home.resolve())],
        allowed_paths=[],
        show_error=False,
        footer_links=[],
        css=CSS,
    )
    mounted = app.routes[-1]
    assert isinstance(mounted, Mount)
    # Uploads land in the library's staging area (private, on the media's disk, so accepting
    # one is a rename) and are also where Gradio's event processing looks for its cache, so
    # it never copies (and hashes, on the event loop) a file an event names.
    folder = str(web.ledger.folder)
    mounted.app.uploaded_file_dir = folder  # type: ignore[attr-defined]
    for block in (blocks, *blocks.blocks.values()):
        block.GRADIO_CACHE = folder
    # Gradio's queue looks for work every millisecond and for progress every 10 ms, even with
    # nobody connected: 3.7 s of CPU a minute on an idle server (measured). 20 ms and 100 ms
    # are below what a person notices on a click or a progress bar.
    blocks._queue.sleep_when_free = IDLE_POLL_S
    blocks._queue.progress_update_sleep_when_free = PROGRESS_POLL_S
    app.add_middleware(
        GradioGuard,
        ledger=web.ledger,
        cookie=SESSION_COOKIE,
        user_of=web.user_of_token,
        quota_left=web.quota_left,
        max_file_bytes=settings.limits.max_file_bytes,
        fn_count=lambda: len(blocks.fns),
    )
    return web


__all__ = ["WebApp", "build_demo", "demo", "mount_web"]
