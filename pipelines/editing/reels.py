"""A highlight reel: several clips joined into one video. Each part is cut frame-accurately
(``clips``, the smart cut); parts of one video share its codecs and are joined by stream copy,
as fast as the cuts; parts of different videos are joined by one encode to a common picture
(the largest part's size, letterboxed) and sound. Written whole or not at all."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import av

from pipelines.errors import ClipError
from pipelines.media.ffmpeg import decoder_cap, run_ffmpeg
from pipelines.records import Hit, ReelPart
from pipelines.storage.files import atomic_write

if TYPE_CHECKING:
    from pipelines.config import ClipSettings, Settings
    from pipelines.editing.clips import ClipPlan
    from pipelines.editing.compose import PartText
    from pipelines.public import SummaryPublic

MAX_PARTS = 50
QUERY_HITS = 5  # parts of a reel made from a query: its best hits
Progress = Callable[[str, float], None]


def read_parts(path: Path) -> list[ReelPart]:
    """Parts from a JSON file of hits (``vidscope search --json`` writes one): a list of
    objects with ``video_id``, ``start`` and ``end`` (seconds)."""
    try:
        rows = json.loads(path.read_text())
        parts = [ReelPart(str(r["video_id"]), float(r["start"]), float(r["end"])) for r in rows]
    except (OSError, ValueError, TypeError, KeyError) as exc:
        raise ClipError(
            f"{path}: not a list of hits with video_id, start and end ({exc}); "
            "'vidscope search QUERY --json > hits.json' writes one",
            code="reel.bad_hits",
        ) from exc
    return parts


class ReelSource(Protocol):
    """What choosing a reel's parts needs of a library: the in-process owner's library and
    the HTTP client both have it."""

    settings: Settings

    def search(
        self, query: str, *, k: int | None = None, video_id: str | None = None
    ) -> list[Hit]: ...

    def summary(self, video_id: str) -> SummaryPublic: ...


def choose_parts(
    library: ReelSource,
    *,
    query: str | None,
    hits_file: Path | None,
    chapters_of: str | None,
) -> list[ReelPart]:
    """What a reel shows, from exactly one source: a query's best hits (each sentence, padded
    a little), a JSON file of hits, or a video's key points (one per chapter)."""
    if sum(x is not None for x in (query, hits_file, chapters_of)) != 1:
        raise ClipError("give one of --query, --hits or --chapters", code="reel.missing_source")
    pad_s = library.settings.clips.padding_s
    if query is not None:
        hits = library.search(query, k=QUERY_HITS)
        if not hits:
            raise ClipError(f"nothing in the library matches {query!r}", code="query.no_match")
        parts = [ReelPart(h.video_id, max(0.0, h.start - pad_s), h.end + pad_s) for h in hits]
    elif hits_file is not None:
        parts = read_parts(hits_file)
    else:
        assert chapters_of is not None
        parts = [
            ReelPart(chapters_of, max(0.0, p.start - pad_s), p.end + pad_s)
            for p in library.summary(chapters_of).key_points
        ]
    if not parts:
        raise ClipError("nothing to put in the reel", code="reel.empty")
    return merge_parts(parts)


def merge_parts(parts: Sequence[ReelPart]) -> list[ReelPart]:
    """Overlapping or touching parts of one video become one (in the order first seen)."""
    merged: list[ReelPart] = []
    for part in parts:
        for n, kept in enumerate(merged):
            if kept.video_id == part.video_id and part.start <= kept.end and part.end >= kept.start:
                merged[n] = replace(
                    kept, start=min(kept.start, part.start), end=max(kept.end, part.end)
                )
                break
        else:
            merged.append(part)
    return merged


@dataclass(frozen=True)
class ReelPlan:
    """A reel to make, checked against its videos: plain values (each part's clip plan, the
    words to put on it), so the job worker's compute process can make it."""

    parts: tuple[ReelPart, ...]
    plans: tuple[ClipPlan, ...]
    output: str
    clips: ClipSettings
    vertical: bool
    texts: tuple[PartText, ...]

    def make(self, progress: Progress | None = None) -> Path:
        return make_reel(
            self.parts,
            Path(self.output),
            cut=lambda n, path: replace(self.plans[n], output=str(path)).cut(),
            clips=self.clips,
            vertical=self.vertical,
            texts=self.texts,
            progress=progress,
        )


