"""One video's compute as a Parquet shard: what a batch worker hands the one writer.

Workers never open the catalog; they write a shard per video and the writer merges it
(``pipelines.jobs.merge.merge_shards``). Parquet, not pickle: a shard is plain columns that any
tool can read, and loading one can never run code. A shard is written aside and renamed, so
a worker killed mid-write leaves no shard the writer could mistake for a whole one.

Format 2 adds the video's speakers as "voice" rows (label, talk time, voice print); a format 1
shard, written before speakers were stored, still reads (it has none)."""

from __future__ import annotations

import functools
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from pipelines.compute import IngestArtifact
from pipelines.extras import require_extra
from pipelines.records import AudioTrack, Chunk, MediaInfo, Segment, Voice, Word
from pipelines.storage.files import atomic_write

if TYPE_CHECKING:
    import pyarrow as pa

FORMAT = 2
READABLE_FORMATS = (1, 2)
_META_KEY = b"vidscope"


@functools.cache
def _schema() -> pa.Schema:
    """The shard's columns. pyarrow is the batch extra's (the server image has none): it is
    imported when a shard is written or read, never when the server starts."""
    require_extra("batch", "pyarrow")
    import pyarrow as pa

    word = pa.struct(
        [
            ("start", pa.float64()),
            ("end", pa.float64()),
            ("text", pa.string()),
            ("probability", pa.float64()),
        ]
    )
    return pa.schema(
        [
            ("kind", pa.string()),  # "segment" | "chunk" (speech) | "screen" | "voice"
            ("idx", pa.int32()),
            ("start", pa.float64()),
            ("end", pa.float64()),
            ("text", pa.string()),
            ("speaker", pa.string()),  # a segment's label; a voice's own
            ("seconds", pa.float64()),  # a voice's talk time
            ("first_segment", pa.int32()),
            ("last_segment", pa.int32()),
            ("words", pa.list_(word)),
            ("vector", pa.list_(pa.float32())),
        ]
    )


@dataclass(frozen=True)
class ShardSource:
    """The file a shard was computed from, as the writer needs it to store the video."""

    sha256: str
    title: str
    path: str  # where the writer copies the media from
    info: MediaInfo
    track: int | None

    def to_json(self) -> dict[str, Any]:
        return {
            "sha256": self.sha256,
            "title": self.title,
            "path": self.path,
            "info": asdict(self.info),
            "track": self.track,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ShardSource:
        info = dict(data["info"])
        info["audio_tracks"] = tuple(AudioTrack(**t) for t in info.get("audio_tracks", ()))
        return cls(
            sha256=str(data["sha256"]),
            title=str(data["title"]),
            path=str(data["path"]),
            info=MediaInfo(**info),
            track=data["track"],
        )


def shard_path(folder: Path, sha256: str) -> Path:
    return folder / f"{sha256}.parquet"


def write_shard(folder: Path, source: ShardSource, artifact: IngestArtifact) -> Path:
    """Writes ``artifact`` as ``folder/<sha256>.parquet`` atomically; returns the path."""
    rows: list[dict[str, Any]] = [
        {
            "kind": "segment",
            "idx": n,
            "start": segment.start,
            "end": segment.end,
            "text": segment.text,
            "speaker": segment.speaker,
            "words": [asdict(w) for w in segment.words],
            "vector": artifact.segment_vectors[n].astype(np.float32).tolist(),
        }
        for n, segment in enumerate(artifact.segments)
    ] + [
        {
            "kind": "chunk" if chunk.source == "speech" else "screen",
            "idx": n,
            "start": chunk.start,
            "end": chunk.end,
            "text": chunk.text,
            "first_segment": chunk.first_segment,
            "last_segment": chunk.last_segment,
            "words": [],
            "vector": artifact.chunk_vectors[n].astype(np.float32).tolist(),
        }
        for n, chunk in enumerate(artifact.chunks)
    ]
    rows += [
        {
            "kind": "voice",
            "idx": n,
            "speaker": voice.label,
            "seconds": voice.seconds,
            "words": [],
            "vector": list(voice.vector) if voice.vector is not None else None,
        }
        for n, voice in enumerate(artifact.voices)
    ]
    vectors = artifact.chunk_vectors
    meta = {
        "format": FORMAT,
        "source": source.to_json(),
        "language": artifact.language,
        "dim": int(vectors.shape[1]) if vectors.ndim == 2 else 0,
    }
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = _schema().with_metadata({_META_KEY: json.dumps(meta)})
    table = pa.Table.from_pylist(rows, schema=schema)
    final = shard_path(folder, source.sha256)
    # Hidden and per process: readers list only finished shards, and two workers writing the
    # same video never share a part.
    with atomic_write(final, partial_name=f".{final.name}.{os.getpid()}.part") as partial:
        pq.write_table(table, partial)
    return final


def read_shard(path: Path) -> tuple[ShardSource, IngestArtifact]:
    """The source and artifact a worker wrote; ``ValueError`` when it is not a shard."""
    _schema()  # the batch extra, or extra.missing
    import pyarrow.parquet as pq

    table = pq.read_table(path)
    raw = (table.schema.metadata or {}).get(_META_KEY)
    if raw is None:
        raise ValueError(f"{path.name} is not a Vidscope shard")
    meta = json.loads(raw)
    if meta.get("format") not in READABLE_FORMATS:
        raise ValueError(f"{path.name} has shard format {meta.get('format')}, expected {FORMAT}")
    columns = table.to_pydict()
    segments: list[Segment] = []
    chunks: list[Chunk] = []
    segment_vectors: list[list[float]] = []
    chunk_vectors: list[list[float]] = []
    voices: list[Voice] = []
    for i, kind in enumerate(columns["kind"]):
        if kind == "voice":
            vector = columns["vector"][i]
            voices.append(
                Voice(
                    columns["speaker"][i],
                    columns["seconds"][i],
                    tuple(vector) if vector is not None else None,
                )
            )
        elif kind == "segment":
            words = tuple(Word(**w) for w in columns["words"][i])
            segments.append(
                Segment(
                    columns["start"][i],
                    columns["end"][i],
                    columns["text"][i],
                    words,
                    columns["speaker"][i],
                )
            )
            segment_vectors.append(columns["vector"][i])
        else:
            chunks.append(
                Chunk(
                    columns["start"][i],
                    columns["end"][i],
                    columns["text"][i],
                    columns["first_segment"][i],
                    columns["last_segment"][i],
                    source="screen" if kind == "screen" else "speech",
                )
            )
            chunk_vectors.append(columns["vector"][i])
    dim = int(meta.get("dim", 0))

    def matrix(vectors: list[list[float]]) -> np.ndarray:
        if not vectors:
            return np.zeros((0, dim), dtype=np.float32)
        return np.asarray(vectors, dtype=np.float32)

    source = ShardSource.from_json(meta["source"])
    artifact = IngestArtifact(
        audio_track=source.track,
        language=meta.get("language"),
        segments=tuple(segments),
        chunks=tuple(chunks),
        chunk_vectors=matrix(chunk_vectors),
        segment_vectors=matrix(segment_vectors),
        voices=tuple(voices),
    )
    return source, artifact
