"""Rate limits kept in a real Redis (Debian's redis-server, started on loopback for the test),
readiness that reports each part, the admin routes, and traces of requests and jobs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from app.api.main import create_app
from tests.support.api import World, api_settings, sign_up, upload, wait_for_job
from tests.support.redis import running_redis
from tests.support.server import free_port


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    with running_redis(tmp_path) as url:
        yield url


def test_rate_limits_live_in_redis_and_readiness_watches_it(redis_url: str, tmp_path: Path) -> None:
    settings = api_settings(tmp_path / "lib", redis_url=redis_url).model_copy(
        update={"rate_limit": "4/minute"}
    )
    # Two apps on one Redis share the counts: that is what Redis is for.
    with (
        TestClient(create_app(settings, start_worker=False)) as first,
        TestClient(create_app(settings, start_worker=False)) as second,
    ):
        assert first.get("/readyz").json()["checks"]["redis"]["status"] == "ok"
        codes = [
            client.get("/api/v1/videos", headers={"Authorization": "Bearer x"}).status_code
            for client in (first, second, first, second, first)
        ]
        assert codes == [401, 401, 401, 401, 429]
        import redis

        assert redis.Redis.from_url(redis_url).keys("LIMITS*")  # the counts are in Redis


def test_readiness_is_503_when_redis_is_down(tmp_path: Path) -> None:
    settings = api_settings(tmp_path / "lib", redis_url=f"redis://127.0.0.1:{free_port()}/0")
    with TestClient(create_app(settings, start_worker=False)) as client:
        ready = client.get("/readyz")
        assert ready.status_code == 503
        checks = ready.json()["checks"]
        assert checks["redis"]["status"] == "down" and checks["worker"]["status"] == "down"
        assert checks["catalog"]["status"] == "ok"


def test_admin_routes_are_for_administrators(client: TestClient, world: World) -> None:
    refused = client.get("/api/v1/admin/users", headers=world.alice.headers)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "auth.forbidden"
    acting = client.get("/api/v1/videos", headers={**world.alice.headers, "X-Vidscope-User": "bob"})
    assert acting.status_code == 403  # only the local administrator may act for others


def test_requests_and_jobs_are_traced(tmp_path: Path) -> None:
    spans = InMemorySpanExporter()
    app = create_app(api_settings(tmp_path / "lib"), span_processor=SimpleSpanProcessor(spans))
    with TestClient(app) as client:
        user = sign_up(client, "tracy")
        job = wait_for_job(client, user, upload(client, user).json()["job_id"])
        assert job["status"] == "succeeded"
        names = {s.name for s in spans.get_finished_spans()}
    assert "POST /api/v1/videos" in names and "GET /api/v1/jobs/{job_id}" in names
    [ingest] = [s for s in spans.get_finished_spans() if s.name == "job.ingest"]
    assert ingest.attributes is not None and ingest.attributes["job.status"] == "succeeded"


def test_the_local_administrator_manages_accounts(client: TestClient, world: World) -> None:
    accounts = client.app.state.accounts
    local = client.app.state.library.catalog.get_user("local")
    admin = {"Authorization": f"Bearer {accounts.access_token(local, ttl_s=60)}"}
    created = client.post(
        "/api/v1/admin/users",
        headers=admin,
        json={"username": "olga", "password": "long enough pw"},
    )
    assert created.status_code == 201 and created.json()["role"] == "user"
    names = {u["username"] for u in client.get("/api/v1/admin/users", headers=admin).json()}
    assert {"local", "alice", "olga"} <= names
    login = {"username": "olga", "password": "long enough pw"}
    assert client.post("/api/v1/auth/login", json=login).status_code == 200
    disabled = client.patch("/api/v1/admin/users/olga", headers=admin, json={"disabled": True})
    assert disabled.json()["disabled"] is True
    assert client.post("/api/v1/auth/login", json=login).status_code == 403
    client.patch(
        "/api/v1/admin/users/olga",
        headers=admin,
        json={"disabled": False, "password": "a new password"},
    )
    assert client.post("/api/v1/auth/login", json=login).status_code == 401  # old password
    events = [e["event"] for e in client.get("/api/v1/admin/audit", headers=admin).json()]
    assert {
        "user.created",
        "user.disabled",
        "user.enabled",
        "user.password_reset",
        "login.ok",
        "login.failed",
        "video.uploaded",
        "clip.requested",
    } <= set(events)
    # The administrator acts for a user by naming them; the answers are that user's.
    theirs = client.get("/api/v1/videos", headers={**admin, "X-Vidscope-User": "alice"})
    assert [v["id"] for v in theirs.json()["items"]] == [world.video_id]
    missing = client.patch("/api/v1/admin/users/nobody", headers=admin, json={"disabled": True})
    assert missing.status_code == 404
