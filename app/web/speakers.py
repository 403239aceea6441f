"""The Watch tab's speakers: who says each transcript line, in a colour of their own; talk time
per speaker (a bar chart); each speaker's turns on a strip under the player (a turn seeks the
player there, as a transcript line does); and naming a speaker, once, for every face.

A speaker's colour is its place in the video's label order ('Speaker 1', 'Speaker 2', ...), so
'Speaker 2' keeps its colour when it is named 'Dana'. A video nobody told speakers apart in
(one voice, or speakers switched off) shows none of this: its page is as it always was."""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import gradio as gr

from app.web.render import clock_text, render_lines
from pipelines.errors import VidscopeError
from pipelines.library import OwnerLibrary
from pipelines.public import SpeakerPublic
from pipelines.records import Segment

# Text colours, each at least 4.5:1 (WCAG AA) on white and on the transcript's hover (#eef1fb)
# and playing (#dfe6ff) backgrounds, and told apart by hue; the bars and turns use them too.
# tests/e2e/test_web.py measures the contrast the browser renders.
PALETTE = (
    "#1a5fb4",  # blue
    "#b3261e",  # red
    "#17692c",  # green
    "#7b3fb0",  # purple
    "#9a4a00",  # brown
    "#00707a",  # teal
    "#a8146a",  # magenta
    "#545b69",  # slate
)
# A pause longer than this between two lines of one speaker shows as two turns on the strip.
TURN_GAP_S = 1.5

CSS = (
    "".join(f".vs-tone-{n} {{ --vs-tone: {colour}; }}\n" for n, colour in enumerate(PALETTE))
    + """
.vs-who { color: var(--vs-tone, #1d2330); font-weight: 700; margin-right: .35rem; }
.vs-line.vs-spoken { border-left: 4px solid var(--vs-tone); border-radius: 0 6px 6px 0; }
.vs-speakers { margin: .5rem 0 .75rem; }
.vs-speakers h4 { margin: .75rem 0 .35rem; font-size: .95rem; color: #1d2330; }
.vs-strip { position: relative; height: 1.1rem; background: #e3e7f0; border-radius: 4px;
            overflow: hidden; }
.vs-turn { position: absolute; top: 0; bottom: 0; min-width: 3px; padding: 0; border: 0;
           border-radius: 0; background: var(--vs-tone); cursor: pointer; }
.vs-turn:hover, .vs-turn:focus { outline: 2px solid #1d2330; outline-offset: -2px;
                                 z-index: 1; }
.vs-playhead { position: absolute; top: 0; bottom: 0; width: 2px; background: #1d2330;
               pointer-events: none; z-index: 2; }
.vs-strip-ends { display: flex; justify-content: space-between; font-size: .8rem;
                 color: #4a5160; font-variant-numeric: tabular-nums; }
/* One grid for every row, so the bars start at one place; a long name is cut, not the bar. */
.vs-chart { display: grid; grid-template-columns: fit-content(40%) 1fr auto;
            gap: .3rem .6rem; align-items: center; }
.vs-talk { display: contents; }
.vs-talk .vs-who { overflow: hidden; text-overflow: ellipsis; white-space: nowrap;
                   margin: 0; }
.vs-bar { height: .8rem; background: #e3e7f0; border-radius: 4px; overflow: hidden; }
.vs-fill { display: block; height: 100%; background: var(--vs-tone); }
.vs-amount { font-variant-numeric: tabular-nums; color: #1d2330; white-space: nowrap; }
"""
)


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


@dataclass(frozen=True)
class Talk:
    """One speaker as the page shows it: what the lines call it, its label, its colour, and
    its talk time (seconds, and share of the video's talk)."""

    shown: str
    label: str
    tone: int
    seconds: float
    share: float
    renamable: bool  # a speaker the catalog knows (a video stored before speakers were: no)


def voices_of(speakers: Sequence[SpeakerPublic], segments: Sequence[Segment]) -> list[Talk]:
    """The video's speakers in label order, each with its colour. Empty when its lines carry
    no speaker. A video stored before speakers were has no speaker rows while its lines name
    their channel ('Left'/'Right'): its talk time is then counted from the lines."""
    if not any(s.speaker for s in segments):
        return []
    talks = [
        Talk(s.shown, s.label, n % len(PALETTE), s.seconds, s.share, renamable=True)
        for n, s in enumerate(speakers)
        if s.shown
    ]
    known = {t.shown for t in talks}
    spoken: dict[str, float] = {}
    for segment in segments:
        if segment.speaker and segment.speaker not in known:
            spoken[segment.speaker] = spoken.get(segment.speaker, 0.0) + segment.end - segment.start
    total = sum(t.seconds for t in talks) + sum(spoken.values())
    for name in sorted(spoken, key=lambda n: (len(n), n)):  # the catalog's label order
        seconds = spoken[name]
        share = seconds / total if total > 0 else 0.0
        talks.append(Talk(name, name, len(talks) % len(PALETTE), seconds, share, renamable=False))
    return talks


def transcript_html(message: str, segments: Sequence[Segment], talks: Sequence[Talk]) -> str:
    """The transcript, each line with its speaker in the speaker's colour (a line of a video
    without speakers is as it always was)."""
    tones = {t.shown: t.tone for t in talks}
    return render_lines(
        message,
        [
            {
                "start": s.start,
                "clock": clock_text(s.start),
                "text": s.text,
                "speaker": s.speaker,
                "tone": tones.get(s.speaker) if s.speaker else None,
            }
            for s in segments
        ],
    )


