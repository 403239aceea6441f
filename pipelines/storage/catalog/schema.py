"""The catalog's schema as numbered migrations. Never edit a released migration: append one.
Opening an older library file applies the missing ones in order, each in one transaction.

Rollback: a migration listed in ``ADDITIVE`` only adds, so the release before it runs on the
catalog it leaves; a catalog records, for each version, the oldest schema a release must know to
run on it (``oldest_reader``), and an older release opens a newer catalog only at or above that
(db.py; docs/operating.md, "Upgrades and rollback")."""

from __future__ import annotations

LOCAL_OWNER = "local"  # the owner the CLI acts for by default; it has no password


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
    (
        # Owners. Every video, job and clip belongs to one; the local owner (the CLI's) owns
        # everything a release before owners made. It has no password, so nobody logs in as it.
        """CREATE TABLE users (
            id VARCHAR PRIMARY KEY,
            username VARCHAR NOT NULL UNIQUE,
            password_hash VARCHAR,
            role VARCHAR NOT NULL CHECK (role IN ('user', 'admin')),
            disabled BOOLEAN NOT NULL DEFAULT false,
            created_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
            updated_at TIMESTAMP NOT NULL DEFAULT current_timestamp
        )""",
        "INSERT INTO users (id, username, role) VALUES ('local', 'local', 'admin')",
        # Uniqueness becomes (owner_id, sha256): two people may hold the same talk. DuckDB can
        # neither drop a UNIQUE constraint nor rename a table others reference, so the
        # transcript tables are copied aside, dropped, and made again around the new videos.
        "CREATE TEMP TABLE old_segments AS SELECT * FROM segments",
        "CREATE TEMP TABLE old_words AS SELECT * FROM words",
        "CREATE TEMP TABLE old_chunks AS SELECT * FROM chunks",
        """CREATE TABLE videos_v3 (
            id VARCHAR PRIMARY KEY,
            owner_id VARCHAR NOT NULL REFERENCES users(id),
            sha256 VARCHAR NOT NULL CHECK (length(sha256) = 64),
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
            audio_track INTEGER,
            audio_tracks INTEGER NOT NULL DEFAULT 0,
            created_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
            updated_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
            UNIQUE (owner_id, sha256)
        )""",
        """INSERT INTO videos_v3 SELECT id, 'local', sha256, title, status, duration, container,
            media_path, has_audio, has_video, size_bytes, language, error_code, error_message,
            audio_track, coalesce(audio_tracks, 0), created_at, updated_at FROM videos""",
        "DROP TABLE words",
        "DROP TABLE segments",
        "DROP TABLE chunks",
        "DROP TABLE videos",
        "ALTER TABLE videos_v3 RENAME TO videos",
        """CREATE TABLE segments (
            id BIGINT PRIMARY KEY,
            video_id VARCHAR NOT NULL REFERENCES videos(id),
            idx INTEGER NOT NULL CHECK (idx >= 0),
            start DOUBLE NOT NULL CHECK (start >= 0),
            "end" DOUBLE NOT NULL,
            text VARCHAR NOT NULL,
            embedding BLOB NOT NULL,
            speaker VARCHAR,
            CHECK (start < "end"),
            UNIQUE (video_id, idx)
        )""",
        """INSERT INTO segments SELECT id, video_id, idx, start, "end", text, embedding, speaker
            FROM old_segments""",
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
        """INSERT INTO words SELECT video_id, segment_idx, idx, start, "end", word, probability
            FROM old_words""",
        """CREATE TABLE chunks (
            id BIGINT PRIMARY KEY,
            video_id VARCHAR NOT NULL REFERENCES videos(id),
            idx INTEGER NOT NULL CHECK (idx >= 0),
            start DOUBLE NOT NULL CHECK (start >= 0),
            "end" DOUBLE NOT NULL,
            text VARCHAR NOT NULL,
            first_segment INTEGER NOT NULL,
            last_segment INTEGER NOT NULL,
            segment_ids BIGINT[] NOT NULL,
            embedding BLOB NOT NULL,
            CHECK (start < "end"),
            CHECK (0 <= first_segment AND first_segment <= last_segment),
            UNIQUE (video_id, idx)
        )""",
        """INSERT INTO chunks SELECT id, video_id, idx, start, "end", text, first_segment,
            last_segment, segment_ids, embedding FROM old_chunks""",
        "DROP TABLE old_segments",
        "DROP TABLE old_words",
        "DROP TABLE old_chunks",
        "CREATE INDEX videos_by_owner ON videos(owner_id)",
        "CREATE INDEX segments_by_video ON segments(video_id)",
        "CREATE INDEX chunks_by_video ON chunks(video_id)",
        # Jobs become a durable queue: an owner, what to run (payload), attempts with a
        # backoff (run_after), a lease the worker renews (lease_until), and progress.
        "CREATE TEMP TABLE old_jobs AS SELECT * FROM jobs",
        "DROP TABLE jobs",
        """CREATE TABLE jobs (
            id VARCHAR PRIMARY KEY,
            owner_id VARCHAR NOT NULL REFERENCES users(id),
            kind VARCHAR NOT NULL CHECK (kind IN ('ingest', 'clip')),
            video_id VARCHAR,
            clip_id VARCHAR,
            status VARCHAR NOT NULL CHECK (status IN ('queued','running','succeeded','failed')),
            stage VARCHAR,
            progress DOUBLE NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 1),
            attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
            max_attempts INTEGER NOT NULL DEFAULT 3 CHECK (max_attempts >= 1),
            payload VARCHAR NOT NULL DEFAULT '{}',
            run_after TIMESTAMP NOT NULL DEFAULT current_timestamp,
            lease_until TIMESTAMP,
            error_code VARCHAR,
            error_message VARCHAR,
            created_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
            updated_at TIMESTAMP NOT NULL DEFAULT current_timestamp
        )""",
        """INSERT INTO jobs (id, owner_id, kind, video_id, status, progress, attempts,
                             error_code, error_message, created_at, updated_at)
            SELECT id, 'local', kind, video_id, status,
                   CASE WHEN status = 'succeeded' THEN 1 ELSE 0 END, 1,
                   error_code, error_message, created_at, updated_at FROM old_jobs""",
        "DROP TABLE old_jobs",
        "CREATE INDEX jobs_by_video ON jobs(video_id)",
        "CREATE INDEX jobs_by_owner ON jobs(owner_id)",
        # Clips cut through the server: the server names the file, the owner only the range.
        """CREATE TABLE clips (
            id VARCHAR PRIMARY KEY,
            owner_id VARCHAR NOT NULL REFERENCES users(id),
            video_id VARCHAR NOT NULL,
            start DOUBLE NOT NULL CHECK (start >= 0),
            "end" DOUBLE NOT NULL,
            status VARCHAR NOT NULL CHECK (status IN ('pending','ready','failed')),
            path VARCHAR,
            size_bytes BIGINT,
            created_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
            CHECK (start < "end")
        )""",
        "CREATE INDEX clips_by_video ON clips(video_id)",
        # Refresh tokens, stored as hashes; a family is one login's chain of rotations.
        """CREATE TABLE refresh_tokens (
            token_hash VARCHAR PRIMARY KEY,
            user_id VARCHAR NOT NULL REFERENCES users(id),
            family VARCHAR NOT NULL,
            expires_at TIMESTAMP NOT NULL,
            used_at TIMESTAMP,
            revoked_at TIMESTAMP,
            created_at TIMESTAMP NOT NULL DEFAULT current_timestamp
        )""",
        "CREATE INDEX refresh_by_family ON refresh_tokens(family)",
        # Security events, append-only.
        "CREATE SEQUENCE audit_ids START 1",
        """CREATE TABLE audit (
            id BIGINT PRIMARY KEY DEFAULT nextval('audit_ids'),
            occurred_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
            event VARCHAR NOT NULL,
            user_id VARCHAR,
            username VARCHAR,
            ip VARCHAR,
            request_id VARCHAR,
            detail VARCHAR NOT NULL DEFAULT '{}'
        )""",
    ),
    (
        # Access tokens ended before they expire: one session signed out (its token id), or
        # every session of a user issued before a moment (a password reset, a disabled account,
        # the local administrator's token of a server that stopped).
        """CREATE TABLE revoked_sessions (
            jti VARCHAR PRIMARY KEY,
            user_id VARCHAR NOT NULL,
            expires_at TIMESTAMP NOT NULL
        )""",
        """CREATE TABLE session_cutoffs (
            user_id VARCHAR PRIMARY KEY,
            not_before_ms BIGINT NOT NULL
        )""",
    ),
    (
        # A video's summary, key points and chapters, as made by ``method`` from the
        # transcript named by ``fingerprint``; re-ingesting the video removes it.
        """CREATE TABLE summaries (
            video_id VARCHAR NOT NULL,
            method VARCHAR NOT NULL,
            fingerprint VARCHAR NOT NULL,
            payload VARCHAR NOT NULL,
            created_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
            PRIMARY KEY (video_id, method)
        )""",
    ),
    (
        # Passages say where their text came from: 'speech', or 'screen' (what the picture
        # showed in writing; no segments). DuckDB alters no table an index depends on.
        "DROP INDEX chunks_by_video",
        "ALTER TABLE chunks ADD COLUMN source VARCHAR DEFAULT 'speech'",
        "CREATE INDEX chunks_by_video ON chunks(video_id)",
    ),
    (
        # Reels become jobs too: the kinds' CHECK can only change with the table, so jobs is
        # made again (same columns, same order) around its rows.
        "DROP INDEX jobs_by_video",
        "DROP INDEX jobs_by_owner",
        "CREATE TEMP TABLE old_jobs AS SELECT * FROM jobs",
        "DROP TABLE jobs",
        """CREATE TABLE jobs (
            id VARCHAR PRIMARY KEY,
            owner_id VARCHAR NOT NULL REFERENCES users(id),
            kind VARCHAR NOT NULL CHECK (kind IN ('ingest', 'clip', 'reel')),
            video_id VARCHAR,
            clip_id VARCHAR,
            status VARCHAR NOT NULL CHECK (status IN ('queued','running','succeeded','failed')),
            stage VARCHAR,
            progress DOUBLE NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 1),
            attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
            max_attempts INTEGER NOT NULL DEFAULT 3 CHECK (max_attempts >= 1),
            payload VARCHAR NOT NULL DEFAULT '{}',
            run_after TIMESTAMP NOT NULL DEFAULT current_timestamp,
            lease_until TIMESTAMP,
            error_code VARCHAR,
            error_message VARCHAR,
            created_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
            updated_at TIMESTAMP NOT NULL DEFAULT current_timestamp
        )""",
        "INSERT INTO jobs SELECT * FROM old_jobs",
        "DROP TABLE old_jobs",
        "CREATE INDEX jobs_by_video ON jobs(video_id)",
        "CREATE INDEX jobs_by_owner ON jobs(owner_id)",
        # A reel's parts (JSON, fixed when asked for) and options; its file once made.
        """CREATE TABLE reels (
            id VARCHAR PRIMARY KEY,
            owner_id VARCHAR NOT NULL REFERENCES users(id),
            status VARCHAR NOT NULL CHECK (status IN ('pending','ready','failed')),
            parts VARCHAR NOT NULL,
            options VARCHAR NOT NULL DEFAULT '{}',
            path VARCHAR,
            size_bytes BIGINT,
            created_at TIMESTAMP NOT NULL DEFAULT current_timestamp
        )""",
    ),
    (
        # The speakers of a video, one row per label its sentences carry ('Left'/'Right' for
        # a two-channel call, 'Speaker 1..n' from diarization): how long each talks, its voice
        # print (the unit-length mean speaker embedding; NULL for a channel) and the name a
        # person gave it. Sentences keep the label, so a rename changes every face at once.
        """CREATE TABLE speakers (
            video_id VARCHAR NOT NULL REFERENCES videos(id),
            label VARCHAR NOT NULL,
            name VARCHAR,
            seconds DOUBLE NOT NULL CHECK (seconds >= 0),
            voice FLOAT[],
            PRIMARY KEY (video_id, label)
        )""",
    ),
    (
        # "This speaker is not <name>": a person turned down a suggested name for one speaker
        # of one video (pipelines/speech/voice_match.py), so it is not suggested for it again.
        # Re-processing the video forgets them with its speakers; deleting it removes them.
        """CREATE TABLE speaker_rejections (
            video_id VARCHAR NOT NULL REFERENCES videos(id),
            label VARCHAR NOT NULL,
            name VARCHAR NOT NULL,
            PRIMARY KEY (video_id, label, name)
        )""",
    ),
)
SCHEMA_VERSION = len(MIGRATIONS)

# The migrations the release before each one may run on: they add a table, a column with a
# default or NULL, or an index, and nothing the older release does (insert without the new
# columns, delete a video, re-ingest) fails or goes wrong on what they write. Expand in one
# release; contract (drop, rename, tighten a CHECK, a table with a foreign key onto videos, which
# the older release's delete would trip on) only in a later one, never in an additive migration.
# 3, 6, 7 remake or change tables; 4 would let a rolled-back release honour signed-out tokens; 8
# and 9 reference videos(id), so the release before each could not delete a video that has rows.
ADDITIVE: frozenset[int] = frozenset({2, 5})


def oldest_reader(version: int) -> int:
    """The oldest schema version a release must know to run on a catalog at ``version``: one
    below each additive migration in a row that ends at ``version``."""
    if not 1 <= version <= len(MIGRATIONS):
        raise ValueError(f"schema version {version} is not one of 1..{len(MIGRATIONS)}")
    floor = version
    while floor in ADDITIVE:
        floor -= 1
    return floor
