"""Jobs: the durable queue. A job is claimed with a lease the worker renews while it runs; a
job whose lease ran out (its process died) is queued again or, out of attempts, failed."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from typing import Any

from pipelines.catalog.db import Database
from pipelines.errors import NotFoundError
from pipelines.records import Job

_JOB_COLUMNS = (
    "id, owner_id, kind, status, stage, progress, attempts, max_attempts, video_id, clip_id, "
    "payload, error_code, error_message, created_at, updated_at"
)


def _job(row: Sequence[Any]) -> Job:
    values = list(row)
    values[10] = json.loads(values[10] or "{}")
    return Job(*values)


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
    ) -> str:
        """Adds a job: 'running' for work the caller does now (the CLI), 'queued' for the
        worker. A running job counts its first attempt."""
        job_id = uuid.uuid4().hex
        with self.transaction():
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

    def get_job(self, job_id: str, *, owner_id: str | None) -> Job:
        """The owner's job (``owner_id=None``: anyone's, for the worker)."""
        query, params = f"SELECT {_JOB_COLUMNS} FROM jobs WHERE id = ?", [job_id]
        if owner_id is not None:
            query, params = query + " AND owner_id = ?", [job_id, owner_id]
        row = self.con.execute(query, params).fetchone()
        if row is None:
            raise NotFoundError(f"no job with id {job_id!r}", code="job.not_found", job_id=job_id)
        return _job(row)

    def list_jobs(
        self, *, owner_id: str, status: str | None = None, limit: int = 50, offset: int = 0
    ) -> list[Job]:
        query, params = f"SELECT {_JOB_COLUMNS} FROM jobs WHERE owner_id = ?", [owner_id]
        if status is not None:
            query += " AND status = ?"
            params.append(status)
        query += " ORDER BY created_at DESC, id LIMIT ? OFFSET ?"
        return [_job(r) for r in self.con.execute(query, [*params, limit, offset]).fetchall()]

    def claim_job(self, *, lease_s: float) -> Job | None:
        """Takes the oldest queued job that is due, marks it running with a lease and counts
        the attempt; None when nothing is due."""
        with self.transaction():
            row = self.con.execute(
                "SELECT id FROM jobs WHERE status = 'queued' AND run_after <= now() "
                "ORDER BY run_after, created_at LIMIT 1"
            ).fetchone()
            if row is None:
                return None
            self.con.execute(
                "UPDATE jobs SET status = 'running', attempts = attempts + 1, "
                "lease_until = now() + to_seconds(?), stage = 'starting', error_code = NULL, "
                "error_message = NULL, updated_at = now() WHERE id = ?",
                [lease_s, row[0]],
            )
            return self.get_job(str(row[0]), owner_id=None)

    def report_progress(self, job_id: str, *, stage: str, progress: float, lease_s: float) -> None:
        """Records progress and renews the lease: a live worker's job is never taken back."""
        with self.transaction():
            self.con.execute(
                "UPDATE jobs SET stage = ?, progress = ?, lease_until = now() + to_seconds(?), "
                "updated_at = now() WHERE id = ? AND status = 'running'",
                [stage, min(1.0, max(0.0, progress)), lease_s, job_id],
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

    def requeue_failed_job(self, job_id: str) -> None:
        """A failed job queued again by its owner, with a fresh set of attempts (its clip,
        if any, pending again), atomically."""
        with self.transaction():
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

    def recover_jobs(self, *, expired_only: bool) -> tuple[list[str], list[str]]:
        """Running jobs whose lease ran out (``expired_only=False``: every running job, when
        this process holds the only lock on the file, so their process is gone). A job that may
        be resumed and has attempts left is queued again; the rest are failed as interrupted.
        Queued jobs are never touched. Returns (requeued ids, failed ids)."""
        condition = "status = 'running'" + (" AND lease_until < now()" if expired_only else "")
        with self.transaction():
            rows = self.con.execute(
                f"SELECT id, attempts, max_attempts, payload FROM jobs WHERE {condition}"
            ).fetchall()
            requeued, failed = [], []
            for job_id, attempts, max_attempts, payload in rows:
                if json.loads(payload or "{}").get("resumable") and attempts < max_attempts:
                    self.con.execute(
                        "UPDATE jobs SET status = 'queued', lease_until = NULL, "
                        "updated_at = now() WHERE id = ?",
                        [job_id],
                    )
                    requeued.append(str(job_id))
                else:
                    self.finish_job(
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

    def latest_job(self, *, video_id: str) -> Job | None:
        row = self.con.execute(
            f"SELECT {_JOB_COLUMNS} FROM jobs WHERE video_id = ? AND kind = 'ingest' "
            "ORDER BY created_at DESC LIMIT 1",
            [video_id],
        ).fetchone()
        return _job(row) if row else None

    def job_counts(self, video_id: str) -> dict[str, int]:
        rows = self.con.execute(
            "SELECT status, count(*) FROM jobs WHERE video_id = ? GROUP BY status", [video_id]
        ).fetchall()
        return {status: int(n) for status, n in rows}

    def jobs_by_status(self) -> dict[str, int]:
        """Every owner's jobs by status (the operators' metrics)."""
        rows = self.con.execute("SELECT status, count(*) FROM jobs GROUP BY status").fetchall()
        return {status: int(n) for status, n in rows}
