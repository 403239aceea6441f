"""`vidscope eval`: quality, measured on media with known answers, logged to MLflow.

- WER of the transcripts against the scripts the fixture videos were spoken from.
- Retrieval: for every scripted sentence, a query made from its content words (shuffled,
  about two thirds kept, so it is neither verbatim nor empty); a hit is right when it is in
  the same video and overlaps the sentence's time. recall@1, recall@5 and MRR over the set.

- Answers: the same questions asked (``vidscope ask``): right when the answer does not abstain,
  one of its citations is in the same video and overlaps the sentence's time, and the answer's
  text holds most of the sentence's content words (the fact). And questions about nothing in
  the library (``OFF_TOPIC``) must abstain.

- Chapters: on generated talks of four topics each (``TOPIC_TALKS``), precision and recall of
  the chapter boundaries against the seconds where each topic begins, within ±5 s.

- Screen text: on slide talks whose figures are shown and never said (``SLIDE_TALKS``), a
  query made from each figure's label ("Order volume: 4,718 units" → "what is the order
  volume"); a hit is right when a screen hit in the top five is in that video and overlaps
  the slide's time.

- WER per voice: the several-voice talks say which voice spoke each sentence; the sentences
  a voice spoke against the transcript's sentences that fall in their time.

- Diarization (the full set only): DER, voices counted right and seconds per audio minute on
  generated conversations and a real call (``evals.diarization``), as ``diarization_*``.

The fixtures are generated speech (espeak-ng) in several voices: see evals/fixtures.py."""

from __future__ import annotations

import contextlib
import json
import random
import re
import shutil
import sys
import tempfile
import time
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jiwer
import numpy as np

from evals.understanding_scores import boundaries_matched
from pipelines.config import Settings
from pipelines.jobs.tracking import log_run, run_params
from pipelines.library import Library

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Fixture:
    media: Path
    script: Path  # {"duration", "sentences": [{"text", "start", "end"}]}


SAMPLES = (
    Fixture(ROOT / "data/samples/hiring-kickoff.mp4", ROOT / "data/samples/hiring-kickoff.json"),
    Fixture(
        ROOT / "data/samples/solar-power-update.mp4", ROOT / "data/samples/solar-power-update.json"
    ),
)
QUICK = SAMPLES
# Generated talks of four topics each, with the seconds where each topic begins
# (evals/fixtures.py, make_topic_talks): what the chapters are measured against.
TOPIC_TALKS = (
    Fixture(ROOT / "evals/data/talk-topics-a.ogg", ROOT / "evals/data/talk-topics-a.json"),
    Fixture(ROOT / "evals/data/talk-topics-b.ogg", ROOT / "evals/data/talk-topics-b.json"),
)
# Slide talks: speech over text slides whose figures are never spoken (evals/slides.py).
SLIDE_TALKS = (Fixture(ROOT / "tests/data/slides.mp4", ROOT / "tests/data/slides.json"),)
# A chapter boundary counts when it is this close to where a topic begins.
BOUNDARY_TOLERANCE_S = 5.0
FIXTURES = SAMPLES + (
    Fixture(ROOT / "tests/data/talk.mp4", ROOT / "tests/data/talk.json"),
    Fixture(ROOT / "evals/data/talk-2min-voices.ogg", ROOT / "evals/data/talk-2min-voices.json"),
)
STOPWORDS = frozenset(
    """a an and are as at be by for from has have in is it its of on or our that the this
    to was we were will with after before than then there their they you your all any
    about into over under our us so but not no""".split()
)


# Questions no fixture answers: each must abstain (none is hand-written per fixture).
OFF_TOPIC = (
    "what is the capital of Peru",
    "how do I bake sourdough bread",
    "who won the football world cup",
    "what is the boiling point of water",
    "recommend a good science fiction novel",
    "how tall is mount everest",
    "what is the best way to learn the violin",
    "how many moons does jupiter have",
)


# The plain table `vidscope eval` prints (``metrics_table``), in this order: quality first,
# then the counts and costs, then diarization's headline figures and the rest of its own.
TABLE_FIRST = (
    "wer",
    "recall_at_1",
    "recall_at_5",
    "mrr",
    "answer_right",
    "abstain_off_topic",
    "chapter_precision",
    "chapter_recall",
    "screen_hit_rate",
)
TABLE_COSTS = ("queries", "search_p50_ms", "search_p99_ms", "audio_s", "ingest_x_realtime")
DIARIZATION_FIRST = tuple(
    f"diarization_{name}"
    for name in (
        "der_pooled",
        "der_mean",
        "jer_mean",
        "count_right",
        "real_der",
        "real_count_right",
        "two_channel_der",
        "two_channel_count_right",
        "s_per_audio_min",
        "cpu_s_per_audio_min",
    )
)


