"""Clips are checked frame by frame with PyAV against the source (testsrc2: every frame differs)."""

from __future__ import annotations

import subprocess
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from pipelines.config import load_settings
from pipelines.editing.clips import ClipOptions, check_clip, cut_clip
from pipelines.editing.smart_cut import plan_smart_cut
from pipelines.errors import ClipError, NotFoundError
from pipelines.library import Library
from pipelines.media.ffmpeg import ffmpeg_executable
from tests.support.library import TALK

OPTIONS = ClipOptions.from_settings(load_settings())

FPS = 25
FRAME = 1 / FPS


def source_frames(times: list[float]) -> list[np.ndarray]:
    wanted = {round(t * FPS) for t in times}
    found: dict[int, np.ndarray] = {}
    with av.open(str(TALK)) as media:
        for frame in media.decode(video=0):
            index = round(float(frame.pts * frame.time_base) * FPS)
            if index in wanted:
                found[index] = frame.to_ndarray(format="gray").astype(np.int16)
            if len(found) == len(wanted):
                break
    return [found[round(t * FPS)] for t in times]


def clip_facts(path: Path) -> dict[str, object]:
    with av.open(str(path)) as media:
        video = media.streams.video[0]
        audio = media.streams.audio[0]
        frames = list(media.decode(video=0))
        return {
            "first": frames[0].to_ndarray(format="gray").astype(np.int16),
            "first_pts": float(frames[0].pts * frames[0].time_base),
            "frames": len(frames),
            "video_start": float(video.start_time * video.time_base),
            "audio_start": float(audio.start_time * audio.time_base),
            "audio_duration": float(Fraction(audio.duration) * audio.time_base),
        }


@pytest.mark.parametrize(("start", "end"), [(3.37, 9.81), (12.0, 13.0)])
def test_clip_is_frame_accurate_and_in_sync(
    talk_library: Library, tmp_path: Path, start: float, end: float
) -> None:
    video_id = talk_library.local.list_videos()[0].id
    out = talk_library.local.clip(video_id, start=start, end=end, output=tmp_path / "clip.mp4")
    facts = clip_facts(out)
    # First frame: the source frame at `start`, give or take one frame.
    candidates = [start - 2 * FRAME, start - FRAME, start, start + FRAME, start + 2 * FRAME]
    diffs = [
        float(np.abs(facts["first"] - f).mean())  # type: ignore[operator]
        for f in source_frames(candidates)
    ]
    assert int(np.argmin(diffs)) in (1, 2, 3), diffs
    assert facts["first_pts"] == pytest.approx(0, abs=FRAME)
    # Duration: within one frame of end - start.
    assert abs(facts["frames"] * FRAME - (end - start)) <= FRAME + 1e-6  # type: ignore[operator]
    # Audio starts with the video and lasts as long (AAC frames are 21 ms at 48 kHz).
    assert abs(facts["audio_start"] - facts["video_start"]) <= FRAME  # type: ignore[operator]
    assert abs(facts["audio_duration"] - (end - start)) <= 2 * FRAME  # type: ignore[operator]


def test_clip_by_query_snaps_to_the_hit(talk_library: Library, tmp_path: Path) -> None:
    hit, out = talk_library.local.clip_query("solar panels on the roof", output=tmp_path / "q.mp4")
    with av.open(str(out)) as media:
        duration = float(media.duration / av.time_base)  # type: ignore[operator]
    pad = talk_library.settings.clip_padding_s
    assert duration == pytest.approx(hit.end - hit.start + 2 * pad, abs=2 * FRAME)


def test_clip_writes_nothing_on_bad_requests(talk_library: Library, tmp_path: Path) -> None:
    video_id = talk_library.local.list_videos()[0].id
    cases = [
        (dict(start=5, end=4, output=tmp_path / "a.mp4"), "clip.bad_range"),
        (dict(start=100, end=120, output=tmp_path / "b.mp4"), "clip.out_of_range"),
        (dict(start=1, end=2, output=tmp_path / "c.gif"), "clip.bad_output"),
    ]
    for kwargs, code in cases:
        with pytest.raises(ClipError) as caught:
            talk_library.local.clip(video_id, **kwargs)  # type: ignore[arg-type]
        assert caught.value.code == code
    with pytest.raises(NotFoundError):
        talk_library.local.clip("nope", start=0, end=1, output=tmp_path / "d.mp4")
    assert list(tmp_path.iterdir()) == []


