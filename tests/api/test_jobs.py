"""The job worker: a crash of the compute process is retried with backoff and the job
finishes once; bad media found only while decoding fails at once with its code and leaves
nothing; the backoff grows and is jittered."""

from __future__ import annotations

import os
import random
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.api.main import create_app
from pipelines.config import Settings
from pipelines.jobs.worker import backoff_s
from tests.support.api import api_settings, sign_up, upload, wait_for_job
from tests.support.library import TALK


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, Settings]]:
    settings = api_settings(tmp_path_factory.mktemp("jobs") / "library")
    with TestClient(create_app(settings)) as client:
        yield client, settings


def damaged_copy(folder: Path) -> Path:
    """The talk with its media data overwritten by noise: headers and packet index intact (the
    upload checks pass), nothing decodable (the job finds out)."""
    data = bytearray(TALK.read_bytes())
    moov, mdat = data.find(b"moov"), data.find(b"mdat")
    assert 0 < mdat < moov
    noise = random.Random(0)
    for i in range(mdat + 8 + (moov - mdat) // 4, moov - 100):
        data[i] = noise.randrange(256)
    path = folder / "damaged.mp4"
    path.write_bytes(bytes(data))
    return path


def crash_compute_mid_job(
    client: TestClient, headers: dict[str, str], job_id: str, attempt: int
) -> None:
    """Kills the compute process while it works on the job's ``attempt``-th try."""
    worker = client.app.state.worker  # type: ignore[attr-defined]
    deadline = time.monotonic() + 120
    while True:
        job = client.get(f"/api/v1/jobs/{job_id}", headers=headers).json()
        pids = worker.lanes["ingest"].pids()
        if job["attempts"] == attempt and job["stage"] in ("decode", "transcribe") and pids:
            break
        assert time.monotonic() < deadline, job
        time.sleep(0.02)
    for pid in pids:
        os.kill(pid, signal.SIGKILL)  # the model process dies mid-job (OOM killer, a bug)


@pytest.mark.slow
def test_a_crash_of_the_compute_process_is_retried(fresh: tuple[TestClient, Settings]) -> None:
    client, _ = fresh
    user = sign_up(client, "crash")
    job_id = upload(client, user).json()["job_id"]
    crash_compute_mid_job(client, user.headers, job_id, attempt=1)
    job = wait_for_job(client, user, job_id)
    assert job["status"] == "succeeded" and job["attempts"] == 2, job
    videos = client.get("/api/v1/videos", headers=user.headers).json()
    assert videos["total"] == 1 and videos["items"][0]["passages"] > 0


@pytest.mark.slow
def test_a_file_that_crashes_the_compute_process_twice_is_not_tried_again(
    fresh: tuple[TestClient, Settings], tmp_path: Path
) -> None:
    client, _ = fresh
    user = sign_up(client, "crash-twice")
    copy = tmp_path / "heavy.mp4"
    copy.write_bytes(TALK.read_bytes() + b"\0" * 8)  # not the bytes the other test stored
    job_id = upload(client, user, copy).json()["job_id"]
    crash_compute_mid_job(client, user.headers, job_id, attempt=1)
    crash_compute_mid_job(client, user.headers, job_id, attempt=2)
    job = wait_for_job(client, user, job_id)
    assert job["status"] == "failed" and job["attempts"] == 2, job  # not a third crash
    assert job["error"]["code"] == "processing.crashed"
    assert "out of memory" in job["error"]["message"]


@pytest.mark.slow
def test_media_that_fails_to_decode_fails_the_job_at_once(
    fresh: tuple[TestClient, Settings], tmp_path: Path
) -> None:
    client, settings = fresh
    user = sign_up(client, "damaged")
    accepted = upload(client, user, damaged_copy(tmp_path))
    assert accepted.status_code == 202  # its headers are fine: the checks pass
    job = wait_for_job(client, user, accepted.json()["job_id"])
    assert job["status"] == "failed" and job["attempts"] == 1  # not retried: it cannot pass
    assert job["error"]["code"] == "media.undecodable"
    assert "damaged.mp4" in job["error"]["message"] and str(settings.home) not in str(job)
    assert client.get(f"/api/v1/videos/{job['video_id']}", headers=user.headers).status_code == 404
    stored = {p.name for p in settings.layout.media_dir.iterdir()}
    assert not any(name.startswith(job["video_id"]) for name in stored)


def test_backoff_doubles_with_jitter_and_has_a_cap() -> None:
    random.seed(1)
    for attempt, base in ((1, 2.0), (2, 4.0), (3, 8.0)):
        delays = [backoff_s(attempt, base_s=2.0) for _ in range(200)]
        assert base * 0.5 <= min(delays) and max(delays) <= base * 1.5
        assert max(delays) - min(delays) > base * 0.5  # jittered, not a fixed delay
    assert backoff_s(30, base_s=2.0) <= 300 * 1.5


def test_https_gets_hsts_and_an_allowed_origin_gets_cors(tmp_path: Path) -> None:
    settings = api_settings(tmp_path / "lib", cors_origins="https://app.example")
    with TestClient(create_app(settings, start_worker=False), base_url="https://testserver") as c:
        response = c.get("/healthz", headers={"Origin": "https://app.example"})
        assert response.headers["strict-transport-security"] == "max-age=31536000"
        assert response.headers["access-control-allow-origin"] == "https://app.example"
        other = c.get("/healthz", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in other.headers
