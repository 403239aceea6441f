"""Every route of API v1 through the real app: shapes, statuses, media ranges, transcripts,
clips, jobs, the error envelope, request ids, headers and the OpenAPI document."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys

import av
import pytest
from fastapi.testclient import TestClient

from tests.support.api import World, upload, wait_for_job


def test_list_and_get_videos(client: TestClient, world: World) -> None:
    page = client.get("/api/v1/videos", params={"limit": 1}, headers=world.alice.headers).json()
    assert page["total"] == 1 and page["limit"] == 1 and page["offset"] == 0
    [video] = page["items"]
    assert video["id"] == world.video_id and video["status"] == "ready"
    assert video["title"] == "Quarterly <img src=x onerror=alert(1)> planning"  # plain text
    assert video["sentences"] > 0 and video["duration"] == pytest.approx(35.8, abs=0.1)
    one = client.get(f"/api/v1/videos/{world.video_id}", headers=world.alice.headers).json()
    assert one == video
    empty = client.get("/api/v1/videos", params={"offset": 1}, headers=world.alice.headers)
    assert empty.json()["items"] == [] and empty.json()["total"] == 1


def test_transcript_in_every_format(client: TestClient, world: World) -> None:
    url = f"/api/v1/videos/{world.video_id}/transcript"
    srt = client.get(url, params={"format": "srt"}, headers=world.alice.headers)
    assert srt.headers["content-type"].startswith("application/x-subrip")
    assert "00:00:0" in srt.text and "-->" in srt.text
    vtt = client.get(url, params={"format": "vtt"}, headers=world.alice.headers)
    assert vtt.text.startswith("WEBVTT")
    words = client.get(url, params={"format": "json"}, headers=world.alice.headers).json()
    assert words[0]["words"] and words[0]["start"] < words[0]["end"]
    bad = client.get(url, params={"format": "doc"}, headers=world.alice.headers)
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "request.invalid"


def test_media_supports_range_requests(client: TestClient, world: World) -> None:
    url = f"/api/v1/videos/{world.video_id}/media"
    whole = client.get(url, headers=world.alice.headers)
    assert whole.status_code == 200 and whole.headers["accept-ranges"] == "bytes"
    size = len(whole.content)
    part = client.get(url, headers={**world.alice.headers, "Range": "bytes=100-199"})
    assert part.status_code == 206
    assert part.headers["content-range"] == f"bytes 100-199/{size}"
    assert part.content == whole.content[100:200]
    tail = client.get(url, headers={**world.alice.headers, "Range": "bytes=-10"})
    assert tail.status_code == 206 and tail.content == whole.content[-10:]
    beyond = client.get(url, headers={**world.alice.headers, "Range": f"bytes={size}-"})
    assert beyond.status_code == 416
    # An empty Range names no range: the whole file (it was Starlette's 400).
    empty = client.get(url, headers={**world.alice.headers, "Range": ""})
    assert empty.status_code == 200 and empty.content == whole.content
    malformed = client.get(url, headers={**world.alice.headers, "Range": "null"})
    assert malformed.status_code == 400


def test_thumbnail_is_a_jpeg_of_that_second(client: TestClient, world: World) -> None:
    shot = client.get(
        f"/api/v1/videos/{world.video_id}/thumbnail",
        params={"t": 12.5},
        headers=world.alice.headers,
    )
    assert shot.status_code == 200 and shot.headers["content-type"] == "image/jpeg"
    with av.open(io.BytesIO(shot.content)) as image:
        frame = next(image.decode(video=0))
        assert (frame.width, frame.height) == (320, 240)


def test_search_hits_have_the_cli_fields(client: TestClient, world: World) -> None:
    hits = client.get(
        "/api/v1/search",
        params={"q": "how much power do the solar panels make", "k": 3},
        headers=world.alice.headers,
    ).json()["hits"]
    assert hits and hits[0]["video_id"] == world.video_id
    assert 3.5 <= hits[0]["start"] <= 5.0  # the sentence about the panels starts at ~4.1 s
    from tests.support.library import TALK  # noqa: F401  (the CLI prints the same schema)

    cli_fields = {
        "video_id",
        "title",
        "start",
        "end",
        "text",
        "score",
        "source",
        "passage_start",
        "passage_end",
        "speaker",
    }
    assert set(hits[0]) == cli_fields
    too_many = client.get(
        "/api/v1/search", params={"q": "x", "k": 500}, headers=world.alice.headers
    )
    assert too_many.status_code == 422


def test_clip_by_range_and_by_query(client: TestClient, world: World) -> None:
    clip = client.get(f"/api/v1/clips/{world.clip_id}", headers=world.alice.headers).json()
    assert clip["status"] == "ready" and (clip["start"], clip["end"]) == (4.0, 9.0)
    data = client.get(f"/api/v1/clips/{world.clip_id}/file", headers=world.alice.headers)
    assert data.headers["content-type"] == "video/mp4"
    with av.open(io.BytesIO(data.content)) as media:
        assert float(media.duration / 1e6) == pytest.approx(5.0, abs=0.1)
    by_query = client.post(
        "/api/v1/clips", json={"query": "the marketing budget"}, headers=world.alice.headers
    )
    assert by_query.status_code == 202
    job = wait_for_job(client, world.alice, by_query.json()["job_id"])
    assert job["status"] == "succeeded" and job["kind"] == "clip"
    bad = client.post(
        "/api/v1/clips",
        json={"video_id": world.video_id, "start": 9, "end": 4},
        headers=world.alice.headers,
    )
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "clip.bad_range"
    neither = client.post("/api/v1/clips", json={"start": 1}, headers=world.alice.headers)
    assert neither.json()["error"]["code"] == "request.invalid"
    # A client never names a server path: unknown fields are ignored, the server names files.
    sneaky = client.post(
        "/api/v1/clips",
        json={"video_id": world.video_id, "start": 1, "end": 2, "output": "/etc/x.mp4"},
        headers=world.alice.headers,
    )
    assert sneaky.status_code == 202


def test_jobs_list_and_filter(client: TestClient, world: World) -> None:
    jobs = client.get("/api/v1/jobs", headers=world.alice.headers).json()["items"]
    assert {j["kind"] for j in jobs} >= {"ingest", "clip"}
    job = next(j for j in jobs if j["id"] == world.job_id)
    assert set(job) >= {
        "id",
        "kind",
        "status",
        "progress",
        "stage",
        "attempts",
        "error",
        "video_id",
    }
    assert (job["status"], job["progress"], job["attempts"], job["error"]) == (
        "succeeded",
        1.0,
        1,
        None,
    )
    failed = client.get("/api/v1/jobs", params={"status": "failed"}, headers=world.alice.headers)
    assert all(j["status"] == "failed" for j in failed.json()["items"])


def test_delete_removes_everything_of_the_video(client: TestClient, world: World) -> None:
    from tests.support.api import sign_up

    carol = sign_up(client, "carol")
    job = wait_for_job(client, carol, upload(client, carol).json()["job_id"])
    clip = client.post(
        "/api/v1/clips",
        json={"video_id": job["video_id"], "start": 0, "end": 2},
        headers=carol.headers,
    ).json()
    wait_for_job(client, carol, clip["job_id"])
    gone = client.delete(f"/api/v1/videos/{job['video_id']}", headers=carol.headers)
    assert gone.status_code == 204
    assert client.get(f"/api/v1/videos/{job['video_id']}", headers=carol.headers).status_code == 404
    assert client.get(f"/api/v1/clips/{clip['clip_id']}", headers=carol.headers).status_code == 404
    assert client.get(
        "/api/v1/search", params={"q": "solar panels"}, headers=carol.headers
    ).json() == {"hits": []}


def test_every_failure_is_one_envelope(client: TestClient, world: World) -> None:
    cases = [
        (client.get("/nowhere"), 404, "http.not_found"),
        (client.put("/api/v1/videos", headers=world.alice.headers), 405, "http.method_not_allowed"),
        (client.get("/api/v1/videos"), 401, "auth.missing_token"),
        (
            client.get("/api/v1/videos", params={"limit": 0}, headers=world.alice.headers),
            422,
            "request.invalid",
        ),
        (client.get("/api/v1/videos/nope", headers=world.alice.headers), 404, "video.not_found"),
        (
            client.post(
                "/api/v1/auth/login",
                content=b"{not json",
                headers={"content-type": "application/json"},
            ),
            422,
            "request.invalid",
        ),
    ]
    for response, status, code in cases:
        assert response.status_code == status, response.text
        error = response.json()["error"]
        assert error["code"] == code
        assert error["correlation_id"] == response.headers["x-request-id"]
        assert "Traceback" not in response.text and "/work" not in response.text


def test_request_ids_are_echoed_or_made(client: TestClient) -> None:
    given = client.get("/healthz", headers={"X-Request-ID": "trace-abc-123"})
    assert given.headers["x-request-id"] == "trace-abc-123"
    forged = client.get("/healthz", headers={"X-Request-ID": "bad id\nInjected: 1"})
    assert forged.headers["x-request-id"] != "bad id\nInjected: 1"
    assert len(forged.headers["x-request-id"]) == 32


def test_security_headers_and_body_limit(client: TestClient, world: World) -> None:
    response = client.get("/api/v1/auth/me", headers=world.alice.headers)
    assert response.json()["username"] == "alice"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert response.headers["referrer-policy"] == "same-origin"
    assert "strict-transport-security" not in response.headers  # plain HTTP here
    assert (
        "access-control-allow-origin"
        not in client.get("/healthz", headers={"Origin": "https://evil.example"}).headers
    )  # no CORS unless VIDSCOPE_CORS_ORIGINS allows an origin
    huge = client.post(
        "/api/v1/auth/login",
        content=b"x" * (2 * 1024**2),
        headers={"content-type": "application/json"},
    )
    assert huge.status_code == 413 and huge.json()["error"]["code"] == "request.too_large"


def test_operations_routes(client: TestClient, world: World) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz").json()
    assert ready["status"] == "ready"
    assert {k: v["status"] for k, v in ready["checks"].items()} == {
        "catalog": "ok",
        "indexes": "ok",
        "models": "ok",
        "worker": "ok",
        "disk": "ok",
        "redis": "off",
    }
    for _ in range(2):  # the second is served from the answer cache
        asked = client.post(
            "/api/v1/ask",
            json={"question": "what is the weather on Mars"},
            headers=world.bob.headers,
        )
        assert asked.status_code == 200 and asked.json()["abstained"]
    text = TestClient(client.app, client=("127.0.0.1", 9090)).get("/metrics").text  # loopback
    hits = re.search(r"^vidscope_answer_cache_hits_total (\S+)$", text, re.M)
    assert hits is not None and float(hits.group(1)) >= 1
    assert "vidscope_answer_cache_misses_total" in text
    assert 'vidscope_http_requests_total{method="GET",route="/api/v1/videos/{video_id}"' in text
    assert "vidscope_search_seconds_bucket" in text
    assert 'vidscope_jobs{state="succeeded"}' in text and "vidscope_queue_depth" in text
    assert "vidscope_ingest_seconds_per_audio_second_count" in text


def test_openapi_documents_every_route(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    paths = spec["paths"]
    expected = {
        ("post", "/api/v1/auth/register"),
        ("post", "/api/v1/auth/login"),
        ("post", "/api/v1/auth/refresh"),
        ("post", "/api/v1/auth/logout"),
        ("get", "/api/v1/auth/me"),
        ("get", "/api/v1/videos"),
        ("post", "/api/v1/videos"),
        ("get", "/api/v1/videos/{video_id}"),
        ("delete", "/api/v1/videos/{video_id}"),
        ("get", "/api/v1/videos/{video_id}/transcript"),
        ("get", "/api/v1/videos/{video_id}/media"),
        ("get", "/api/v1/videos/{video_id}/thumbnail"),
        ("get", "/api/v1/search"),
        ("post", "/api/v1/ask"),
        ("get", "/api/v1/videos/{video_id}/summary"),
        ("get", "/api/v1/videos/{video_id}/chapters"),
        ("post", "/api/v1/clips"),
        ("get", "/api/v1/clips/{clip_id}"),
        ("get", "/api/v1/clips/{clip_id}/file"),
        ("get", "/api/v1/jobs"),
        ("get", "/api/v1/jobs/{job_id}"),
    }
    assert expected <= {(m, p) for p, ops in paths.items() for m in ops}
    for path, ops in paths.items():
        for method, op in ops.items():
            assert op.get("summary"), (method, path)
            if path.startswith("/api/v1"):
                assert "422" in op["responses"] or "401" in op["responses"], (method, path)
                assert "500" in op["responses"], (method, path)
    # Swagger's Authorize logs in with the password form against the login route.
    schemes = spec["components"]["securitySchemes"]
    assert set(schemes) == {"OAuth2PasswordBearer", "SessionCookie"}, schemes
    assert schemes["OAuth2PasswordBearer"]["flows"]["password"]["tokenUrl"] == "api/v1/auth/login"
    # The web app's session cookie is the other way in, and the document says so.
    assert (schemes["SessionCookie"]["in"], schemes["SessionCookie"]["name"]) == (
        "cookie",
        "vidscope_session",
    )
    docs = client.get("/docs")
    assert docs.status_code == 200 and "/static/swagger/swagger-ui-bundle.js" in docs.text
    assert client.get("/static/swagger/swagger-ui-bundle.js").status_code == 200


def test_cli_json_and_api_share_one_schema() -> None:
    """The CLI's --json prints the same public schema the API answers with."""
    code = (
        "from pipelines.public import HitPublic, VideoPublic; import json;"
        "print(json.dumps([sorted(HitPublic.model_fields), sorted(VideoPublic.model_fields)]))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    hit_fields, video_fields = json.loads(out.stdout)
    assert "passage_start" in hit_fields and "sentences" in video_fields


def test_paging_past_the_end_of_numbers_is_a_request_error(
    client: TestClient, world: World
) -> None:
    for route in ("/api/v1/videos", "/api/v1/jobs"):
        response = client.get(route, params={"offset": 2**63}, headers=world.alice.headers)
        assert response.status_code == 422, response.text  # found by schemathesis: was a 500
        assert response.json()["error"]["code"] == "request.invalid"


@pytest.mark.slow
def test_batch_routes_are_for_the_local_administrator_only(
    client: TestClient, world: World
) -> None:
    body = {"user": "alice", "sha256s": ["0" * 64]}
    answer = client.post("/api/v1/admin/batches/check", json=body, headers=world.alice.headers)
    assert answer.status_code == 403 and answer.json()["error"]["code"] == "auth.forbidden"
    bad = {"user": "alice", "batch_id": "../../etc", "sha256s": ["../x"]}
    answer = client.post("/api/v1/admin/batches/merge", json=bad, headers=world.alice.headers)
    assert answer.status_code in (403, 422)  # never a path outside the shard folder
