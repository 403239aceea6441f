"""Videos and their transcripts: segments (sentences), words and chunks (passages).
Reads that a person's request can reach take ``owner_id``, so another owner's video is
"not found", exactly like one that does not exist."""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from pipelines.errors import NotFoundError
from pipelines.records import Chunk, Segment, Source, Video, Word
from pipelines.storage.catalog.jobs import JobTables


def new_video_id() -> str:
    """Random, not derived from the content: an id made from the bytes would tell one user
    what another has uploaded."""
    return secrets.token_hex(8)


@dataclass(frozen=True)
class PassageSentence:
    start: float
    end: float
    text: str
    vector: np.ndarray


@dataclass(frozen=True)
class Passage:
    id: int
    video_id: str
    title: str
    start: float
    end: float
    text: str
    sentences: tuple[PassageSentence, ...]
    source: Source = "speech"


def _blobs(vectors: np.ndarray) -> list[bytes]:
    return [row.tobytes() for row in np.ascontiguousarray(vectors, dtype=np.float32)]


class VideoTables(JobTables):
    """Videos and their transcripts (segments, words, chunks)."""

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
                f"no video with id {video_id!r}; run 'vidscope list' to see ids",
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
        """Bytes of media the owner holds (what the storage quota counts)."""
        row = self.con.execute(
            "SELECT coalesce(sum(size_bytes), 0) FROM videos WHERE owner_id = ?", [owner_id]
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
    ) -> list[int]:
        """Atomically replaces a video's segments, words and chunks, marks it ready and
        finishes its ingest job ``job_id``: after this commit the video is done, whatever
        happens to the derived indexes. Returns the new chunk ids, in chunk order (they are
        the vector ids in the index)."""
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
            self.con.execute(
                "UPDATE videos SET status = 'ready', language = ?, "
                "audio_track = coalesce(?, audio_track), error_code = NULL, "
                "error_message = NULL, updated_at = now() WHERE id = ?",
                [language, audio_track, video_id],
            )
            if job_id is not None:
                self.finish_job(job_id)
        return chunk_ids

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
        return [
            Segment(start, end, text, tuple(words.get(idx, ())), speaker)
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

    def passage_counts(self, *, owner_id: str) -> dict[str, int]:
        """Passages (chunks) per video id of one owner (videos with none are absent)."""
        rows = self.con.execute(
            "SELECT video_id, count(*) FROM chunks WHERE video_id IN "
            "(SELECT id FROM videos WHERE owner_id = ?) GROUP BY video_id",
            [owner_id],
        )
        return {str(video_id): int(n) for video_id, n in rows.fetchall()}

    def passages(self, chunk_ids: Iterable[int], *, owner_id: str) -> dict[int, Passage]:
        """The owner's chunks with their video title and their sentences (with embeddings),
        by chunk id; another owner's chunk ids are left out. Three primary-key reads: a join
        here scans whole tables (9 ms at 10^5 chunks)."""
        id_list = [int(i) for i in chunk_ids]
        if not id_list:
            return {}
        chunks = self.con.execute(
            'SELECT id, video_id, start, "end", text, segment_ids, source, '
            "CASE WHEN source = 'screen' THEN embedding END FROM chunks "
            "WHERE id IN (SELECT unnest(?))",
            [id_list],
        ).fetchall()
        video_ids = sorted({row[1] for row in chunks})
        titles = dict(
            self.con.execute(
                "SELECT id, title FROM videos WHERE id IN (SELECT unnest(?)) AND owner_id = ?",
                [video_ids, owner_id],
            ).fetchall()
        )
        chunks = [row for row in chunks if row[1] in titles]  # the owner's videos only
        segment_ids = [sid for row in chunks for sid in row[5]]
        sentences = {
            sid: PassageSentence(start, end, text, np.frombuffer(blob, dtype=np.float32))
            for sid, start, end, text, blob in self.con.execute(
                'SELECT id, start, "end", text, embedding FROM segments '
                "WHERE id IN (SELECT unnest(?))",
                [segment_ids],
            ).fetchall()
        }
        return {
            cid: Passage(
                cid,
                vid,
                titles[vid],
                start,
                end,
                text,
                # A screen passage is one "sentence": the text the picture showed.
                (PassageSentence(start, end, text, np.frombuffer(blob, dtype=np.float32)),)
                if source == "screen"
                else tuple(sentences[sid] for sid in sids if sid in sentences),
                source,
            )
            for cid, vid, start, end, text, sids, source, blob in chunks
        }

    def chunk_ids(self, *, owner_id: str, video_id: str | None = None) -> np.ndarray:
        """The owner's chunk ids in id order (``video_id``: that video's only)."""
        query = "SELECT id FROM chunks WHERE video_id IN (SELECT id FROM videos WHERE owner_id = ?)"
        params: list[Any] = [owner_id]
        if video_id is not None:
            query, params = query + " AND video_id = ?", [owner_id, video_id]
        rows = self.con.execute(query + " ORDER BY id", params).fetchnumpy()
        return np.asarray(rows["id"], dtype=np.int64)

    def fingerprint(self, *, owner_id: str) -> str:
        """The owner's passages as they are now, in a few characters: chunk ids come from a
        sequence and are never reused, so any ingest, re-ingest or delete changes it."""
        row = self.con.execute(
            "SELECT count(*), coalesce(max(id), 0), coalesce(sum(id), 0) FROM chunks "
            "WHERE video_id IN (SELECT id FROM videos WHERE owner_id = ?)",
            [owner_id],
        ).fetchone()
        return "-".join(str(v) for v in row) if row else "0-0-0"

    def chunk_texts(self, *, owner_id: str) -> tuple[np.ndarray, list[str]]:
        rows = self.con.execute(
            "SELECT id, text FROM chunks WHERE video_id IN "
            "(SELECT id FROM videos WHERE owner_id = ?) ORDER BY id",
            [owner_id],
        ).fetchnumpy()
        return np.asarray(rows["id"], dtype=np.int64), [str(t) for t in rows["text"]]

    def all_chunks(self, *, owner_id: str) -> tuple[np.ndarray, list[str], np.ndarray]:
        """(ids, texts, embeddings) of an owner's chunks by id: what its indexes are built from."""
        rows = self.con.execute(
            "SELECT id, text, embedding FROM chunks WHERE video_id IN "
            "(SELECT id FROM videos WHERE owner_id = ?) ORDER BY id",
            [owner_id],
        ).fetchnumpy()
        ids = np.asarray(rows["id"], dtype=np.int64)
        texts = [str(t) for t in rows["text"]]
        if len(ids) == 0:
            return ids, texts, np.zeros((0, 0), dtype=np.float32)
        blob = b"".join(bytes(b) for b in rows["embedding"])
        vectors = np.frombuffer(blob, dtype=np.float32).reshape(len(ids), -1)
        return ids, texts, vectors
