"""Jobs: the durable queue. A job is claimed with a lease the worker renews while it runs; a
job whose lease ran out (its process died) is queued again or, out of attempts, failed."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from typing import Any

from pipelines.errors import NotFoundError, VidscopeError
from pipelines.records import Job
from pipelines.storage.catalog.db import Database

JOB_COLUMNS = (
    "id, owner_id, kind, status, stage, progress, attempts, max_attempts, video_id, clip_id, "
    "payload, error_code, error_message, created_at, updated_at"
)


def job_record(row: Sequence[Any]) -> Job:
    values = list(row)
    values[10] = json.loads(values[10] or "{}")
    return Job(*values)


def queue_full(limit: int) -> VidscopeError:
    return VidscopeError(
        f"you have {limit} jobs queued or running, the most one user may have "
        "(VIDSCOPE_JOB_MAX_ACTIVE_PER_OWNER); ask again when some have finished",
        code="job.queue_full",
        limit=limit,
    )


class JobTables(Database):
    def add_job(
        self,
        *,
        kind: str,
        owner_id: str,
        video_id: str | None = None,
        clip_id: str | None = None,
        status: str = "running",
        payload: dict[str, Any] | None = None,
        max_attempts: int = 1,
        max_active: int | None = None,
    ) -> str:
        """Adds a job: 'running' for work the caller does now (the CLI), 'queued' for the
        worker. A running job counts its first attempt. ``max_active``: a queued job is
        refused (``job.queue_full``) when the owner already has that many queued or running,
        counted in the same transaction as the insert."""
        job_id = uuid.uuid4().hex
        with self.transaction():
            if max_active is not None and status == "queued":
                self._ensure_room(owner_id, max_active)
            self.con.execute(
                "INSERT INTO jobs (id, owner_id, kind, video_id, clip_id, status, attempts, "
                "max_attempts, payload) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    job_id,
                    owner_id,
                    kind,
                    video_id,
                    clip_id,
                    status,
                    1 if status == "running" else 0,
                    max_attempts,
                    json.dumps(payload or {}),
                ],
            )
        return job_id

    def get_job(self, job_id: str, *, owner_id: str) -> Job:
        """The owner's job; another owner's id is ``job.not_found`` like a missing one."""
        row = self.con.execute(
            f"SELECT {JOB_COLUMNS} FROM jobs WHERE id = ? AND owner_id = ?",  # nosec B608  # constant columns; values bound
            [job_id, owner_id],
        ).fetchone()
        if row is None:
            raise NotFoundError(f"no job with id {job_id!r}", code="job.not_found", job_id=job_id)
        return job_record(row)

    def list_jobs(
        self, *, owner_id: str, status: str | None = None, limit: int = 50, offset: int = 0
    ) -> list[Job]:
        query, params = f"SELECT {JOB_COLUMNS} FROM jobs WHERE owner_id = ?", [owner_id]  # nosec B608  # constant columns; values bound
        if status is not None:
            query += " AND status = ?"
            params.append(status)
        query += " ORDER BY created_at DESC, id LIMIT ? OFFSET ?"
        return [job_record(r) for r in self.con.execute(query, [*params, limit, offset]).fetchall()]

    def report_progress(self, job_id: str, *, stage: str, progress: float, lease_s: float) -> None:
        """Records progress and renews the lease: a live worker's job is never taken back."""
        with self.transaction():
            self.con.execute(
                "UPDATE jobs SET stage = ?, progress = ?, lease_until = now() + to_seconds(?), "
                "updated_at = now() WHERE id = ? AND status = 'running'",
                [stage, min(1.0, max(0.0, progress)), lease_s, job_id],
            )

    def renew_lease(self, job_id: str, *, lease_s: float) -> None:
        """Renews a running job's lease, leaving its stage and progress as last reported."""
        with self.transaction():
            self.con.execute(
                "UPDATE jobs SET lease_until = now() + to_seconds(?), updated_at = now() "
                "WHERE id = ? AND status = 'running'",
                [lease_s, job_id],
            )

    def finish_job(
        self, job_id: str, *, error_code: str | None = None, error_message: str | None = None
    ) -> None:
        status = "failed" if error_code else "succeeded"
        with self.transaction():
            self.con.execute(
                "UPDATE jobs SET status = ?, error_code = ?, error_message = ?, "
                "progress = CASE WHEN ? = 'succeeded' THEN 1 ELSE progress END, "
                "stage = CASE WHEN ? = 'succeeded' THEN 'done' ELSE stage END, "
                "lease_until = NULL, updated_at = now() WHERE id = ?",
                [status, error_code, error_message, status, status, job_id],
            )

    def retry_job(self, job_id: str, *, delay_s: float, error_code: str, message: str) -> None:
        """Queues a failed attempt again after ``delay_s`` (the caller's backoff), keeping the
        error of the last attempt visible."""
        with self.transaction():
            self.con.execute(
                "UPDATE jobs SET status = 'queued', run_after = now() + to_seconds(?), "
                "lease_until = NULL, error_code = ?, error_message = ?, updated_at = now() "
                "WHERE id = ?",
                [delay_s, error_code, message, job_id],
            )

    def _ensure_room(self, owner_id: str, max_active: int) -> None:
        row = self.con.execute(
            "SELECT count(*) FROM jobs WHERE owner_id = ? AND status IN ('queued', 'running')",
            [owner_id],
        ).fetchone()
        if row is not None and int(row[0]) >= max_active:
            raise queue_full(max_active)

    def requeue_failed_job(self, job_id: str, *, max_active: int | None = None) -> None:
        """A failed job queued again by its owner, with a fresh set of attempts (its clip or
        reel, if any, pending again), atomically; ``max_active`` as for ``add_job``."""
        with self.transaction():
            if max_active is not None:
                owner = self.con.execute(
                    "SELECT owner_id FROM jobs WHERE id = ?", [job_id]
                ).fetchone()
                if owner is not None:
                    self._ensure_room(str(owner[0]), max_active)
            self.con.execute(
                "UPDATE jobs SET status = 'queued', attempts = 0, run_after = now(), "
                "lease_until = NULL, stage = NULL, progress = 0, error_code = NULL, "
                "error_message = NULL, updated_at = now() WHERE id = ? AND status = 'failed'",
                [job_id],
            )
            self.con.execute(
                "UPDATE clips SET status = 'pending', path = NULL, size_bytes = NULL "
                "WHERE id = (SELECT clip_id FROM jobs WHERE id = ?)",
                [job_id],
            )
            row = self.con.execute(
                "SELECT payload FROM jobs WHERE id = ? AND kind = 'reel'", [job_id]
            ).fetchone()
            if row is not None:
                self.con.execute(
                    "UPDATE reels SET status = 'pending', path = NULL, size_bytes = NULL "
                    "WHERE id = ?",
                    [json.loads(row[0]).get("reel_id")],
                )

    def latest_job(self, *, video_id: str, owner_id: str) -> Job | None:
        row = self.con.execute(
            f"SELECT {JOB_COLUMNS} FROM jobs WHERE video_id = ? AND owner_id = ? "  # nosec B608  # constant columns; values bound
            "AND kind = 'ingest' ORDER BY created_at DESC LIMIT 1",
            [video_id, owner_id],
        ).fetchone()
        return job_record(row) if row else None

    def job_counts(self, video_id: str) -> dict[str, int]:
        rows = self.con.execute(
            "SELECT status, count(*) FROM jobs WHERE video_id = ? GROUP BY status", [video_id]
        ).fetchall()
        return {status: int(n) for status, n in rows}
