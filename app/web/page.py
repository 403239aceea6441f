"""The web app: a Gradio Blocks ``demo`` mounted on the API server at ``/``. Its handlers are thin
calls into the signed-in owner's services (``Library.for_owner``), never the catalog; media,
thumbnails and clips reach the browser only through the owner-checked API routes, which accept
the session cookie the sign-in pages set."""

from __future__ import annotations

import tempfile
from pathlib import Path
from urllib.parse import urlencode

import gradio as gr
from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.routing import Mount

from app.api.deps import session_user
from app.api.ratelimit import RateLimits
from app.web import watching
from app.web.guard import GradioGuard
from app.web.handlers import WebApp
from app.web.ledger import UploadLedger
from app.web.processing import EMPTY_HINT
from app.web.render import (
    CSS,
    PICK,
    REEL_WORDS,
    SEEK,
    render_answer,
    render_cards,
    render_lines,
    render_player,
)
from app.web.searching import ANYONE
from app.web.speakers import CSS as SPEAKERS_CSS
from app.web.suggestions import CSS as SUGGESTIONS_CSS
from app.web.suggestions import SCRIPT as SPEAKERS_SCRIPT
from app.web.theme import THEME, UPLOAD_WORDS
from pipelines.config import MAX_SPEAKERS, Settings

# The transcript, the speakers' strip and the suggestions share the palette.
STYLE = CSS + SPEAKERS_CSS + SUGGESTIONS_CSS + watching.CSS


def _speaker_filter() -> gr.Dropdown:
    """A Search or Ask tab's speaker filter; its names come when the tab is opened."""
    return gr.Dropdown(
        label="Who says it",
        choices=[("Anyone", ANYONE)],
        value=ANYONE,
        interactive=True,
        scale=1,
        min_width=160,
    )


