"""Generates the eval talks (``python -m evals.eval_talks``; ``make fixtures`` runs it): the ten
talks of ``evals.talk_bank`` spoken by flite in three voices each over Pillow-drawn slides,
as small MP4s (640x360, 10 fps, mono AAC) in ``evals/data/eval-talks/``, each with a JSON
manifest, and ``evals/data/eval-questions.json``: every question with its kind, the time
range(s) an answer must cite and the fact words it must hold.

Deterministic: the voices of a talk are drawn with a seed from its position, and flite and
the drawing take no randomness. The voice changes inside topics (after a topic's second
sentence), never exactly at a topic's start, so a chapter cannot be found by the voice alone."""

from __future__ import annotations

import json
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from evals.fixtures import speak_script
from evals.slides import LEAD_S, draw_slide
from evals.talk_bank import Talk
from evals.talk_bank_more import OFF_TOPIC, TALKS
from pipelines.media.ffmpeg import ffmpeg_executable

ROOT = Path(__file__).resolve().parents[1]
TALK_DIR = ROOT / "evals" / "data" / "eval-talks"
QUESTIONS = ROOT / "evals" / "data" / "eval-questions.json"
SIZE = (640, 360)
VOICES_PER_TALK = 3
# The voices' speeds slowed to this share: nearer a speaker presenting slides, and every talk
# between 1.5 and 3 minutes long.
PACE = 0.8
# Who speaks the talks: flite's four English voices (US female slt, US male rms, Scottish male
# awb, the US diphone voice kal16). Whisper tiny.en hears them with 7.9 % WER (6.6-11 % per
# voice), near its ~7 % on a real talk; the espeak-ng voices that spoke them before, 19.8 %
# (9.6-31 %), so the eval measured mishearings more than answers (``python -m
# evals.voice_wer``, docs/evals.md). The espeak-ng voices stay in the benchmark talks.
TALK_VOICES = (("flite:slt", 100), ("flite:rms", 100), ("flite:awb", 100), ("flite:kal16", 100))


def talk_voices(
    index: int, voices: Sequence[tuple[str, int]] = TALK_VOICES
) -> list[tuple[str, int]]:
    """Talk ``index``'s ``VOICES_PER_TALK`` voices, drawn from ``voices`` with its own seed."""
    rng = np.random.default_rng(100 + index)
    return [voices[int(i)] for i in rng.choice(len(voices), size=VOICES_PER_TALK, replace=False)]


def script_lines(
    talk: Talk, voices: list[tuple[str, int]], pace: float = PACE
) -> list[tuple[str, str, int, dict[str, object]]]:
    """(text, voice, speed, manifest extras) for the intro, each topic's signpost and
    sentences and closing line, and the outro; extras name the voice and the topic (-1: intro
    or outro)."""

    def line(text: str, n: int, topic: int) -> tuple[str, str, int, dict[str, object]]:
        voice, speed = voices[n % len(voices)]
        speed = round(speed * pace)
        return text, voice, speed, {"voice": voice, "speed": speed, "topic": topic}

    lines = [line(talk.intro, 0, -1)]
    for k, topic in enumerate(talk.topics):
        said = (topic.signpost, *topic.sentences, f"That is all on {_lower(topic.name)}.")
        lines += [line(text, k + (j >= 2), k) for j, text in enumerate(said)]
    lines.append(line(talk.outro, len(talk.topics) + 1, -1))
    return lines


def _lower(name: str) -> str:
    return name[0].lower() + name[1:]