def turns_of(segments: Sequence[Segment]) -> list[tuple[str, float, float]]:
    """(speaker, start, end) of each turn: a speaker's consecutive lines, apart where they
    pause for more than ``TURN_GAP_S``."""
    turns: list[tuple[str, float, float]] = []
    for s in segments:
        if not s.speaker:
            continue
        if turns and turns[-1][0] == s.speaker and s.start - turns[-1][2] <= TURN_GAP_S:
            turns[-1] = (s.speaker, turns[-1][1], max(turns[-1][2], s.end))
        else:
            turns.append((s.speaker, s.start, s.end))
    return turns


def speakers_html(talks: Sequence[Talk], segments: Sequence[Segment], duration: float) -> str:
    """The strip of turns (under the player; each turn seeks the player to its start) and
    the talk-time chart; nothing for a video without speakers."""
    if not talks:
        return ""
    tones = {t.shown: t.tone for t in talks}
    span = max(duration, max((s.end for s in segments), default=0.0), 1e-6)
    turns = "".join(
        f'<button class="vs-turn vs-tone-{tones.get(who, 0)}" data-start="{_e(round(start, 2))}" '
        f'style="left:{100 * start / span:.3f}%;width:{100 * (end - start) / span:.3f}%" '
        f'aria-label="{_e(who)}, {_e(clock_text(start))} to {_e(clock_text(end))}" '
        f'title="{_e(who)}, {_e(clock_text(start))}–{_e(clock_text(end))}"></button>'
        for who, start, end in turns_of(segments)
    )
    rows = "".join(
        f'<div class="vs-talk vs-tone-{t.tone}"><span class="vs-who">{_e(t.shown)}</span>'
        f'<span class="vs-bar" aria-hidden="true"><span class="vs-fill" '
        f'style="width:{100 * t.share:.1f}%"></span></span>'
        f'<span class="vs-amount">{_e(clock_text(t.seconds))} · {round(100 * t.share)}%'
        "</span></div>"
        for t in talks
    )
    return (
        '<section class="vs-speakers" aria-label="Speakers">'
        f'<div class="vs-strip" role="group" aria-label="Who speaks when">{turns}'
        '<span class="vs-playhead" style="left:0%"></span></div>'
        f'<div class="vs-strip-ends" aria-hidden="true"><span>{_e(clock_text(0))}</span>'
        f"<span>{_e(clock_text(span))}</span></div>"
        f'<h4>Talk time</h4><div class="vs-chart">{rows}</div></section>'
    )


def rename_choices(talks: Sequence[Talk], keep: str | None = None) -> Any:
    """The speaker picker: each speaker the catalog knows, by name and label, valued by its
    label; ``keep`` stays picked when it is still there."""
    choices = [
        (t.shown if t.shown == t.label else f"{t.shown} ({t.label})", t.label)
        for t in talks
        if t.renamable
    ]
    labels = [label for _, label in choices]
    value = keep if keep in labels else (labels[0] if labels else None)
    return gr.update(choices=choices, value=value)


def watch_speakers(
    owner: OwnerLibrary, video_id: str, segments: Sequence[Segment], *, message: str
) -> tuple[list[Talk], str]:
    """The video's speakers and its transcript's HTML."""
    try:
        talks = voices_of(owner.speakers(video_id), segments)
    except VidscopeError as exc:
        raise gr.Error(f"{exc.message} ({exc.code})") from exc
    return talks, transcript_html(message, segments, talks)


def request_id_of(request: gr.Request) -> str | None:
    """The id the server's middleware gave the request that sent this event (its
    X-Request-ID), for the audit trail."""
    state = getattr(getattr(request, "request", None), "state", None)
    found = getattr(state, "request_id", None)
    return found if isinstance(found, str) else None


def rename(
    owner: OwnerLibrary,
    video_id: str | None,
    label: str | None,
    name: str | None,
    request: gr.Request,
) -> None:
    """Names the speaker ``label`` of the open video, audited with the request's address and
    id. Raises gr.Error with the library's message and code (``speaker.bad_name``, ...)."""
    if not video_id:
        raise gr.Error("Open a video first")
    if not label:
        raise gr.Error("Choose the speaker to name")
    try:
        owner.rename_speaker(
            video_id,
            label,
            name or "",
            ip=request.client.host if request.client else None,
            request_id=request_id_of(request),
        )
    except VidscopeError as exc:
        raise gr.Error(f"{exc.message} ({exc.code})") from exc


def shown_again(
    owner: OwnerLibrary, video_id: str | None, label: str | None
) -> tuple[str, str, Any, str]:
    """After a rename: the transcript, the speakers' strip and chart, the picker (``label``
    still picked) and an emptied name box."""
    if not video_id:
        raise gr.Error("Open a video first")
    try:
        segments = owner.segments(video_id)
        duration = owner.get_video(video_id).duration
    except VidscopeError as exc:
        raise gr.Error(f"{exc.message} ({exc.code})") from exc
    talks, lines = watch_speakers(owner, video_id, segments, message="")
    return lines, speakers_html(talks, segments, duration), rename_choices(talks, label), ""
