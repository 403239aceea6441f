"""A reel with words on it: a title card before each part and the spoken sentences burned in
as subtitles, composed with moviepy (frame by frame in Python, so only when asked; a reel
without them is joined by FFmpeg alone, as fast as the cuts).

What to write comes from the library (a video's title and its timed sentences: the owner's
catalog here, the API beside a server), so the in-process library and the HTTP client make
the same reel. Text is drawn with Pillow's bundled font: no system font is needed."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipelines.media.probe import cap_decoder, capped_frames
from pipelines.records import ReelPart
from pipelines.understanding.answers import minutes  # m:ss, as citations show times

CARD_S = 2.0  # how long a title card is shown
FPS = 25


@dataclass(frozen=True)
class PartText:
    """The words for one part: its card (None: no card) and its subtitles, (start, end, text)
    in seconds from the part's start."""

    card: str | None
    lines: tuple[tuple[float, float, str], ...]


Sentence = tuple[float, float, str]  # start, end (seconds in the video), text


def part_texts(
    parts: Sequence[ReelPart],
    *,
    title_of: Callable[[str], str],
    sentences_of: Callable[[str], Sequence[Sentence]],
    subtitles: bool,
    title_cards: bool,
) -> list[PartText]:
    """Each part's card and subtitles; ``title_of`` and ``sentences_of`` are asked once per
    video, and only for what is wanted."""
    titles: dict[str, str] = {}
    sentences: dict[str, Sequence[Sentence]] = {}
    texts = []
    for part in parts:
        if part.video_id not in titles:
            titles[part.video_id] = title_of(part.video_id) if title_cards else ""
            sentences[part.video_id] = sentences_of(part.video_id) if subtitles else ()
        lines = tuple(
            (max(0.0, start - part.start), min(part.end, end) - part.start, text)
            for start, end, text in sentences[part.video_id]
            if end > part.start and start < part.end
        )
        card = f"{titles[part.video_id]}\n{minutes(part.start)}"
        texts.append(PartText(card if title_cards else None, lines))
    return texts


def compose_reel(
    files: Sequence[Path],
    texts: Sequence[PartText],
    output: Path,
    *,
    vertical: bool,
    preset: str,
    max_frame_pixels: int | None = None,
) -> None:
    """Writes ``files`` (the cut parts) with ``texts`` on them to ``output`` (an .mp4 path
    in the reel's temporary folder): each part fitted to the largest part's picture
    (letterboxed; ``vertical``: 9:16, its middle kept), its card first. Raises
    ``media.frame_too_large`` when a part holds a frame over ``max_frame_pixels``."""
    # moviepy's reader runs FFmpeg with no way to pass it decoder options (max_pixels), and
    # would decode a large frame and scale it down: each part is decoded once first, under
    # the cap, by a decoder that refuses such a frame before allocating it. That pass costs
    # a fraction of moviepy's frame-by-frame composition.
    for part in files:
        _check_frames(part, max_frame_pixels)
    from moviepy import (
        ColorClip,
        CompositeVideoClip,
        TextClip,
        VideoFileClip,
        concatenate_videoclips,
    )

    opened = [VideoFileClip(str(f)) for f in files]
    try:
        width, height = max((c.size for c in opened), key=lambda s: s[0] * s[1])
        if vertical:
            width = round(height * 9 / 16 / 2) * 2
        size = (width, height)
        font = max(14, height // 20)
        pieces: list[Any] = []
        for clip, text in zip(opened, texts, strict=True):
            if text.card:
                pieces.append(
                    CompositeVideoClip(
                        [
                            ColorClip(size, color=(0, 0, 0), duration=CARD_S),
                            TextClip(
                                text=text.card,
                                font_size=round(font * 1.4),
                                color="white",
                                method="caption",
                                size=(int(width * 0.9), None),
                                # Pillow's measure leaves out descenders: room below.
                                margin=(0, font // 2),
                                text_align="center",
                                duration=CARD_S,
                            ).with_position("center"),
                        ],
                        size=size,
                    )
                )
            scale = (max if vertical else min)(width / clip.w, height / clip.h)
            layers = [clip.resized(scale).with_position("center")]
            layers += [
                TextClip(
                    text=line,
                    font_size=font,
                    color="white",
                    bg_color=(0, 0, 0),
                    method="caption",
                    size=(int(width * 0.9), None),
                    margin=(0, font // 3),
                    text_align="center",
                )
                .with_start(start)
                .with_duration(max(0.05, end - start))
                .with_position(("center", 0.8), relative=True)
                for start, end, line in text.lines
            ]
            pieces.append(
                CompositeVideoClip(layers, size=size, bg_color=(0, 0, 0)).with_duration(
                    clip.duration
                )
            )
        reel = concatenate_videoclips(pieces, method="compose")
        reel.write_videofile(
            str(output),
            fps=FPS,
            codec="libx264",
            preset=preset,
            audio_codec="aac",
            audio_bitrate="128k",
            ffmpeg_params=["-pix_fmt", "yuv420p", "-movflags", "+faststart"],
            temp_audiofile_path=str(output.parent),  # the reel's folder, not the working one
            logger=None,
        )
    finally:
        for clip in opened:
            clip.close()


def _check_frames(path: Path, max_frame_pixels: int | None) -> None:
    """Decodes every frame of ``path``'s video under ``max_frame_pixels``."""
    if max_frame_pixels is None:
        return
    import av

    with av.open(str(path)) as media:
        if not media.streams.video:
            return
        stream = media.streams.video[0]
        stream.thread_type = "AUTO"
        cap_decoder(stream, max_frame_pixels)
        for _ in capped_frames(media.decode(stream), stream, path.name, max_frame_pixels):
            pass
