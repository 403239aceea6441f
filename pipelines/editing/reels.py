"""A highlight reel: several clips joined into one video. Each part is cut frame-accurately
(``clips``, the smart cut); parts of one video share its codecs and are joined by stream copy,
as fast as the cuts; parts of different videos are joined by one encode to a common picture
(the largest part's size, letterboxed) and sound. Every reel is read back against its parts
(``reel_check``) before it is kept: written whole and in sync, or not at all."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from pipelines.editing.reel_check import Measured, check_reel, measure_parts
from pipelines.editing.transport_stream import copy_picture
from pipelines.errors import ClipError
from pipelines.media.ffmpeg import decoder_cap, run_ffmpeg
from pipelines.records import Progress, ReelPart
from pipelines.storage.files import atomic_write

if TYPE_CHECKING:
    from pipelines.config import ClipSettings
    from pipelines.editing.clips import ClipPlan
    from pipelines.editing.compose import PartText

ENCODE_FPS = 25  # a reel joined by encoding is drawn at this rate


def check_limits(parts: Sequence[ReelPart], limits: ClipSettings) -> None:
    """The rules of what one reel may hold, wherever it is checked (when it is asked for, and
    again when it is made): at least one part (``reel.empty``), at most
    VIDSCOPE_REEL_MAX_PARTS (``reel.too_many_parts``), each part within
    VIDSCOPE_REEL_MAX_PART_S and all within VIDSCOPE_REEL_MAX_TOTAL_S (``reel.too_long``)."""
    if not parts:
        raise ClipError(
            "nothing to put in the reel: the query, hits or chapters gave no part",
            code="reel.empty",
        )
    if len(parts) > limits.reel_max_parts:
        raise ClipError(
            f"a reel holds at most {limits.reel_max_parts} parts "
            f"(VIDSCOPE_REEL_MAX_PARTS); this one has {len(parts)}",
            code="reel.too_many_parts",
            limit=limits.reel_max_parts,
        )
    longest = max(p.end - p.start for p in parts)
    if longest > limits.reel_max_part_s:
        raise ClipError(
            f"a part of a reel is at most {limits.reel_max_part_s:g} s long "
            f"(VIDSCOPE_REEL_MAX_PART_S); one part is {longest:.1f} s",
            code="reel.too_long",
            limit_s=limits.reel_max_part_s,
        )
    total = sum(p.end - p.start for p in parts)
    if total > limits.reel_max_total_s:
        raise ClipError(
            f"a reel is at most {limits.reel_max_total_s:g} s long in all "
            f"(VIDSCOPE_REEL_MAX_TOTAL_S); its parts add up to {total:.1f} s",
            code="reel.too_long",
            limit_s=limits.reel_max_total_s,
        )


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
    """Cuts every part (``cut(n, path)`` writes part ``n`` to ``path``)
    and joins them into ``output`` (.mp4), atomically (parts outside a reel's limits are
    refused first, ``check_limits``): by stream copy when they are one video's
    and the picture stays as it is, else by one encode to a common picture and sound.
    ``vertical``: a 9:16 picture, each part whole over a blurred fill (phones' stories and
    shorts). ``texts``: title cards and subtitles (``compose``), laid over by FFmpeg. Every
    frame decoded is checked against ``clips.max_frame_pixels`` (``media.frame_too_large``).
    The reel is read back before it is kept: picture and sound as long as its parts within a
    frame, every frame there, frame times strictly increasing; else ``reel.broken_output``
    and nothing is written."""
    report = progress or (lambda stage, fraction: None)
    check_limits(parts, clips)
    if output.suffix.lower() != ".mp4":
        raise ClipError("a reel is an MP4 file: name the output .mp4", code="clip.bad_output")
    output.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=output.parent, prefix=".reel-") as tmp:
        files = []
        for n in range(len(parts)):
            report("cut", n / len(parts))
            files.append(cut(n, Path(tmp) / f"part-{n:03d}.mp4"))
        report("join", 0.0)
        # Measured before the join, to hold the reel to: what ``cut`` wrote is not trusted.
        found = measure_parts(files)
        length = sum(m.span for m in found)
        audio = any(m.audio_s is not None for m in found)
        timeout_s = clips.ffmpeg_timeout_s
        with atomic_write(output) as partial:
            if texts and any(t.card or t.lines for t in texts):
                from pipelines.editing.compose import CARD_S, FPS, compose_reel

                composed = Path(tmp) / "reel.mp4"
                # Each part lasts as long as it was cut (what the reel is held to), not as the
                # times asked for: a cut keeps the source frames its times fall on, and parts
                # from 34.82-39.52 s on made 592 frames where their times, rounded, made 590.
                compose_reel(
                    files,
                    [replace(t, duration=m.span) for t, m in zip(texts, found, strict=True)],
                    composed,
                    vertical=vertical,
                    preset=clips.preset,
                    max_frame_pixels=clips.max_frame_pixels,
                    timeout_s=timeout_s,
                )
                composed.replace(partial)
                cards = sum(1 for t in texts if t.card)
                # Each part and card is rounded to whole frames: a frame's leeway each.
                check_reel(
                    partial,
                    length=length + CARD_S * cards,
                    frames=None,
                    frame_step=1 / FPS,
                    audio=audio,
                    frame_slack=len(parts) + cards,
                )
            elif len({p.video_id for p in parts}) == 1 and not vertical:
                _join_by_copy(files, found, partial, work=Path(tmp), timeout_s=timeout_s)
                step = min((m.frame_step for m in found if m.frames), default=1 / ENCODE_FPS)
                frames = sum(m.frames for m in found)
                check_reel(partial, length=length, frames=frames, frame_step=step, audio=audio)
            else:
                _join_by_encoding(
                    files,
                    found,
                    partial,
                    vertical=vertical,
                    preset=clips.preset,
                    timeout_s=timeout_s,
                    max_frame_pixels=clips.max_frame_pixels,
                )
                check_reel(
                    partial,
                    length=length,
                    frames=None,
                    frame_step=1 / ENCODE_FPS,
                    audio=audio,
                    frame_slack=len(parts),
                )
        report("done", 1.0)
    return output


def _join_by_copy(
    parts: list[Path], found: list[Measured], output: Path, *, work: Path, timeout_s: float
) -> None:
    """Copies the parts' pictures one after another and encodes their sound once, each part's
    sound cut to its picture. FFmpeg's concat demuxer reads every file on the first file's
    clock and holds its parameter sets: a re-encoded part (MP4, 1/12800 s) after a smart cut
    (1/90000 s) had its 126 frames squeezed into 1 ms, and a part encoded with other settings
    would be decoded with the first one's. So each picture is first copied to MPEG-TS
    (``transport_stream``): one 90 kHz clock for all, each part's own parameter sets before
    its keyframes. The sound is re-encoded (FFmpeg's whole join of a 30 s key-points reel:
    0.47 CPU-s, docs/benchmarks.md): copied, each part's AAC priming and last packet would
    add up to a drift part after part."""
    listing = work / "pictures.txt"
    entries = []
    delay = max(m.reorder_s for m in found)
    for n, (part, measured) in enumerate(zip(parts, found, strict=True)):
        if measured.frames:
            copy_picture(part, work / f"picture-{n:03d}.ts", earlier_s=delay - measured.reorder_s)
            entries.append(f"file 'picture-{n:03d}.ts'\nduration {measured.video_s:.6f}\n")
    listing.write_text("ffconcat version 1.0\n" + "".join(entries))
    picture = ["-f", "concat", "-safe", "0", "-i", str(listing)] if entries else []
    args = ["-y", *picture]
    if any(m.audio_s is not None for m in found):
        first = 1 if entries else 0  # the parts' inputs come after the pictures'
        common = any(m.audio_s is None for m in found)
        chains = [
            _sound_chain(first + n, n, m, common=common)
            if m.audio_s is not None
            else _silence(n, m.span)
            for n, m in enumerate(found)
        ]
        graph = ";".join(chains) + ";" + "".join(f"[a{n}]" for n in range(len(parts)))
        graph += f"concat=n={len(parts)}:v=0:a=1[a]"
        args += [arg for part in parts for arg in ("-i", str(part))]
        args += ["-filter_complex", graph, "-map", "[a]", "-c:a", "aac", "-b:a", "128k"]
    if entries:
        args += ["-map", "0:v:0", "-c:v", "copy"]
    run_ffmpeg([*args, "-movflags", "+faststart", "-f", "mp4", str(output)], timeout_s=timeout_s)


def _sound_chain(n: int, label: int, part: Measured, *, common: bool = True) -> str:
    """Input ``n``'s sound from its first frame's time, exactly as long as its picture;
    ``common``: as 48 kHz stereo (parts of different videos, or beside silence), else as it
    is (a mono talk stays mono: half the encode)."""
    start, span = part.video_start if part.frames else 0.0, part.span
    convert = "aresample=48000,aformat=channel_layouts=stereo," if common else ""
    return (
        f"[{n}:a:0]atrim=start={start:.6f}:duration={span:.6f},asetpts=PTS-STARTPTS,"
        f"{convert}apad=whole_dur={span:.6f}[a{label}]"
    )


def _silence(n: int, seconds: float) -> str:
    return f"anullsrc=r=48000:cl=stereo,atrim=0:{seconds:.6f}[a{n}]"


def _join_by_encoding(
    parts: list[Path],
    found: list[Measured],
    output: Path,
    *,
    vertical: bool,
    preset: str,
    timeout_s: float,
    max_frame_pixels: int | None = None,
) -> None:
    """Encodes the parts to one picture (the largest part's, each part letterboxed into it)
    at 25 fps, and one sound, each part's sound cut to its picture as in ``_join_by_copy``.
    ``vertical``: 9:16 as tall as the largest part, each part fitted whole over a blurred,
    enlarged copy of itself (``compose.fit_filter``, as reels with words are drawn; a centre
    crop cut a slide's text: "aining", ",000 workers")."""
    widest = max(found, key=lambda m: m.width * m.height)
    has_video = widest.width > 0
    width, height = widest.width - widest.width % 2, widest.height - widest.height % 2
    if vertical:
        width = round(height * 9 / 16 / 2) * 2
    inputs: list[str] = []
    chains: list[str] = []
    labels = ""
    for n, (part, measured) in enumerate(zip(parts, found, strict=True)):
        # The parts were cut under the cap, by whatever ``cut`` ran: each is decoded under it
        # again, never trusted.
        inputs += [*decoder_cap(max_frame_pixels), "-i", str(part)]
        if has_video:
            if measured.frames:
                from pipelines.editing.compose import fit_filter

                start = f"[{n}:v]setpts=PTS-STARTPTS,fps={ENCODE_FPS},"
                chains.append(fit_filter(start, f"[v{n}]", width, height, vertical=vertical))
            else:
                chains.append(f"color=black:s={width}x{height}:r={ENCODE_FPS}"
                              f":d={measured.span:.6f}[v{n}]")  # fmt: skip
            labels += f"[v{n}]"
        if measured.audio_s is not None:
            chains.append(_sound_chain(n, n, measured))
        else:
            chains.append(_silence(n, measured.span))
        labels += f"[a{n}]"
    video = 1 if has_video else 0
    chains.append(f"{labels}concat=n={len(parts)}:v={video}:a=1" + ("[v][a]" if video else "[a]"))
    maps = (["-map", "[v]"] if video else []) + ["-map", "[a]"]
    encode = ["-c:v", "libx264", "-preset", preset, "-crf", "20", "-pix_fmt", "yuv420p"]
    run_ffmpeg(
        ["-y", *inputs, "-filter_complex", ";".join(chains), *maps, *(encode if video else [])]
        + ["-c:a", "aac", "-b:a", "128k", "-movflags", "+faststart", "-f", "mp4", str(output)],
        timeout_s=timeout_s,
    )
