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
    video_id: Annotated[str, typer.Argument(help="Video id (see 'vidscope list')")],
    action: Annotated[
        str | None, typer.Argument(metavar="[rename CURRENT NEW]", show_default=False)
    ] = None,
    current: Annotated[str | None, typer.Argument(hidden=True)] = None,
    new_name: Annotated[str | None, typer.Argument(hidden=True)] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON array only")] = False,
) -> None:
    """List a video's speakers (label, name, talk time, share), or name one: 'rename CURRENT
    NEW', where CURRENT is the label ("Speaker 2") or the name it has. Transcripts, exports
    and search show the name at once; NEW equal to the label gives the label back."""
    if action is not None and (action != "rename" or current is None or new_name is None):
        raise typer.BadParameter(
            'to name a speaker: vidscope speakers VIDEO_ID rename "Speaker 2" "Dana"',
            param_hint="rename CURRENT NEW",
        )
    with _library() as library:
        if action is not None:
            assert current is not None and new_name is not None  # checked above
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
            "no speakers told apart in this video (one voice, or speakers were switched off "
            "when it was processed)"
        )
        return
    from pipelines.understanding.answers import minutes

    table = Table("speaker", "name", "talk time", "share")
    for s in found:
        table.add_row(_plain(s.label), _plain(s.name or "—"), minutes(s.seconds), f"{s.share:.0%}")
    out.print(table)
