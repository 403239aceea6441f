"""Nobody reaches another person's data: every route answers 404 for another owner's ids,
exactly as for ids that do not exist, and search never returns their passages."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.support.api import World


def routes(world: World) -> list[tuple[str, str, dict[str, object] | None]]:
    v, c, j = world.video_id, world.clip_id, world.job_id
    return [
        ("GET", f"/api/v1/videos/{v}", None),
        ("GET", f"/api/v1/videos/{v}/transcript?format=srt", None),
        ("GET", f"/api/v1/videos/{v}/media", None),
        ("GET", f"/api/v1/videos/{v}/thumbnail?t=5", None),
        ("GET", f"/api/v1/videos/{v}/summary", None),
        ("POST", f"/api/v1/videos/{v}/summary", None),
        ("GET", f"/api/v1/videos/{v}/chapters?format=vtt", None),
        ("GET", f"/api/v1/search?q=solar+panels&video_id={v}", None),
        (
            "POST",
            "/api/v1/ask",
            {"question": "how much power do the solar panels make", "video_id": v},
        ),
        ("POST", "/api/v1/clips", {"video_id": v, "start": 1.0, "end": 3.0}),
        ("GET", f"/api/v1/clips/{c}", None),
        ("GET", f"/api/v1/clips/{c}/file", None),
        ("POST", "/api/v1/reels", {"hits": [{"video_id": v, "start": 1.0, "end": 3.0}]}),
        ("POST", "/api/v1/reels", {"chapters_of": v}),
        ("GET", f"/api/v1/reels/{world.reel_id}", None),
        ("GET", f"/api/v1/reels/{world.reel_id}/file", None),
        ("GET", f"/api/v1/jobs/{j}", None),
        ("POST", f"/api/v1/jobs/{j}/retry", None),
        ("DELETE", f"/api/v1/videos/{v}", None),
    ]


def _without(body: dict[str, object], video_id: str) -> dict[str, object]:
    """The request body with a video id nobody has in place of alice's."""
    import json

    return dict(json.loads(json.dumps(body).replace(video_id, "0" * 16)))


@pytest.mark.slow
def test_the_other_user_gets_404_on_every_route(client: TestClient, world: World) -> None:
    for method, url, body in routes(world):
        theirs = client.request(method, url, json=body, headers=world.bob.headers)
        missing = client.request(
            method,
            url.replace(world.video_id, "0" * 16)
            .replace(world.clip_id, "1" * 16)
            .replace(world.job_id, "2" * 32)
            .replace(world.reel_id, "3" * 16),
            json=body and _without(body, world.video_id),
            headers=world.bob.headers,
        )
        assert theirs.status_code == 404, (method, url, theirs.text)
        # Indistinguishable from an id that does not exist: same status, same code.
        assert theirs.json()["error"]["code"] == missing.json()["error"]["code"], url
    # ...and alice still has everything (bob's DELETE did nothing).
    assert client.get(f"/api/v1/videos/{world.video_id}", headers=world.alice.headers).is_success


@pytest.mark.slow
def test_lists_and_search_hold_only_your_own(client: TestClient, world: World) -> None:
    bob = world.bob.headers
    assert client.get("/api/v1/videos", headers=bob).json()["items"] == []
    assert client.get("/api/v1/jobs", headers=bob).json()["items"] == []
    assert client.get("/api/v1/search", params={"q": "solar panels"}, headers=bob).json() == {
        "hits": []
    }
    mine = client.get("/api/v1/search", params={"q": "solar panels"}, headers=world.alice.headers)
    assert {h["video_id"] for h in mine.json()["hits"]} == {world.video_id}
    # An answer is made from your own videos only: bob's question finds nothing to cite.
    question = {"question": "how much power do the solar panels make"}
    theirs = client.post("/api/v1/ask", json=question, headers=bob).json()
    assert theirs["abstained"] and theirs["citations"] == []
    answer = client.post("/api/v1/ask", json=question, headers=world.alice.headers).json()
    assert not answer["abstained"]
    assert {c["video_id"] for c in answer["citations"]} == {world.video_id}


@pytest.mark.slow
def test_the_same_file_uploaded_by_two_people_is_two_videos(
    client: TestClient, world: World
) -> None:
    from tests.support.api import upload, wait_for_job

    accepted = upload(client, world.bob)
    assert accepted.status_code == 202, accepted.text  # not "already indexed": not bob's
    job = wait_for_job(client, world.bob, accepted.json()["job_id"])
    assert job["status"] == "succeeded"
    assert job["video_id"] != world.video_id  # random ids: nothing about alice's leaks
    again = upload(client, world.alice)
    assert again.status_code == 200 and again.json() == {
        "video_id": world.video_id,
        "job_id": None,
        "status": "already_indexed",
    }
    client.delete(f"/api/v1/videos/{job['video_id']}", headers=world.bob.headers)
