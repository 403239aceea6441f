"""Library commands: list, search, ask, summarize, transcript, clip, delete, reindex (``ingest``
is in app/cli/ingest.py)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Column, Table

from app.cli import ingest as _ingest  # noqa: F401  (registered first: it leads --help)
from app.cli.core import (
    _clock,
    _connection,
    _fail,
    _library,
    _plain,
    app,
    audit_local,
    err,
    out,
    print_table,
    progress_bars,
    users_umask,
)
from pipelines.clock import timestamp
from pipelines.errors import ClipError, VidscopeError
from pipelines.speech.export import FORMATS

if TYPE_CHECKING:
    pass


@app.command()
def search(
    query: Annotated[str, typer.Argument(help="What you are looking for, in your own words")],
    k: Annotated[
        int | None,
        typer.Option("--k", "-k", help="Number of hits, 1 to 200 (default: VIDSCOPE_SEARCH_K)"),
    ] = None,
    video: Annotated[str | None, typer.Option(help="Only search this video id")] = None,
    speaker: Annotated[
        str | None,
        typer.Option(help="Only what this speaker says: a name you gave, or 'Speaker 2'"),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON array only")] = False,
) -> None:
    """Search the library by meaning and words; each hit says where to jump (and who speaks
    there, when the video's voices were told apart)."""
    with _library() as library:
        hits = library.search(query, k=k, video_id=video, speaker=speaker)
    if as_json:
        from pipelines.public import HitPublic

        payload = [HitPublic.of(h).model_dump(mode="json") for h in hits]
        sys.stdout.write(json.dumps(payload, ensure_ascii=False) + "\n")
        return
    if not hits:
        print("no results: nothing in the library is close to that query")
        return
    for rank, hit in enumerate(hits, start=1):
        out.print(
            _plain(
                f"{rank:>2}. [{_clock(hit.start)} – {_clock(hit.end)}] {hit.title} "
                f"({hit.video_id})  score {hit.score:.4f}"
                + (f"  · {hit.speaker}" if hit.speaker else "")
                + ("  [on screen]" if hit.source == "screen" else "")
            ),
            highlight=False,
        )
        out.print(_plain(f"    {hit.text}"), highlight=False)


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="Your question, in your own words")],
    video: Annotated[str | None, typer.Option(help="Only ask this video id")] = None,
    speaker: Annotated[
        str | None,
        typer.Option(
            help="Only from what this speaker says ('what did Dana say about the budget'): "
            "a name you gave, or 'Speaker 2'"
        ),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print answer, citations and abstained as JSON")
    ] = False,
) -> None:
    """Ask your videos a question; the answer cites where each statement is said."""
    with _library() as library:
        answer = library.ask(question, video_id=video, speaker=speaker)
    if as_json:
        sys.stdout.write(answer.model_dump_json() + "\n")
        return
    out.print(_plain(answer.answer), highlight=False)
    for citation in answer.citations:
        out.print(
            _plain(
                f"  [{citation.number}] {citation.label}  ({citation.video_id})"
                + (f"  · {citation.speaker}" if citation.speaker else "")
            ),
            highlight=False,
        )
    if answer.fell_back:
        err.print(_plain(f"note: answered extractively: {answer.fell_back}"), highlight=False)


@app.command()
def summarize(
    video_id: Annotated[str, typer.Argument(help="Video id (see 'vidscope list')")],
    as_json: Annotated[
        bool, typer.Option("--json", help="Print summary, key_points and chapters as JSON")
    ] = False,
    chapters: Annotated[
        str | None,
        typer.Option(
            help="Print only the chapters: youtube ('m:ss Title' lines) or vtt (WebVTT)",
            metavar="youtube|vtt",
        ),
    ] = None,
    regenerate: Annotated[
        bool, typer.Option("--regenerate", help="Make it again now, replacing the stored one")
    ] = False,
) -> None:
    """A video's short summary, key points and chapters, each with its time."""
    with _library() as library:
        try:
            if chapters is not None:
                if regenerate:  # made again first, then printed as chapters
                    library.summary(video_id, regenerate=True)
                sys.stdout.write(library.chapters(video_id, chapters))  # type: ignore[arg-type]
                return
            made = library.summary(video_id, regenerate=regenerate)
        except VidscopeError as exc:
            _fail(exc)
    if as_json:
        sys.stdout.write(made.model_dump_json() + "\n")
        return
    for sentence in made.sentences or []:
        cites = ", ".join(_clock(c.start) for c in sentence.cites)
        out.print(_plain(f"{sentence.text} ({cites})"), highlight=False)
    if not made.sentences:
        out.print(_plain(made.summary), highlight=False)
    if made.method != "extractive":
        err.print(_plain(f"note: written by {made.method}, checked against the video"))
    out.print("\nKey points", style="bold")
    for point in made.key_points:
        out.print(_plain(f"  {_clock(point.start)}  {point.text}"), highlight=False)
    out.print("\nChapters", style="bold")
    for chapter in made.chapters:
        out.print(_plain(f"  {_clock(chapter.start)}  {chapter.title}"), highlight=False)


# ``vidscope summary ID`` is the same command (the API's resource is a video's summary).
app.command("summary", hidden=True)(summarize)


@app.command()
def transcript(
    video_id: Annotated[str, typer.Argument(help="Video id (see 'vidscope list')")],
    fmt: Annotated[
        str, typer.Option("--format", "-f", help=f"One of {', '.join(FORMATS)}")
    ] = "txt",
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Write to a file")] = None,
) -> None:
    """Export a video's transcript as text, JSON, SRT or WebVTT."""
    with _library() as library:
        text = library.transcript(video_id, fmt)
    if output:
        from pipelines.storage.files import write_text_file

        try:
            with users_umask():
                write_text_file(output, text, example="transcript.srt")
        except VidscopeError as exc:
            _fail(exc)
        err.print(_plain(f"wrote {output}"), highlight=False)
    else:
        sys.stdout.write(text)


