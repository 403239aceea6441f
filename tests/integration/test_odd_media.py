"""The files people actually have (tests/support/corpus.py): each is ingested, transcribed and
clipped correctly, or refused with a code, and never leaves anything half-written behind."""

from __future__ import annotations

import json
from pathlib import Path

import av
import numpy as np
import pytest

from pipelines.config import ALLOWED_CONTAINERS
from pipelines.library import Library
from pipelines.media.probe import probe
from pipelines.records import IngestResult
from tests.support.corpus import NOISY_SPEECH_OFFSET_S, ROOT
from tests.support.library import SILENT, TALK, OddMedia

FPS = 25


def ingest_one(library: Library, path: Path, **kwargs: object) -> IngestResult:
    [result] = list(library.local.ingest([path], **kwargs))  # type: ignore[arg-type]
    return result


def transcript_text(library: Library, video_id: str) -> str:
    return " ".join(s.text for s in library.catalog.segments(video_id)).lower()


def nothing_left(library: Library) -> bool:
    counts = library.system.table_counts()
    return counts["videos"] == 0 and not any(library.settings.layout.media_dir.iterdir())


def decoded_frames(path: Path) -> list[av.VideoFrame]:
    with av.open(str(path)) as media:
        return list(media.decode(video=0))


def gray_at(path: Path, t: float, *, rotate: bool = False) -> np.ndarray:
    """The source frame shown at time t, as displayed (rotation applied if asked)."""
    with av.open(str(path)) as media:
        for frame in media.decode(video=0):
            if abs(float(frame.pts * frame.time_base) - t) < 0.5 / FPS:
                gray = frame.to_ndarray(format="gray").astype(np.int16)
                return np.rot90(gray) if rotate else gray
    raise AssertionError(f"no frame at {t}")


def test_rotated_phone_video_clips_upright_in_every_frame(
    library: Library, odd_media: OddMedia, tmp_path: Path
) -> None:
    source = odd_media["rotated"]
    assert probe(source, allowed=ALLOWED_CONTAINERS).rotation == 90
    result = ingest_one(library, source)
    assert result.status == "indexed"
    out = library.local.clip(result.video_id, start=3.37, end=9.81, output=tmp_path / "clip.mp4")
    frames = decoded_frames(out)
    # Every frame is stored upright (240 wide, 320 high), none sideways, none flagged.
    assert {(f.width, f.height) for f in frames} == {(240, 320)}
    assert {round(f.rotation) % 360 for f in frames} == {0}
    assert abs(len(frames) / FPS - (9.81 - 3.37)) <= 1 / FPS + 1e-6
    # The first and a middle frame show the source turned the way the display matrix says.
    for index, t in ((0, 3.40), (100, 3.40 + 100 / FPS)):
        shown = frames[index].to_ndarray(format="gray").astype(np.int16)
        candidates = [gray_at(source, t + d / FPS, rotate=True) for d in (-1, 0, 1)]
        upright = min(float(np.abs(shown - c).mean()) for c in candidates)
        flipped = min(float(np.abs(shown - np.rot90(c, 2)).mean()) for c in candidates)
        assert upright < 8 and upright < flipped / 2, (index, upright, flipped)


def test_odd_sized_444_video_clips_to_even_420(
    library: Library, odd_media: OddMedia, tmp_path: Path
) -> None:
    result = ingest_one(library, odd_media["odd_sized"])
    assert result.status == "indexed"
    out = library.local.clip(result.video_id, start=3.37, end=9.81, output=tmp_path / "clip.mp4")
    with av.open(str(out)) as media:
        stream = media.streams.video[0]
        assert (stream.codec_context.width, stream.codec_context.height) == (322, 242)
        assert stream.codec_context.pix_fmt == "yuv420p"
    assert abs(len(decoded_frames(out)) / FPS - (9.81 - 3.37)) <= 1 / FPS + 1e-6


