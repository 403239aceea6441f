"""Who an unnamed speaker may be, on the Watch tab: "Dana? 0.97 alike, from <the video Dana was
named in>", with "Yes, Dana" and "Not Dana". The suggestion is the library's
(``SpeakerPublic.suggestion``, read again each time a video is opened or its speakers change);
this module shows it under the speaker's row of the talk-time chart and carries the answer back.
A suggested name is never shown as the speaker's: the transcript, colours and strip keep the
label until the person says yes."""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pipelines.errors import VidscopeError
from pipelines.library import OwnerLibrary
from pipelines.public import SpeakerPublic

# The answers the page's buttons send (``data-answer``), and what the page's script does with
# a click in the speakers' block: an answer is the block's ``submit`` event, the video the name
# comes from its ``click`` event (the Watch tab opens it), a turn on the strip seeks the player.
YES, NO = "yes", "no"
SCRIPT = """
element.addEventListener('click', (event) => {
  const answer = event.target.closest('[data-answer]');
  if (answer) {
    trigger('submit', {answer: answer.dataset.answer, label: answer.dataset.label,
                       name: answer.dataset.name});
    return;
  }
  const other = event.target.closest('[data-video]');
  if (other) { trigger('click', {video_id: other.dataset.video}); return; }
  const turn = event.target.closest('[data-start]');
  const video = document.querySelector('#vs-player');
  if (turn && video) { video.currentTime = Number(turn.dataset.start); video.play(); }
});
"""
# The row spans the chart's three columns; its text is #1d2330 and the link #1f3aa8 on white,
# the Yes button white on the speaker's colour (each >= 4.5:1, as the palette is on white).
CSS = """
.vs-suggest { grid-column: 1 / -1; display: flex; flex-wrap: wrap; align-items: center;
              gap: .35rem .6rem; margin: 0 0 .35rem; padding: .35rem .5rem;
              border-left: 4px solid var(--vs-tone); border-radius: 0 6px 6px 0;
              background: #f5f7fc; color: #1d2330; }
.vs-suggest .vs-guess { flex: 1 1 12rem; }
.vs-suggest .vs-guess strong { color: var(--vs-tone); }
.vs-suggest .vs-from { display: inline; padding: 0; border: 0; background: none;
                       color: #1f3aa8; font: inherit; text-decoration: underline;
                       cursor: pointer; }
.vs-answers { display: flex; flex-wrap: wrap; gap: .4rem; }
.vs-answers button { min-height: 2rem; padding: .25rem .75rem; border-radius: 6px;
                     font: inherit; font-size: .9rem; cursor: pointer; }
.vs-answers .vs-yes { border: 1px solid var(--vs-tone); background: var(--vs-tone);
                      color: #fff; }
.vs-answers .vs-no { border: 1px solid #8a90a0; background: #fff; color: #1d2330; }
.vs-suggest button:focus-visible { outline: 3px solid #f0b400; outline-offset: 2px; }
"""


@dataclass(frozen=True)
class Offer:
    """A name suggested for one speaker: the name, how alike the voices are, and the video the
    name was given in (its title; None when that video is gone since)."""

    label: str
    name: str
    similarity: float
    from_video_id: str
    from_title: str | None


def offers_of(owner: OwnerLibrary, speakers: Sequence[SpeakerPublic]) -> dict[str, Offer]:
    """Each suggested name of ``speakers``, by label, with the title of the video it comes
    from (a person knows their videos by title, not by id)."""
    titles: dict[str, str | None] = {}
    offers = {}
    for speaker in speakers:
        found = speaker.suggestion
        if found is None or speaker.name is not None:
            continue
        if found.from_video_id not in titles:
            try:
                titles[found.from_video_id] = owner.get_video(found.from_video_id).title
            except VidscopeError:  # deleted since the speakers were read: no link to it
                titles[found.from_video_id] = None
        offers[speaker.label] = Offer(
            speaker.label,
            found.name,
            found.similarity,
            found.from_video_id,
            titles[found.from_video_id],
        )
    return offers


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def offer_html(offer: Offer, *, shown: str, tone: int) -> str:
    """The suggestion under the speaker ``shown`` (in its colour ``tone``): the name asked as
    a question, how alike, the video it comes from (a button that opens it), and the two
    answers. Every value is escaped: a name or a title is text, never markup."""
    if offer.from_title is None:
        source = "another of your videos"
    else:
        source = (
            f'<button type="button" class="vs-from" data-video="{_e(offer.from_video_id)}" '
            f'aria-label="Open {_e(offer.from_title)}">{_e(offer.from_title)}</button>'
        )
    answer = f'data-label="{_e(offer.label)}" data-name="{_e(offer.name)}"'
    return (
        f'<div class="vs-suggest vs-tone-{tone}" role="group" '
        f'aria-label="{_e(shown)} may be {_e(offer.name)}">'
        f'<span class="vs-guess"><strong>{_e(offer.name)}?</strong> '
        f"{offer.similarity:.2f} alike, from {source}</span>"
        f'<span class="vs-answers"><button type="button" class="vs-yes" data-answer="{YES}" '
        f"{answer}>Yes, {_e(offer.name)}</button>"
        f'<button type="button" class="vs-no" data-answer="{NO}" {answer}>'
        f"Not {_e(offer.name)}</button></span></div>"
    )


def answer_of(data: Mapping[str, Any] | None) -> tuple[bool, str, str]:
    """(yes?, label, name) from the event a Yes or Not button sent. Raises VidscopeError
    ``web.unknown_event`` for anything else (a page older than the server, or a forged
    event): nothing is renamed or turned down on a guess."""
    data = data or {}
    answer, label, name = data.get("answer"), data.get("label"), data.get("name")
    if answer not in (YES, NO) or not isinstance(label, str) or not isinstance(name, str):
        raise VidscopeError(
            "the page sent an answer to a suggestion that it does not have; reload the page",
            code="web.unknown_event",
        )
    return answer == YES, label, name
