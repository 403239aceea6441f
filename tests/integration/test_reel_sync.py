"""Every reel is read back, frame by frame and beep by beep, against its sources.

The sources are made here: a moving test picture (every frame differs) at 25 fps with a
keyframe every 10 s (x264 with B-frames), and a 1 kHz beep in the first 0.1 s of every second,
in MP4 and in Matroska. A reel's parts are shorter than a GOP, a few frames long, across
keyframes or holding whole GOPs; for each reel the test checks its length (video and sound),
its frame count, that its frame times strictly increase a frame apart, that each sampled frame
is the source frame it should be and that each beep sounds when its second starts: picture
and sound in sync, part after part."""

from __future__ import annotations

import math
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np
import pytest

from pipelines.config import load_settings
from pipelines.editing.clips import MIN_CLIP_S, ClipOptions, cut_clip
from pipelines.editing.reels import make_reel
from pipelines.errors import ClipError
from pipelines.media.ffmpeg import ffmpeg_executable
from pipelines.records import ReelPart

pytestmark = pytest.mark.slow

FPS = 25
STEP = 1 / FPS
SECONDS = 60
SETTINGS = load_settings()
OPTIONS = ClipOptions.from_settings(SETTINGS)
BEEP = "if(lt(mod(t\\,1)\\,0.1)\\,0.5*sin(2*PI*1000*t)\\,0)"


def ffmpeg(*args: str) -> None:
    subprocess.run(
        [ffmpeg_executable(), "-nostdin", "-y", "-hide_banner", "-loglevel", "error", *args],
        check=True,
    )


def make_source(folder: Path, name: str, picture: str, size: str) -> Path:
    path = folder / f"{name}.mp4"
    ffmpeg(
        "-f", "lavfi", "-i", f"{picture}=s={size}:r={FPS}:d={SECONDS}",
        "-f", "lavfi", "-i", f"aevalsrc={BEEP}:s=48000:d={SECONDS}",
        "-c:v", "libx264", "-preset", "veryfast", "-g", "250", "-keyint_min", "250",
        "-sc_threshold", "0", "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "96k", str(path),
    )  # fmt: skip
    return path


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("reel-sources")
    mp4 = make_source(folder, "talk", "testsrc2", "320x180")
    mkv = folder / "talk.mkv"
    ffmpeg("-i", str(mp4), "-c", "copy", str(mkv))
    other = make_source(folder, "other", "testsrc", "256x144")
    return {"mp4": mp4, "mkv": mkv, "other": other}


def thumbnails(path: Path) -> list[np.ndarray]:
    """Every frame of a source, small and grey, in display order."""
    with av.open(str(path)) as media:
        return [
            frame.reformat(width=80, height=45, format="gray").to_ndarray().astype(np.int16)
            for frame in media.decode(video=0)
        ]


@pytest.fixture(scope="module")
def source_frames(sources: dict[str, Path]) -> list[np.ndarray]:
    return thumbnails(sources["mp4"])


@dataclass(frozen=True)
class ReadBack:
    pts: list[float]  # every video packet's time, sorted
    frames: list[np.ndarray]  # every decoded frame, small and grey, in display order
    video_s: float  # the video track's length, as the file states it
    audio_s: float  # the audio track's length, as the file states it
    sound_s: float  # the decoded sound's length
    onsets: list[float]  # when each beep starts