# -- the page ------------------------------------------------------------------------------------
def build_demo(web: WebApp | None = None) -> gr.Blocks:
    """The page; its handlers act through ``web`` (a new, unattached one by default)."""
    web = web or WebApp(UploadLedger(Path(tempfile.gettempdir()) / "vidscope-web"))
    # Vidscope runs offline: Gradio's usage reports stay off.
    with gr.Blocks(title="Vidscope", analytics_enabled=False) as demo:
        # vs-header: at 390 px the name and "Signed in as … Sign out" take a line each.
        with gr.Row(elem_id="vs-header"):
            gr.Markdown("# Vidscope")
            user_box = gr.HTML()
        with gr.Tabs() as tabs:
            with gr.Tab("Library", id="library") as library_tab:
                files = gr.File(label="Upload videos", file_count="multiple")
                # Enabled once the chosen files have reached the server (Gradio shows each
                # file's progress while it goes); pressed before, it would have nothing.
                with gr.Row():
                    # Diarization counts the voices unless told. A list, not a number box:
                    # Gradio's number box shows an empty value as 0, which it then refuses.
                    speakers_box = gr.Dropdown(
                        label="Speakers (if known)",
                        choices=[("Not known", 0)]
                        + [(str(n), n) for n in range(1, MAX_SPEAKERS + 1)],
                        value=0,
                        scale=0,
                        min_width=160,
                    )
                    upload_button = gr.Button("Upload", variant="primary", interactive=False)
                upload_report = gr.Textbox(label="Upload", interactive=False, lines=2)
                # A new account's tables are empty: say what to do first.
                empty_hint = gr.Markdown(EMPTY_HINT, visible=False, elem_classes="vs-hint")
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
                    wrap=False,
                )
                selected = gr.Textbox(visible=False)
                delete_button = gr.Button("Delete", variant="stop", visible=False)
                # Asked first, with a way back: nothing of a deleted video can be had again.
                with gr.Group(visible=False) as confirm_box:
                    gr.Markdown(
                        "Delete this video with its transcript, summary, clips and reels? "
                        "This cannot be undone.",
                        elem_classes="vs-confirm",
                    )
                    with gr.Row():
                        confirm = gr.Button("Yes, delete it for good", variant="stop")
                        cancel = gr.Button("Cancel")
            with gr.Tab("Search", id="search") as search_tab:
                with gr.Row():
                    query = gr.Textbox(
                        label="Search your videos",
                        placeholder="how do we pay for the batteries",
                        scale=4,
                        # Below the speaker filter at 390 px, not squeezed beside it.
                        min_width=240,
                    )
                    # The names the owner gave speakers (app/web/searching.py); Anyone: all.
                    search_speaker = _speaker_filter()
                with gr.Row():
                    search_button = gr.Button("Search", variant="primary")
                    results_reel_button = gr.Button("Make a reel of the best hits")
                    results_reel_words = gr.CheckboxGroup(REEL_WORDS, label="On the reel")
                # Hidden until made (show_made): empty, they left ~140 px above the cards.
                results_reel = gr.HTML(value="", css_template=CSS, visible=False)
                results_reel_link = gr.HTML(visible=False)
                cards = gr.HTML(
                    value=render_cards("", []),
                    css_template=CSS,
                    js_on_load=PICK,
                )
            with gr.Tab("Ask", id="ask") as ask_tab:
                with gr.Row():
                    question = gr.Textbox(
                        label="Ask your videos",
                        placeholder="how big is the marketing budget going to be",
                        scale=4,
                        # Below the speaker filter at 390 px, not squeezed beside it.
                        min_width=240,
                    )
                    ask_speaker = _speaker_filter()
                ask_button = gr.Button("Ask", variant="primary")
                answer = gr.HTML(value=render_answer("", "", []), css_template=CSS, js_on_load=PICK)
            with gr.Tab("Watch", id="watch") as watch_tab:
                chooser = gr.Dropdown(label="Video", choices=[], interactive=True)
                # The player with the clip builder, and beside it (from 1024 px; below it on a
                # phone) the transcript, which follows playback and can be searched.
                with gr.Row(elem_id="vs-watch", equal_height=False):
                    with gr.Column(scale=3, min_width=0, elem_id="vs-main"):
                        player = gr.HTML(
                            value=render_player(message="Pick a video, or a search result."),
                            css_template=CSS,
                            js_on_load=watching.PLAY,
                        )
                        with gr.Row():
                            clip_start = watching.clip_time("Clip start", "0:00")
                            clip_end = watching.clip_time("Clip end", "0:30")
                        with gr.Row():
                            # Nothing to cut, no playhead, until a video is open (open_video).
                            start_here = gr.Button("Start at playhead", interactive=False)
                            end_here = gr.Button("End at playhead", interactive=False)
                            cut_button = gr.Button("Cut clip", variant="primary", interactive=False)
                        clip_player = gr.HTML(value="", css_template=CSS, visible=False)
                        clip_link = gr.HTML(visible=False)
                    with gr.Column(scale=2, min_width=0, elem_id="vs-side"):
                        watching.find_bar()
                        transcript = gr.HTML(
                            value=render_lines("", []),
                            css_template=STYLE,
                            js_on_load=watching.TRANSCRIPT,
                            elem_id="vs-transcript",
                        )
                        downloads = gr.HTML()
                # Who speaks when (each turn seeks the player) and for how long, and who an
                # unnamed one may be (yes / no, and the video the name comes from); naming one.
                speakers_view = gr.HTML(value="", css_template=STYLE, js_on_load=SPEAKERS_SCRIPT)
                with gr.Row(visible=False) as rename_row:
                    speaker_pick = gr.Dropdown(label="Speaker", choices=[], interactive=True)
                    speaker_name = gr.Textbox(label="Name", placeholder="Dana", max_lines=1)
                    rename_button = gr.Button("Save name")
                overview = gr.HTML(value="", css_template=CSS, js_on_load=SEEK)
                with gr.Row():
                    chapters_reel_button = gr.Button(
                        "Make a reel of the key points", interactive=False
                    )
                    chapters_reel_words = gr.CheckboxGroup(REEL_WORDS, label="On the reel")
                chapters_reel = gr.HTML(value="", css_template=CSS, visible=False)
                chapters_reel_link = gr.HTML(visible=False)
        address = gr.Textbox(visible=False)  # the page's address, for opening what it names
        current = gr.State("")  # the video on the Watch tab
        deleted = gr.State("")  # the video just deleted
        ready_seen = gr.State([])  # the ready videos the Watch list was last given
        sent = gr.State([])  # the upload report's lines, each following its job
        # A clip or reel queued, for the step that waits for it (app/web/making.py).
        clip_queued, results_queued, chapters_queued = gr.State(), gr.State(), gr.State()
        opened = [
            player,
            speakers_view,
            speaker_pick,
            rename_row,
            overview,
            transcript,
            downloads,
            chooser,
            current,
            clip_start,
            clip_end,
            tabs,
            cut_button,
            chapters_reel_button,
            start_here,
            end_here,
        ]
        # What the Watch tab shows of an open video, emptied when that video is deleted.
        closed = [
            chooser,
            player,
            speakers_view,
            speaker_pick,
            rename_row,
            overview,
            transcript,
            downloads,
            current,
            cut_button,
            chapters_reel_button,
            start_here,
            end_here,
            clip_player,
            clip_link,
            chapters_reel,
            chapters_reel_link,
        ]
        library_now = [status, table, empty_hint, chooser, ready_seen, upload_report]
        timer = gr.Timer(1.5)
        demo.load(web.whoami, outputs=user_box)
        # An address that names a video (?v=ID&t=SECONDS) opens it there; the Watch tab keeps
        # the address as the person picks and plays (app/web/watching.py), other tabs clear it.
        demo.load(web.open_link, inputs=address, outputs=opened, js=watching.READ_ADDRESS)
        for other_tab in (library_tab, search_tab, ask_tab):
            other_tab.select(None, js=watching.LEAVE_WATCH)
        watch_tab.select(None, js=watching.BACK_TO_WATCH)
        start_here.click(None, inputs=clip_start, outputs=clip_start, js=watching.PLAYHEAD)
        end_here.click(None, inputs=clip_end, outputs=clip_end, js=watching.PLAYHEAD)
        demo.load(web.library_now, inputs=[ready_seen, sent], outputs=library_now)
        # The tables, the upload report and the Watch tab's list follow the jobs: a video
        # that became ready while the page was open (or was uploaded elsewhere) is listed
        # without a reload, even with the Watch tab open. Quietly: a progress overlay on the
        # tables every 1.5 s flickered, its text fading in at 1.1 : 1 contrast.
        watch_tab.select(web.video_choices, outputs=chooser)  # at once, not at the next tick
        timer.tick(
            web.library_now, inputs=[ready_seen, sent], outputs=library_now, show_progress="hidden"
        )
        files.upload(lambda: gr.update(interactive=True), outputs=upload_button)
        files.clear(lambda: gr.update(interactive=False), outputs=upload_button)
        upload_button.click(
            web.upload_files, inputs=[files, speakers_box], outputs=[upload_report, sent]
        ).then(lambda: (None, gr.update(interactive=False)), outputs=[files, upload_button]).then(
            web.library_now, inputs=[ready_seen, sent], outputs=library_now
        )
        table.select(web.select_row, inputs=table, outputs=[selected, delete_button, confirm_box])
        delete_button.click(lambda: gr.update(visible=True), outputs=confirm_box)
        cancel.click(lambda: gr.update(visible=False), outputs=confirm_box)
        confirm.click(web.delete_video, inputs=selected, outputs=[selected, deleted]).then(
            lambda: (gr.update(visible=False), gr.update(visible=False)),
            outputs=[delete_button, confirm_box],
        ).then(web.close_if_deleted, inputs=[deleted, current], outputs=closed).then(
            web.library_now, inputs=[ready_seen, sent], outputs=library_now
        )
        # Each tab lists the speakers' names as they are when it is opened (named meanwhile on
        # the Watch tab, or elsewhere), keeping the one chosen while someone still has it. The
        # page opens on the Library tab: nothing to list before one of these is opened.
        for tab, chosen in ((search_tab, search_speaker), (ask_tab, ask_speaker)):
            tab.select(web.speaker_filter, inputs=chosen, outputs=chosen)
        search_button.click(web.search_cards, inputs=[query, search_speaker], outputs=cards)
        query.submit(web.search_cards, inputs=[query, search_speaker], outputs=cards)
        cards.click(web.pick_hit, outputs=opened)
        ask_button.click(web.answer_cards, inputs=[question, ask_speaker], outputs=answer)
        question.submit(web.answer_cards, inputs=[question, ask_speaker], outputs=answer)
        answer.click(web.pick_hit, outputs=opened)
        chooser.input(web.choose_video, inputs=chooser, outputs=opened)
        named_again = [transcript, speakers_view, speaker_pick, rename_row, speaker_name]
        for named in (rename_button.click, speaker_name.submit):
            named(web.rename_speaker, inputs=[current, speaker_pick, speaker_name]).success(
                web.speakers_again, inputs=[current, speaker_pick], outputs=named_again
            )
        # A suggested name answered (the page's script sends it as the block's submit): no
        # outputs, so a refusal marks no field; then the speakers as they now are.
        speakers_view.submit(web.answer_suggestion, inputs=current).success(
            web.speakers_again, inputs=[current, speaker_pick], outputs=named_again
        )
        speakers_view.click(web.open_named_in, outputs=opened)
        # Queued, then waited for (app/web/making.py): a refusal is one toast, no error marks.
        cut_button.click(
            web.cut_clip, inputs=[current, clip_start, clip_end], outputs=clip_queued
        ).success(web.show_made, inputs=clip_queued, outputs=[clip_player, clip_link])
        results_reel_button.click(
            web.reel_of_results,
            inputs=[query, search_speaker, results_reel_words],  # the cards' filter too
            outputs=results_queued,
        ).success(web.show_made, inputs=results_queued, outputs=[results_reel, results_reel_link])
        chapters_reel_button.click(
            web.reel_of_chapters, inputs=[current, chapters_reel_words], outputs=chapters_queued
        ).success(
            web.show_made, inputs=chapters_queued, outputs=[chapters_reel, chapters_reel_link]
        )
    blocks: gr.Blocks = demo
    return blocks


