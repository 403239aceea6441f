"""A reel with words on it: a title card before each part (its chapter's title) and the
spoken sentences burned in as subtitles, in one FFmpeg encode: the words are pictures drawn
with Pillow (``captions``) that FFmpeg lays over the video, so no frame passes through Python.

What to write comes from the library (a video's title, chapters and timed sentences: the
owner's catalog here, the API beside a server), so the in-process library and the HTTP client
make the same reel."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import av

from pipelines.clock import clock  # m:ss, as citations show times
from pipelines.editing.captions import card_picture, subtitle_track
from pipelines.media.ffmpeg import decoder_cap, run_ffmpeg
from pipelines.records import ReelPart

CARD_S = 2.0  # how long a title card is shown
FPS = 25
FFMPEG_TIMEOUT_S = 600.0  # VIDSCOPE_FFMPEG_TIMEOUT_S's default, for callers that pass none
AUDIO_ONLY_FRAME = (640, 360)  # the picture words are shown on when no part has one


@dataclass(frozen=True)
class PartText:
    """The words for one part: its card's title (None: no card) and a smaller line beneath
    it, its subtitles, (start, end, text) in seconds from the part's start, and how long the
    part is (None: as long as its cut file)."""

    card: str | None
    lines: tuple[tuple[float, float, str], ...]
    card_note: str = ""
    duration: float | None = None


Sentence = tuple[float, float, str]  # start, end (seconds in the video), text
Chapter = tuple[float, float, str]  # start, end (seconds in the video), title


def part_texts(
    parts: Sequence[ReelPart],
    *,
    title_of: Callable[[str], str],
    sentences_of: Callable[[str], Sequence[Sentence]],
    subtitles: bool,
    title_cards: bool,
    chapters_of: Callable[[str], Sequence[Chapter]] | None = None,
) -> list[PartText]:
    """Each part's card and subtitles. A card shows the title of the chapter the part lies in
    (the one holding most of it) with the video's title and the part's time beneath; a part in
    no chapter, or with no ``chapters_of``, shows the video's title and time. ``title_of``,
    ``sentences_of`` and ``chapters_of`` are asked once per video, and only for what is wanted."""
    titles: dict[str, str] = {}
    chapters: dict[str, Sequence[Chapter]] = {}
    sentences: dict[str, Sequence[Sentence]] = {}
    texts = []
    for part in parts:
        if part.video_id not in titles:
            titles[part.video_id] = title_of(part.video_id) if title_cards else ""
            chapters[part.video_id] = (
                chapters_of(part.video_id) if title_cards and chapters_of is not None else ()
            )
            sentences[part.video_id] = sentences_of(part.video_id) if subtitles else ()
        lines = tuple(
            (max(0.0, start - part.start), min(part.end, end) - part.start, text)
            for start, end, text in sentences[part.video_id]
            if end > part.start and start < part.end
        )
        duration = part.end - part.start
        if not title_cards:
            texts.append(PartText(None, lines, duration=duration))
            continue
        title, when = titles[part.video_id], clock(part.start)
        chapter = chapter_of(part, chapters[part.video_id])
        if chapter:
            texts.append(PartText(chapter, lines, f"{title} · {when}", duration))
        else:
            texts.append(PartText(title, lines, when, duration))
    return texts


def chapter_of(part: ReelPart, chapters: Sequence[Chapter]) -> str | None:
    """The title of the chapter holding most of ``part`` (None: it lies in none)."""
    overlaps = [
        (min(end, part.end) - max(start, part.start), title)
        for start, end, title in chapters
        if title.strip()
    ]
    best = max(overlaps, default=(0.0, ""), key=lambda o: o[0])
    return best[1].strip() if best[0] > 0 else None


@dataclass(frozen=True)
class _Input:
    width: int
    height: int
    audio: bool
    duration: float


def _probe(path: Path) -> _Input:
    with av.open(str(path)) as media:
        video = media.streams.video[0] if media.streams.video else None
        return _Input(
            video.codec_context.width if video else 0,
            video.codec_context.height if video else 0,
            bool(media.streams.audio),
            float(media.duration or 0) / 1e6,
        )


def reel_frame(sizes: Sequence[tuple[int, int]], *, vertical: bool) -> tuple[int, int]:
    """The reel's picture: the largest part's (even) size; ``vertical``: as tall, 9:16."""
    width, height = max(sizes, key=lambda s: s[0] * s[1], default=(0, 0))
    if not width or not height:
        width, height = AUDIO_ONLY_FRAME
    width, height = width - width % 2, height - height % 2
    if vertical:
        width = max(2, round(height * 9 / 16 / 2) * 2)
    return width, height


def fit_filter(source: str, label: str, width: int, height: int, *, vertical: bool) -> str:
    """A filter chain fitting the picture ``source`` whole into ``width`` x ``height`` as
    ``label``: letterboxed in black, or (``vertical``) over a blurred copy of itself scaled
    up to fill the frame, so a slide's text is never cut at the edges."""
    fit = f"scale={width}:{height}:force_original_aspect_ratio=decrease:force_divisible_by=2"
    if not vertical:
        return f"{source}{fit},pad={width}:{height}:(ow-iw)/2:(oh-ih)/2,setsar=1{label}"
    # The fill is blurred at a quarter of the size: as soft as a radius of a twentieth of the
    # frame at full size (the look of editing.reels' encode join), a sixteenth of the work.
    small_w, small_h = max(4, width // 8 * 2), max(4, height // 8 * 2)
    radius = max(1, min(small_w, small_h) // 20)
    chroma = max(1, min(small_w, small_h) // 40)
    name = label.strip("[]")
    return (
        f"{source}split[{name}f][{name}b];"
        f"[{name}b]scale={small_w}:{small_h}:force_original_aspect_ratio=increase,"
        f"crop={small_w}:{small_h},boxblur=lr={radius}:lp=2:cr={chroma}:cp=2,"
        f"scale={width}:{height},setsar=1[{name}fill];"
        f"[{name}f]{fit},setsar=1[{name}fit];"
        f"[{name}fill][{name}fit]overlay=(W-w)/2:(H-h)/2{label}"
    )


class _Graph:
    """One FFmpeg run being written: its inputs, its filter chains and the segments (picture
    and sound labels) its concat filter joins, counted in whole frames."""

    def __init__(self) -> None:
        self.args: list[str] = []
        self.inputs = 0
        self.chains: list[str] = []
        self.segments: list[str] = []
        self.frames = 0  # the reel so far, in frames

    def input(self, *args: str) -> int:
        self.args += args
        self.inputs += 1
        return self.inputs - 1

    def segment(self, picture: str, sound: str, frames: int) -> None:
        self.chains += [picture, sound]
        n = len(self.segments)
        self.segments.append(f"[v{n}][a{n}]")
        self.frames += frames

    def silence(self, frames: int) -> str:
        return f"anullsrc=r=48000:cl=stereo,atrim=end_sample={frames * 48000 // FPS}"


def compose_reel(
    files: Sequence[Path],
    texts: Sequence[PartText],
    output: Path,
    *,
    vertical: bool,
    preset: str,
    max_frame_pixels: int | None = None,
    timeout_s: float = FFMPEG_TIMEOUT_S,
) -> None:
    """Writes ``files`` (the cut parts) with ``texts`` on them to ``output`` (an .mp4 path
    in the reel's temporary folder), in one encode: each part fitted whole to the largest
    part's picture (``fit_filter``; ``vertical``: 9:16), its card first, its subtitles over it.
    Each part lasts its text's ``duration`` (the cut's length when None), counted in whole
    frames from the reel's start so the reel is as long as its parts within a frame, sound
    and picture alike. Raises ``media.frame_too_large`` when a part holds a frame over
    ``max_frame_pixels`` (FFmpeg decodes each part under that cap)."""
    found = [_probe(f) for f in files]
    width, height = reel_frame([(f.width, f.height) for f in found], vertical=vertical)
    with tempfile.TemporaryDirectory(dir=output.parent, prefix=".words-") as folder:
        words = Path(folder)
        graph = _Graph()
        timed: list[tuple[float, float, str]] = []
        for n, (part, streams, text) in enumerate(zip(files, found, texts, strict=True)):
            if text.card:
                card = card_picture(
                    text.card, text.card_note, width=width, height=height,
                    path=words / f"card-{n:03d}.png",
                )  # fmt: skip
                frames = round(CARD_S * FPS)
                i = graph.input(
                    "-loop", "1", "-framerate", str(FPS), "-t", f"{CARD_S}", "-i", str(card)
                )
                label = f"[v{len(graph.segments)}]"
                picture = f"[{i}:v]format=yuv420p,setsar=1,fps={FPS},trim=end_frame={frames}{label}"
                graph.segment(picture, graph.silence(frames) + f"[a{len(graph.segments)}]", frames)
            length = text.duration if text.duration is not None else streams.duration
            start = graph.frames / FPS
            frames = max(1, round((start + length) * FPS) - graph.frames)
            timed += [(start + a, start + min(b, frames / FPS), line) for a, b, line in text.lines]
            i = graph.input(*decoder_cap(max_frame_pixels), "-i", str(part))
            graph.segment(
                _part_picture(
                    i, streams, frames, width, height, vertical=vertical, n=len(graph.segments)
                ),
                _part_sound(i, streams, frames, graph, n=len(graph.segments)),
                frames,
            )
        chains = graph.chains + [
            "".join(graph.segments) + f"concat=n={len(graph.segments)}:v=1:a=1[cat][aout]"
        ]
        picture = "[cat]"
        if timed:
            track = subtitle_track(timed, width=width, height=height, folder=words)
            i = graph.input("-f", "concat", "-safe", "0", "-i", str(track.listing))
            chains.append(
                f"[cat][{i}:v]overlay=0:{track.top}:eof_action=repeat,"
                f"trim=end_frame={graph.frames},format=yuv420p[vout]"
            )
            picture = "[vout]"
        run_ffmpeg(
            ["-y", *graph.args, "-filter_complex", ";".join(chains)]
            + ["-map", picture, "-map", "[aout]"]
            + ["-c:v", "libx264", "-preset", preset, "-crf", "20", "-pix_fmt", "yuv420p"]
            + ["-c:a", "aac", "-b:a", "128k", "-movflags", "+faststart", "-f", "mp4", str(output)],
            timeout_s=timeout_s,
        )


def _part_picture(
    i: int, streams: _Input, frames: int, width: int, height: int, *, vertical: bool, n: int
) -> str:
    """Input ``i``'s picture as segment ``n``: fitted, exactly ``frames`` long (a cut a frame
    short holds its last frame), or black when the part has none."""
    if not streams.width:
        return f"color=black:s={width}x{height}:r={FPS}:d={frames / FPS:.6f},setsar=1[v{n}]"
    fitted = fit_filter(
        f"[{i}:v]setpts=PTS-STARTPTS,fps={FPS},", f"[f{n}]", width, height, vertical=vertical
    )
    return (
        f"{fitted};[f{n}]format=yuv420p,"
        f"tpad=stop_mode=clone:stop_duration={frames / FPS:.6f},trim=end_frame={frames}[v{n}]"
    )


def _part_sound(i: int, streams: _Input, frames: int, graph: _Graph, *, n: int) -> str:
    """Input ``i``'s sound as segment ``n``: 48 kHz stereo, exactly ``frames`` long (padded
    with silence), or silence when the part has none."""
    if not streams.audio:
        return graph.silence(frames) + f"[a{n}]"
    samples = frames * 48000 // FPS
    return (
        f"[{i}:a]asetpts=PTS-STARTPTS,aresample=48000,"
        f"aformat=sample_fmts=fltp:channel_layouts=stereo,"
        f"apad=whole_len={samples},atrim=end_sample={samples}[a{n}]"
    )
