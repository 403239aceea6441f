"""DuckDB catalog: the source of truth for videos, segments, words, chunks and jobs.
This is the only module that writes SQL. Schema changes are numbered migrations; opening an
older library file applies the missing ones in order."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import numpy as np

from pipelines.errors import NotFoundError, VidscopeError
from pipelines.records import Chunk, Segment, Video, Word

VIDEO_STATUSES = ("processing", "ready", "failed", "deleting")
JOB_STATUSES = ("queued", "running", "succeeded", "failed")

# Each entry is one schema version. Never edit a released migration: append a new one.
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        """CREATE TABLE videos (
            id VARCHAR PRIMARY KEY,
            sha256 VARCHAR NOT NULL UNIQUE CHECK (length(sha256) = 64),
            title VARCHAR NOT NULL,
            status VARCHAR NOT NULL CHECK (status IN ('processing','ready','failed','deleting')),
            duration DOUBLE NOT NULL CHECK (duration >= 0),
            container VARCHAR NOT NULL,
            media_path VARCHAR NOT NULL,
            has_audio BOOLEAN NOT NULL,
            has_video BOOLEAN NOT NULL,
            size_bytes BIGINT NOT NULL CHECK (size_bytes > 0),
            language VARCHAR,
            error_code VARCHAR,
            error_message VARCHAR,
            created_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
            updated_at TIMESTAMP NOT NULL DEFAULT current_timestamp
        )""",
        "CREATE SEQUENCE segment_ids START 1",
        """CREATE TABLE segments (
            id BIGINT PRIMARY KEY,
            video_id VARCHAR NOT NULL REFERENCES videos(id),
            idx INTEGER NOT NULL CHECK (idx >= 0),
            start DOUBLE NOT NULL CHECK (start >= 0),
            "end" DOUBLE NOT NULL,
            text VARCHAR NOT NULL,
            embedding BLOB NOT NULL,
            CHECK (start < "end"),
            UNIQUE (video_id, idx)
        )""",
        # Words hang off the video (FK) and name their segment by index. A FK to segments
        # would make DuckDB refuse to delete a segment and its words in one transaction,
        # which re-ingesting must do atomically.
        """CREATE TABLE words (
            video_id VARCHAR NOT NULL REFERENCES videos(id),
            segment_idx INTEGER NOT NULL CHECK (segment_idx >= 0),
            idx INTEGER NOT NULL CHECK (idx >= 0),
            start DOUBLE NOT NULL CHECK (start >= 0),
            "end" DOUBLE NOT NULL,
            word VARCHAR NOT NULL,
            probability DOUBLE NOT NULL CHECK (probability BETWEEN 0 AND 1),
            CHECK (start <= "end"),
            PRIMARY KEY (video_id, segment_idx, idx)
        )""",
        "CREATE SEQUENCE chunk_ids START 1",
        """CREATE TABLE chunks (
            id BIGINT PRIMARY KEY,
            video_id VARCHAR NOT NULL REFERENCES videos(id),
            idx INTEGER NOT NULL CHECK (idx >= 0),
            start DOUBLE NOT NULL CHECK (start >= 0),
            "end" DOUBLE NOT NULL,
            text VARCHAR NOT NULL,
            first_segment INTEGER NOT NULL,
            last_segment INTEGER NOT NULL,
            -- The segments' primary keys, so search reads them by index, never by a join.
            segment_ids BIGINT[] NOT NULL,
            embedding BLOB NOT NULL,
            CHECK (start < "end"),
            CHECK (0 <= first_segment AND first_segment <= last_segment),
            UNIQUE (video_id, idx)
        )""",
        """CREATE TABLE jobs (
            id VARCHAR PRIMARY KEY,
            kind VARCHAR NOT NULL CHECK (kind IN ('ingest')),
            video_id VARCHAR,
            status VARCHAR NOT NULL CHECK (status IN ('queued','running','succeeded','failed')),
            error_code VARCHAR,
            error_message VARCHAR,
            created_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
            updated_at TIMESTAMP NOT NULL DEFAULT current_timestamp
        )""",
        "CREATE INDEX segments_by_video ON segments(video_id)",
        "CREATE INDEX chunks_by_video ON chunks(video_id)",
        "CREATE INDEX jobs_by_video ON jobs(video_id)",
    ),
    (
        # Which audio stream was transcribed (FFmpeg's 0:a:N) and how many the file has.
        "ALTER TABLE videos ADD COLUMN audio_track INTEGER",
        "ALTER TABLE videos ADD COLUMN audio_tracks INTEGER DEFAULT 0",
        "UPDATE videos SET audio_track = 0, audio_tracks = 1 WHERE has_audio",
        # The channel a sentence was spoken on, when each channel is one speaker.
        "ALTER TABLE segments ADD COLUMN speaker VARCHAR",
    ),
)
SCHEMA_VERSION = len(MIGRATIONS)


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


def _blobs(vectors: np.ndarray) -> list[bytes]:
    return [row.tobytes() for row in np.ascontiguousarray(vectors, dtype=np.float32)]


class Catalog:
    """One open DuckDB file. Not thread-safe: one Catalog per thread or process."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.con = duckdb.connect(str(path))
        except duckdb.IOException as exc:
            if "lock" in str(exc).lower():
                raise VidscopeError(
                    f"library {path.parent} is in use by another Vidscope process; "
                    "wait for it to finish or stop it",
                    code="library.locked",
                ) from exc
            raise VidscopeError(
                f"cannot open catalog {path}: {exc}", code="library.unreadable"
            ) from exc
        self.path = path
        self.migrate()

    def close(self) -> None:
        self.con.close()

    # -- schema -----------------------------------------------------------------------------
    def schema_version(self) -> int:
        self.con.execute(
            "CREATE TABLE IF NOT EXISTS schema_version ("
            "version INTEGER PRIMARY KEY, applied_at TIMESTAMP NOT NULL DEFAULT current_timestamp)"
        )
        row = self.con.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchone()
        return int(row[0]) if row else 0

    def migrate(self) -> int:
        """Applies missing migrations, each in its own transaction; returns the new version."""
        current = self.schema_version()
        if current > SCHEMA_VERSION:
            raise VidscopeError(
                f"library schema v{current} is newer than this Vidscope (v{SCHEMA_VERSION}); "
                "upgrade Vidscope",
                code="library.too_new",
            )
        for version in range(current + 1, SCHEMA_VERSION + 1):
            with self.transaction():
                for statement in MIGRATIONS[version - 1]:
                    self.con.execute(statement)
                self.con.execute("INSERT INTO schema_version (version) VALUES (?)", [version])
        if current < SCHEMA_VERSION:
            # Write the new schema into the database file now: DuckDB 1.5 cannot replay an
            # ALTER TABLE ... DEFAULT from the write-ahead log, so a process killed before the
            # next automatic checkpoint would leave a library that no longer opens.
            self.con.execute("CHECKPOINT")
        return SCHEMA_VERSION

    def transaction(self) -> _Transaction:
        return _Transaction(self.con)

    # -- videos -----------------------------------------------------------------------------
    _VIDEO_COLUMNS = (
        "id, sha256, title, status, duration, container, media_path, has_audio, has_video, "
        "size_bytes, language, error_code, audio_track, coalesce(audio_tracks, 0)"
    )

    def _video(self, row: Sequence[Any]) -> Video:
        return Video(*row)

    def get_video(self, video_id: str) -> Video:
        row = self.con.execute(
            f"SELECT {self._VIDEO_COLUMNS} FROM videos WHERE id = ?", [video_id]
        ).fetchone()
        if row is None:
            raise NotFoundError(
                f"no video with id {video_id!r}; run 'vidscope list' to see ids",
                code="video.not_found",
                video_id=video_id,
            )
        return self._video(row)

    def find_video_by_sha256(self, sha256: str) -> Video | None:
        row = self.con.execute(
            f"SELECT {self._VIDEO_COLUMNS} FROM videos WHERE sha256 = ?", [sha256]
        ).fetchone()
        return self._video(row) if row else None

    def list_videos(self, status: str | None = None) -> list[Video]:
        query = f"SELECT {self._VIDEO_COLUMNS} FROM videos"
        params: list[Any] = []
        if status is not None:
            query += " WHERE status = ?"
            params.append(status)
        rows = self.con.execute(query + " ORDER BY created_at, id", params).fetchall()
        return [self._video(row) for row in rows]

    def begin_ingest(self, video: Video, *, keep_ready: bool = False) -> str:
        """Opens the video's ingest job and, unless ``keep_ready`` (re-processing a ready
        video), records the video as 'processing', atomically; returns the job id."""
        with self.transaction():
            if not keep_ready:
                self.upsert_processing_video(video)
            return self.start_job(kind="ingest", video_id=video.id)

    def upsert_processing_video(self, video: Video) -> None:
        """Records a video as 'processing' (new, or re-run after a crash or --force)."""
        self.con.execute(
            """INSERT INTO videos (id, sha256, title, status, duration, container, media_path,
                                   has_audio, has_video, size_bytes, language, audio_track,
                                   audio_tracks)
               VALUES (?, ?, ?, 'processing', ?, ?, ?, ?, ?, ?, ?, ?, ?)
               ON CONFLICT (id) DO UPDATE SET status = 'processing', title = excluded.title,
                   duration = excluded.duration, audio_track = excluded.audio_track,
                   audio_tracks = excluded.audio_tracks,
                   error_code = NULL, error_message = NULL, updated_at = now()""",
            [
                video.id,
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
                    "last_segment, segment_ids, embedding)",
                    [
                        chunk_ids,
                        [video_id] * len(chunks),
                        list(range(len(chunks))),
                        [c.start for c in chunks],
                        [c.end for c in chunks],
                        [c.text for c in chunks],
                        [c.first_segment for c in chunks],
                        [c.last_segment for c in chunks],
                        [segment_ids[c.first_segment : c.last_segment + 1] for c in chunks],
                        _blobs(chunk_vectors),
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
        self.con.execute("DELETE FROM videos WHERE id = ? AND status = 'deleting'", [video_id])

    def _delete_children(self, video_id: str) -> None:
        self.con.execute("DELETE FROM words WHERE video_id = ?", [video_id])
        self.con.execute("DELETE FROM segments WHERE video_id = ?", [video_id])
        self.con.execute("DELETE FROM chunks WHERE video_id = ?", [video_id])

    def _next_ids(self, sequence: str, count: int) -> list[int]:
        if count == 0:
            return []
        rows = self.con.execute(f"SELECT nextval('{sequence}') FROM range(?)", [count]).fetchall()
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

    def segment_counts(self) -> dict[str, int]:
        """Transcribed sentences per video id (videos with none are absent)."""
        rows = self.con.execute("SELECT video_id, count(*) FROM segments GROUP BY video_id")
        return {str(video_id): int(n) for video_id, n in rows.fetchall()}

    def passages(self, chunk_ids: Iterable[int]) -> dict[int, Passage]:
        """Chunks with their video title and their sentences (with embeddings), by chunk id.
        Three primary-key reads: a join here scans whole tables (9 ms at 10^5 chunks)."""
        id_list = [int(i) for i in chunk_ids]
        if not id_list:
            return {}
        chunks = self.con.execute(
            'SELECT id, video_id, start, "end", text, segment_ids FROM chunks '
            "WHERE id IN (SELECT unnest(?))",
            [id_list],
        ).fetchall()
        video_ids = sorted({row[1] for row in chunks})
        titles = dict(
            self.con.execute(
                "SELECT id, title FROM videos WHERE id IN (SELECT unnest(?))", [video_ids]
            ).fetchall()
        )
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
                titles.get(vid, ""),
                start,
                end,
                text,
                tuple(sentences[sid] for sid in sids if sid in sentences),
            )
            for cid, vid, start, end, text, sids in chunks
        }

    def chunk_ids(self, video_id: str | None = None) -> np.ndarray:
        query, params = "SELECT id FROM chunks", []
        if video_id is not None:
            query, params = query + " WHERE video_id = ?", [video_id]
        rows = self.con.execute(query + " ORDER BY id", params).fetchnumpy()
        return np.asarray(rows["id"], dtype=np.int64)

    def chunk_texts(self) -> tuple[np.ndarray, list[str]]:
        rows = self.con.execute("SELECT id, text FROM chunks ORDER BY id").fetchnumpy()
        return np.asarray(rows["id"], dtype=np.int64), [str(t) for t in rows["text"]]

    def all_chunks(self) -> tuple[np.ndarray, list[str], np.ndarray]:
        """(ids, texts, embeddings) of every chunk by id: what the indexes are built from."""
        rows = self.con.execute("SELECT id, text, embedding FROM chunks ORDER BY id").fetchnumpy()
        ids = np.asarray(rows["id"], dtype=np.int64)
        texts = [str(t) for t in rows["text"]]
        if len(ids) == 0:
            return ids, texts, np.zeros((0, 0), dtype=np.float32)
        blob = b"".join(bytes(b) for b in rows["embedding"])
        vectors = np.frombuffer(blob, dtype=np.float32).reshape(len(ids), -1)
        return ids, texts, vectors

    # -- jobs -------------------------------------------------------------------------------
    def start_job(self, *, kind: str, video_id: str | None) -> str:
        job_id = uuid.uuid4().hex
        self.con.execute(
            "INSERT INTO jobs (id, kind, video_id, status) VALUES (?, ?, ?, 'running')",
            [job_id, kind, video_id],
        )
        return job_id

    def finish_job(
        self, job_id: str, *, error_code: str | None = None, error_message: str | None = None
    ) -> None:
        status = "failed" if error_code else "succeeded"
        self.con.execute(
            "UPDATE jobs SET status = ?, error_code = ?, error_message = ?, "
            "updated_at = now() WHERE id = ?",
            [status, error_code, error_message, job_id],
        )

    def interrupt_stale_jobs(self) -> int:
        """Marks jobs a crashed process left running as failed; returns how many.
        Safe because the catalog file lock guarantees no other process is writing now."""
        row = self.con.execute(
            "UPDATE jobs SET status = 'failed', error_code = 'ingest.interrupted', "
            "error_message = 'the process stopped before the job finished', "
            "updated_at = now() WHERE status IN ('queued', 'running') "
            "RETURNING id"
        ).fetchall()
        return len(row)

    def job_counts(self, video_id: str) -> dict[str, int]:
        rows = self.con.execute(
            "SELECT status, count(*) FROM jobs WHERE video_id = ? GROUP BY status", [video_id]
        ).fetchall()
        return {status: int(n) for status, n in rows}

    def table_counts(self) -> dict[str, int]:
        counts = {}
        for table in ("videos", "segments", "words", "chunks", "jobs"):
            row = self.con.execute(f"SELECT count(*) FROM {table}").fetchone()
            counts[table] = int(row[0]) if row else 0
        return counts


class _Transaction:
    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con

    def __enter__(self) -> None:
        self.con.execute("BEGIN TRANSACTION")

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if exc_type is None:
            self.con.execute("COMMIT")
        else:
            self.con.execute("ROLLBACK")
