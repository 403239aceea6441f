"""Generates the committed media: test fixtures (tests/data) and demo samples (data/samples).

Speech is espeak-ng (needed only to regenerate; `make fixtures` installs it), video is FFmpeg's
testsrc2 pattern (every frame differs, which the frame-accuracy tests rely on), muxed by the
ffmpeg binary from imageio-ffmpeg. Each talk gets a JSON manifest with the exact start and end
of every sentence, measured from the generated audio. Run: `make fixtures`."""

from __future__ import annotations

import json
import subprocess
import tempfile
import wave
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from pipelines.media.ffmpeg import ffmpeg_executable

ROOT = Path(__file__).resolve().parents[1]
RATE = 22_050  # espeak-ng's native rate
GAP_S = 0.8

TALK = (
    "Welcome to the quarterly planning meeting.",
    "First, the solar panels on the warehouse roof now produce forty kilowatts of power.",
    "That covers most of our electricity during the summer months.",
    "Second, the marketing budget will grow by ten percent next year.",
    "We plan to spend it on video advertising and trade shows.",
    "Finally, the new hiring process starts in March.",
    "Candidates will complete a short coding exercise before the interview.",
)

SAMPLES = {
    "solar-power-update": (
        "Here is the update on our renewable energy project.",
        "The solar panels on the warehouse roof now produce forty kilowatts at midday.",
        "On sunny days that covers all of the lighting and the cooling for the building.",
        "Next quarter we will add batteries, so the stored energy can run the night shift.",
        "The installation should pay for itself in about six years.",
    ),
    "hiring-kickoff": (
        "Welcome to the hiring kickoff for the data platform team.",
        "We are looking for two backend engineers and one site reliability engineer.",
        "Every candidate gets a short take home exercise instead of a whiteboard puzzle.",
        "Interviews happen on Tuesdays and Thursdays, and we reply within one week.",
        "Please send referrals to the recruiting channel before the end of the month.",
    ),
}


# The benchmark talks' speakers: accents, female and male variants, different speeds. One
# voice hid a WER regression that several voices showed (issue: real-world media and voices).
VOICES = (
    ("en-us+m3", 150),
    ("en-gb+f3", 165),
    ("en-gb-x-rp+m1", 140),
    ("en-us+f2", 175),
    ("en-gb-scotland+m4", 150),
    ("en-029+f4", 160),
    ("en-us-nyc+m2", 145),
    ("en-gb-x-gbcwmd+f1", 155),
)


def speak(text: str, out: Path, voice: str = "en-us", speed: int = 150) -> np.ndarray:
    """``text`` spoken into the WAV ``out``: an espeak-ng voice at ``speed`` words a minute, or
    another engine's ("flite:slt", speed in % of its pace; ``evals.tts``)."""
    if ":" in voice:
        from evals.tts import speak_other

        return speak_other(text, out, voice, speed)
    subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(out), text], check=True)
    with wave.open(str(out)) as handle:
        assert handle.getframerate() == RATE, handle.getframerate()
        return np.frombuffer(handle.readframes(handle.getnframes()), dtype=np.int16)


def voiced_span(samples: np.ndarray) -> tuple[int, int]:
    """First and last sample above the noise floor: espeak pads each utterance with silence."""
    loud = np.flatnonzero(np.abs(samples.astype(np.int32)) > 300)
    return (int(loud[0]), int(loud[-1])) if len(loud) else (0, len(samples))