def make_reel(
    parts: Sequence[ReelPart],
    output: Path,
    *,
    cut: Callable[[int, Path], Path],
    clips: ClipSettings,
    vertical: bool = False,
    texts: Sequence[PartText] | None = None,
    progress: Progress | None = None,
) -> Path:
    """Cuts every part (``cut(n, path)`` writes part ``n`` to ``path``: here, or by the server)
    and joins them into ``output`` (.mp4), atomically: by stream copy when they are one video's
    and the picture stays as it is, else by one encode to a common picture and sound.
    ``vertical``: a 9:16 picture, the middle of each part (phones' stories and shorts).
    ``texts``: title cards and subtitles (``compose``), composed with moviepy. Every frame
    decoded is checked against ``clips.max_frame_pixels`` (``media.frame_too_large``)."""
    report = progress or (lambda stage, fraction: None)
    if not parts:
        raise ClipError("nothing to put in the reel", code="reel.empty")
    if len(parts) > MAX_PARTS:
        raise ClipError(f"a reel holds at most {MAX_PARTS} parts", code="reel.too_many_parts")
    if output.suffix.lower() != ".mp4":
        raise ClipError("a reel is an MP4 file: name the output .mp4", code="clip.bad_output")
    output.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=output.parent, prefix=".reel-") as tmp:
        files = []
        for n in range(len(parts)):
            report("cut", n / len(parts))
            files.append(cut(n, Path(tmp) / f"part-{n:03d}.mp4"))
        report("join", 0.0)
        timeout_s = clips.ffmpeg_timeout_s
        with atomic_write(output) as partial:
            if texts and any(t.card or t.lines for t in texts):
                from pipelines.editing.compose import compose_reel

                composed = Path(tmp) / "reel.mp4"
                compose_reel(
                    files,
                    texts,
                    composed,
                    vertical=vertical,
                    preset=clips.preset,
                    max_frame_pixels=clips.max_frame_pixels,
                )
                composed.replace(partial)
            elif len({p.video_id for p in parts}) == 1 and not vertical:
                _join_by_copy(files, partial, timeout_s=timeout_s)
            else:
                _join_by_encoding(
                    files,
                    partial,
                    vertical=vertical,
                    preset=clips.preset,
                    timeout_s=timeout_s,
                    max_frame_pixels=clips.max_frame_pixels,
                )
        report("done", 1.0)
    return output


def _join_by_copy(parts: list[Path], output: Path, *, timeout_s: float) -> None:
    listing = output.with_name(output.name + ".parts.txt")
    listing.write_text("ffconcat version 1.0\n" + "".join(f"file '{p.resolve()}'\n" for p in parts))
    try:
        run_ffmpeg(
            ["-y", "-f", "concat", "-safe", "0", "-i", str(listing), "-c", "copy"]
            + ["-movflags", "+faststart", "-f", "mp4", str(output)],
            timeout_s=timeout_s,
        )
    finally:
        listing.unlink(missing_ok=True)


@dataclass(frozen=True)
class _Streams:
    width: int
    height: int
    audio: bool
    duration: float


def _streams(part: Path) -> _Streams:
    with av.open(str(part)) as media:
        video = media.streams.video[0] if media.streams.video else None
        return _Streams(
            video.codec_context.width if video else 0,
            video.codec_context.height if video else 0,
            bool(media.streams.audio),
            float(media.duration or 0) / 1e6,
        )


def _join_by_encoding(
    parts: list[Path],
    output: Path,
    *,
    vertical: bool,
    preset: str,
    timeout_s: float,
    max_frame_pixels: int | None = None,
) -> None:
    found = [_streams(p) for p in parts]
    widest = max(found, key=lambda s: s.width * s.height)
    has_video = widest.width > 0
    width, height = widest.width - widest.width % 2, widest.height - widest.height % 2
    # Vertical: as tall as the largest part, 9:16, each part filling it (its middle kept).
    fit = "increase" if vertical else "decrease"
    if vertical:
        width = round(height * 9 / 16 / 2) * 2
    inputs: list[str] = []
    chains: list[str] = []
    labels = ""
    for n, (part, streams) in enumerate(zip(parts, found, strict=True)):
        # The parts were cut under the cap here, or elsewhere (a client's reel is cut by the
        # server): each is decoded under it again, never trusted.
        inputs += [*decoder_cap(max_frame_pixels), "-i", str(part)]
        if has_video:
            if streams.width:
                frame = (
                    f"crop={width}:{height}"
                    if vertical
                    else f"pad={width}:{height}:(ow-iw)/2:(oh-ih)/2"
                )
                chains.append(
                    f"[{n}:v]scale={width}:{height}:force_original_aspect_ratio={fit},"
                    f"{frame},setsar=1,fps=25,format=yuv420p[v{n}]"
                )
            else:
                chains.append(f"color=black:s={width}x{height}:r=25:d={streams.duration:.3f}[v{n}]")
            labels += f"[v{n}]"
        if streams.audio:
            chains.append(f"[{n}:a]aresample=48000,aformat=channel_layouts=stereo[a{n}]")
        else:
            chains.append(f"anullsrc=r=48000:cl=stereo,atrim=0:{streams.duration:.3f}[a{n}]")
        labels += f"[a{n}]"
    video = 1 if has_video else 0
    chains.append(f"{labels}concat=n={len(parts)}:v={video}:a=1" + ("[v][a]" if video else "[a]"))
    maps = (["-map", "[v]"] if video else []) + ["-map", "[a]"]
    encode = ["-c:v", "libx264", "-preset", preset, "-crf", "20"] if video else []
    run_ffmpeg(
        ["-y", *inputs, "-filter_complex", ";".join(chains), *maps, *encode]
        + ["-c:a", "aac", "-b:a", "128k", "-movflags", "+faststart", "-f", "mp4", str(output)],
        timeout_s=timeout_s,
    )