def metrics_table(metrics: Mapping[str, float]) -> list[tuple[str, str]]:
    """(metric, value to 4 significant figures) rows of the plain table, in ``TABLE_FIRST``
    order, each voice's WER, the costs, then every ``diarization_*`` figure (the headline
    ones first). A metric the run did not measure (``--quick`` measures no chapters, screens,
    voices or diarization) has no row."""
    voices = sorted(name for name in metrics if name.startswith("wer_"))
    diarization = sorted(
        name
        for name in metrics
        if name.startswith("diarization_") and name not in DIARIZATION_FIRST
    )
    order = [*TABLE_FIRST, *voices, *TABLE_COSTS, *DIARIZATION_FIRST, *diarization]
    return [(name, f"{metrics[name]:.4g}") for name in order if name in metrics]


def normalise(text: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"[^\w\s']", " ", text.lower())).strip()


def wer(reference: str, hypothesis: str) -> float:
    return float(jiwer.wer(normalise(reference), normalise(hypothesis) or "<empty>"))


def make_queries(sentences: list[dict[str, Any]], seed: int = 13) -> list[tuple[str, int]]:
    """(query, sentence index) for each sentence with at least three content words."""
    rng = random.Random(seed)
    queries = []
    for index, sentence in enumerate(sentences):
        words = [w for w in normalise(sentence["text"]).split() if w not in STOPWORDS]
        if len(words) < 3:
            continue
        kept = rng.sample(words, max(3, round(len(words) * 2 / 3)))
        queries.append((" ".join(kept), index))
    return queries


def run_eval(
    settings: Settings,
    fixtures: tuple[Fixture, ...] = FIXTURES,
    *,
    name: str = "eval",
    log: bool = True,
    chapters: bool = True,
    diarization: bool | None = None,
) -> dict[str, Any]:
    """Ingests ``fixtures`` into a scratch library with ``settings`` (its home is ignored),
    measures, and logs the run to ``settings.tracking_uri``. Returns {metrics, per_video,
    run_id}. ``diarization`` (None: when ``fixtures`` is the full set) adds the diarization
    eval's figures."""
    scratch = Path(tempfile.mkdtemp(prefix="vidscope-eval-"))
    diarization = fixtures == FIXTURES if diarization is None else diarization
    try:
        return _measure(
            settings,
            fixtures,
            scratch,
            name=name,
            log=log,
            chapters=chapters,
            diarization=diarization,
        )
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _measure(
    settings: Settings,
    fixtures: tuple[Fixture, ...],
    scratch: Path,
    *,
    name: str,
    log: bool,
    chapters: bool,
    diarization: bool,
) -> dict[str, Any]:
    work = settings.model_copy(update={"home": scratch})
    per_video: dict[str, dict[str, float]] = {}
    ranks: list[int | None] = []
    answers: list[bool] = []
    voices: dict[str, list[tuple[str, str]]] = {}  # voice: (reference, transcript) pairs
    latencies: list[float] = []
    errors = words = 0
    audio_s = ingest_s = 0.0
    with Library(work) as library:
        ids: dict[Path, str] = {}
        for fixture in fixtures:
            started = time.perf_counter()
            ingested = library.local.ingest_file(fixture.media)
            ingest_s += time.perf_counter() - started
            if ingested.status != "indexed":
                raise RuntimeError(
                    f"{fixture.media.name}: {ingested.error_code} {ingested.message}"
                )
            ids[fixture.media] = ingested.video_id
        for fixture in fixtures:
            script = json.loads(fixture.script.read_text())
            reference = " ".join(s["text"] for s in script["sentences"])
            hypothesis = " ".join(s.text for s in library.catalog.segments(ids[fixture.media]))
            video_wer = wer(reference, hypothesis)
            count = len(normalise(reference).split())
            errors += round(video_wer * count)
            words += count
            audio_s += float(script["duration"])
            video_ranks = []
            for query, index in make_queries(script["sentences"]):
                answers.append(
                    _answered_right(library, query, script["sentences"][index], ids[fixture.media])
                )
                truth = script["sentences"][index]
                started = time.perf_counter()
                hits = library.local.search(query, k=5)
                latencies.append((time.perf_counter() - started) * 1000)
                rank = next(
                    (
                        n
                        for n, hit in enumerate(hits, start=1)
                        if hit.video_id == ids[fixture.media]
                        and hit.start < truth["end"]
                        and hit.end > truth["start"]
                    ),
                    None,
                )
                video_ranks.append(rank)
            ranks += video_ranks
            per_video[fixture.media.name] = {
                "wer": video_wer,
                "recall_at_5": _recall(video_ranks, 5),
                "queries": len(video_ranks),
            }
            for voice, pair in _voice_pairs(script["sentences"], library, ids[fixture.media]):
                voices.setdefault(voice, []).append(pair)
        abstained = [library.local.ask(q).abstained for q in OFF_TOPIC]
        screen_found = [
            found
            for fixture in (SLIDE_TALKS if chapters else ())
            for found in _screen_hits(library, fixture)
        ]
        found = expected = matched = 0
        for fixture in TOPIC_TALKS if chapters else ():
            ingested = library.local.ingest_file(fixture.media)
            truth = json.loads(fixture.script.read_text())["topic_starts"][1:]
            cuts = [c.start for c in library.local.summary(ingested.video_id).chapters[1:]]
            found, expected = found + len(cuts), expected + len(truth)
            matched += boundaries_matched(cuts, truth, BOUNDARY_TOLERANCE_S)
    metrics = {
        "wer": errors / words if words else 0.0,
        "recall_at_1": _recall(ranks, 1),
        "recall_at_5": _recall(ranks, 5),
        "mrr": float(np.mean([1 / r if r else 0.0 for r in ranks])) if ranks else 0.0,
        "queries": float(len(ranks)),
        "answer_right": sum(answers) / len(answers) if answers else 0.0,
        "abstain_off_topic": sum(abstained) / len(abstained),
        **(
            {
                "chapter_precision": matched / found if found else 0.0,
                "chapter_recall": matched / expected if expected else 0.0,
            }
            if chapters
            else {}
        ),
        **({"screen_hit_rate": sum(screen_found) / len(screen_found)} if screen_found else {}),
        **{
            "wer_" + re.sub(r"[^\w.-]", "_", voice): wer(
                " ".join(r for r, _ in pairs), " ".join(h for _, h in pairs)
            )
            for voice, pairs in sorted(voices.items())
        },
        "search_p50_ms": float(np.percentile(latencies, 50)) if latencies else 0.0,
        "search_p99_ms": float(np.percentile(latencies, 99)) if latencies else 0.0,
        "audio_s": audio_s,
        "ingest_x_realtime": audio_s / ingest_s if ingest_s else 0.0,
        **(_diarization_metrics(settings) if diarization else {}),
    }
    result: dict[str, Any] = {"metrics": metrics, "per_video": per_video, "run_id": None}
    if log:
        result["run_id"] = log_run(
            "eval",
            uri=settings.tracking_uri,
            name=name,
            params={**run_params(settings), "fixtures": ",".join(f.media.name for f in fixtures)},
            metrics=metrics,
            report=result,
        )
    return result