@app.command()
def clip(
    output: Annotated[Path, typer.Option("-o", "--output", help="Clip file (.mp4 .mov .mkv .m4a)")],
    video_id: Annotated[str | None, typer.Argument(help="Video id, with --start and --end")] = None,
    start: Annotated[float | None, typer.Option(help="Start, in seconds")] = None,
    end: Annotated[float | None, typer.Option(help="End, in seconds")] = None,
    query: Annotated[str | None, typer.Option(help="Cut the best hit for this query")] = None,
) -> None:
    """Cut a frame-accurate clip by time range, or the best hit for a query."""
    with _library() as library:
        if query is not None:
            with users_umask():
                hit, path = library.clip_query(query, output=output, video_id=video_id)
            err.print(
                _plain(
                    f"best hit: {hit.title} ({hit.video_id}) "
                    f"{_clock(hit.start)} – {_clock(hit.end)}"
                ),
                highlight=False,
            )
            audit_local("clip.requested", video_id=hit.video_id, start=hit.start, end=hit.end)
        else:
            from pipelines.services.clip_service import clip_range

            try:
                video_id, start, end = clip_range(video_id, start, end)
            except ClipError as exc:  # the library names what is missing, we the flags
                flags = "VIDEO_ID with --start and --end, or --query"
                _fail(ClipError(f"{exc.message} ({flags})", code=exc.code))
            with users_umask():
                path = library.clip(video_id, start=start, end=end, output=output)
            audit_local("clip.requested", video_id=video_id, start=start, end=end)
    print(path)


@app.command("list")
def list_videos(
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON array only")] = False,
) -> None:
    """List the videos in the library, with their audio tracks and whether speech was found."""
    with _library() as library:
        videos = library.public_videos()
    if as_json:
        payload = [v.model_dump(mode="json") for v in videos]
        sys.stdout.write(json.dumps(payload, ensure_ascii=False) + "\n")
        return
    # Ids are never wrapped or cut: they are what every other command takes.
    table = Table(
        Column("id", no_wrap=True), "title", "status", "duration", "audio", "speech", "language"
    )
    for v in videos:
        if v.audio_track is None:
            audio = "none"
        elif v.audio_tracks > 1:
            audio = f"#{v.audio_track} of {v.audio_tracks}"
        else:
            audio = "1 track"
        speech = str(v.sentences) if v.sentences else ("none" if v.has_audio else "—")
        table.add_row(
            v.id,
            _plain(v.title),
            v.status,
            timestamp(v.duration),
            audio,
            speech,
            v.language or "—",
        )
    print_table(table)


@app.command()
def reel(
    output: Annotated[Path, typer.Option("-o", "--output", help="The reel (.mp4)")],
    query: Annotated[str | None, typer.Option(help="The best hits of this query")] = None,
    hits: Annotated[
        Path | None,
        typer.Option(help="A JSON file of hits ('vidscope search Q --json' writes one)"),
    ] = None,
    chapters: Annotated[
        str | None, typer.Option(help="This video id's key points, one per chapter")
    ] = None,
    vertical: Annotated[
        bool, typer.Option(help="A 9:16 picture (each part whole, over a blurred fill), for phones")
    ] = False,
    subtitles: Annotated[
        bool, typer.Option(help="Burn in what is said (composed: slower than a plain join)")
    ] = False,
    title_cards: Annotated[
        bool, typer.Option(help="Show each part's chapter title and time for 2 s before it")
    ] = False,
) -> None:
    """Cut a highlight reel: several moments joined into one video."""
    with _library() as library:
        try:
            parts = library.reel_parts(query=query, hits_file=hits, chapters_of=chapters)
        except VidscopeError as exc:  # reel.missing_source: the hint names our flags
            _fail(exc)
        with progress_bars() as bars:
            task = bars.add_task(f"{len(parts)} parts · cut", total=1.0)

            def report(stage: str, fraction: float) -> None:
                bars.update(task, description=f"{len(parts)} parts · {stage}", completed=fraction)

            try:
                with users_umask():
                    written = library.reel(
                        parts,
                        output=output,
                        vertical=vertical,
                        subtitles=subtitles,
                        title_cards=title_cards,
                        progress=report,
                    )
            except VidscopeError as exc:
                _fail(exc)
        audit_local("reel.requested", parts=len(parts), videos=sorted({p.video_id for p in parts}))
    for part in parts:
        err.print(
            _plain(f"  {part.video_id} [{_clock(part.start)} – {_clock(part.end)}]"),
            highlight=False,
        )
    out.print(_plain(str(written)), highlight=False)


@app.command()
def delete(video_id: Annotated[str, typer.Argument(help="Video id")]) -> None:
    """Delete a video: its rows, vectors and stored media."""
    with _library() as library:
        library.delete(video_id)
        audit_local("video.deleted", video_id=video_id)
    err.print(_plain(f"deleted {video_id}"))


@app.command()
def reindex() -> None:
    """Rebuild every account's search indexes from the catalog."""
    with _connection() as (library, remote):
        if remote is not None:
            _fail(
                VidscopeError(
                    "the running server keeps the indexes in step (and rebuilds them at "
                    "start); stop 'vidscope serve' to rebuild them by hand",
                    code="server.running",
                )
            )
        assert library is not None
        count = library.reindex()
    err.print(f"reindexed {count} passages")
