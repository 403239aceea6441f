"""The Watch tab's speakers: who says each transcript line, in a colour of their own; talk time
per speaker (a bar chart); each speaker's turns on a strip under the player (a turn seeks the
player there, as a transcript line does); naming a speaker, once, for every face; and the names
suggested for unnamed speakers, each answered yes or no (app/web/suggestions.py).

A speaker's colour follows the person (app/web/colours.py): a named speaker's comes from its
name, so Dana is one colour in every video, and an unnamed voice takes the first colour free in
its video. A video nobody told speakers apart in
(one voice, or speakers switched off) shows none of this, its page as it always was, unless
its one voice sounds like someone the owner named: then that voice and the suggestion show."""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import gradio as gr

from app.web.colours import CSS as TONES_CSS
from app.web.colours import tones_of
from app.web.render import render_lines
from app.web.suggestions import Offer, answer_of, offer_html, offers_of
from pipelines.clock import clock
from pipelines.errors import VidscopeError
from pipelines.library import OwnerLibrary
from pipelines.public import SpeakerPublic
from pipelines.records import Segment
from pipelines.services.speaker_service import called_so_already, speaker_in

# A pause longer than this between two lines of one speaker shows as two turns on the strip.
TURN_GAP_S = 1.5

CSS = (
    TONES_CSS
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
    offer: Offer | None = None  # the name suggested for it, shown apart until confirmed


def voices_of(
    speakers: Sequence[SpeakerPublic],
    segments: Sequence[Segment],
    offers: Mapping[str, Offer] | None = None,
) -> list[Talk]:
    """The video's speakers in label order, each with its colour and the name suggested for
    it (``offers``, by label). Empty when its lines carry no speaker, unless the one voice
    has a suggestion: then that voice, by its label. A video stored before speakers were has
    no speaker rows while its lines name their channel ('Left'/'Right'): its talk time is
    then counted from the lines."""
    offers = offers or {}
    if not any(s.speaker for s in segments):
        tones = tones_of([(s.label, s.name) for s in speakers])
        return [
            Talk(s.label, s.label, tones[s.label], s.seconds, s.share, True, offers[s.label])
            for s in speakers
            if s.label in offers
        ]
    shown = [s for s in speakers if s.shown]
    known = {s.shown for s in shown}
    spoken: dict[str, float] = {}
    for segment in segments:
        if segment.speaker and segment.speaker not in known:
            spoken[segment.speaker] = spoken.get(segment.speaker, 0.0) + segment.end - segment.start
    unstored = sorted(spoken, key=lambda n: (len(n), n))  # the catalog's label order
    tones = tones_of([(s.label, s.name) for s in shown] + [(name, None) for name in unstored])
    talks = [
        Talk(
            s.shown or s.label,
            s.label,
            tones[s.label],
            s.seconds,
            s.share,
            True,
            offers.get(s.label),
        )
        for s in shown
    ]
    total = sum(t.seconds for t in talks) + sum(spoken.values())
    for name in unstored:
        seconds = spoken[name]
        share = seconds / total if total > 0 else 0.0
        talks.append(Talk(name, name, tones[name], seconds, share, renamable=False))
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
                "clock": clock(s.start, padded=True),
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
    the talk-time chart, each suggested name under its speaker's row; nothing for a video
    without speakers. A suggested name shows only there, never as the speaker's."""
    if not talks:
        return ""
    tones = {t.shown: t.tone for t in talks}
    span = max(duration, max((s.end for s in segments), default=0.0), 1e-6)
    turns = "".join(
        f'<button class="vs-turn vs-tone-{tones.get(who, 0)}" data-start="{_e(round(start, 2))}" '
        f'style="left:{100 * start / span:.3f}%;width:{100 * (end - start) / span:.3f}%" '
        f'aria-label="{_e(who)}, {_e(begins)} to {_e(ends)}" '
        f'title="{_e(who)}, {_e(begins)}–{_e(ends)}"></button>'
        for who, start, end in turns_of(segments)
        for begins, ends in [(clock(start, padded=True), clock(end, padded=True))]
    )
    rows = "".join(
        f'<div class="vs-talk vs-tone-{t.tone}"><span class="vs-who">{_e(t.shown)}</span>'
        f'<span class="vs-bar" aria-hidden="true"><span class="vs-fill" '
        f'style="width:{100 * t.share:.1f}%"></span></span>'
        f'<span class="vs-amount">{_e(clock(t.seconds, padded=True))} · {round(100 * t.share)}%'
        "</span></div>" + (offer_html(t.offer, shown=t.shown, tone=t.tone) if t.offer else "")
        for t in talks
    )
    # A lone voice shown for its suggestion has no turns: no empty strip for it.
    strip = (
        f'<div class="vs-strip" role="group" aria-label="Who speaks when">{turns}'
        '<span class="vs-playhead" style="left:0%"></span></div>'
        f'<div class="vs-strip-ends" aria-hidden="true"><span>{_e(clock(0, padded=True))}</span>'
        f"<span>{_e(clock(span, padded=True))}</span></div>"
        if turns
        else ""
    )
    return (
        f'<section class="vs-speakers" aria-label="Speakers">{strip}'
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
    """The video's speakers, the names suggested for them (read now: a name given or turned
    down anywhere shows at once), and its transcript's HTML."""
    try:
        speakers = owner.speakers(video_id)
        talks = voices_of(speakers, segments, offers_of(owner, speakers))
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
    id; the name another speaker has merges the two, and a note says so ("Speaker 5 joined
    Dana (now 3 speakers)"), as it says when the speaker has that name already. Raises
    gr.Error with the library's message and code (``speaker.bad_name``, ...)."""
    if not video_id:
        raise gr.Error("Open a video first")
    if not label:
        raise gr.Error("Choose the speaker to name")
    try:
        before = owner.speakers(video_id)
        speaker = speaker_in(before, label)
        if speaker is not None and called_so_already(speaker, name or ""):
            gr.Info(f"{speaker.label} is called {speaker.name or speaker.label} already")
            return
        renamed = owner.rename_speaker(
            video_id,
            label,
            name or "",
            ip=request.client.host if request.client else None,
            request_id=request_id_of(request),
        )
    except VidscopeError as exc:
        raise gr.Error(f"{exc.message} ({exc.code})") from exc
    if renamed.joined is not None:
        left = len(before) - 1
        gr.Info(f"{renamed.joined} joined {renamed.shown} (now {left} speaker{'s' * (left != 1)})")


def answer(
    owner: OwnerLibrary, video_id: str | None, data: Mapping[str, Any] | None, request: gr.Request
) -> None:
    """A person's answer to a suggested name (``data``: what the Yes or Not button sent):
    yes names the speaker so, as a rename does; no turns the name down for that speaker for
    good. Both audited with the request's address and id. A yes given while another speaker
    of the video took the name meanwhile merges the two (the person said both are that
    voice), and a note says so. Raises gr.Error with the library's message and code
    (``speaker.unknown``, ...)."""
    if not video_id:
        raise gr.Error("Open a video first")
    ip = request.client.host if request.client else None
    try:
        yes, label, name = answer_of(data)
        if yes:
            renamed = owner.rename_speaker(
                video_id, label, name, ip=ip, request_id=request_id_of(request)
            )
            if renamed.joined is not None:
                gr.Info(f"{renamed.joined} joined {renamed.shown}")
        else:
            owner.reject_speaker_name(
                video_id, label, name, ip=ip, request_id=request_id_of(request)
            )
    except VidscopeError as exc:
        raise gr.Error(f"{exc.message} ({exc.code})") from exc


def shown_again(
    owner: OwnerLibrary, video_id: str | None, label: str | None
) -> tuple[str, str, Any, Any, str]:
    """After a rename or an answer to a suggestion: the transcript, the speakers' strip and
    chart (with the suggestions as they now are: turning one down may bring the next), the
    picker (``label`` still picked), the picker's row (shown while any speaker can be named)
    and an emptied name box."""
    if not video_id:
        raise gr.Error("Open a video first")
    try:
        segments = owner.segments(video_id)
        duration = owner.get_video(video_id).duration
    except VidscopeError as exc:
        raise gr.Error(f"{exc.message} ({exc.code})") from exc
    talks, lines = watch_speakers(owner, video_id, segments, message="")
    return (
        lines,
        speakers_html(talks, segments, duration),
        rename_choices(talks, label),
        gr.update(visible=any(t.renamable for t in talks)),
        "",
    )
