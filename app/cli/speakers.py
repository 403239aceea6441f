"""`vidscope speakers`: a video's speakers and their talk time, and naming them."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer
from rich.table import Table

from app.cli.core import _library, _plain, app, out


@app.command(
    epilog="Examples:\n\n"
    "  vidscope speakers 3f2a9c0d1e4b5a6c\n\n"
    '  vidscope speakers 3f2a9c0d1e4b5a6c rename "Speaker 2" "Dana"\n\n'
    '  vidscope speakers 3f2a9c0d1e4b5a6c rename Dana "Speaker 2"   (gives the label back)'
)
def speakers(
    video_id: Annotated[
        str, typer.Argument(metavar="VIDEO_ID", help="Video id (see 'vidscope list')")
    ],
    rename: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="rename CURRENT NEW",
            help="Name a speaker: CURRENT is its label or the name it has",
            show_default=False,
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON array only")] = False,
) -> None:
    """List a video's speakers (label, name, talk time, share), or name one. Transcripts,
    exports and search show the name at once; naming a speaker with its label gives the
    label back."""
    if rename is not None and (len(rename) != 3 or rename[0] != "rename"):
        raise typer.BadParameter(
            'to name a speaker: vidscope speakers VIDEO_ID rename "Speaker 2" "Dana"',
            param_hint="rename CURRENT NEW",
        )
    with _library() as library:
        if rename is not None:
            _, current, new_name = rename
            renamed = library.rename_speaker(video_id, current, new_name)
            shown = renamed.name or renamed.label
            out.print(_plain(f"{renamed.label} is now called {shown}"), highlight=False)
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

    table = Table("speaker", "name", "talk time", "share")
    for s in found:
        table.add_row(_plain(s.label), _plain(s.name or "—"), minutes(s.seconds), f"{s.share:.0%}")
    out.print(table)
