"""How a video's summary is made and kept: by whom (the extractive rules, or a language model
checked against the extractive pass), under which key the catalog keeps it, and the one
function every way in calls (the ingest job's "summary" stage, a request for a summary that
is missing, a regeneration). Pure: no catalog, no index; plain values cross processes."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from pipelines.records import Chunk, Segment

if TYPE_CHECKING:  # numpy and the summariser load when a summary is made: a clip needs neither
    import numpy as np

    from pipelines.config import Settings
    from pipelines.understanding.chapters import Summary

EXTRACTIVE = "extractive"
# The version of the rules a stored summary was made by: the catalog keeps a summary under
# "<writer>/<version>", so a summary made by older rules (or another writer) is made again
# rather than served. 3: whole sentences, titles naming the topic, citations. 4: six to ten
# chapters' sentences fused in pairs ("A; b.") rather than a list of titles; no sentence
# before the first topic's turn or a misheard closing line is quoted.
RULES_VERSION = 4


@dataclass(frozen=True)
class SummaryOptions:
    """Who writes summaries (``VIDSCOPE_ASK_GENERATOR``: a local model writes them when it
    writes answers) and what it needs; plain values, so the options cross processes."""

    writer: str  # "extractive" or a local model's name (VIDSCOPE_LLM_LOCAL_MODEL)
    threads: int
    model_cache: Path
    embed_model: str

    @classmethod
    def from_settings(cls, settings: Settings) -> SummaryOptions:
        local = settings.ask_generator == "local"
        return cls(
            writer=settings.llm_local_model if local else EXTRACTIVE,
            threads=settings.threads,
            model_cache=settings.model_cache,
            embed_model=settings.embedding.model,
        )

    @property
    def stored_as(self) -> str:
        return stored_as(self.writer)


def stored_as(writer: str) -> str:
    """The catalog's key for summaries by ``writer`` under the current rules."""
    return f"{writer}/{RULES_VERSION}"


def make_summary(
    segments: Sequence[Segment],
    vectors: np.ndarray,
    duration: float,
    screens: Sequence[Chunk],
    options: SummaryOptions,
    progress: Callable[[float], None] = lambda fraction: None,
) -> tuple[Summary, str]:
    """(the summary, who wrote it: ``extractive`` or the model's name). With a model, the
    model writes the titles and the summary from the extractive pass's chapters and
    sentences; what it writes is kept only where grounded (``written``), and the extractive
    text stands wherever it is not. Raises ``ModelError`` only when the model cannot load."""
    from pipelines.understanding.chapters import summarize

    extractive = summarize(segments, vectors, duration, screens=screens)
    progress(0.1)
    if options.writer == EXTRACTIVE or not segments:
        return extractive, EXTRACTIVE
    from pipelines.understanding.gguf_runtime import load_language_model
    from pipelines.understanding.grounding import embedder
    from pipelines.understanding.written import write_summary

    model = load_language_model(options.writer, options.threads, cache=options.model_cache)
    embed = embedder(options.embed_model, threads=options.threads, cache_dir=options.model_cache)
    return write_summary(
        extractive,
        segments,
        vectors,
        duration,
        screens,
        model=model,
        embed=embed,
        progress=progress,
    )


class SummaryCatalog(Protocol):
    """What making and keeping a summary reads and writes (an owner's catalog has it)."""

    def sentences(self, video_id: str) -> tuple[list[Segment], np.ndarray]: ...

    def chunk_ids(self, video_id: str | None = None) -> np.ndarray: ...

    def passages(self, chunk_ids: Iterable[int]) -> Mapping[int, Any]: ...

    def stored_summary(self, video_id: str, *, method: str) -> tuple[str, str | None]: ...

    def store_summary(
        self, video_id: str, *, method: str, fingerprint: str, payload: str
    ) -> None: ...


@dataclass(frozen=True)
class SummaryInputs:
    """A video's stored sentences, their vectors and its screen passages, and the
    fingerprint of the transcript they are (the summary is kept under it)."""

    video_id: str
    duration: float
    segments: list[Segment]
    vectors: np.ndarray
    screens: list[Chunk]
    fingerprint: str


def summary_inputs(catalog: SummaryCatalog, video_id: str, duration: float) -> SummaryInputs:
    """What ``make_summary`` needs of a ready video, read from the catalog."""
    fingerprint, _ = catalog.stored_summary(video_id, method="")  # the fingerprint only
    segments, vectors = catalog.sentences(video_id)
    shown = catalog.passages(catalog.chunk_ids(video_id)).values()
    screens = sorted(
        (
            Chunk(p.start, p.end, p.text, 0, 0, source="screen")
            for p in shown
            if p.source == "screen"
        ),
        key=lambda c: c.start,
    )
    return SummaryInputs(video_id, duration, segments, vectors, screens, fingerprint)


def keep_summary(
    catalog: SummaryCatalog,
    inputs: SummaryInputs,
    made: Summary,
    writer: str,
    options: SummaryOptions,
) -> str:
    """Stores ``made`` (written by ``writer``) under the options' key and the transcript's
    fingerprint; returns the stored JSON (a ``SummaryPublic``)."""
    from pipelines.public import SummaryPublic

    payload = SummaryPublic.of(inputs.video_id, made, writer).model_dump_json()
    catalog.store_summary(
        inputs.video_id, method=options.stored_as, fingerprint=inputs.fingerprint, payload=payload
    )
    return payload


def summarize_stored(
    catalog: SummaryCatalog,
    video_id: str,
    duration: float,
    options: SummaryOptions,
    progress: Callable[[float], None] = lambda fraction: None,
) -> str:
    """Makes a ready video's summary now, from what the catalog holds, and keeps it."""
    inputs = summary_inputs(catalog, video_id, duration)
    made, writer = make_summary(
        inputs.segments, inputs.vectors, duration, inputs.screens, options, progress
    )
    return keep_summary(catalog, inputs, made, writer, options)
