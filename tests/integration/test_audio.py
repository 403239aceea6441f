"""Decoding holds a track once: samples land in one preallocated array (grown when a header
under-states the length), and a stereo mix is made in place, not beside the channels."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from pipelines.config import LimitsSettings
from pipelines.errors import MediaError
from pipelines.ingest import check_file
from pipelines.media.audio import (
    SAMPLE_RATE,
    decode_audio,
    speech_channels,
    speech_windows,
    survey_track,
)
from tests.support.corpus import ffmpeg
from tests.support.library import TALK, OddMedia, make_settings


def test_a_short_header_grows_the_buffer_without_losing_samples() -> None:
    sized = decode_audio(TALK, container="mp4", expected_s=36.0)
    grown = decode_audio(TALK, container="mp4", expected_s=0.0)  # starts at one second
    assert sized.shape == grown.shape and sized.shape[1] > 35 * SAMPLE_RATE
    assert np.array_equal(sized, grown)


def test_a_stereo_mix_is_made_in_place(tmp_path: Path) -> None:
    stereo = tmp_path / "stereo.wav"
    # The same voice on both channels, the right one quieter: one speaker, one mix.
    ffmpeg("-i", str(TALK), "-af", "pan=stereo|c0=c0|c1=0.5*c0", "-vn", str(stereo))
    audio = decode_audio(stereo, container="wav", channels=2)
    expected = (audio[0] + audio[1]) / 2
    [mix] = speech_channels(audio)
    assert mix.speaker is None
    assert np.shares_memory(mix.samples, audio)  # no second copy of the track
    assert np.allclose(mix.samples, expected, atol=1e-6)


def test_a_picture_over_the_pixel_limit_is_refused(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "library", max_frame_pixels=320 * 240 - 1)
    limits: LimitsSettings = settings.limits
    with pytest.raises(MediaError) as refused:
        check_file(TALK, limits=limits)  # 320x240
    assert refused.value.code == "media.frame_too_large"
    assert "VIDSCOPE_MAX_FRAME_PIXELS" in refused.value.message


def test_windows_cover_the_track_end_to_end_cut_in_pauses() -> None:
    whole = decode_audio(TALK, container="mp4")[0]
    windows = list(
        speech_windows(TALK, container="mp4", track=0, channels=1, pick=0, window_s=12.0)
    )
    assert len(windows) == 3
    position = 0
    for start_s, samples in windows:
        assert start_s == position / SAMPLE_RATE  # each starts where the last ended
        assert np.array_equal(samples, whole[position : position + len(samples)])
        position += len(samples)
    assert position == len(whole)
    for _, samples in windows[:-1]:
        assert 6 * SAMPLE_RATE <= len(samples) <= 18 * SAMPLE_RATE  # within reach of 12 s
        tail = samples[-SAMPLE_RATE // 20 :]
        assert float(np.sqrt(np.mean(tail**2))) < 0.01  # the cut falls in a pause


def test_a_survey_tells_two_speakers_from_one_mix(odd_media: OddMedia) -> None:
    for name, separate in (("stereo_two_speakers", True), ("stereo_same", False)):
        path = odd_media[name]
        survey = survey_track(path, container=path.suffix.lstrip("."), track=0, channels=2)
        assert survey.separate_speakers is separate, name
        assert survey.decoded_s > 5
