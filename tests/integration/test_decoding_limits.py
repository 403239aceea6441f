"""Decoding costs what a request is worth: a thumbnail decodes one keyframe whatever the second
asked, and no decoding path (thumbnails, OCR's frame sampling, clips, reels) accepts a frame
larger than ``VIDSCOPE_MAX_FRAME_PIXELS`` — also when the header promised a small picture
(files crafted with the bundled FFmpeg: tests/support/decoding.py)."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import av
import pytest

from pipelines.config import load_settings
from pipelines.editing.clips import ClipOptions, cut_clip
from pipelines.editing.compose import PartText
from pipelines.editing.reels import make_reel
from pipelines.errors import MediaError
from pipelines.media.probe import probe
from pipelines.media.thumbnails import StillCache, keyframe_still, thumbnail_jpeg
from pipelines.records import ReelPart, Video
from pipelines.vision.frames import settled_stills
from tests.support.decoding import (
    LARGE,
    ONE_KEY_S,
    SWITCH_S,
    TEST_CAP,
    growing_video,
    one_keyframe_video,
)

SETTINGS = load_settings(max_frame_pixels=TEST_CAP)
OPTIONS = ClipOptions.from_settings(SETTINGS)


@pytest.fixture(scope="module")
def growing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return growing_video(tmp_path_factory.mktemp("growing"))


@pytest.fixture(scope="module")
def one_keyframe(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return one_keyframe_video(tmp_path_factory.mktemp("one-key"))


def as_video(path: Path, video_id: str = "v") -> Video:
    info = probe(path, allowed=("mp4", "mkv"))
    return Video(
        id=video_id, sha256="", title=path.stem, status="ready", duration=info.duration,
        container=info.container, media_path=str(path), has_audio=info.has_audio,
        has_video=True, size_bytes=info.size_bytes, owner_id="someone",
    )  # fmt: skip


def assert_refused(caught: pytest.ExceptionInfo[MediaError]) -> None:
    assert caught.value.code == "media.frame_too_large"
    assert "VIDSCOPE_MAX_FRAME_PIXELS" in caught.value.message
    assert str(TEST_CAP) in caught.value.message
    assert f"{LARGE[0]}x{LARGE[1]}" in caught.value.message


# -- item 2: a thumbnail costs one decoded keyframe at any second ----------------------------------
def test_a_thumbnail_decodes_one_packet_at_any_second(one_keyframe: Path) -> None:
    for at in (0.0, ONE_KEY_S / 2, ONE_KEY_S - 1):
        still = keyframe_still(one_keyframe, "mp4", at)
        # The only keyframe is at 0: every second's still is that keyframe, decoded alone.
        assert still.time == 0.0 and still.packets_decoded == 1, at
        assert (still.frame.width, still.frame.height) == (320, 240)


def test_a_thumbnail_is_the_keyframe_at_or_before_the_second(growing: Path) -> None:
    # Keyframes every second (10 fps): the still of 1.75 s is the keyframe of 1 s.
    still = keyframe_still(growing, "mp4", 1.75)
    assert still.time == pytest.approx(1.0) and still.packets_decoded == 1


def test_the_cache_answers_a_second_request_for_the_same_keyframe(one_keyframe: Path) -> None:
    cache = StillCache(entries=4, max_bytes=1_000_000)
    video = as_video(one_keyframe)
    first = thumbnail_jpeg(one_keyframe, video, 10.0, cache=cache)
    assert len(cache) == 1
    # Another second of the same GOP is the same still: served from the cache.
    assert thumbnail_jpeg(one_keyframe, video, 250.0, cache=cache) == first
    assert len(cache) == 1 and cache.hits == 1
    with av.open(io.BytesIO(first)) as image:
        assert next(image.decode(video=0)).width == 320


# -- item 3: every decoding path refuses a frame over the cap ------------------------------------
def test_the_header_is_small_and_passes_the_header_check(growing: Path) -> None:
    info = probe(growing, allowed=("mp4",), max_frame_pixels=TEST_CAP)
    assert (info.width, info.height) == (320, 240)


@pytest.mark.parametrize("container", ["mp4", "mkv"])
def test_a_thumbnail_of_a_larger_frame_is_refused(
    container: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    path = growing_video(tmp_path_factory.mktemp(container), container=container)
    video = as_video(path)
    assert thumbnail_jpeg(path, video, 1.0, max_frame_pixels=TEST_CAP)  # a small frame: fine
    with pytest.raises(MediaError) as caught:
        thumbnail_jpeg(path, video, SWITCH_S + 0.5, max_frame_pixels=TEST_CAP)
    assert_refused(caught)


def test_ocr_frame_sampling_refuses_a_larger_frame(growing: Path) -> None:
    stills = settled_stills(
        growing, "mp4", change=0.005, min_gap_s=5.0, max_side=1280, max_frame_pixels=TEST_CAP
    )
    with pytest.raises(MediaError) as caught:
        list(stills)
    assert_refused(caught)


@pytest.mark.parametrize(
    ("start", "end", "smart"),
    [
        (0.5, SWITCH_S + 1.5, True),  # a new picture size: no smart cut, a whole re-encode
        (1.5, SWITCH_S + 2.0, True),  # ... also where whole GOPs would be copied
        (0.5, SWITCH_S + 1.5, False),  # a whole re-encode
    ],
)
def test_a_clip_over_larger_frames_is_refused(
    growing: Path, tmp_path: Path, start: float, end: float, smart: bool
) -> None:
    options = ClipOptions(preset="ultrafast", timeout_s=60, smart=smart, max_frame_pixels=TEST_CAP)
    with pytest.raises(MediaError) as caught:
        cut_clip(growing, tmp_path / "clip.mp4", start=start, end=end, has_video=True,
                 has_audio=False, options=options)  # fmt: skip
    assert_refused(caught)
    assert list(tmp_path.iterdir()) == []  # nothing written
    # The small part of the same file is cut as ever.
    cut_clip(growing, tmp_path / "ok.mp4", start=0.5, end=SWITCH_S - 0.5, has_video=True,
             has_audio=False, options=options)  # fmt: skip
    assert (tmp_path / "ok.mp4").exists()


def test_a_reel_refuses_larger_frames_in_its_cuts_and_its_parts(
    growing: Path, tmp_path: Path
) -> None:
    parts = [ReelPart("a", 0.5, SWITCH_S + 1.5), ReelPart("b", 0.2, 1.0)]

    def cut_here(n: int, path: Path) -> Path:
        part = parts[n]
        return cut_clip(growing, path, start=part.start, end=part.end, has_video=True,
                        has_audio=False, options=OPTIONS)  # fmt: skip

    with pytest.raises(MediaError) as caught:
        make_reel(parts, tmp_path / "reel.mp4", cut=cut_here, clips=SETTINGS.clips)
    assert_refused(caught)

    # Parts cut elsewhere (a client's reel is cut by the server) are decoded under the cap
    # too: by FFmpeg when joined by one encode, before moviepy when words are put on them.
    def as_is(n: int, path: Path) -> Path:
        return Path(shutil.copyfile(growing, path))

    for texts in (None, [PartText("a", ()), PartText("b", ())]):
        with pytest.raises(MediaError) as caught:
            make_reel(parts, tmp_path / "reel.mp4", cut=as_is, clips=SETTINGS.clips, texts=texts)
        assert_refused(caught)
    assert list(tmp_path.iterdir()) == []
