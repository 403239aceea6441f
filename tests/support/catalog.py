"""A small catalog filled by hand: one video of two sentences and one passage, for tests of
the catalog and of what is checked against it."""

from __future__ import annotations

import hashlib

import numpy as np

from pipelines.records import Chunk, Segment, Video, Word
from pipelines.storage.catalog import LOCAL_OWNER, Catalog


def video(video_id: str = "v1") -> Video:
    return Video(
        id=video_id,
        sha256=hashlib.sha256(video_id.encode()).hexdigest(),
        title="t",
        status="processing",
        duration=10.0,
        container="mp4",
        media_path=f"media/{video_id}.mp4",
        has_audio=True,
        has_video=True,
        size_bytes=100,
        owner_id=LOCAL_OWNER,
    )


SEGMENTS = [
    Segment(0.5, 2.0, "hello there", (Word(0.5, 1.0, "hello"), Word(1.1, 2.0, "there"))),
    Segment(2.5, 4.0, "general kenobi", (Word(2.5, 3.0, "general"), Word(3.1, 4.0, "kenobi"))),
]
CHUNKS = [Chunk(0.5, 4.0, "hello there general kenobi", 0, 1)]


def vectors(n: int) -> np.ndarray:
    return np.ones((n, 4), dtype=np.float32)


def fill(cat: Catalog, video_id: str = "v1") -> list[int]:
    cat.upsert_processing_video(video(video_id))
    return cat.replace_transcript(
        video_id=video_id,
        language="en",
        segments=SEGMENTS,
        chunks=CHUNKS,
        chunk_vectors=vectors(1),
        segment_vectors=vectors(2),
    )
