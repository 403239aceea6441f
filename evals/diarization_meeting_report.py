"""The meeting eval's section of docs/benchmarks.md (``evals.diarization_meeting``): a row per
way of diarizing the meeting, a row per ingest, the ingest's stages and the ratio."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from evals.common import machine
from evals.diarization_conversations import Conversation

BITRATE = "64k"  # AAC mono, what a phone's or laptop's recorder writes for speech


def stage_mean(runs: list[dict[str, Any]], on: bool, stage: str) -> float:
    """Mean seconds of an ingest stage over the runs with speakers ``on`` (or off)."""
    rows = [float(r["stages"].get(stage, 0.0)) for r in runs if r["speakers_enabled"] == on]
    return sum(rows) / len(rows)


def markdown(meeting: Conversation, audio: Path, report: dict[str, Any]) -> str:
    """The section docs/benchmarks.md gets."""
    minutes, rows, m = meeting.duration / 60, report["diarization"], report["metrics"]
    lines = [
        f"\n## {report['stamp']} — `{report['command']}` (in `make bench`)\n",
        f"Machine: {machine()}. Input: `{audio.name}`, {minutes:.1f} min, one channel, "
        f"{meeting.speakers} espeak-ng voices "
        f"({', '.join(sorted({line.voice.name for line in meeting.lines}))}), "
        f"{sum(not line.interjection for line in meeting.lines)} turns and "
        f"{sum(line.interjection for line in meeting.lines)} interjections; AAC {BITRATE}/s "
        f"for the ingest, the 22.05 kHz WAV for diarize(). Every row is a fresh process. "
        f"Code: {report['code']}.\n",
        f"| diarize() on the WAV | voices (of {meeting.speakers}) | DER | missed | false alarm "
        "| confusion | turns right | s / audio min | CPU s / audio min | VAD | fbank | CAM++ "
        "| clustering | embeddings | peak RSS | load |",
        "| --- |" + " ---: |" * 15,
    ]
    for r in rows:
        t = r["timing"]
        lines.append(
            f"| {r['variant']} | {r['found']} | **{r['der']:.1%}** | {r['missed']:.1%} "
            f"| {r['false_alarm']:.1%} | {r['confusion']:.1%} | {r['turns_right']:.0%} "
            f"| **{r['s_per_audio_min']:.2f}** | {r['cpu_s_per_audio_min']:.2f} "
            f"| {t.get('vad_time', 0):.0f} s | {t.get('fbank_time', 0):.0f} s "
            f"| {t.get('embeddings_time', 0):.0f} s | {t.get('clustering_time', 0):.0f} s "
            f"| {r['embeddings']} | {r['peak_rss_mb']:.0f} MB "
            f"| {r['load_before']:.1f} → {r['load_after']:.1f} |"
        )
    first = rows[0]
    notes = [
        f"Not counted in the rows: loading and warming the model {first['load_s']:.1f} s; "
        f"decoding the WAV {first['decode_wav_s']:.1f} s"
        + (
            f" (the .m4a: {first['decode_m4a_s']:.1f} s, which the ingest's speakers stage "
            "decodes again)."
            if first["decode_m4a_s"]
            else "."
        )
    ]
    for r in rows:
        if r["whisper_vad_s"]:
            notes.append(
                f"faster-whisper's Silero pass took {r['whisper_vad_s']:.0f} s (transcription "
                "already runs this model over the same audio, with its own settings)."
            )
        if r.get("senko_merge"):
            merged = r["senko_merge"]
            notes.append(
                f"{r['variant']}: HDBSCAN found {merged['clusters']} voices, senko's merge of "
                f"centroids >= 0.875 alike left {merged['after']} (the cosines between them: "
                f"{', '.join(f'{c:.3f}' for c in merged['cosines'])})."
            )
        elif r.get("voice_cosines"):
            alike = sorted(r["voice_cosines"].values())
            notes.append(
                f"{r['variant']}: the {r['found']} voices' prints are {alike[0]:.3f}–"
                f"{alike[-1]:.3f} alike (cosine)."
            )
    lines += ["", " ".join(notes)]
    if not report["ingests"]:
        return "\n".join([*lines, ""])
    lines += [
        "",
        "| ingest of the .m4a | speakers | wall | CPU | speakers stage | peak RSS | load |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for n, r in enumerate(report["ingests"], 1):
        lines.append(
            f"| {n} | {'on' if r['speakers_enabled'] else 'off'} | {r['process_s']:.0f} s "
            f"| {r['process_cpu_s']:.0f} s | {r['speakers_s']:.0f} s | {r['peak_rss_mb']:.0f} MB "
            f"| {r['load_before']:.1f} → {r['load_after']:.1f} |"
        )
    names = list(dict.fromkeys(name for r in report["ingests"] for name in r["stages"]))
    lines += [
        "",
        "| stage of the ingest (mean s) | " + " | ".join(names) + " |",
        "| --- |" + " ---: |" * len(names),
        *(
            f"| speakers {label} | "
            + " | ".join(f"{stage_mean(report['ingests'], on, name):.1f}" for name in names)
            + " |"
            for label, on in (("on", True), ("off", False))
        ),
    ]
    lines += [
        "",
        f"With speakers the whole ingest took **{m['ratio']:.2f}×** its time without "
        f"({m['ingest_on_s']:.0f} s vs {m['ingest_off_s']:.0f} s, "
        f"{m['ingest_on_s_per_audio_min']:.2f} vs {m['ingest_off_s_per_audio_min']:.2f} s per "
        f"audio minute; CPU {m['cpu_ratio']:.2f}×); the issue's target is ≤ 1.3×.",
        "",
    ]
    return "\n".join(lines)
