"""The odd-media corpus: the kinds of files people actually have, made at test time with the
bundled FFmpeg from the committed speech (tests/data, data/samples), so nothing here needs
espeak-ng. Each maker writes one file into ``folder`` and returns its path; files are cached
per test session by the ``odd_media`` fixture."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

from pipelines.media.ffmpeg import ffmpeg_executable

ROOT = Path(__file__).resolve().parents[2]
TALK = ROOT / "tests" / "data" / "talk.mp4"  # 35.8 s, mono speech, 320x240 testsrc2, key every 2 s
SOLAR = ROOT / "data" / "samples" / "solar-power-update.mp4"  # 26.9 s, another text
HIRING = ROOT / "data" / "samples" / "hiring-kickoff.mp4"


def ffmpeg(*args: str) -> None:
    subprocess.run(
        [ffmpeg_executable(), "-nostdin", "-y", "-hide_banner", "-loglevel", "error", *args],
        check=True,
    )


def rotated(folder: Path) -> Path:
    """A phone video: the pixels are stored sideways and a display matrix says 'rotate 90'."""
    out = folder / "phone-rotated.mp4"
    ffmpeg("-display_rotation:v:0", "90", "-i", str(TALK), "-c", "copy", str(out))
    return out


def odd_sized(folder: Path) -> Path:
    """321x241 H.264 4:4:4: a size and a pixel format x264 cannot write as 4:2:0."""
    out = folder / "odd-size-444.mp4"
    ffmpeg(
        "-i", str(TALK), "-vf", "scale=321:241", "-c:v", "libx264", "-preset", "ultrafast",
        "-pix_fmt", "yuv444p", "-g", "50", "-c:a", "copy", str(out),
    )  # fmt: skip
    return out


def webm_without_duration(folder: Path) -> Path:
    """A browser (MediaRecorder) recording: VP9/Opus WebM written live, as MediaRecorder
    does, so the header has no duration and there are no cues."""
    out = folder / "browser-recording.webm"
    with out.open("wb") as sink:
        subprocess.run(
            [
                ffmpeg_executable(), "-nostdin", "-hide_banner", "-loglevel", "error",
                "-i", str(TALK), "-t", "20", "-c:v", "libvpx-vp9", "-deadline", "realtime",
                "-cpu-used", "8", "-b:v", "200k", "-c:a", "libopus", "-b:a", "32k",
                "-live", "1", "-f", "webm", "pipe:1",
            ],
            stdout=sink,
            check=True,
        )  # fmt: skip
    return out


def webm_with_duration(folder: Path) -> Path:
    out = folder / "exported.webm"
    ffmpeg(
        "-i", str(TALK), "-t", "20", "-c:v", "libvpx-vp9", "-deadline", "realtime",
        "-cpu-used", "8", "-b:v", "200k", "-c:a", "libopus", "-b:a", "32k", str(out),
    )  # fmt: skip
    return out


def id3_prefixed(folder: Path) -> Path:
    """An ID3 tag glued in front of an MP4: sniffed as MP3, and must never be demuxed as MP4."""
    out = folder / "id3-glued.mp3"
    tag = b"ID3\x03\x00\x00\x00\x00\x00\x10" + b"TIT2\x00\x00\x00\x06\x00\x00\x00hello"
    tag = tag[:10] + tag[10:].ljust(16, b"\x00")
    out.write_bytes(tag + TALK.read_bytes())
    return out


def multitrack_default_second(folder: Path) -> Path:
    """Two audio tracks: #0 a tone (music, commentary...), #1 the speech, marked default."""
    out = folder / "two-tracks.mkv"
    ffmpeg(
        "-i", str(TALK), "-f", "lavfi", "-i", "sine=frequency=440:duration=35.8:sample_rate=22050",
        "-map", "0:v", "-map", "1:a", "-map", "0:a", "-c:v", "copy", "-c:a", "libopus",
        "-disposition:a:0", "0", "-disposition:a:1", "default",
        "-metadata:s:a:0", "title=Tone", "-metadata:s:a:1", "title=Speech", str(out),
    )  # fmt: skip
    return out


def stereo_two_speakers(folder: Path) -> Path:
    """A call recording: one speaker on the left channel, another on the right, taking turns
    with some overlap (the right starts 20 s in)."""
    out = folder / "call-two-channels.m4a"
    ffmpeg(
        "-i", str(TALK), "-i", str(SOLAR), "-filter_complex",
        "[0:a]aresample=22050,aformat=channel_layouts=mono,apad=whole_dur=47.5[l];"
        "[1:a]aresample=22050,aformat=channel_layouts=mono,adelay=20000,apad=whole_dur=47.5[r];"
        "[l][r]amerge=inputs=2[a]",
        "-map", "[a]", "-c:a", "aac", "-b:a", "96k", str(out),
    )  # fmt: skip
    return out


def stereo_same_speech(folder: Path) -> Path:
    """An ordinary stereo export: both channels carry the same (mono) speech."""
    out = folder / "stereo-same.m4a"
    ffmpeg("-i", str(TALK), "-vn", "-ac", "2", "-c:a", "aac", "-b:a", "96k", str(out))
    return out


def truncated_video_only(folder: Path) -> Path:
    """A 'faststart' video-only MP4 (index in front) cut off at 40 %: the header promises 12 s."""
    full = folder / "video-only-full.mp4"
    ffmpeg(
        "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration=12", "-c:v", "libx264",
        "-preset", "ultrafast", "-g", "50", "-pix_fmt", "yuv420p", "-movflags", "+faststart",
        str(full),
    )  # fmt: skip
    out = folder / "video-only-truncated.mp4"
    data = full.read_bytes()
    out.write_bytes(data[: int(len(data) * 0.4)])
    full.unlink()
    return out


def quiet_then_noisy(folder: Path) -> Path:
    """Narration in a quiet room (the talk's first 10 s), then a noisy room: 3 s of steady
    background noise alone, then another speaker over it (the solar sample from 13 s)."""
    out = folder / "quiet-then-noisy.m4a"
    ffmpeg(
        "-i", str(TALK), "-i", str(SOLAR), "-f", "lavfi", "-i",
        "anoisesrc=color=pink:amplitude=0.03:sample_rate=22050:duration=30:seed=3",
        "-filter_complex",
        "[0:a]aresample=22050,atrim=0:10,asetpts=N/SR/TB[q];"
        "[1:a]aresample=22050,adelay=3000[s];[s][2:a]amix=inputs=2:normalize=0:duration=longest[n];"
        "[q][n]concat=n=2:v=0:a=1[a]",
        "-map", "[a]", "-ac", "1", "-c:a", "aac", "-b:a", "96k", str(out),
    )  # fmt: skip
    return out


NOISY_SPEECH_OFFSET_S = 13.0  # where the solar sample's timeline starts in quiet_then_noisy


MAKERS: dict[str, Callable[[Path], Path]] = {
    "rotated": rotated,
    "odd_sized": odd_sized,
    "webm_without_duration": webm_without_duration,
    "webm_with_duration": webm_with_duration,
    "id3_prefixed": id3_prefixed,
    "multitrack": multitrack_default_second,
    "stereo_two_speakers": stereo_two_speakers,
    "stereo_same": stereo_same_speech,
    "truncated_video_only": truncated_video_only,
    "quiet_then_noisy": quiet_then_noisy,
}
