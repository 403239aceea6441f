"""`vidscope speakers`: a video's speakers and their talk time, naming them, and confirming or
turning down the names suggested for unnamed voices."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from app.cli.core import _library, _plain, app, out, print_table

if TYPE_CHECKING:
    from pipelines.ports import LibraryPort
    from pipelines.public import SpeakerPublic

USAGE = (
    'vidscope speakers VIDEO_ID rename "Speaker 2" "Dana", or confirm "Speaker 2", '
    'or reject "Speaker 2"'
)
WORDS = {"rename": 3, "confirm": 2, "reject": 2}  # each action and how many words it takes


@app.command(
    epilog="Examples:\n\n"
    "  vidscope speakers 3f2a9c0d1e4b5a6c\n\n"
    '  vidscope speakers 3f2a9c0d1e4b5a6c rename "Speaker 2" "Dana"\n\n'
    '  vidscope speakers 3f2a9c0d1e4b5a6c rename "Speaker 5" "Dana"   (Dana\'s voice split in '
    "two: Speaker 5 joins Dana)\n\n"
    '  vidscope speakers 3f2a9c0d1e4b5a6c rename Dana "Speaker 2"   (gives the label back)\n\n'
    '  vidscope speakers 3f2a9c0d1e4b5a6c confirm "Speaker 3"   (takes the suggested name)\n\n'
    '  vidscope speakers 3f2a9c0d1e4b5a6c reject "Speaker 3"   (not that person: never again)'
)
def speakers(
    video_id: Annotated[
        str, typer.Argument(metavar="VIDEO_ID", help="Video id (see 'vidscope list')")
    ],
    action: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="[rename CURRENT NEW | confirm CURRENT | reject CURRENT]",
            help="Name a speaker, or take or turn down its suggested name: CURRENT is its "
            "label or the name it has",
            show_default=False,
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON array only")] = False,
) -> None:
    """List a video's speakers (label, name, talk time, share, suggested name), or name one.
    Transcripts, exports and search show a name at once; naming a speaker with its label gives
    the label back, and with the name another speaker of the video has merges the two (one
    voice told apart as two). An unnamed voice that sounds like one you named in another video
    carries a suggested name: confirm takes it, reject turns it down for good."""
    if action is not None and WORDS.get(action[0]) != len(action):
        raise typer.BadParameter(f"to name a speaker: {USAGE}", param_hint="ACTION")
    with _library() as library:
        if action is not None:
            _act(library, video_id, action)
            return
        found = library.speakers(video_id)
    if as_json:
        payload = [s.model_dump(mode="json") for s in found]
        sys.stdout.write(json.dumps(payload, ensure_ascii=False) + "\n")
        return
    if not found:
        out.print(
            "no speakers stored for this video: speakers were switched off when it was "
            "processed, it has no speech, or it was processed before Vidscope kept speakers "
            "('vidscope ingest --force FILE' processes it again)"
        )
        return
    from pipelines.clock import clock

    table = Table("speaker", "name", "talk time", "share", "suggested")
    for s in found:
        hint = "—"
        if s.suggestion is not None:
            hint = f"{s.suggestion.name}? ({s.suggestion.similarity:.2f} like video "
            hint += f"{s.suggestion.from_video_id})"
        table.add_row(
            _plain(s.label),
            _plain(s.name or "—"),
            clock(s.seconds),
            f"{s.share:.0%}",
            _plain(hint),
        )
    print_table(table)
    first = next((s for s in found if s.suggestion is not None), None)
    if first is not None:
        out.print(
            _plain(
                f'take a suggestion: vidscope speakers {video_id} confirm "{first.label}" '
                f'(or reject "{first.label}")'
            ),
            highlight=False,
        )


def _act(library: LibraryPort, video_id: str, action: list[str]) -> None:
    """Renames (a name another speaker has merges the two), or takes or turns down the
    suggested name. The speakers are read first: a suggestion is worked out whenever speakers
    are read, so this acts on the one the person saw, and a rename that would change nothing
    says so instead of writing."""
    from pipelines.services.speaker_service import called_so_already, speaker_in, suggested

    verb, current = action[0], action[1]
    before = library.speakers(video_id)
    if verb == "rename":
        speaker = speaker_in(before, current)
        if speaker is not None and called_so_already(speaker, action[2]):
            shown = speaker.name or speaker.label
            out.print(_plain(f"{speaker.label} is called {shown} already: nothing changed"))
            return
        _said(library.rename_speaker(video_id, current, action[2]), len(before))
        return
    speaker, name = suggested(before, current, video_id)
    if verb == "confirm":
        _said(library.rename_speaker(video_id, speaker.label, name), len(before))
        return
    after = library.reject_speaker_name(video_id, speaker.label, name)
    then = f"; now suggested: {after.suggestion.name}" if after.suggestion else ""
    out.print(_plain(f"{speaker.label} is not {name}: not suggested again{then}"), highlight=False)


def _said(renamed: SpeakerPublic, speakers_before: int) -> None:
    """What a rename did: a new name, the label given back, or a speaker merged into this
    one (named alike: one voice), with how many speakers the video has now."""
    if renamed.joined is not None:
        left = speakers_before - 1
        line = f"{renamed.joined} joined {renamed.shown} (now {left} speaker{'s' * (left != 1)})"
    else:
        line = f"{renamed.label} is now called {renamed.name or renamed.label}"
    out.print(_plain(line), highlight=False)
