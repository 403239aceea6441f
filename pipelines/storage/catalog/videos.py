"""Videos and their transcripts: segments (sentences), words and chunks (passages), written
whole (``passages.PassageTables`` reads the passages back). Reads that a person's request can
reach take ``owner_id``, so another owner's video is "not found", exactly like one that does
not exist."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from pipelines.errors import NotFoundError
from pipelines.records import Chunk, Segment, Video, Voice, Word
from pipelines.storage.catalog.jobs import JobTables
from pipelines.storage.catalog.speakers import SpeakerTables

if TYPE_CHECKING:  # loaded where vectors are read or written: opening a library needs none
    import numpy as np


def new_video_id() -> str:
    """Random, not derived from the content: an id made from the bytes would tell one user
    what another has uploaded."""
    return secrets.token_hex(8)


def _blobs(vectors: np.ndarray) -> list[bytes]:
    import numpy as np

    return [row.tobytes() for row in np.ascontiguousarray(vectors, dtype=np.float32)]


class VideoTables(JobTables, SpeakerTables):
    """Videos and their transcripts (segments, words, chunks, speakers)."""

    # -- videos -----------------------------------------------------------------------------
    VIDEO_COLUMNS = (
        "id, sha256, title, status, duration, container, media_path, has_audio, has_video, "
        "size_bytes, language, error_code, audio_track, audio_tracks, owner_id, created_at"
    )
    VIDEO_FIELDS = tuple(name.strip() for name in VIDEO_COLUMNS.split(","))

    def video_record(self, row: Sequence[Any]) -> Video:
        return Video(**dict(zip(self.VIDEO_FIELDS, row, strict=True)))

    def get_video(self, video_id: str, *, owner_id: str) -> Video:
        """The owner's video; another owner's id raises ``video.not_found`` like a missing one."""
        row = self.con.execute(
            f"SELECT {self.VIDEO_COLUMNS} FROM videos WHERE id = ? AND owner_id = ?",  # nosec B608  # constant columns; values bound
            [video_id, owner_id],
        ).fetchone()
        if row is None:
            raise NotFoundError(
                f"no video with id {video_id!r}; the list of your videos shows their ids",
                code="video.not_found",
                video_id=video_id,
            )
        return self.video_record(row)

    def find_video_by_sha256(self, sha256: str, *, owner_id: str) -> Video | None:
        row = self.con.execute(
            f"SELECT {self.VIDEO_COLUMNS} FROM videos WHERE sha256 = ? AND owner_id = ?",  # nosec B608  # constant columns; values bound
            [sha256, owner_id],
        ).fetchone()
        return self.video_record(row) if row else None

    def list_videos(
        self,
        status: str | None = None,
        *,
        owner_id: str,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[Video]:
        """The owner's videos in upload order (every owner's: ``SystemCatalog.videos``)."""
        query = f"SELECT {self.VIDEO_COLUMNS} FROM videos WHERE owner_id = ?"  # nosec B608  # constant columns; values bound
        params: list[Any] = [owner_id]
        if status is not None:
            query += " AND status = ?"
            params.append(status)
        query += " ORDER BY created_at, id"
        if limit is not None:
            query += " LIMIT ? OFFSET ?"
            params += [limit, offset]
        return [self.video_record(row) for row in self.con.execute(query, params).fetchall()]

    def count_videos(self, *, owner_id: str) -> int:
        row = self.con.execute(
            "SELECT count(*) FROM videos WHERE owner_id = ?", [owner_id]
        ).fetchone()
        return int(row[0]) if row else 0

    def stored_bytes(self, *, owner_id: str) -> int:
        """Bytes the owner holds in the library: their videos' media, clips and reels (what
        the storage quota counts; a clip or reel counts once its file is written)."""
        row = self.con.execute(
            "SELECT (SELECT coalesce(sum(size_bytes), 0) FROM videos WHERE owner_id = $owner)"
            " + (SELECT coalesce(sum(size_bytes), 0) FROM clips WHERE owner_id = $owner)"
            " + (SELECT coalesce(sum(size_bytes), 0) FROM reels WHERE owner_id = $owner)",
            {"owner": owner_id},
        ).fetchone()
        return int(row[0]) if row else 0

    def begin_ingest(
        self, video: Video, *, keep_ready: bool = False, job: dict[str, Any] | None = None
    ) -> str:
        """Opens the video's ingest job and, unless ``keep_ready`` (re-processing a ready
        video), records the video as 'processing', atomically; returns the job id. ``job``
        holds extra job columns (status, payload) for a queued job."""
        with self.transaction():
            if not keep_ready:
                self.upsert_processing_video(video)
            return self.add_job(
                kind="ingest", owner_id=video.owner_id, video_id=video.id, **(job or {})
            )

    def upsert_processing_video(self, video: Video) -> None:
        """Records a video as 'processing' (new, or re-run after a crash or --force)."""
        with self.transaction():
            self.con.execute(
                """INSERT INTO videos (id, owner_id, sha256, title, status, duration, container,
                                       media_path, has_audio, has_video, size_bytes, language,
                                       audio_track, audio_tracks)
                   VALUES (?, ?, ?, ?, 'processing', ?, ?, ?, ?, ?, ?, ?, ?, ?)
                   ON CONFLICT (id) DO UPDATE SET status = 'processing', title = excluded.title,
                       duration = excluded.duration, audio_track = excluded.audio_track,
                       audio_tracks = excluded.audio_tracks,
                       error_code = NULL, error_message = NULL, updated_at = now()""",
                [
                    video.id,
                    video.owner_id,
                    video.sha256,
                    video.title,
                    video.duration,
                    video.container,
                    video.media_path,
                    video.has_audio,
                    video.has_video,
                    video.size_bytes,
                    video.language,
                    video.audio_track,
                    video.audio_tracks,
                ],
            )

    def replace_transcript(
        self,
        *,
        video_id: str,
        job_id: str | None = None,
        audio_track: int | None = None,
        language: str | None,
        segments: Sequence[Segment],
        chunks: Sequence[Chunk],
        chunk_vectors: np.ndarray,
        segment_vectors: np.ndarray,
        voices: Sequence[Voice] = (),
        ready: bool = True,
    ) -> list[int]:
        """Atomically replaces a video's segments, words, chunks and speakers (``voices``:
        one per label its segments carry; names given to the old ones go) and, with ``ready``,
        marks it ready and finishes its ingest job ``job_id`` (``mark_ready``). An ingest
        passes ``ready=False`` and marks it once its passages are in the search indexes, so
        that a video shown ready is found by search. Returns the new chunk ids, in chunk
        order (they are the vector ids in the index)."""
        if len(chunks) != len(chunk_vectors) or len(segments) != len(segment_vectors):
            raise ValueError("one embedding per chunk and per segment expected")
        with self.transaction():
            self._delete_children(video_id)
            segment_ids = self._next_ids("segment_ids", len(segments))
            chunk_ids = self._next_ids("chunk_ids", len(chunks))
            if segments:
                self._insert_columns(
                    'segments (id, video_id, idx, start, "end", text, embedding, speaker)',
                    [
                        segment_ids,
                        [video_id] * len(segments),
                        list(range(len(segments))),
                        [s.start for s in segments],
                        [s.end for s in segments],
                        [s.text for s in segments],
                        _blobs(segment_vectors),
                        [s.speaker for s in segments],
                    ],
                )
                word_rows = [
                    (video_id, n, i, w.start, w.end, w.text, w.probability)
                    for n, s in enumerate(segments)
                    for i, w in enumerate(s.words)
                ]
                if word_rows:
                    self._insert_columns(
                        'words (video_id, segment_idx, idx, start, "end", word, probability)',
                        [list(col) for col in zip(*word_rows, strict=True)],
                    )
            if chunks:
                self._insert_columns(
                    'chunks (id, video_id, idx, start, "end", text, first_segment, '
                    "last_segment, segment_ids, embedding, source)",
                    [
                        chunk_ids,
                        [video_id] * len(chunks),
                        list(range(len(chunks))),
                        [c.start for c in chunks],
                        [c.end for c in chunks],
                        [c.text for c in chunks],
                        [c.first_segment for c in chunks],
                        [c.last_segment for c in chunks],
                        [
                            segment_ids[c.first_segment : c.last_segment + 1]
                            if c.source == "speech"
                            else []
                            for c in chunks
                        ],
                        _blobs(chunk_vectors),
                        [c.source for c in chunks],
                    ],
                )
            self.insert_speakers(video_id, voices)
            self.con.execute(
                "UPDATE videos SET language = ?, audio_track = coalesce(?, audio_track), "
                "updated_at = now() WHERE id = ?",
                [language, audio_track, video_id],
            )
            if ready:
                self.mark_ready(video_id, job_id=job_id)
        return chunk_ids

    def mark_ready(self, video_id: str, *, job_id: str | None = None) -> None:
        """The video is done (and its ingest job ``job_id`` with it): one transaction."""
        with self.transaction():
            self.con.execute(
                "UPDATE videos SET status = 'ready', error_code = NULL, error_message = NULL, "
                "updated_at = now() WHERE id = ?",
                [video_id],
            )
            if job_id is not None:
                self.finish_job(job_id)

    def begin_delete(self, video_id: str) -> None:
        """First step of a delete: children go and the video is marked 'deleting'.
        DuckDB cannot delete a parent row in the transaction that deleted its children,
        so ``finish_delete`` removes the row; start-up repair finishes any interrupted delete."""
        with self.transaction():
            self._delete_children(video_id)
            self.con.execute(
                "UPDATE videos SET status = 'deleting', updated_at = now() WHERE id = ?",
                [video_id],
            )

    def finish_delete(self, video_id: str) -> None:
        with self.transaction():
            self.con.execute("DELETE FROM videos WHERE id = ? AND status = 'deleting'", [video_id])

    def _delete_children(self, video_id: str) -> None:
        self.con.execute("DELETE FROM summaries WHERE video_id = ?", [video_id])
        self.con.execute("DELETE FROM words WHERE video_id = ?", [video_id])
        self.con.execute("DELETE FROM segments WHERE video_id = ?", [video_id])
        self.con.execute("DELETE FROM chunks WHERE video_id = ?", [video_id])
        self.con.execute("DELETE FROM speakers WHERE video_id = ?", [video_id])
        self.con.execute("DELETE FROM speaker_rejections WHERE video_id = ?", [video_id])

    def _next_ids(self, sequence: str, count: int) -> list[int]:
        if count == 0:
            return []
        rows = self.con.execute(f"SELECT nextval('{sequence}') FROM range(?)", [count]).fetchall()  # nosec B608  # constant columns; values bound
        return [int(r[0]) for r in rows]

    def _insert_columns(self, target: str, columns: list[list[Any]]) -> None:
        # One statement per table: unnest zips the parameter lists into rows, which is
        # orders of magnitude faster than executemany for thousands of words.
        placeholders = ", ".join(f"unnest(${i + 1})" for i in range(len(columns)))
        self.con.execute(f"INSERT INTO {target} SELECT {placeholders}", columns)

    # -- transcripts and chunks ------------------------------------------------------------
    def segments(self, video_id: str) -> list[Segment]:
        """The video's sentences in order, each ``speaker`` as shown (``shown_speakers``: the
        name a person gave, else the label; None for a lone voice nobody named)."""
        rows = self.con.execute(
            'SELECT idx, start, "end", text, speaker FROM segments WHERE video_id = ? ORDER BY idx',
            [video_id],
        ).fetchall()
        words: dict[int, list[Word]] = {}
        for segment_idx, start, end, word, prob in self.con.execute(
            'SELECT segment_idx, start, "end", word, probability FROM words '
            "WHERE video_id = ? ORDER BY segment_idx, idx",
            [video_id],
        ).fetchall():
            words.setdefault(segment_idx, []).append(Word(start, end, word, prob))
        shown = self.shown_speakers([video_id]).get(video_id, {})
        return [
            Segment(start, end, text, tuple(words.get(idx, ())), shown.get(speaker, speaker))
            for idx, start, end, text, speaker in rows
        ]

    def segment_counts(self, *, owner_id: str) -> dict[str, int]:
        """Transcribed sentences per video id of one owner (videos with none are absent)."""
        rows = self.con.execute(
            "SELECT video_id, count(*) FROM segments WHERE video_id IN "
            "(SELECT id FROM videos WHERE owner_id = ?) GROUP BY video_id",
            [owner_id],
        )
        return {str(video_id): int(n) for video_id, n in rows.fetchall()}
