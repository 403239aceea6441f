"""What the API tests share: accounts made through the API, uploads, waiting for a job, the
settings of a test server, and the two-user world."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from pipelines.config import Settings
from tests.support.library import TALK, make_settings

PASSWORD = "correct horse battery"


@dataclass
class Account:
    username: str
    token: str
    refresh: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def sign_up(client: TestClient, username: str, password: str = PASSWORD) -> Account:
    created = client.post(
        "/api/v1/auth/register", json={"username": username, "password": password}
    )
    assert created.status_code == 201, created.text
    tokens = client.post("/api/v1/auth/login", json={"username": username, "password": password})
    assert tokens.status_code == 200, tokens.text
    body = tokens.json()
    return Account(username, body["access_token"], body["refresh_token"])


def wait_for_job(client: TestClient, account: Account, job_id: str, timeout_s: float = 180) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        job = client.get(f"/api/v1/jobs/{job_id}", headers=account.headers).json()
        if job["status"] in ("succeeded", "failed"):
            return job
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} did not finish in {timeout_s} s")


def upload(client: TestClient, account: Account, path: Path = TALK, name: str | None = None) -> Any:
    with path.open("rb") as handle:
        return client.post(
            "/api/v1/videos",
            files={"file": (name or path.name, handle, "video/mp4")},
            headers=account.headers,
        )


def api_settings(home: Path, **overrides: Any) -> Settings:
    # Generous request limits: the suite makes many requests from one address. Tokens that
    # outlive the API tests: the session's two users sign in once, and on a loaded machine
    # test_speakers came 23 minutes in, past the default 15 (auth.token_expired).
    return make_settings(
        home,
        rate_limit="10000/minute",
        login_rate_limit="1000/minute",
        job_backoff_s=0.1,
        **{"access_token_ttl_s": 4 * 3600, **overrides},
    )


@dataclass
class World:
    """Two users; alice holds the talk (ready), a clip of it and a reel of its key points."""

    alice: Account
    bob: Account
    video_id: str
    clip_id: str
    job_id: str
    reel_id: str