def read_back(path: Path) -> ReadBack:
    with av.open(str(path)) as media:
        video, audio = media.streams.video[0], media.streams.audio[0]
        assert video.time_base is not None and audio.time_base is not None
        video_s = float(video.duration * video.time_base) if video.duration else 0.0
        audio_s = float(audio.duration * audio.time_base) if audio.duration else 0.0
        pts = sorted(
            float(p.pts * video.time_base) for p in media.demux(video) if p.pts is not None
        )
    with av.open(str(path)) as media:
        frames = [
            f.reformat(width=80, height=45, format="gray").to_ndarray().astype(np.int16)
            for f in media.decode(video=0)
        ]
    with av.open(str(path)) as media:
        chunks = [f.to_ndarray().mean(axis=0) for f in media.decode(audio=0)]
        rate = media.streams.audio[0].rate
    sound = np.concatenate(chunks)
    window = rate // 200  # 5 ms
    loud = np.abs(sound[: len(sound) // window * window]).reshape(-1, window).max(axis=1) > 0.2
    onsets = [i * window / rate for i in range(1, len(loud)) if loud[i] and not loud[i - 1]]
    if len(loud) and loud[0]:
        onsets.insert(0, 0.0)
    return ReadBack(pts, frames, video_s, audio_s, len(sound) / rate, onsets)


def frames_in(start: float, end: float) -> range:
    """The source frames a part of [start, end) shows (frame i is shown at i / FPS)."""
    return range(math.ceil(start * FPS - 1e-6), math.ceil(end * FPS - 1e-6))


def check_reel_reads_back(
    reel: Path, parts: Sequence[ReelPart], source: list[np.ndarray] | None
) -> None:
    shown = [frames_in(p.start, p.end) for p in parts]
    frames = sum(len(r) for r in shown)
    length = frames * STEP
    found = read_back(reel)
    assert len(found.pts) == frames
    gaps = np.diff(found.pts)
    assert gaps.min() > 0.5 * STEP and gaps.max() < 1.5 * STEP, (gaps.min(), gaps.max())
    assert found.pts[-1] + STEP - found.pts[0] == pytest.approx(length, abs=STEP)
    assert found.video_s == pytest.approx(length, abs=STEP)
    assert found.audio_s == pytest.approx(length, abs=STEP)
    assert found.sound_s == pytest.approx(length, abs=STEP)
    # Each beep starts within a frame of its second's first frame, in every part.
    expected, at = [], 0.0
    for r in shown:
        expected += [at + (i - r.start) * STEP for i in r if i % FPS == 0 and i + 2 < r.stop]
        at += len(r) * STEP
    for t in expected:
        assert min(abs(o - t) for o in found.onsets) <= STEP, (t, found.onsets)
    if source is None:
        return
    # Each frame is its source frame, not its neighbour (the first, middle and last of a part).
    assert len(found.frames) == frames
    n = 0
    for r in shown:
        for i in {0, len(r) // 2, len(r) - 1}:
            frame, want = found.frames[n + i], r.start + i
            near = [w for w in (want - 1, want + 1) if 0 <= w < len(source)]
            same = np.abs(frame - source[want]).mean()
            assert all(same < np.abs(frame - source[w]).mean() for w in near), (n + i, want)
        n += len(r)


def reel_of(
    sources: dict[str, Path], parts: list[ReelPart], output: Path, *, vertical: bool = False
) -> Path:
    def cut(n: int, path: Path) -> Path:
        part = parts[n]
        return cut_clip(
            sources[part.video_id], path, start=part.start, end=part.end, has_video=True,
            options=OPTIONS,
        )  # fmt: skip

    return make_reel(parts, output, cut=cut, clips=SETTINGS.clips, vertical=vertical)


ONE_FRAME = max(STEP, MIN_CLIP_S)  # a part as short as a clip may be: three frames at 25 fps
CASES = {
    # Shorter than a GOP: each part is re-encoded whole.
    "shorter_than_a_gop": [(12.3, 15.1), (33.0, 37.5), (41.2, 44.0)],
    # As short as allowed, between longer parts.
    "one_frame": [(25.0, 25.0 + ONE_FRAME), (3.0, 6.0), (47.0, 47.0 + ONE_FRAME)],
    # Across keyframes: smart cuts (encoded head, copied GOP, encoded tail) beside whole encodes.
    "straddling_keyframes": [(8.5, 21.5), (29.0, 31.0), (38.7, 41.3), (18.0, 32.0)],
    # Whole GOPs from a keyframe on, then a short part, then whole GOPs again.
    "whole_gops": [(10.0, 30.0), (52.0, 55.0), (30.0, 50.04)],
}


@pytest.mark.parametrize("container", ["mp4", "mkv"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_a_reel_of_one_video_reads_back_in_sync(
    sources: dict[str, Path],
    source_frames: list[np.ndarray],
    tmp_path: Path,
    container: str,
    case: str,
) -> None:
    parts = [ReelPart(container, start, end) for start, end in CASES[case]]
    reel = reel_of(sources, parts, tmp_path / "reel.mp4")
    check_reel_reads_back(reel, parts, source_frames)
    assert [p.name for p in tmp_path.iterdir()] == ["reel.mp4"]


def test_a_reel_of_two_videos_reads_back_in_sync(sources: dict[str, Path], tmp_path: Path) -> None:
    parts = [ReelPart("mp4", 8.5, 21.5), ReelPart("other", 3.3, 6.0), ReelPart("mkv", 40.0, 41.0)]
    check_reel_reads_back(reel_of(sources, parts, tmp_path / "reel.mp4"), parts, None)


def test_a_broken_join_is_a_failed_reel_and_writes_nothing(
    sources: dict[str, Path], tmp_path: Path
) -> None:
    """A part whose frames are squeezed into a few milliseconds (as the stream-copy join of
    parts with different time bases made them) is refused, not reported as a reel."""
    parts = [ReelPart("mp4", 12.0, 16.0), ReelPart("mp4", 30.0, 34.0)]

    def cut(n: int, path: Path) -> Path:
        part = parts[n]
        whole = cut_clip(
            sources["mp4"], path.with_name(f"whole-{n}.mp4"), start=part.start, end=part.end,
            has_video=True, options=OPTIONS,
        )  # fmt: skip
        if n == 1:  # the second part's frames 100 times too close together
            ffmpeg("-i", str(whole), "-c", "copy", "-bsf:v", "setts=ts=TS/100", str(path))
            return path
        return whole

    with pytest.raises(ClipError) as caught:
        make_reel(parts, tmp_path / "reel.mp4", cut=cut, clips=SETTINGS.clips)
    assert caught.value.code == "reel.broken_output"
    assert list(tmp_path.iterdir()) == []


def test_a_vertical_reel_fits_the_whole_picture_over_a_blurred_fill(tmp_path: Path) -> None:
    """A slide's left and right edges (a red and a blue bar) are both on screen in a 9:16
    reel, and above and below the picture is a blurred copy of it, not black bars."""
    slide = tmp_path / "slide.mp4"
    ffmpeg(
        "-f", "lavfi", "-i",
        f"color=c=gray:s=320x180:r={FPS}:d=4,drawbox=x=0:y=0:w=12:h=180:c=red:t=fill,"
        "drawbox=x=308:y=0:w=12:h=180:c=blue:t=fill",
        "-f", "lavfi", "-i", f"aevalsrc={BEEP}:s=48000:d=4",
        "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p", "-c:a", "aac",
        str(slide),
    )  # fmt: skip
    parts = [ReelPart("slide", 0.5, 3.5)]
    reel = reel_of({"slide": slide}, parts, tmp_path / "vertical.mp4", vertical=True)
    with av.open(str(reel)) as media:
        frame = next(media.decode(video=0)).to_ndarray(format="rgb24").astype(np.int16)
    height, width, _ = frame.shape
    assert (width, height) == (102, 180)  # 9:16, as tall as the source
    red, green, blue = frame[height // 2, :, 0], frame[height // 2, :, 1], frame[height // 2, :, 2]
    assert red[1] - max(green[1], blue[1]) > 80  # the left edge, in the frame
    assert blue[-2] - max(red[-2], green[-2]) > 80  # the right edge, in the frame
    above = frame[: height // 5]
    assert above.mean() > 60  # the fill: the picture blurred, not black
    assert np.abs(above[:, 1:] - above[:, :-1]).max() < 40  # and soft: no sharp edge in it
    check_reel_reads_back(reel, [ReelPart("slide", 0.5, 3.5)], None)


def test_a_reel_of_a_recording_without_picture_is_its_sound_in_sync(tmp_path: Path) -> None:
    recording = tmp_path / "recording.m4a"
    ffmpeg("-f", "lavfi", "-i", f"aevalsrc={BEEP}:s=48000:d=12", "-c:a", "aac", str(recording))
    parts = [ReelPart("rec", 1.0, 3.5), ReelPart("rec", 6.0, 8.2), ReelPart("rec", 10.5, 11.0)]

    def cut(n: int, path: Path) -> Path:
        part = parts[n]
        return cut_clip(
            recording, path, start=part.start, end=part.end, has_video=False, options=OPTIONS
        )

    reel = make_reel(parts, tmp_path / "reel.mp4", cut=cut, clips=SETTINGS.clips)
    with av.open(str(reel)) as media:
        assert not media.streams.video
        chunks = [f.to_ndarray().mean(axis=0) for f in media.decode(audio=0)]
    sound = np.concatenate(chunks)
    assert len(sound) / 48000 == pytest.approx(2.5 + 2.2 + 0.5, abs=STEP)
    # The beeps at 2 s, 3 s, 7 s and 8 s of the recording sound at 1.0, 2.0, 3.5 and 4.5 s.
    loud = np.abs(sound[: len(sound) // 240 * 240]).reshape(-1, 240).max(axis=1) > 0.2
    onsets = [i * 240 / 48000 for i in range(1, len(loud)) if loud[i] and not loud[i - 1]]
    for t in (1.0, 2.0, 3.5, 4.5):
        assert min(abs(o - t) for o in onsets) <= STEP, (t, onsets)


def test_the_read_back_refuses_a_reel_joined_as_before(
    sources: dict[str, Path], tmp_path: Path
) -> None:
    """FFmpeg's concat demuxer straight over a re-encoded part (1/12800 s) and a smart cut
    (1/90000 s), as reels were joined: the check names what is wrong."""
    from pipelines.editing.reel_check import check_reel, measure_parts

    ranges = [(29.0, 31.0), (8.5, 21.5)]  # a whole re-encode, then a smart cut
    files = [
        cut_clip(
            sources["mp4"],
            tmp_path / f"part-{n}.mp4",
            start=start,
            end=end,
            has_video=True,
            options=OPTIONS,
        )  # fmt: skip
        for n, (start, end) in enumerate(ranges)
    ]
    listing = tmp_path / "parts.txt"
    listing.write_text("ffconcat version 1.0\n" + "".join(f"file '{f}'\n" for f in files))
    joined = tmp_path / "joined.mp4"
    ffmpeg("-f", "concat", "-safe", "0", "-i", str(listing), "-c", "copy", str(joined))
    found = measure_parts(files)
    with pytest.raises(ClipError) as caught:
        check_reel(
            joined, length=sum(m.span for m in found), frames=sum(m.frames for m in found),
            frame_step=STEP, audio=True,
        )  # fmt: skip
    assert caught.value.code == "reel.broken_output"
    assert "picture" in str(caught.value)


# Parts asked for between frames, as sentences' pauses bound them: each is cut to the source's
# frames (587 in all), while the times asked for, rounded part after part, make 590.
BETWEEN_FRAMES = [(10.81, 18.64), (19.5, 24.6), (26.48, 30.6), (50.93, 57.43)]


@pytest.mark.parametrize("words", ["subtitles", "title_cards"])
@pytest.mark.parametrize("container", ["mp4", "mkv"])
def test_a_reel_with_words_lasts_as_long_as_its_cut_parts(
    sources: dict[str, Path], tmp_path: Path, container: str, words: str
) -> None:
    """A composed reel (subtitles or title cards, one FFmpeg encode) lasts as long as its parts
    were cut, not as the times asked for: a stranger's Matroska talk cut to 2 frames more than
    its parts' times rounded, and every composed reel of it was refused as 80 ms short."""
    from pipelines.editing.compose import CARD_S, PartText
    from pipelines.editing.reel_check import measure

    parts = [ReelPart(container, start, end) for start, end in BETWEEN_FRAMES]
    cuts = [
        cut_clip(
            sources[container],
            tmp_path / f"cut-{n}.mp4",
            start=p.start,
            end=p.end,
            has_video=True,
            options=OPTIONS,
        )
        for n, p in enumerate(parts)
    ]
    cut_frames = sum(measure(f).frames for f in cuts)
    cards = words == "title_cards"
    texts = [
        PartText(
            f"Part {n + 1}" if cards else None,
            () if cards else ((0.2, 1.5, f"words of part {n + 1}"),),
            duration=p.end - p.start,
        )
        for n, p in enumerate(parts)
    ]

    def cut(n: int, path: Path) -> Path:
        return cuts[n].replace(path)

    reel = make_reel(parts, tmp_path / "reel.mp4", cut=cut, clips=SETTINGS.clips, texts=texts)
    found = read_back(reel)
    length = cut_frames * STEP + (CARD_S * len(parts) if cards else 0.0)
    assert len(found.pts) == round(length / STEP)
    assert found.video_s == pytest.approx(length, abs=STEP)
    assert found.audio_s == pytest.approx(length, abs=STEP)
    assert found.sound_s == pytest.approx(length, abs=STEP)
