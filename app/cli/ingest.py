"""`vidscope ingest`: files and folders into the library, with a progress bar per file."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from app.cli.core import (
    _connection,
    _fail,
    _library,
    _plain,
    app,
    audit_local,
    err,
    failure_reason,
    progress_bars,
    status_words,
    use_settings,
)
from app.cli.hints import cli_hint
from pipelines.config import MAX_SPEAKERS
from pipelines.errors import VidscopeError

if TYPE_CHECKING:
    from rich.progress import TaskID


def _bar_name(name: str, limit: int = 40) -> str:
    """A file name short enough to leave its bar room on an 80-column terminal."""
    return name if len(name) <= limit else name[: limit - 11] + "…" + name[-10:]


@app.command()
def ingest(
    paths: Annotated[
        list[Path], typer.Argument(help="Video/audio files or folders", metavar="PATH")
    ],
    force: Annotated[bool, typer.Option(help="Reprocess files that are already indexed")] = False,
    audio_track: Annotated[
        int | None,
        typer.Option(
            help="Audio track to transcribe, counting from 0 (default: the track marked "
            "default, else the first); 'vidscope list' shows each video's tracks",
            min=0,
        ),
    ] = None,
    language: Annotated[
        str | None,
        typer.Option(
            help="Spoken language: a code (en, es, de...) or 'auto' to detect it in every 30 s "
            "(needs a multilingual model) [default: VIDSCOPE_WHISPER_LANGUAGE]",
        ),
    ] = None,
    whisper_model: Annotated[
        str | None,
        typer.Option(
            "--whisper-model",
            help="tiny.en (English, fastest), base (multilingual) or a CTranslate2 Whisper "
            "folder [default: VIDSCOPE_WHISPER_MODEL]",
        ),
    ] = None,
    speakers: Annotated[
        int | None,
        typer.Option(
            "--speakers",
            help=f"How many people speak, 1-{MAX_SPEAKERS}, when you know (found from the "
            "voices otherwise); each sentence is labelled Speaker 1..N, named later with "
            "'vidscope speakers'",
            show_default=False,
        ),
    ] = None,
    tell_speakers: Annotated[
        bool,
        typer.Option(
            "--tell-speakers/--no-speakers",
            help="Tell the voices of a one-channel recording apart (--no-speakers: a one-hour "
            "meeting ingests in about a quarter less time) [default: VIDSCOPE_SPEAKERS]",
            show_default=False,
        ),
    ] = True,
) -> None:
    """Add videos to the library: transcribe, tell the speakers apart, read the text they show,
    chunk, embed and index them."""
    failed = 0
    # Checked here, not by Typer's min/max: its range error is a usage box, not the coded
    # line every other failure prints.
    if speakers is not None and not 1 <= speakers <= MAX_SPEAKERS:
        _fail(
            VidscopeError(
                f"--speakers must be between 1 and {MAX_SPEAKERS}, got {speakers}; give the "
                "number of people who speak, or leave it out to have the voices counted",
                code="speaker.bad_count",
            )
        )
    if speakers is not None and not tell_speakers:
        _fail(
            VidscopeError(
                f"--speakers {speakers} and --no-speakers disagree: give the count to tell "
                "the voices apart, or --no-speakers to skip it",
                code="speaker.bad_count",
            )
        )
    changes: dict[str, object] = {
        name: value
        for name, value in (("whisper_language", language), ("whisper_model", whisper_model))
        if value is not None
    }
    if not tell_speakers:
        changes["speakers_enabled"] = False
    if changes:
        with _connection() as (_, remote):
            if remote is not None:
                _fail(
                    VidscopeError(
                        "--language, --whisper-model and --no-speakers choose how this process "
                        "transcribes; the running server transcribes with its own settings: set "
                        "VIDSCOPE_WHISPER_LANGUAGE / VIDSCOPE_WHISPER_MODEL / VIDSCOPE_SPEAKERS "
                        "for it, or stop it",
                        code="server.running",
                    )
                )
        use_settings(**changes)
    with _library() as library:
        expanded = library.expand_paths(paths)
        for path, skipped in expanded.skipped:
            err.print(f"[yellow]-[/] {_plain(f'{path}: skipped, {skipped}')}", highlight=False)
        files = expanded.files
        if not files:
            err.print(_plain("no video or audio files found in " + ", ".join(map(str, paths))))
            raise typer.Exit(1)
        with progress_bars() as bars:
            for path in files:
                name = _bar_name(path.name)
                task = bars.add_task(_plain(f"{name} · probe"), total=1.0)

                def report(
                    stage: str, fraction: float, task: TaskID = task, name: str = name
                ) -> None:
                    bars.update(task, description=_plain(f"{name} · {stage}"), completed=fraction)

                result = library.ingest_file(
                    path, force=force, audio_track=audio_track, speakers=speakers, progress=report
                )
                if result.status == "failed":
                    # The bar stays where the file stopped, its clock too: a full bar said done.
                    bars.update(task, description=f"{_plain(name)} · [red]✗ failed[/]")
                    bars.stop_task(task)
                    failed += 1
                    why = failure_reason(result.message, path)
                    hint = cli_hint(result.error_code or "")
                    why += f" (here: {hint})" if hint else ""
                    bars.console.print(
                        "[red]✗[/] " + _plain(f"{path}: [{result.error_code}] {why}"),
                        highlight=False,
                    )
                    continue
                words = status_words(result.status)
                bars.update(task, completed=1.0, description=_plain(f"{name} · {words}"))
                if result.status == "already_indexed":
                    bars.console.print(
                        "[yellow]=[/] " + _plain(f"{path}: already indexed as {result.video_id}"),
                        highlight=False,
                    )
                else:
                    audit_local("video.uploaded", video_id=result.video_id, file=path.name)
                    detail = (
                        f"{result.chunks} passage{'s' if result.chunks != 1 else ''}"
                        if result.chunks
                        else "no speech found"
                    )
                    bars.console.print(
                        "[green]✓[/] " + _plain(f"{path}: indexed as {result.video_id} ({detail})"),
                        highlight=False,
                    )
    if failed:
        err.print(f"{failed} of {len(files)} file(s) failed")
        raise typer.Exit(1)