def _diarization_metrics(settings: Settings) -> dict[str, float]:
    """The diarization eval's figures, ``diarization_``-prefixed, on the ingest's threads;
    nothing (and a warning) where espeak-ng, which speaks its conversations, is missing."""
    if shutil.which("espeak-ng") is None:
        warnings.warn("no diarization eval: espeak-ng is missing (make benchdeps)", stacklevel=2)
        return {}
    from evals.diarization import evaluate_diarization
    from pipelines.speech.diarize import DiarizeOptions

    threads = DiarizeOptions.from_settings(settings).threads
    # Its progress lines go to stderr: `vidscope eval --json` prints the result on stdout.
    with contextlib.redirect_stdout(sys.stderr):
        measured = evaluate_diarization(threads=threads)["metrics"]
    return {f"diarization_{k}": v for k, v in measured.items()}


def _answered_right(library: Library, question: str, truth: dict[str, Any], video_id: str) -> bool:
    answer = library.local.ask(question)
    if answer.abstained:
        return False
    cited = any(
        c.video_id == video_id and c.start < truth["end"] and c.end > truth["start"]
        for c in answer.citations
    )
    fact = set(normalise(truth["text"]).split()) - STOPWORDS
    said = set(normalise(answer.answer).split())
    return cited and len(fact & said) >= 0.6 * len(fact)


def _voice_pairs(
    sentences: list[dict[str, Any]], library: Library, video_id: str
) -> list[tuple[str, tuple[str, str]]]:
    """(voice, (reference sentence, the transcript's sentences whose middle falls in it)) for
    a talk whose sentences name their voice; nothing for a one-voice talk."""
    if not sentences or "voice" not in sentences[0]:
        return []
    segments = library.local.segments(video_id)
    pairs = []
    for truth in sentences:
        heard = " ".join(
            seg.text
            for seg in segments
            if truth["start"] - 0.4 <= (seg.start + seg.end) / 2 <= truth["end"] + 0.4
        )
        pairs.append((str(truth["voice"]), (str(truth["text"]), heard)))
    return pairs


def _screen_hits(library: Library, fixture: Fixture) -> list[bool]:
    """For each slide line holding a figure, whether its label's query finds the slide."""
    video_id = library.local.ingest_file(fixture.media).video_id
    found = []
    for slide in json.loads(fixture.script.read_text())["slides"]:
        for line in slide["lines"]:
            if ":" not in line or not re.search(r"\d", line):
                continue
            query = f"what is the {line.split(':')[0].strip().lower()}"
            hits = library.local.search(query, k=5)
            found.append(
                any(
                    h.source == "screen"
                    and h.video_id == video_id
                    and h.start < slide["end"]
                    and h.end > slide["start"]
                    for h in hits
                )
            )
    return found


def _recall(ranks: list[int | None], k: int) -> float:
    return sum(1 for r in ranks if r is not None and r <= k) / len(ranks) if ranks else 0.0
