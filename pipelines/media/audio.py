"""Decoding the sound to transcribe, and deciding who speaks on which channel.

Decoding reopens the file with the demuxer its checks used (``media.open_media``), never
FFmpeg's guess, and turns every decode failure into a coded ``MediaError``: a file that
passed the checks cannot be read as something else, and cannot stop a batch."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

from pipelines.errors import MediaError
from pipelines.media.probe import open_media

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
    samples = _Samples(channels, int(expected_s * SAMPLE_RATE) + SAMPLE_RATE)
    for block in stream_audio(path, container=container, track=track, channels=channels):
        samples.add(block)
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
    return different_speakers(_envelope_db(left), _envelope_db(right))


def different_speakers(left_db: np.ndarray, right_db: np.ndarray) -> bool:
    """Whether two channels' loudness envelopes (ENVELOPE_S apart) take turns, as a call
    recorded with one person per channel does, rather than carrying the same speech."""
    envelopes = [left_db, right_db]
    if len(envelopes[0]) < 20:
        return False
    loudness = [float(np.percentile(e, 95)) for e in envelopes]
    if abs(loudness[0] - loudness[1]) > QUIET_CHANNEL_DB:
        return False  # one channel is (nearly) silent: nothing to separate
    with np.errstate(invalid="ignore", divide="ignore"):  # a silent channel has no spread
        correlation = float(np.corrcoef(envelopes[0], envelopes[1])[0, 1])
    return bool(np.isfinite(correlation) and correlation < SAME_SPEECH_CORRELATION)


# -- long recordings, a window at a time ---------------------------------------------------------
# A recording longer than a window is never held whole: it is read twice as a stream, once to
# check it decodes to its end and (stereo) to tell one speaker per channel from one mix, then
# a window at a time for the transcriber, each window cut at its quietest 100 ms near the
# window's length (a pause, not the middle of a word).
CUT_REACH_S = 10.0
CUT_HOP = SAMPLE_RATE // 10


def stream_audio(
    path: Path, *, container: str, track: int = 0, channels: int = 1
) -> Iterator[np.ndarray]:
    """float32 blocks of shape (channels, n) at 16 kHz, as they are decoded. Raises
    MediaError ``media.undecodable``."""
    layout = "mono" if channels == 1 else "stereo"
    resampler = av.AudioResampler(format="fltp", layout=layout, rate=SAMPLE_RATE)
    try:
        with open_media(path, container) as media:
            stream = media.streams.audio[track]
            for frame in media.decode(stream):
                frame.pts = None  # the resampler rebuilds timing; gaps are not ours to fill
                for out in resampler.resample(frame):
                    yield out.to_ndarray()
            for out in resampler.resample(None):
                yield out.to_ndarray()
    except (av.FFmpegError, IndexError) as exc:
        raise MediaError(
            f"{path.name}: audio track #{track} cannot be decoded ({exc}); the file is damaged "
            "or uses a codec this build cannot read — convert it, e.g. "
            "'ffmpeg -i IN -c:a aac OUT.m4a'",
            code="media.undecodable",
            path=str(path),
        ) from exc


@dataclass(frozen=True)
class TrackSurvey:
    decoded_s: float
    separate_speakers: bool  # two channels, one speaker on each


def survey_track(path: Path, *, container: str, track: int, channels: int) -> TrackSurvey:
    """One streamed pass over a track: how much of it decodes and, for two channels, whether
    each carries a speaker of its own. Holds only the loudness envelopes (20 values a second)."""
    hop = int(SAMPLE_RATE * ENVELOPE_S)
    envelopes: list[list[np.ndarray]] = [[] for _ in range(channels)]
    rest = np.empty((channels, 0), dtype=np.float32)
    total = 0
    for block in stream_audio(path, container=container, track=track, channels=channels):
        total += block.shape[1]
        if channels == 1:
            continue
        joined = np.concatenate([rest, block], axis=1)
        whole = joined.shape[1] // hop * hop
        for number in range(channels):
            envelopes[number].append(_envelope_db(joined[number, :whole]))
        rest = joined[:, whole:]
    separate = channels == 2 and different_speakers(
        np.concatenate(envelopes[0] or [np.empty(0)]), np.concatenate(envelopes[1] or [np.empty(0)])
    )
    return TrackSurvey(total / SAMPLE_RATE, separate)


def speech_windows(
    path: Path,
    *,
    container: str,
    track: int,
    channels: int,
    pick: int | None,
    window_s: float,
) -> Iterator[tuple[float, np.ndarray]]:
    """(start in seconds, mono samples) of one window after another: channel ``pick`` of the
    track, or (None) the mix of its channels. Each window ends at the quietest 100 ms within
    CUT_REACH_S of ``window_s``; the last holds what is left. At most a window and its reach
    are held at a time."""
    window = int(window_s * SAMPLE_RATE)
    reach = min(int(CUT_REACH_S * SAMPLE_RATE), window // 2)
    buffer = np.empty(window + reach + SAMPLE_RATE, dtype=np.float32)
    filled, start = 0, 0
    for block in stream_audio(path, container=container, track=track, channels=channels):
        mono = block[pick] if pick is not None else block.mean(axis=0, dtype=np.float32)
        if filled + len(mono) > len(buffer):
            buffer = np.resize(buffer, filled + len(mono))  # an unusually long decoded block
        buffer[filled : filled + len(mono)] = mono
        filled += len(mono)
        if filled >= window + reach:
            cut = quietest_moment(buffer, window - reach, window + reach)
            cut = window if cut is None else cut
            yield start / SAMPLE_RATE, buffer[:cut].copy()
            buffer[: filled - cut] = buffer[cut:filled]
            filled -= cut
            start += cut
    if filled:
        yield start / SAMPLE_RATE, buffer[:filled].copy()


def quietest_moment(audio: np.ndarray, low: int, high: int) -> int | None:
    """The middle of the quietest 100 ms of ``audio[low:high]``, as an offset into ``audio``;
    None when that span is shorter than 100 ms. Recordings are cut there: in a pause, not
    in the middle of a word (windows here, the decoders' pieces in ``transcribe``)."""
    window = audio[low:high]
    count = len(window) // CUT_HOP
    if count == 0:
        return None
    energy = np.mean(window[: count * CUT_HOP].reshape(count, CUT_HOP) ** 2, axis=1)
    return low + int(np.argmin(energy)) * CUT_HOP + CUT_HOP // 2