def make_eval_talk(talk: Talk, index: int, out_dir: Path) -> dict[str, Any]:
    """Writes ``<stem>.mp4`` and ``<stem>.json`` into ``out_dir``; returns the manifest."""
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        wav = work / "talk.wav"
        sentences, duration = speak_script(script_lines(talk, talk_voices(index)), wav)
        signposts = [next(s for s in sentences if s["topic"] == k) for k in range(len(talk.topics))]
        starts = [float(s["start"]) for s in signposts]  # type: ignore[arg-type]
        slide_starts = [0.0] + [max(0.0, s - LEAD_S) for s in starts]
        slide_ends = slide_starts[1:] + [duration]
        decks = [(talk.title,)] + [(t.name, *t.figures) for t in talk.topics]
        listing = ["ffconcat version 1.0"]
        for n, (lines, start, end) in enumerate(zip(decks, slide_starts, slide_ends, strict=True)):
            draw_slide(lines, work / f"slide{n}.png", SIZE)
            listing += [f"file 'slide{n}.png'", f"duration {end - start:.3f}"]
        listing.append(f"file 'slide{len(decks) - 1}.png'")  # the concat demuxer's last entry
        (work / "slides.txt").write_text("\n".join(listing) + "\n")
        subprocess.run(
            [ffmpeg_executable(), "-y", "-loglevel", "error", "-f", "concat", "-safe", "0"]
            + ["-i", str(work / "slides.txt"), "-i", str(wav), "-map", "0:v", "-map", "1:a"]
            + ["-vf", "fps=10,format=yuv420p", "-c:v", "libx264", "-preset", "slow"]
            + ["-crf", "32", "-g", "20", "-c:a", "aac", "-b:a", "32k", "-ac", "1"]
            + ["-t", f"{duration:.3f}", "-movflags", "+faststart"]
            + [str(out_dir / f"{talk.stem}.mp4")],
            check=True,
        )
    ends = starts[1:] + [round(duration, 3)]
    manifest: dict[str, Any] = {
        "title": talk.title,
        "duration": round(duration, 3),
        "voices": sorted({str(s["voice"]) for s in sentences}),
        "topics": [
            {"name": t.name, "start": s, "end": e}
            for t, s, e in zip(talk.topics, starts, ends, strict=True)
        ],
        "slides": [
            {"start": round(s, 3), "end": round(e, 3), "lines": list(lines), "topic": n - 1}
            for n, (lines, s, e) in enumerate(zip(decks, slide_starts, slide_ends, strict=True))
        ],
        "sentences": sentences,
    }
    (out_dir / f"{talk.stem}.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest


def facts(spec: str) -> list[list[str]]:
    """``"two|2; four|4"`` -> [["two", "2"], ["four", "4"]]."""
    return [[alt.strip() for alt in group.split("|")] for group in spec.split(";")]


def questions(talk: Talk, manifest: dict[str, Any]) -> list[dict[str, Any]]:
    """The talk's questions with the time range an answer must cite and the facts it holds."""
    said = manifest["sentences"]
    out: list[dict[str, Any]] = []
    for k, topic in enumerate(talk.topics):
        in_topic = [s for s in said if s["topic"] == k]
        question, index, fact = topic.spoken_question
        sentence = in_topic[1 + index]  # after the signpost
        out.append(
            {
                "kind": "spoken",
                "talk": talk.stem,
                "topic": k,
                "question": question,
                "ranges": [[sentence["start"], sentence["end"]]],
                "facts": facts(fact),
                "source": sentence["text"],
            }
        )
        question, index, fact = topic.slide_question
        slide = manifest["slides"][k + 1]
        out.append(
            {
                "kind": "slide",
                "talk": talk.stem,
                "topic": k,
                "question": question,
                "ranges": [[slide["start"], slide["end"]]],
                "facts": facts(fact),
                "source": topic.figures[index],
            }
        )
    out += [
        {"kind": "near_topic", "talk": talk.stem, "question": q, "ranges": [], "facts": []}
        for q in talk.near_topic
    ]
    return out


def main() -> None:
    TALK_DIR.mkdir(parents=True, exist_ok=True)
    asked: list[dict[str, Any]] = []
    for index, talk in enumerate(TALKS):
        manifest = make_eval_talk(talk, index, TALK_DIR)
        asked += questions(talk, manifest)
        print(f"{talk.stem}: {manifest['duration']:.1f} s, {len(talk.topics)} topics")  # noqa: T201
    asked += [
        {"kind": "off_topic", "talk": None, "question": q, "ranges": [], "facts": []}
        for q in OFF_TOPIC
    ]
    for n, question in enumerate(asked):
        question["id"] = n
    QUESTIONS.write_text(json.dumps(asked, indent=2) + "\n")
    print(f"{len(asked)} questions -> {QUESTIONS.relative_to(ROOT)}")  # noqa: T201


if __name__ == "__main__":
    main()
