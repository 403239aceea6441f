"""The Search tab's cards and the speaker filter the Search and Ask tabs share: "Anyone", or
one of the names the owner gave speakers, passed to the same service calls the CLI's
``--speaker`` and the API's ``speaker=`` make. A card shows the picture at its second, or, for
a recording without pictures, a tile that says it is audio (its thumbnail would be refused)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import gradio as gr

from app.web.render import highlight, render_cards
from pipelines.clock import clock
from pipelines.errors import VidscopeError
from pipelines.library import OwnerLibrary

ANYONE = ""  # the filter's value for no filter: a name is never empty (speaker.bad_name)


def speaker_choices(owner: OwnerLibrary, keep: str | None = None) -> Any:
    """The filter's choices: "Anyone", then each name the owner gave a speaker; ``keep``
    stays chosen while someone is still called that, else "Anyone"."""
    names = owner.speaker_names()
    return gr.update(
        choices=[("Anyone", ANYONE), *((name, name) for name in names)],
        value=keep if keep in names else ANYONE,
    )


def chosen_speaker(value: str | None) -> str | None:
    """The speaker the filter names, or None for "Anyone"."""
    return (value or "").strip() or None


def pictures_of(owner: OwnerLibrary, video_ids: Iterable[str]) -> dict[str, bool]:
    """Whether each video has pictures to show a still of (an audio file has none)."""
    return {video_id: owner.get_video(video_id).has_video for video_id in set(video_ids)}


def search_html(owner: OwnerLibrary, query: str, speaker: str | None) -> str:
    """The cards of the owner's best hits for ``query`` (what ``speaker`` says, when given),
    or a message saying what to do. Raises gr.Error with the library's message and code."""
    query = (query or "").strip()
    if not query:
        return render_cards("Type what you are looking for, in your own words.", [])
    if owner.count_videos() == 0:
        return render_cards("Your library is empty: upload a video on the Library tab first.", [])
    try:
        hits = owner.search(query, speaker=speaker)
        pictures = pictures_of(owner, (h.video_id for h in hits))
    except VidscopeError as exc:
        raise gr.Error(f"{exc.message} ({exc.code})") from exc
    if not hits:
        said = f" said by {speaker}" if speaker else ""
        return render_cards(f"Nothing{said} in your videos matches “{query}”. Try other words.", [])
    return render_cards(
        "",
        [
            {
                "video_id": h.video_id,
                "start": h.start,
                "end": h.end,
                "clock": clock(h.start, padded=True),
                "title": h.title,
                "parts": highlight(h.text, query),
                "source": "shown on screen" if h.source == "screen" else "spoken",
                "speaker": h.speaker,
                "picture": pictures[h.video_id],
            }
            for h in hits
        ],
    )
