"""The catalog across owners: the one place that reads every owner's rows. Used only by the
library's start-up repair, the job worker (which takes whichever job is due) and the
administrators' routes and metrics; everything an owner does goes through ``OwnerCatalog``.
An architecture test keeps it that way."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pipelines.errors import NotFoundError
from pipelines.records import Clip, Job, Video, VideoStatus
from pipelines.storage.catalog.clips import CLIP_COLUMNS, clip_record
from pipelines.storage.catalog.jobs import JOB_COLUMNS, job_record

JOB_KINDS = ("ingest", "clip", "reel")

if TYPE_CHECKING:
    from pipelines.storage.catalog import Catalog


class SystemCatalog:
    def __init__(self, catalog: Catalog) -> None:
        self._catalog = catalog

    @property
    def con(self) -> Any:  # the calling thread's cursor
        return self._catalog.con

    def videos(self, status: VideoStatus | None = None) -> list[Video]:
        """Every owner's videos (``status``: only those), in upload order."""
        query = f"SELECT {self._catalog.VIDEO_COLUMNS} FROM videos"  # nosec B608  # constant columns; values bound
        params: list[Any] = []
        if status is not None:
            query, params = query + " WHERE status = ?", [status]
        rows = self.con.execute(query + " ORDER BY created_at, id", params).fetchall()
        return [self._catalog.video_record(row) for row in rows]

    def owners(self) -> list[str]:
        """Owners that hold at least one video."""
        rows = self.con.execute("SELECT DISTINCT owner_id FROM videos ORDER BY 1").fetchall()
        return [str(r[0]) for r in rows]

    def job(self, job_id: str) -> Job:
        row = self.con.execute(f"SELECT {JOB_COLUMNS} FROM jobs WHERE id = ?", [job_id]).fetchone()  # nosec B608  # constant columns; values bound
        if row is None:
            raise NotFoundError(f"no job with id {job_id!r}", code="job.not_found", job_id=job_id)
        return job_record(row)

    def clip(self, clip_id: str) -> Clip:
        row = self.con.execute(
            f"SELECT {CLIP_COLUMNS} FROM clips WHERE id = ?",  # nosec B608  # constant columns; values bound
            [clip_id],
        ).fetchone()
        if row is None:
            raise NotFoundError(f"no clip with id {clip_id!r}", code="clip.not_found")
        return clip_record(row)

    def clip_paths(self) -> set[str]:
        """Files the server made that the catalog knows: clips and reels."""
        rows = self.con.execute(
            "SELECT path FROM clips WHERE path IS NOT NULL "
            "UNION ALL SELECT path FROM reels WHERE path IS NOT NULL"
        ).fetchall()
        return {str(r[0]) for r in rows}

    # -- the queue --------------------------------------------------------------------------
    def claim_job(
        self, *, lease_s: float, kinds: Sequence[str] = JOB_KINDS, one_per_owner: bool = False
    ) -> Job | None:
        """Takes the next due queued job of ``kinds``, marks it running with a lease and
        counts the attempt; None when nothing is due.

        Owners take turns: the job is the oldest of the owner served least recently — whose
        newest claimed job of these kinds (running or finished) was touched longest ago, an
        owner never served first — so one owner's long queue delays another owner's next
        job by at most the job in hand. ``one_per_owner``: an owner with a job of these kinds
        running already is passed over (the worker's edits lanes)."""
        marks = ", ".join("?" for _ in kinds)
        busy = (
            f"AND q.owner_id NOT IN (SELECT owner_id FROM jobs WHERE status = 'running' "  # nosec B608  # placeholders only
            f"AND kind IN ({marks}))"
            if one_per_owner
            else ""
        )
        with self._catalog.transaction():
            row = self.con.execute(
                f"""SELECT q.id FROM jobs q
                    LEFT JOIN (SELECT owner_id, max(updated_at) AS served FROM jobs
                               WHERE status <> 'queued' AND kind IN ({marks})
                               GROUP BY owner_id) s ON s.owner_id = q.owner_id
                    WHERE q.status = 'queued' AND q.run_after <= now() AND q.kind IN ({marks})
                    {busy}
                    ORDER BY s.served ASC NULLS FIRST, q.run_after, q.created_at, q.id
                    LIMIT 1""",  # nosec B608  # placeholders only; values bound
                [*kinds, *kinds, *(kinds if one_per_owner else ())],
            ).fetchone()
            if row is None:
                return None
            self.con.execute(
                "UPDATE jobs SET status = 'running', attempts = attempts + 1, "
                "lease_until = now() + to_seconds(?), stage = 'starting', progress = 0, "
                "error_code = NULL, error_message = NULL, updated_at = now() WHERE id = ?",
                [lease_s, row[0]],
            )
            return self.job(str(row[0]))

    def finish_committed_ingests(self) -> list[str]:
        """Videos whose transcript committed but whose process died before they were marked
        ready (that waits for the search indexes, which start-up repair rebuilds): ready now,
        and their ingest job with them unless the worker resumes it (its summary is left).
        Only safe at start-up, under the only lock. Returns their ids."""
        with self._catalog.transaction():
            rows = self.con.execute(
                "SELECT v.id FROM videos v WHERE v.status = 'processing' AND ("
                "EXISTS (SELECT 1 FROM segments s WHERE s.video_id = v.id) OR "
                "EXISTS (SELECT 1 FROM chunks c WHERE c.video_id = v.id))"
            ).fetchall()
            for (video_id,) in rows:
                jobs = self.con.execute(
                    "SELECT id, attempts, max_attempts, payload FROM jobs WHERE video_id = ? "
                    "AND kind = 'ingest' AND status = 'running'",
                    [video_id],
                ).fetchall()
                self._catalog.mark_ready(str(video_id))
                for job_id, attempts, max_attempts, payload in jobs:
                    if not _resumed(payload, attempts, max_attempts):
                        self._catalog.finish_job(str(job_id))
        return [str(r[0]) for r in rows]

    def recover_jobs(self, *, expired_only: bool) -> tuple[list[str], list[str]]:
        """Running jobs whose lease ran out (``expired_only=False``: every running job, when
        this process holds the only lock on the file, so their process is gone). A job that may
        be resumed and has attempts left is queued again; the rest are failed as interrupted.
        Queued jobs are never touched. Returns (requeued ids, failed ids)."""
        condition = "status = 'running'" + (" AND lease_until < now()" if expired_only else "")
        with self._catalog.transaction():
            rows = self.con.execute(
                f"SELECT id, attempts, max_attempts, payload FROM jobs WHERE {condition}"  # nosec B608  # constant columns; values bound
            ).fetchall()
            requeued, failed = [], []
            for job_id, attempts, max_attempts, payload in rows:
                if _resumed(payload, attempts, max_attempts):
                    self.con.execute(
                        "UPDATE jobs SET status = 'queued', lease_until = NULL, "
                        "updated_at = now() WHERE id = ?",
                        [job_id],
                    )
                    requeued.append(str(job_id))
                else:
                    self._catalog.finish_job(
                        str(job_id),
                        error_code="ingest.interrupted",
                        error_message="the process stopped before the job finished",
                    )
                    failed.append(str(job_id))
        return requeued, failed

    def queued_video_ids(self) -> list[str]:
        rows = self.con.execute(
            "SELECT DISTINCT video_id FROM jobs WHERE status = 'queued' AND video_id IS NOT NULL"
        ).fetchall()
        return [str(r[0]) for r in rows]

    # -- what operators see -----------------------------------------------------------------
    def jobs_by_status(self) -> dict[str, int]:
        """Every owner's jobs by status (the operators' metrics)."""
        rows = self.con.execute("SELECT status, count(*) FROM jobs GROUP BY status").fetchall()
        return {status: int(n) for status, n in rows}

    def table_counts(self) -> dict[str, int]:
        counts = {}
        for table in ("videos", "segments", "words", "chunks", "jobs"):
            row = self.con.execute(f"SELECT count(*) FROM {table}").fetchone()  # nosec B608  # constant columns; values bound
            counts[table] = int(row[0]) if row else 0
        return counts

    def audit_events(self, *, limit: int = 100) -> list[dict[str, Any]]:
        """The newest security events first, every user's."""
        rows = self.con.execute(
            "SELECT id, occurred_at, event, user_id, username, ip, request_id, detail FROM audit "
            "ORDER BY id DESC LIMIT ?",
            [limit],
        ).fetchall()
        keys = ("id", "occurred_at", "event", "user_id", "username", "ip", "request_id", "detail")
        events = []
        for row in rows:
            event = dict(zip(keys, row, strict=True))
            event["detail"] = json.loads(event["detail"])
            at: datetime = event["occurred_at"]
            event["occurred_at"] = at.isoformat() + "Z"
            events.append(event)
        return events


def _resumed(payload: str | None, attempts: int, max_attempts: int) -> bool:
    """Whether a running job whose process is gone goes back to the queue (it may be
    resumed and has attempts left) rather than fail as interrupted."""
    return bool(json.loads(payload or "{}").get("resumable")) and attempts < max_attempts