@pytest.mark.parametrize("name", ["webm_without_duration", "webm_with_duration"])
def test_browser_webm_is_ingested_with_its_measured_duration(
    library: Library, odd_media: OddMedia, tmp_path: Path, name: str
) -> None:
    source = odd_media[name]
    with av.open(str(source), format="matroska") as media:
        headerless = media.duration is None
    assert headerless == (name == "webm_without_duration")  # the fixture is what it claims
    result = ingest_one(library, source)
    assert result.status == "indexed", result
    video = library.local.get_video(result.video_id)
    assert video.duration == pytest.approx(20.0, abs=0.1)
    assert "quarterly planning meeting" in transcript_text(library, result.video_id)
    out = library.local.clip(result.video_id, start=12.0, end=19.0, output=tmp_path / "clip.mp4")
    assert abs(len(decoded_frames(out)) / FPS - 7.0) <= 1 / FPS + 1e-6


def test_id3_tag_glued_to_an_mp4_is_never_read_as_mp4(
    library: Library, odd_media: OddMedia
) -> None:
    result = ingest_one(library, odd_media["id3_prefixed"])
    assert result.status == "failed" and result.error_code == "media.corrupt"
    assert "not really mp3" in (result.message or "")
    assert nothing_left(library)


def test_default_audio_track_is_transcribed_and_others_can_be_chosen(
    library: Library, odd_media: OddMedia
) -> None:
    source = odd_media["multitrack"]
    tracks = probe(source, allowed=ALLOWED_CONTAINERS).audio_tracks
    assert [(t.title, t.default) for t in tracks] == [("Tone", False), ("Speech", True)]
    result = ingest_one(library, source)
    video = library.local.get_video(result.video_id)
    assert (video.audio_track, video.audio_tracks) == (1, 2)
    assert "quarterly planning meeting" in transcript_text(library, result.video_id)

    tone = ingest_one(library, source, force=True, audio_track=0)
    assert tone.status == "indexed" and tone.chunks == 0  # a tone has no speech
    assert library.local.get_video(result.video_id).audio_track == 0

    missing = ingest_one(library, source, force=True, audio_track=2)
    assert missing.error_code == "media.no_such_track"
    assert "Tone" in (missing.message or "") and "Speech" in (missing.message or "")


def test_two_speakers_on_two_channels_are_transcribed_apart(
    library: Library, odd_media: OddMedia
) -> None:
    result = ingest_one(library, odd_media["stereo_two_speakers"])
    segments = library.catalog.segments(result.video_id)
    by_speaker: dict[str | None, str] = {}
    for segment in segments:
        by_speaker[segment.speaker] = by_speaker.get(segment.speaker, "") + " " + segment.text
    assert set(by_speaker) == {"Left", "Right"}
    left, right = by_speaker["Left"].lower(), by_speaker["Right"].lower()
    # Each channel alone: the talk on the left, the solar update on the right (from 20 s).
    for phrase in ("quarterly planning meeting", "marketing budget", "hiring process"):
        assert phrase in left
    for phrase in ("renewable energy", "warehouse roof", "pay for itself"):
        assert phrase in right
    assert min(s.start for s in segments if s.speaker == "Right") >= 19.5
    assert [s.start for s in segments] == sorted(s.start for s in segments)
    srt = library.local.transcript(result.video_id, "srt")
    vtt = library.local.transcript(result.video_id, "vtt")
    assert "Left: Welcome to the quarterly planning meeting." in srt
    assert "<v Right>" in vtt and "<v Left>Welcome" in vtt


def test_stereo_export_of_one_voice_is_mixed_down(library: Library, odd_media: OddMedia) -> None:
    result = ingest_one(library, odd_media["stereo_same"])
    segments = library.catalog.segments(result.video_id)
    assert {s.speaker for s in segments} == {None}
    assert len(segments) == 7  # each sentence once, not once per channel


def test_truncated_video_only_file_is_refused(library: Library, odd_media: OddMedia) -> None:
    result = ingest_one(library, odd_media["truncated_video_only"])
    assert result.error_code == "media.truncated"
    assert "video stream" in (result.message or "") and "12.0 s" in (result.message or "")
    assert nothing_left(library)


