"""`vidscope speakers`: a video's speakers and their talk time, naming them, and confirming or
turning down the names suggested for unnamed voices."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from app.cli.core import _library, _plain, app, out

if TYPE_CHECKING:
    from pipelines.ports import LibraryPort

USAGE = (
    'vidscope speakers VIDEO_ID rename "Speaker 2" "Dana", or confirm "Speaker 2", '
    'or reject "Speaker 2"'
)
WORDS = {"rename": 3, "confirm": 2, "reject": 2}  # each action and how many words it takes


@app.command(
    epilog="Examples:\n\n"
    "  vidscope speakers 3f2a9c0d1e4b5a6c\n\n"
    '  vidscope speakers 3f2a9c0d1e4b5a6c rename "Speaker 2" "Dana"\n\n'
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
    the label back. An unnamed voice that sounds like one you named in another video carries
    a suggested name: confirm takes it, reject turns it down for good."""
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
    from pipelines.understanding.answers import minutes

    table = Table("speaker", "name", "talk time", "share", "suggested")
    for s in found:
        hint = "—"
        if s.suggestion is not None:
            hint = f"{s.suggestion.name}? ({s.suggestion.similarity:.2f} like video "
            hint += f"{s.suggestion.from_video_id})"
        table.add_row(
            _plain(s.label),
            _plain(s.name or "—"),
            minutes(s.seconds),
            f"{s.share:.0%}",
            _plain(hint),
        )
    out.print(table)
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
    """Renames, or takes or turns down the suggested name (read first: a suggestion is
    worked out whenever speakers are read, so this acts on the one the person saw)."""
    from pipelines.services.speaker_service import suggested

    verb, current = action[0], action[1]
    if verb == "rename":
        renamed = library.rename_speaker(video_id, current, action[2])
        shown = renamed.name or renamed.label
        out.print(_plain(f"{renamed.label} is now called {shown}"), highlight=False)
        return
    speaker, name = suggested(library.speakers(video_id), current, video_id)
    if verb == "confirm":
        library.rename_speaker(video_id, speaker.label, name)
        out.print(_plain(f"{speaker.label} is now called {name}"), highlight=False)
        return
    after = library.reject_speaker_name(video_id, speaker.label, name)
    then = f"; now suggested: {after.suggestion.name}" if after.suggestion else ""
    out.print(_plain(f"{speaker.label} is not {name}: not suggested again{then}"), highlight=False)
