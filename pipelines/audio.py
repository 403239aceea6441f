"""Decoding the sound to transcribe, and deciding who speaks on which channel.

Decoding reopens the file with the demuxer its checks used (``media.open_media``), never
FFmpeg's guess, and turns every decode failure into a coded ``MediaError``: a file that
passed the checks cannot be read as something else, and cannot stop a batch."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

from pipelines.errors import MediaError
from pipelines.media import open_media

SAMPLE_RATE = 16_000
# Channels whose loudness rises and falls together carry the same speech (a stereo export of
# one voice, a room recorded by two microphones): envelope correlation 0.9+ on such files.
# A call recorded with one party per channel takes turns: correlation near or below zero.
SAME_SPEECH_CORRELATION = 0.6
ENVELOPE_S = 0.05
QUIET_CHANNEL_DB = 30.0  # a channel this far below the other carries no speech of its own


@dataclass(frozen=True)
class SpeechChannel:
    """Mono 16 kHz samples to transcribe; ``speaker`` names the channel when the recording
    puts one speaker on each, else None."""

    samples: np.ndarray
    speaker: str | None = None


class _Samples:
    """Decoded samples written into one preallocated (channels, n) array as they arrive, so
    the track is held once (pieces joined at the end held it twice); grows by half when a
    file runs longer than its header said."""

    def __init__(self, channels: int, expected: int) -> None:
        self.buffer = np.empty((channels, max(expected, SAMPLE_RATE)), dtype=np.float32)
        self.filled = 0

    def add(self, block: np.ndarray) -> None:
        count = block.shape[1]
        if self.filled + count > self.buffer.shape[1]:
            size = max(self.filled + count, self.buffer.shape[1] * 3 // 2)
            grown = np.empty((self.buffer.shape[0], size), dtype=np.float32)
            grown[:, : self.filled] = self.buffer[:, : self.filled]
            self.buffer = grown
        self.buffer[:, self.filled : self.filled + count] = block
        self.filled += count

    def result(self) -> np.ndarray:
        """The samples (a view: each channel's row is contiguous)."""
        return self.buffer[:, : self.filled]


def decode_audio(
    path: Path,
    *,
    container: str,
    track: int = 0,
    channels: int = 1,
    expected_s: float = 0.0,
) -> np.ndarray:
    """float32 samples at 16 kHz, shape (channels, n), of audio track ``track`` (0:a:N).
    ``channels`` is 1 (mixdown) or 2 (left, right); ``expected_s`` (the probed duration)
    sizes the buffer up front. Raises MediaError ``media.undecodable``."""
    layout = "mono" if channels == 1 else "stereo"
    resampler = av.AudioResampler(format="fltp", layout=layout, rate=SAMPLE_RATE)
    samples = _Samples(channels, int(expected_s * SAMPLE_RATE) + SAMPLE_RATE)
    try:
        with open_media(path, container) as media:
            stream = media.streams.audio[track]
            for frame in media.decode(stream):
                frame.pts = None  # the resampler rebuilds timing; gaps are not ours to fill
                for out in resampler.resample(frame):
                    samples.add(out.to_ndarray())
            for out in resampler.resample(None):
                samples.add(out.to_ndarray())
    except (av.FFmpegError, IndexError) as exc:
        raise MediaError(
            f"{path.name}: audio track #{track} cannot be decoded ({exc}); the file is damaged "
            "or uses a codec this build cannot read — convert it, e.g. "
            "'ffmpeg -i IN -c:a aac OUT.m4a'",
            code="media.undecodable",
            path=str(path),
        ) from exc
    return samples.result()


def _envelope_db(samples: np.ndarray) -> np.ndarray:
    """Loudness every ENVELOPE_S seconds, computed a minute at a time (squaring a whole
    float64 copy of a long track would cost eight times its size)."""
    hop = int(SAMPLE_RATE * ENVELOPE_S)
    count = len(samples) // hop
    frames = samples[: count * hop].reshape(count, hop)
    per_block = int(60 / ENVELOPE_S)
    envelope = np.empty(count, dtype=np.float64)
    for start in range(0, count, per_block):
        block = frames[start : start + per_block].astype(np.float64)
        envelope[start : start + per_block] = 10 * np.log10(np.mean(block**2, axis=1) + 1e-10)
    return envelope


def speech_channels(audio: np.ndarray) -> list[SpeechChannel]:
    """One mono mix, or one channel per speaker when the two channels carry different speech
    (a call or an interview recorded with one person per channel). The channels are views of
    ``audio``, and a mix is made in place of its left channel: no copy of the track is made
    (a four-hour stereo track is 1.8 GB as float32)."""
    if audio.shape[0] == 1:
        return [SpeechChannel(audio[0])]
    left, right = audio[0], audio[1]
    if _separate_speakers(left, right):
        return [SpeechChannel(left, "Left"), SpeechChannel(right, "Right")]
    np.add(left, right, out=left)
    left *= 0.5
    return [SpeechChannel(left)]


def _separate_speakers(left: np.ndarray, right: np.ndarray) -> bool:
    envelopes = [_envelope_db(left), _envelope_db(right)]
    if len(envelopes[0]) < 20:
        return False
    loudness = [float(np.percentile(e, 95)) for e in envelopes]
    if abs(loudness[0] - loudness[1]) > QUIET_CHANNEL_DB:
        return False  # one channel is (nearly) silent: nothing to separate
    with np.errstate(invalid="ignore", divide="ignore"):  # a silent channel has no spread
        correlation = float(np.corrcoef(envelopes[0], envelopes[1])[0, 1])
    return bool(np.isfinite(correlation) and correlation < SAME_SPEECH_CORRELATION)
