"""Which synthetic voices should speak the eval talks (``python -m evals.voice_wer``): every
option speaks the same texts (the ten eval talks' scripts, ``evals.eval_talks.script_lines``,
three voices a talk drawn as the talks draw them), Whisper tiny.en (the default, int8, beam 5)
transcribes each talk, and the WER against the script is reported per option and per voice.

A real talk is heard with about 7 % WER by tiny.en; espeak-ng's voices with about 21 %, so the
eval measured mishearings more than answers. The option chosen is the one whose WER is nearest
a real talk's with several voices (not the lowest: speech cleaner than a person's would
flatter us). Audio is kept in ``bench-work/voice-wer`` (made again when missing)."""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

from evals.common import WORK, log, machine
from evals.evaluate import normalise, wer
from evals.fixtures import VOICES, speak_script
from evals.talk_bank_more import TALKS

OUT = WORK / "voice-wer"
# Each option: its voices ((name, speed): espeak-ng in words a minute, others in % of their
# pace) and the share of that speed the talks are spoken at.
OPTIONS: dict[str, tuple[tuple[tuple[str, int], ...], float]] = {
    "espeak-ng variants (before)": (VOICES, 0.85),
    "espeak-ng variants, slower": (VOICES, 0.7),
    "espeak-ng plain voices": (
        (
            ("en-us", 150),
            ("en-gb", 160),
            ("en-gb-x-rp", 145),
            ("en-029", 155),
            ("en-us-nyc", 145),
            ("en-gb-scotland", 150),
        ),
        0.85,
    ),
    "flite": (
        (("flite:slt", 100), ("flite:rms", 100), ("flite:awb", 100), ("flite:kal16", 100)),
        0.85,
    ),
    "festival": (
        (
            ("festival:cmu_us_slt_arctic_hts", 100),
            ("festival:kal_diphone", 100),
            ("festival:ked_diphone", 100),
        ),
        0.85,
    ),
    "flite + festival hts": (
        (
            ("flite:slt", 100),
            ("flite:rms", 100),
            ("flite:awb", 100),
            ("festival:cmu_us_slt_arctic_hts", 100),
        ),
        0.85,
    ),
}


def spoken_talks(option: str) -> list[tuple[Path, list[dict[str, Any]]]]:
    """Each talk spoken by ``option``'s voices: (wav, sentences with times and voices)."""
    from evals import eval_talks

    voices, pace = OPTIONS[option]
    folder = OUT / option.replace(" ", "-").replace(",", "").replace("+", "and")
    folder.mkdir(parents=True, exist_ok=True)
    talks = []
    for index, talk in enumerate(TALKS):
        wav, manifest = folder / f"{talk.stem}.wav", folder / f"{talk.stem}.json"
        if not manifest.exists():
            lines = eval_talks.script_lines(talk, eval_talks.talk_voices(index, voices), pace=pace)
            sentences, _ = speak_script(lines, wav)
            manifest.write_text(json.dumps(sentences))
        talks.append((wav, json.loads(manifest.read_text())))
    return talks


def heard(wav: Path) -> list[tuple[float, str]]:
    """(mid-time, word) of every word tiny.en hears in ``wav``, with the default settings."""
    from pipelines.config import load_settings
    from pipelines.media.audio import decode_audio
    from pipelines.speech.transcribe import TranscribeOptions, transcribe_audio

    options = TranscribeOptions.from_settings(load_settings())
    audio = decode_audio(wav, container="wav")[0]
    segments, _ = transcribe_audio(audio, options)
    return [((w.start + w.end) / 2, w.text) for s in segments for w in s.words]


def _by_voice(
    sentences: list[dict[str, Any]],
    words: list[tuple[float, str]],
    per_voice: dict[str, tuple[list[str], list[str]]],
) -> None:
    """Adds each sentence's script and the words heard while it was said to its voice's."""
    for n, s in enumerate(sentences):
        # a sentence's words: those heard between the end of the one before and the start of
        # the one after (the gaps between sentences are 0.8 s of silence)
        low = sentences[n - 1]["end"] if n else 0.0
        high = sentences[n + 1]["start"] if n + 1 < len(sentences) else 1e9
        ref, hyp = per_voice.setdefault(s["voice"], ([], []))
        ref.append(s["text"])
        hyp.append(" ".join(w for t, w in words if low < t < high))


def score(option: str) -> dict[str, Any]:
    said: list[str] = []
    got: list[str] = []
    per_voice: dict[str, tuple[list[str], list[str]]] = {}
    started = time.perf_counter()
    for wav, sentences in spoken_talks(option):
        words = heard(wav)
        said.append(" ".join(s["text"] for s in sentences))
        got.append(" ".join(w for _, w in words))
        _by_voice(sentences, words, per_voice)
    words = sum(len(normalise(t).split()) for t in said)
    return {
        "wer": wer(" ".join(said), " ".join(got)),
        "words": words,
        "voices": {v: round(wer(" ".join(r), " ".join(h)), 3) for v, (r, h) in per_voice.items()},
        "seconds": round(time.perf_counter() - started, 1),
    }


def library_wer(home: Path) -> dict[str, Any]:
    """WER of the committed eval talks as the talk eval's library (``evals.understanding``,
    kept in ``bench-work/eval-talks-library``) transcribed them: all, and per voice."""
    from evals.eval_talks import TALK_DIR
    from pipelines.config import load_settings
    from pipelines.library import Library

    videos = json.loads((home / "eval-talks.json").read_text())["videos"]
    said, got, per_voice = [], [], {}
    with Library(load_settings(home=home, log_level="WARNING")) as library:
        for stem, video_id in videos.items():
            sentences = json.loads((TALK_DIR / f"{stem}.json").read_text())["sentences"]
            words = [
                ((w.start + w.end) / 2, w.text)
                for seg in library.local.segments(video_id)
                for w in seg.words
            ] or [((seg.start + seg.end) / 2, seg.text) for seg in library.local.segments(video_id)]
            said.append(" ".join(s["text"] for s in sentences))
            got.append(" ".join(w for _, w in words))
            _by_voice(sentences, words, per_voice)
    return {
        "wer": wer(" ".join(said), " ".join(got)),
        "voices": {v: round(wer(" ".join(r), " ".join(h)), 3) for v, (r, h) in per_voice.items()},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-o", "--option", action="append", choices=list(OPTIONS))
    parser.add_argument("--json", type=Path, help="write the figures here")
    parser.add_argument("--library", type=Path, help="WER of the talks in this eval library")
    args = parser.parse_args()
    if args.library:
        print(json.dumps(library_wer(args.library), indent=2))  # noqa: T201
        return
    rows = {}
    for option in args.option or list(OPTIONS):
        log(f"voices: {option}")
        rows[option] = score(option)
        log(f"{option}: WER {rows[option]['wer']:.3f} {rows[option]['voices']}")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))
    print(f"\n{machine()}\n\n| voices | WER (tiny.en) | per voice |\n| --- | --- | --- |")  # noqa: T201
    for option, row in rows.items():
        voices = ", ".join(f"{v} {w:.3f}" for v, w in sorted(row["voices"].items()))
        print(f"| {option} | {row['wer']:.3f} | {voices} |")  # noqa: T201


if __name__ == "__main__":
    main()