def speak_script(
    lines: Sequence[tuple[str, str, int, dict[str, object]]], wav: Path
) -> tuple[list[dict[str, object]], float]:
    """Speaks each (text, voice, speed, extra manifest fields) in turn — 0.5 s of silence
    first, ``GAP_S`` after each — into the mono WAV ``wav``; returns each sentence's manifest
    entry (text, measured start and end, the extras) and the duration."""
    pieces, manifest, cursor = [], [], int(0.5 * RATE)
    pieces.append(np.zeros(cursor, dtype=np.int16))
    for i, (text, voice, speed, extra) in enumerate(lines):
        samples = speak(text, wav.with_name(f"{i}.wav"), voice, speed)
        first, last = voiced_span(samples)
        manifest.append(
            {
                "text": text,
                "start": round((cursor + first) / RATE, 3),
                "end": round((cursor + last) / RATE, 3),
                **extra,
            }
        )
        gap = np.zeros(int(GAP_S * RATE), dtype=np.int16)
        pieces += [samples, gap]
        cursor += len(samples) + len(gap)
    audio = np.concatenate(pieces)
    with wave.open(str(wav), "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(RATE)
        handle.writeframes(audio.tobytes())
    return manifest, len(audio) / RATE


def make_talk(
    sentences: Sequence[str],
    out: Path,
    *,
    size: str = "320x240",
    with_audio: bool = True,
    voices: Sequence[tuple[str, int]] = (("en-us", 150),),
) -> dict[str, object]:
    """A talk video; ``voices`` take turns, each speaking a run of two to four sentences."""
    turns = np.random.default_rng(11).integers(2, 5, size=len(sentences))
    speaker_of, speaker, left = [], 0, int(turns[0])
    for i in range(len(sentences)):
        if left == 0:
            speaker, left = (speaker + 1) % len(voices), int(turns[i])
        speaker_of.append(speaker)
        left -= 1
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "talk.wav"
        lines: list[tuple[str, str, int, dict[str, object]]] = []
        for text, n in zip(sentences, speaker_of, strict=True):
            voice, speed = voices[n]
            extra: dict[str, object] = {"voice": voice, "speed": speed} if len(voices) > 1 else {}
            lines.append((text, voice, speed, extra))
        manifest, duration = speak_script(lines, wav)
        args = [
            ffmpeg_executable(),
            "-y",
            "-loglevel",
            "error",
            "-f",
            "lavfi",
            "-i",
            f"testsrc2=size={size}:rate=25:duration={duration:.3f}",
        ]
        if with_audio:
            args += ["-i", str(wav), "-c:a", "aac", "-b:a", "48k", "-ac", "1", "-ar", "22050"]
        # A keyframe every 2 s, so most cut points are not on a keyframe.
        args += [
            "-c:v",
            "libx264",
            "-preset",
            "slow",
            "-crf",
            "32",
            "-g",
            "50",
            "-pix_fmt",
            "yuv420p",
            "-shortest",
            str(out),
        ]
        subprocess.run(args, check=True)
    return {"duration": round(duration, 3), "sentences": manifest}


# The benchmark talk: about ten minutes of seeded, varied sentences with no digits (so the
# reference text and Whisper's spelling of numbers cannot disagree).
_SUBJECTS = (
    "The engineering team",
    "Our finance department",
    "The new product manager",
    "The customer support group",
    "The design studio",
    "Our largest customer",
    "The security auditor",
    "The data science group",
    "The warehouse crew",
    "The legal department",
    "The mobile team",
    "Our hiring committee",
)
_VERBS = (
    "reviewed",
    "finished",
    "postponed",
    "presented",
    "questioned",
    "approved",
    "rewrote",
    "tested",
    "simplified",
    "documented",
    "measured",
    "celebrated",
)
_OBJECTS = (
    "the quarterly roadmap",
    "the database migration",
    "the spring marketing campaign",
    "the onboarding checklist",
    "the pricing experiment",
    "the accessibility review",
    "the incident report from last week",
    "the new search feature",
    "the travel policy",
    "the office recycling plan",
    "the annual budget forecast",
    "the customer survey results",
)
_TAILS = (
    "before the holiday break",
    "after a long debate",
    "with help from the design team",
    "because the deadline moved",
    "in front of the whole company",
    "during the morning standup",
    "without any major problems",
    "although several questions remain open",
    "so that everyone can plan ahead",
    "to reduce the number of support tickets",
)


def bench_sentences(count: int = 105, seed: int = 7) -> list[str]:
    rng = np.random.default_rng(seed)
    sentences: list[str] = []
    seen: set[str] = set()
    while len(sentences) < count:
        parts = (
            rng.choice(_SUBJECTS),
            rng.choice(_VERBS),
            rng.choice(_OBJECTS),
            rng.choice(_TAILS),
        )
        sentence = " ".join(str(p) for p in parts) + "."
        if sentence not in seen:
            seen.add(sentence)
            sentences.append(sentence)
    return sentences


# Topics of the multi-topic talks (the chapter eval): each a vocabulary of its own, so a change
# of topic is a change of what is talked about. Sentences are made from these by templates.
TOPIC_WORDS = {
    "solar power": ("solar panels", "the inverter", "sunny afternoons", "battery storage"),
    "hiring": ("new engineers", "the interview loop", "job offers", "the recruiting budget"),
    "the office move": ("the new building", "moving boxes", "desk assignments", "parking"),
    "customer support": ("support tickets", "response times", "angry customers", "refunds"),
    "security": ("password resets", "the phishing test", "laptop encryption", "audit logs"),
    "the product launch": ("the launch date", "press coverage", "beta users", "pricing pages"),
}
_TOPIC_TEMPLATES = (
    "Next we talk about {topic}, starting with {a}.",
    "The latest numbers on {a} look better than we expected.",
    "Several people asked what {b} means for {a}.",
    "We will review {c} again next month.",
    "Everyone agreed that {d} needs more attention.",
    "That is all for {topic}.",
)
# The multi-topic talks: (file stem, topics, seed).
TOPIC_TALKS = (("talk-topics-a", 4, 3), ("talk-topics-b", 4, 5))


def topic_sentences(topics: int, seed: int) -> tuple[list[str], list[int]]:
    """Sentences of ``topics`` topics in turn, and the index where each topic begins."""
    rng = np.random.default_rng(seed)
    names = list(TOPIC_WORDS)
    order = [names[i] for i in rng.choice(len(names), size=topics, replace=False)]
    sentences: list[str] = []
    starts: list[int] = []
    for topic in order:
        starts.append(len(sentences))
        a, b, c, d = rng.permutation(TOPIC_WORDS[topic])
        sentences += [
            template.format(topic=topic, a=a, b=b, c=c, d=d) for template in _TOPIC_TEMPLATES
        ]
    return sentences, starts


def make_topic_talks(out_dir: Path) -> None:
    """evals/data/<talk>.ogg + .json with the sentences, their times, and ``topic_starts``
    (the seconds where each topic begins): what chapter boundaries are measured against."""
    out_dir.mkdir(parents=True, exist_ok=True)
    for stem, topics, seed in TOPIC_TALKS:
        sentences, starts = topic_sentences(topics, seed)
        with tempfile.TemporaryDirectory() as tmp:
            video = Path(tmp) / "talk.mp4"
            info = make_talk(sentences, video, size="64x64", voices=VOICES[:3])
            subprocess.run(
                [ffmpeg_executable(), "-y", "-loglevel", "error", "-i", str(video), "-vn"]
                + ["-c:a", "libopus", "-b:a", "24k", "-ac", "1", str(out_dir / f"{stem}.ogg")],
                check=True,
            )
        manifest = info["sentences"]
        assert isinstance(manifest, list)
        info["topic_starts"] = [manifest[i]["start"] for i in starts]
        (out_dir / f"{stem}.json").write_text(json.dumps(info, indent=2) + "\n")


# The benchmark talks: (file stem, sentence count, seed). About ten minutes and two minutes.
BENCH_TALKS = (("talk-10min-voices", 105, 7), ("talk-2min-voices", 20, 23))


def make_bench_talks(out_dir: Path) -> None:
    """evals/data/<talk>.ogg (Opus) + .json with the reference sentences, timings and voices."""
    out_dir.mkdir(parents=True, exist_ok=True)
    for stem, count, seed in BENCH_TALKS:
        with tempfile.TemporaryDirectory() as tmp:
            video = Path(tmp) / "talk.mp4"
            info = make_talk(bench_sentences(count, seed), video, size="64x64", voices=VOICES)
            subprocess.run(
                [
                    ffmpeg_executable(),
                    "-y",
                    "-loglevel",
                    "error",
                    "-i",
                    str(video),
                    "-vn",
                    "-c:a",
                    "libopus",
                    "-b:a",
                    "24k",
                    "-ac",
                    "1",
                    str(out_dir / f"{stem}.ogg"),
                ],
                check=True,
            )
        (out_dir / f"{stem}.json").write_text(json.dumps(info, indent=2) + "\n")


def main() -> None:
    make_bench_talks(ROOT / "evals" / "data")
    make_topic_talks(ROOT / "evals" / "data")
    data = ROOT / "tests" / "data"
    data.mkdir(parents=True, exist_ok=True)
    manifest = make_talk(TALK, data / "talk.mp4")
    (data / "talk.json").write_text(json.dumps(manifest, indent=2) + "\n")
    make_talk(TALK[:1], data / "silent.mp4", with_audio=False)
    samples = ROOT / "data" / "samples"
    samples.mkdir(parents=True, exist_ok=True)
    for name, sentences in SAMPLES.items():
        info = make_talk(sentences, samples / f"{name}.mp4", size="480x270")
        (samples / f"{name}.json").write_text(json.dumps(info, indent=2) + "\n")
    print(
        "fixtures written:",
        *sorted(str(p.relative_to(ROOT)) for p in [*data.iterdir(), *samples.iterdir()]),
        sep="\n  ",
    )


if __name__ == "__main__":
    main()
