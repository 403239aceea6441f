"""Transcript export: plain text, JSON with word timings, SRT and WebVTT (written by pysubs2)."""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from dataclasses import asdict

from pipelines.clock import timestamp
from pipelines.errors import QueryError
from pipelines.records import Segment

FORMATS = ("txt", "json", "srt", "vtt")


def export_transcript(segments: Sequence[Segment], fmt: str) -> str:
    if fmt not in FORMATS:
        raise QueryError(
            f"unknown transcript format {fmt!r}; choose one of {', '.join(FORMATS)}",
            code="transcript.bad_format",
        )
    if fmt == "txt":
        return "".join(f"[{timestamp(s.start)}] {_spoken_by(s)}{s.text}\n" for s in segments)
    if fmt == "json":
        payload = [
            {
                "start": s.start,
                "end": s.end,
                "speaker": s.speaker,
                "text": s.text,
                "words": [asdict(w) for w in s.words],
            }
            for s in segments
        ]
        return json.dumps(payload, indent=2, ensure_ascii=False) + "\n"
    import pysubs2  # only SRT and WebVTT need it; the CLI's start does not pay for it

    subs = pysubs2.SSAFile()
    for s in segments:
        if fmt == "vtt":
            # WebVTT cue text is markup: escape it, and name the speaker with a voice span.
            text = html.escape(s.text, quote=False)
            voice = html.escape(s.speaker, quote=False) if s.speaker else None  # "Tom & Jerry"
            text = f"<v {voice}>{text}" if voice else text
        else:
            text = _spoken_by(s) + s.text  # SRT has no speaker field: the usual "Name: " prefix
        subs.append(
            pysubs2.SSAEvent(start=round(s.start * 1000), end=round(s.end * 1000), text=text)
        )
    return str(subs.to_string(fmt))


def _spoken_by(segment: Segment) -> str:
    return f"{segment.speaker}: " if segment.speaker else ""
