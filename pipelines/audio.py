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


def decode_audio(path: Path, *, container: str, track: int = 0, channels: int = 1) -> np.ndarray:
    """float32 samples at 16 kHz, shape (channels, n), of audio track ``track`` (0:a:N).
    ``channels`` is 1 (mixdown) or 2 (left, right). Raises MediaError ``media.undecodable``."""
    layout = "mono" if channels == 1 else "stereo"
    resampler = av.AudioResampler(format="fltp", layout=layout, rate=SAMPLE_RATE)
    pieces: list[np.ndarray] = []
    try:
        with open_media(path, container) as media:
            stream = media.streams.audio[track]
            for frame in media.decode(stream):
                frame.pts = None  # the resampler rebuilds timing; gaps are not ours to fill
                pieces.extend(out.to_ndarray() for out in resampler.resample(frame))
            pieces.extend(out.to_ndarray() for out in resampler.resample(None))
    except (av.FFmpegError, IndexError) as exc:
        raise MediaError(
            f"{path.name}: audio track #{track} cannot be decoded ({exc}); the file is damaged "
            "or uses a codec this build cannot read — convert it, e.g. "
            "'ffmpeg -i IN -c:a aac OUT.m4a'",
            code="media.undecodable",
            path=str(path),
        ) from exc
    if not pieces:
        return np.zeros((channels, 0), dtype=np.float32)
    return np.ascontiguousarray(np.concatenate(pieces, axis=1), dtype=np.float32)


def _envelope_db(samples: np.ndarray) -> np.ndarray:
    hop = int(SAMPLE_RATE * ENVELOPE_S)
    count = len(samples) // hop
    frames = samples[: count * hop].reshape(count, hop).astype(np.float64)
    envelope: np.ndarray = 10 * np.log10(np.mean(frames**2, axis=1) + 1e-10)
    return envelope


def speech_channels(audio: np.ndarray) -> list[SpeechChannel]:
    """One mono mix, or one channel per speaker when the two channels carry different speech
    (a call or an interview recorded with one person per channel)."""
    if audio.shape[0] == 1:
        return [SpeechChannel(audio[0])]
    left, right = audio[0], audio[1]
    mix = SpeechChannel(((left + right) / 2).astype(np.float32))
    envelopes = [_envelope_db(left), _envelope_db(right)]
    if len(envelopes[0]) < 20:
        return [mix]
    loudness = [float(np.percentile(e, 95)) for e in envelopes]
    if abs(loudness[0] - loudness[1]) > QUIET_CHANNEL_DB:
        return [mix]  # one channel is (nearly) silent: nothing to separate
    correlation = float(np.corrcoef(envelopes[0], envelopes[1])[0, 1])
    if not np.isfinite(correlation) or correlation >= SAME_SPEECH_CORRELATION:
        return [mix]
    return [SpeechChannel(left.copy(), "Left"), SpeechChannel(right.copy(), "Right")]
