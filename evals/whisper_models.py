"""Which Whisper to run (``python -m evals.whisper_models``, part of ``make bench``): the
bundled English-only tiny.en against the multilingual base, on the two-minute talk in eight
English voices (speed and WER, same run, as a ratio), and what base makes of the talk that
switches from English to Spanish (tests/data/languages.m4a): languages found, WER per
language, and how well search crosses languages with the English embedding model — each
Spanish sentence sought with a Spanish query and with an English one (both made from the
sentence's content words, or its translation's, as ``vidscope eval`` makes its queries)."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from evals.common import ROOT, log, machine
from evals.evaluate import make_queries, wer
from pipelines.config import Settings, load_settings
from pipelines.jobs.tracking import log_run
from pipelines.library import Library

COMMAND = "python -m evals.whisper_models"
VOICES = ROOT / "evals" / "data" / "talk-2min-voices"
LANGUAGES = ROOT / "tests" / "data" / "languages"


def ingest(settings: Settings, media: Path) -> tuple[Library, str, float]:
    library = Library(settings)
    started = time.perf_counter()
    result = library.local.ingest_file(media)
    seconds = time.perf_counter() - started
    if result.status != "indexed":
        raise RuntimeError(f"{media.name}: {result.error_code} {result.message}")
    return library, result.video_id, seconds


def english_voices(base: Settings, model: str, scratch: Path) -> dict[str, float]:
    script = json.loads(VOICES.with_suffix(".json").read_text())
    settings = base.model_copy(
        update={"home": scratch / model, "whisper_model": model, "whisper_language": "en"}
    )
    library, video_id, seconds = ingest(settings, VOICES.with_suffix(".ogg"))
    with library:
        heard = " ".join(s.text for s in library.local.segments(video_id))
    reference = " ".join(s["text"] for s in script["sentences"])
    return {
        "wer": wer(reference, heard),
        "seconds": seconds,
        "x_realtime": script["duration"] / seconds,
    }


def two_languages(base: Settings, scratch: Path) -> dict[str, Any]:
    script = json.loads(LANGUAGES.with_suffix(".json").read_text())
    settings = base.model_copy(
        update={"home": scratch / "languages", "whisper_model": "base", "whisper_language": None}
    )
    library, video_id, seconds = ingest(settings, LANGUAGES.with_suffix(".m4a"))
    results: dict[str, Any] = {"seconds": seconds}
    with library:
        [video] = [v for v in library.local.public_videos() if v.id == video_id]
        results["languages"] = video.language
        segments = library.local.segments(video_id)
        for language in ("en", "es"):
            said = [s for s in script["sentences"] if s["language"] == language]
            heard = " ".join(
                seg.text
                for seg in segments
                if said[0]["start"] - 1 <= (seg.start + seg.end) / 2 <= said[-1]["end"] + 1
            )
            results[f"wer_{language}"] = wer(" ".join(s["text"] for s in said), heard)
        spanish = [s for s in script["sentences"] if s["language"] == "es"]
        for name, texts in (
            ("es_query", [{"text": s["text"]} for s in spanish]),
            ("en_query", [{"text": s["translation"]} for s in spanish]),
        ):
            found = []
            for query, index in make_queries(texts):
                truth = spanish[index]
                hits = library.local.search(query, k=5)
                found.append(any(h.start < truth["end"] and h.end > truth["start"] for h in hits))
            results[f"recall_at_5_{name}"] = sum(found) / len(found) if found else 0.0
            results[f"queries_{name}"] = len(found)
    return results


def main() -> None:
    base = load_settings()
    scratch = Path(tempfile.mkdtemp(prefix="vidscope-whisper-"))
    try:
        rows = {}
        for model in ("tiny.en", "base"):
            log(f"the eight-voice English talk with {model}")
            rows[model] = english_voices(base, model, scratch)
        log("the English-then-Spanish talk with base, language detected")
        mixed = two_languages(base, scratch)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    tiny, multi = rows["tiny.en"], rows["base"]
    lines = [
        f"\n## {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC — `{COMMAND}` (in `make bench`)\n",
        f"Machine: {machine()}. Whole ingest (decode, transcribe, embed, index) of "
        "`evals/data/talk-2min-voices.ogg` (eight espeak-ng English voices, 20 sentences), "
        "int8, beam 5, two decoders; language set to English for both.\n",
        "| model | WER | ingest | × real time |",
        "| --- | --- | --- | --- |",
        *(
            f"| {name} | {r['wer']:.3f} | {r['seconds']:.1f} s | {r['x_realtime']:.1f}× |"
            for name, r in rows.items()
        ),
        f"\nbase vs tiny.en, same run: **{multi['seconds'] / tiny['seconds']:.2f}× the time**, "
        f"WER {multi['wer'] - tiny['wer']:+.3f}.\n",
        "The English-then-Spanish talk (`tests/data/languages.m4a`, 49 s) with base and "
        f"`VIDSCOPE_WHISPER_LANGUAGE=auto`: languages **{mixed['languages']}**, WER English "
        f"{mixed['wer_en']:.3f}, Spanish {mixed['wer_es']:.3f}, ingest {mixed['seconds']:.1f} s. "
        "Search for the Spanish sentences with the English embedding model "
        f"(all-MiniLM-L6-v2) and BM25: recall@5 **{mixed['recall_at_5_es_query']:.2f}** with "
        f"Spanish queries ({mixed['queries_es_query']}), **{mixed['recall_at_5_en_query']:.2f}** "
        f"with English ones ({mixed['queries_en_query']}).\n",
    ]
    with (ROOT / "docs" / "benchmarks.md").open("a", encoding="utf-8") as handle:
        handle.write("\n".join(lines))
    log_run(
        "bench",
        uri=base.tracking_uri,
        name=f"whisper models {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M}",
        params={"command": COMMAND, "machine": machine()},
        metrics={
            **{f"{m}_{k}".replace(".", "_"): v for m, r in rows.items() for k, v in r.items()},
            **{f"mixed_{k}": v for k, v in mixed.items() if isinstance(v, int | float)},
        },
    )
    for line in lines:
        log(line.strip())


if __name__ == "__main__":
    main()
