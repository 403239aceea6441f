"""What the command line adds to a library error: the flag or command that does what the
message asks. The library speaks of settings and concepts (the library folder, the Ray
address, the workers asked for) because the web app, the API, the dashboard and notebooks
show its messages too; only this face knows its flags."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

_HINTS: dict[str, str | Callable[[Mapping[str, Any]], str]] = {
    "library.unreadable": "--home FOLDER",
    "library.damaged": lambda context: (
        "vidscope --home NEW_FOLDER restore BACKUP_FOLDER; "
        f"vidscope --home {_folder_of(context)} doctor"
    ),
    "restore.home_not_empty": "vidscope --home NEW_FOLDER restore BACKUP_FOLDER",
    "backup.incomplete": "vidscope backup DEST",
    "batch.ray_unavailable": "--ray-address ADDRESS",
    "batch.too_many_workers": "--workers N; 0 is one per CPU",
    "media.is_folder": "vidscope ingest FOLDER, or vidscope batch ingest FOLDER",
    "media.no_such_track": "--audio-track N",
    "reel.bad_hits": "vidscope search QUERY --json > hits.json",
    "reel.missing_source": "--query, --hits or --chapters",
    "speaker.unknown": "vidscope speakers VIDEO_ID",
    "user.not_found": "vidscope users list",
    "video.not_found": "vidscope list",
}


def _folder_of(context: Mapping[str, Any]) -> str:
    """The library folder of a damaged catalog: the folder its file is in."""
    path = context.get("path")
    return str(Path(path).parent) if path else "FOLDER"


def cli_hint(code: str, context: Mapping[str, Any] | None = None) -> str | None:
    """The command line's words for the fix an error's message names (by its ``code`` and
    ``context``), or None."""
    hint = _HINTS.get(code)
    return hint(context or {}) if callable(hint) else hint