def test_word_times_hold_after_quiet_narration_turns_noisy(
    library: Library, odd_media: OddMedia
) -> None:
    result = ingest_one(library, odd_media["quiet_then_noisy"])
    solar = json.loads((ROOT / "data" / "samples" / "solar-power-update.json").read_text())
    truth = [s["start"] + NOISY_SPEECH_OFFSET_S for s in solar["sentences"]]
    starts = [s.words[0].start for s in library.catalog.segments(result.video_id) if s.words]
    noisy = [t for t in starts if t > NOISY_SPEECH_OFFSET_S]
    assert len(noisy) == len(truth)
    for found, expected in zip(noisy, truth, strict=True):
        assert abs(found - expected) <= 0.3, (found, expected)


def test_a_bad_file_between_good_ones_stops_nothing(
    library: Library, odd_media: OddMedia, tmp_path: Path
) -> None:
    through_a_file = TALK / "x.mp4"
    too_long = tmp_path / ("n" * 300 + ".mp4")
    batch = [
        TALK,
        odd_media["id3_prefixed"],
        through_a_file,
        too_long,
        odd_media["truncated_video_only"],
        SILENT,
    ]
    results = list(library.local.ingest(batch))
    assert [r.error_code for r in results] == [
        None,
        "media.corrupt",
        "media.not_found",
        "media.bad_path",
        "media.truncated",
        None,
    ]
    assert [v.title for v in library.local.list_videos()] == ["talk", "silent"]
    assert len(list(library.settings.layout.media_dir.iterdir())) == 2


def test_english_only_model_in_a_folder_refuses_another_language(
    tmp_path: Path,
) -> None:
    """A folder name says nothing about the model: the loaded model is asked instead."""
    from pipelines.speech.transcribe import resolve_whisper_model
    from tests.support.library import make_settings

    folder = tmp_path / "my-whisper"
    folder.symlink_to(resolve_whisper_model("tiny.en"), target_is_directory=True)
    settings = make_settings(tmp_path / "lib", whisper_model=str(folder), whisper_language="de")
    with Library(settings) as library:
        result = ingest_one(library, TALK)
        assert result.error_code == "model.english_only"
        assert "English only" in (result.message or "")
        assert nothing_left(library)


def test_clip_check_refuses_a_clip_without_the_asked_streams(tmp_path: Path) -> None:
    from pipelines.editing.clips import check_clip
    from pipelines.errors import ClipError

    with pytest.raises(ClipError) as missing:
        check_clip(SILENT, video=True, audio=True, length=4.0)  # a video without sound
    assert missing.value.code == "clip.broken_output" and "audio" in missing.value.message
    with pytest.raises(ClipError) as short:
        check_clip(SILENT, video=True, audio=False, length=6.0)  # 4 s where 6 were asked
    assert short.value.code == "clip.broken_output" and "4.00 s long" in short.value.message
    check_clip(SILENT, video=True, audio=False, length=4.0)


def test_a_track_that_cannot_be_decoded_is_a_coded_error() -> None:
    from pipelines.errors import MediaError
    from pipelines.media.audio import decode_audio

    with pytest.raises(MediaError) as caught:
        decode_audio(SILENT, container="mp4", track=0)  # the stream is not there to decode
    assert caught.value.code == "media.undecodable"


def test_a_phone_videos_thumbnail_is_upright(odd_media: OddMedia) -> None:
    """The pixels are stored sideways (320x240) with 'rotate 90': the still stands up."""
    import io

    from pipelines.media.thumbnails import thumbnail_jpeg
    from pipelines.records import Video

    path = odd_media["rotated"]
    info = probe(path, allowed=("mp4",))
    video = Video(
        id="v", sha256="", title="phone", status="ready", duration=info.duration,
        container="mp4", media_path=str(path), has_audio=True, has_video=True,
        size_bytes=info.size_bytes, owner_id="someone",
    )  # fmt: skip
    with av.open(io.BytesIO(thumbnail_jpeg(path, video, 5.0))) as image:
        frame = next(image.decode(video=0))
    assert (frame.width, frame.height) == (320, 426)  # portrait, as the player shows it
