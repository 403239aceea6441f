"""Who said each word, measured: the diarization eval's conversations transcribed (the ingest's
Whisper settings) and diarized, and each word's speaker from ``speaker_turns.attribute``
compared with the voice speaking at the word's middle (``python -m evals.speaker_words``).

Voices are mapped one to one, most shared words first, so a voice split in two counts the
smaller part wrong. ``--rules`` also scores the attribution with some of its rules off or
moved (constants of ``pipelines.speech.speaker_turns``), on the same transcripts and turns,
so a rule is chosen by what it gets right (docs/evals.md, "who said each word")."""

from __future__ import annotations

import argparse
import importlib.util
from collections import Counter
from collections.abc import Sequence
from types import ModuleType
from typing import Any

from evals.common import log
from evals.diarization_conversations import CONVERSATIONS, conversations
from evals.diarization_scores import Span, speaker_at

COMMAND = "python -m evals.speaker_words"
# Each: the constants of speaker_turns it changes.
RULES: dict[str, dict[str, float]] = {
    "as shipped": {},
    "no change moved to a pause": {"CHANGE_SEARCH_S": -1.0},
    "changes moved within 1 s": {"CHANGE_SEARCH_S": 1.0},
    "no reply kept on its own": {"REPLY_PAUSE_S": 1e9},
    "neither rule": {"CHANGE_SEARCH_S": -1.0, "REPLY_PAUSE_S": 1e9},
}


def with_constants(changes: dict[str, float]) -> ModuleType:
    """A fresh copy of speaker_turns with ``changes`` to its constants."""
    from pipelines.speech import speaker_turns

    spec = importlib.util.spec_from_file_location("speaker_turns_copy", speaker_turns.__file__)
    assert spec is not None and spec.loader is not None
    copy = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(copy)
    for name, value in changes.items():
        setattr(copy, name, value)
    return copy


def words_right(segments: Sequence[Any], truth: Sequence[Span]) -> tuple[int, int]:
    """(words whose speaker maps to the voice at their middle, words)."""
    pairs = [
        (s.speaker, speaker_at(truth, w.start, w.end) or "") for s in segments for w in s.words
    ]
    mapping: dict[str | None, str] = {}
    for (heard, said), _ in Counter(pairs).most_common():
        if heard not in mapping and said not in mapping.values():
            mapping[heard] = said
    return sum(1 for heard, said in pairs if mapping.get(heard) == said), len(pairs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=CONVERSATIONS, help="conversations")
    parser.add_argument("--rules", action="store_true", help="also score other rules")
    args = parser.parse_args()
    from pipelines.config import load_settings
    from pipelines.media.audio import decode_audio
    from pipelines.media.intake import sniff_file
    from pipelines.speech.diarize import DiarizeOptions, diarize
    from pipelines.speech.transcribe import TranscribeOptions, transcribe_audio

    options = TranscribeOptions.from_settings(load_settings())
    rules = RULES if args.rules else {"as shipped": {}}
    copies = {name: with_constants(changes) for name, changes in rules.items()}
    totals = dict.fromkeys(rules, (0, 0))
    for talk in conversations(args.count):
        samples = decode_audio(talk.wav, container=sniff_file(talk.wav))[0]
        segments = list(transcribe_audio(samples, options)[0])
        turns = diarize(samples, DiarizeOptions()).turns
        scores = []
        for name, copy in copies.items():
            right, words = words_right(copy.attribute(segments, turns), talk.truth)
            totals[name] = (totals[name][0] + right, totals[name][1] + words)
            scores.append(f"{name} {right}/{words}")
        log(f"{talk.name}: " + ", ".join(scores))
    print(f"\n`{COMMAND}{' --rules' if args.rules else ''}`, {args.count} conversations\n")  # noqa: T201
    print("| rules | words right | share |\n| --- | ---: | ---: |")  # noqa: T201
    for name, (right, words) in totals.items():
        print(f"| {name} | {right} / {words} | {right / max(words, 1):.2%} |")  # noqa: T201


if __name__ == "__main__":
    main()