demo = build_demo()


class _SignInFirst(BaseHTTPMiddleware):
    """The page itself sends a visitor without a session to the sign-in form, which comes
    back to the address asked for (a video at a second, ``/?v=ID&t=83``)."""

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        if request.method == "GET" and request.url.path == "/" and session_user(request) is None:
            asked = f"/?{request.url.query}" if request.url.query else ""
            target = f"/login?{urlencode({'next': asked})}" if asked else "/login"
            return RedirectResponse(target, status_code=303)
        return await call_next(request)


# Served as /favicon.ico by Gradio, to the page and to the sign-in forms alike.
FAVICON = Path(__file__).resolve().parents[1] / "static" / "web" / "favicon.svg"
IDLE_POLL_S = 0.02
PROGRESS_POLL_S = 0.1


def mount_web(app: FastAPI, settings: Settings) -> WebApp:
    """Mounts the page at ``/`` with the session cookie as its sign-in, behind the guard of
    its file inputs and result streams; returns its handlers, which the server's lifespan
    attaches to the library once it is open."""
    web = WebApp(UploadLedger(settings.layout.staging_dir / "web"))
    limits: RateLimits = app.state.limits
    blocks = build_demo(web)
    app.add_middleware(_SignInFirst)
    gr.mount_gradio_app(
        app,
        blocks,
        path="/",
        auth_dependency=web.access.session_user,
        max_file_size=settings.limits.max_file_bytes,
        # Gradio serves no file from the library: media goes through the owner-checked API.
        blocked_paths=[str(settings.home.resolve())],
        allowed_paths=[],
        show_error=False,
        footer_links=[],
        css=STYLE,
        theme=THEME,
        i18n=UPLOAD_WORDS,
        favicon_path=str(FAVICON),
        # The page signs out a session its own origin's sign-in form did not make. Not
        # deferred: it must wrap fetch before Gradio's module scripts run, or the page's first
        # events go out without the session record and are refused (seen after a reload).
        head='<script src="/static/web/session-guard.js"></script>'
        '<script src="/static/web/gradio-a11y.js" defer></script>'
        '<link rel="icon" href="/favicon.ico" type="image/svg+xml">' + watching.KEEP_ADDRESS,
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
    # The guard wraps Gradio itself, not the whole server: whatever the router hands to
    # Gradio, by whatever path spelling, passes it first.
    mounted.app = GradioGuard(
        mounted.app,
        ledger=web.ledger,
        user_of=web.access.user_of_token,
        room_for_upload=web.access.room_for_upload,
        max_file_bytes=settings.limits.max_file_bytes,
        fn_count=lambda: len(blocks.fns),
        count_event=lambda user, address: limits.hit(
            limits.requests, f"web-ip:{address}", f"web-user:{user}", what="web page events"
        ),
    )
    return web


__all__ = ["WebApp", "build_demo", "demo", "mount_web"]
