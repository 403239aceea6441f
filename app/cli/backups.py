"""Backups: `vidscope backup DEST` (beside a running server, the server takes it) and
`vidscope --home DIR restore SRC` (into a new folder, checked whole first)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from app.cli.core import _administration, _fail, _plain, _state, app, err
from pipelines.errors import VidscopeError


@app.command()
def backup(
    dest: Annotated[Path, typer.Argument(help="A new folder, outside the library")],
) -> None:
    """Back up the library (catalog, media, clips, reels, indexes, MLflow store) into DEST,
    consistently, while it is in use; a manifest of checksums is written last."""
    with _administration() as admin:
        with err.status("backing up..."):
            try:
                report = admin.backup(dest)
            except VidscopeError as exc:
                _fail(exc)
    err.print(
        _plain(
            f"backed up {report['videos']} videos in {report['files']} files "
            f"({report['bytes'] / 1e6:.1f} MB) to {report['path']} in {report['seconds']} s"
        )
    )


@app.command()
def restore(
    src: Annotated[Path, typer.Argument(help="A backup folder ('vidscope backup' made it)")],
) -> None:
    """Restore a backup into the library folder (--home), which must be new or empty. The
    backup is checked whole (every file against its manifest) before anything is written."""
    from pipelines.storage.backup import restore_backup

    home = _state["settings"].home
    with err.status("checking and restoring..."):
        try:
            report = restore_backup(src, home)
        except VidscopeError as exc:
            _fail(exc)
    err.print(
        _plain(
            f"restored {report.videos} videos ({report.files} files) into {report.home} "
            f"in {report.seconds:.1f} s"
        )
    )
