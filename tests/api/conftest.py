"""A running app (FastAPI's TestClient drives the real ASGI app with its lifespan, its job
worker and compute process) shared by the API tests, with two users who each hold the talk."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from app.api.main import create_app
from pipelines.config import Settings
from tests.support.api import World, api_settings, sign_up, upload, wait_for_job


@pytest.fixture(scope="session")
def server_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return api_settings(tmp_path_factory.mktemp("server") / "library")


@pytest.fixture(scope="session")
def client(server_settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(server_settings)) as test_client:
        yield test_client


@pytest.fixture(scope="session")
def world(client: TestClient) -> World:
    alice, bob = sign_up(client, "alice"), sign_up(client, "bob")
    accepted = upload(client, alice, name="Quarterly <img src=x onerror=alert(1)> planning.mp4")
    assert accepted.status_code == 202, accepted.text
    job = wait_for_job(client, alice, accepted.json()["job_id"])
    assert job["status"] == "succeeded", job
    clip = client.post(
        "/api/v1/clips",
        json={"video_id": job["video_id"], "start": 4.0, "end": 9.0},
        headers=alice.headers,
    )
    assert clip.status_code == 202, clip.text
    assert wait_for_job(client, alice, clip.json()["job_id"])["status"] == "succeeded"
    reel = client.post(
        "/api/v1/reels", json={"chapters_of": job["video_id"]}, headers=alice.headers
    )
    assert reel.status_code == 202, reel.text
    assert wait_for_job(client, alice, reel.json()["job_id"])["status"] == "succeeded"
    return World(
        alice,
        bob,
        job["video_id"],
        clip.json()["clip_id"],
        accepted.json()["job_id"],
        reel.json()["reel_id"],
    )