def test_audio_only_clip(talk_library: Library, tmp_path: Path) -> None:
    video_id = talk_library.local.list_videos()[0].id
    out = talk_library.local.clip(video_id, start=1, end=3, output=tmp_path / "speech.m4a")
    with av.open(str(out)) as media:
        assert not media.streams.video and media.streams.audio


def decoded(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as media:
        return [f.to_ndarray(format="gray").astype(np.int16) for f in media.decode(video=0)]


# MP4 lists every keyframe, so the tail's encode seeks straight to its keyframe; Matroska
# may index fewer, so there it decodes from a seek before and drops: both must be exact.
@pytest.mark.parametrize("container", ["mp4", "mkv"])
def test_smart_cut_copies_whole_gops_and_every_frame_is_the_right_one(
    tmp_path: Path, container: str
) -> None:
    talk = TALK
    if container != "mp4":
        talk = tmp_path / f"talk.{container}"
        subprocess.run(
            [ffmpeg_executable(), "-nostdin", "-loglevel", "error", "-i", str(TALK),
             "-c", "copy", str(talk)],
            check=True,
        )  # fmt: skip
    plan = plan_smart_cut(talk, 3.37, 9.81)  # the talk has a keyframe every 2 s
    assert plan is not None and plan.container == container
    assert (plan.first_frame, plan.first_key, plan.last_key) == (3.4, 4.0, 8.0)
    out = cut_clip(
        talk, tmp_path / "smart.mp4", start=3.37, end=9.81, has_video=True, options=OPTIONS
    )
    source, clip = decoded(TALK), decoded(out)
    first = round(plan.first_frame * FPS)
    assert len(clip) == round((plan.end_frame - plan.first_frame) * FPS)
    for i, frame in enumerate(clip):  # across both joins, each frame is its source frame
        same = np.abs(frame - source[first + i]).mean()
        assert same < np.abs(frame - source[first + i + 1]).mean()
        assert same < np.abs(frame - source[first + i - 1]).mean()


def test_a_joined_clip_short_of_frames_is_refused(tmp_path: Path) -> None:
    """The join's explicit part durations make a clip that lost frames claim its full length
    (a GOP lost from an MKV source read as 6.44 s with 111 of 161 frames): the frames are
    counted against what the parts were made of."""
    out = cut_clip(
        TALK, tmp_path / "smart.mp4", start=3.37, end=9.81, has_video=True, options=OPTIONS
    )
    length = 9.81 - 3.37
    check_clip(out, video=True, audio=True, length=length, frames=161)  # 3.40-9.84 s, 25 fps
    with pytest.raises(ClipError) as raised:
        check_clip(out, video=True, audio=True, length=length, frames=161 + 50)
    assert raised.value.code == "clip.broken_output" and "161 frames instead of 211" in str(
        raised.value
    )


def test_range_inside_one_gop_is_re_encoded() -> None:
    assert plan_smart_cut(TALK, 12.1, 13.5) is None


def make_source(path: Path, *, rate: str, extra: list[str]) -> Path:
    from pipelines.media.ffmpeg import run_ffmpeg

    run_ffmpeg(
        [
            "-f",
            "lavfi",
            "-i",
            f"testsrc2=size=160x120:rate={rate}:duration=6",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-bf",
            "3",
            "-g",
            "30",
            *extra,
            "-pix_fmt",
            "yuv420p",
            str(path),
        ],
        timeout_s=60,
    )
    return path


def assert_every_frame_matches(source: Path, clip: Path, first_index: int) -> None:
    original, cut = decoded(source), decoded(clip)
    for i, frame in enumerate(cut):
        same = np.abs(frame - original[first_index + i]).mean()
        assert same < np.abs(frame - original[first_index + i + 1]).mean()
        assert same < np.abs(frame - original[first_index + i - 1]).mean()


def test_smart_cut_on_ntsc_frame_rate(tmp_path: Path) -> None:
    source = make_source(tmp_path / "ntsc.mp4", rate="30000/1001", extra=[])
    start, end = 0.55, 4.2
    plan = plan_smart_cut(source, start, end)
    assert plan is not None and plan.head_frames > 0
    clip = cut_clip(
        source,
        tmp_path / "clip.mp4",
        start=start,
        end=end,
        has_video=True,
        has_audio=False,
        options=OPTIONS,
    )
    assert (
        len(decoded(clip))
        == plan.head_frames
        + round((plan.last_key - plan.first_key) * 30000 / 1001)
        + plan.tail_frames
    )
    assert_every_frame_matches(source, clip, round(plan.first_frame * 30000 / 1001))


def test_open_gop_source_is_re_encoded_and_still_exact(tmp_path: Path) -> None:
    source = make_source(
        tmp_path / "open.mp4", rate="25", extra=["-x264-params", "open-gop=1:scenecut=0"]
    )
    assert plan_smart_cut(source, 0.5, 4.5) is None
    clip = cut_clip(
        source,
        tmp_path / "clip.mp4",
        start=0.5,
        end=4.5,
        has_video=True,
        has_audio=False,
        options=OPTIONS,
    )
    # Frames 0.52 s .. 4.48 s are 100; the re-encode path keeps length within one frame
    # (ffmpeg rounds the first frame's offset onto the output time base).
    assert abs(len(decoded(clip)) - 100) <= 1
    assert_every_frame_matches(source, clip, 13)


def test_ogg_with_video_keeps_its_picture_in_clips(library: Library, tmp_path: Path) -> None:
    from pipelines.media.ffmpeg import run_ffmpeg

    ogg = tmp_path / "lecture.ogg"  # Theora video + Vorbis audio in Ogg
    run_ffmpeg(
        [
            "-i",
            str(TALK),
            "-t",
            "8",
            "-c:v",
            "libtheora",
            "-q:v",
            "5",
            "-c:a",
            "libvorbis",
            str(ogg),
        ],
        timeout_s=120,
    )
    [result] = list(library.local.ingest([ogg]))
    assert library.local.get_video(result.video_id).has_video
    out = library.local.clip(result.video_id, start=1.0, end=3.0, output=tmp_path / "cut.mp4")
    with av.open(str(out)) as media:
        assert media.streams.video and media.streams.audio


def test_sound_with_short_packets_is_copied_in_sync(tmp_path: Path) -> None:
    """48 kHz AAC packets last 21 ms, under a 25 fps frame: the smart cut copies them instead
    of re-encoding; the clip's sound must be the source's sound from the first frame on."""
    from pipelines.media.audio import decode_audio
    from pipelines.media.ffmpeg import run_ffmpeg

    source = tmp_path / "talk-48k.mp4"
    run_ffmpeg(
        ["-i", str(TALK), "-c:v", "copy", "-c:a", "aac", "-ar", "48000", str(source)],
        timeout_s=60,
    )
    plan = plan_smart_cut(source, 3.37, 9.81)
    assert plan is not None
    out = cut_clip(
        source, tmp_path / "clip.mp4", start=3.37, end=9.81, has_video=True, options=OPTIONS
    )
    with av.open(str(source)) as original, av.open(str(out)) as clip:
        packets = [p for p in clip.demux(audio=0) if p.size]
        copied = {bytes(p) for p in original.demux(audio=0) if p.size}
        assert packets and all(bytes(p) in copied for p in packets)  # untouched packets
    facts = clip_facts(out)
    assert abs(facts["audio_start"] - facts["video_start"]) <= FRAME  # type: ignore[operator]
    assert abs(facts["audio_duration"] - (plan.end_frame - plan.first_frame)) <= FRAME  # type: ignore[operator]
    # The sound lines up with the source's sound at the first frame's time (within 20 ms).
    rate = 16_000
    heard = decode_audio(out, container="mp4")[0][rate // 10 : rate * 3]  # skip codec warm-up
    reference = decode_audio(source, container="mp4")[0]
    first = int((plan.first_frame + 0.1) * rate)
    lags = range(-rate // 10, rate // 10)
    score = [
        float(np.dot(heard, reference[first + lag : first + lag + len(heard)])) for lag in lags
    ]
    assert abs(lags[int(np.argmax(score))]) <= 0.02 * rate
