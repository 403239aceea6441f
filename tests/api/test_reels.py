"""Reels through the API: asked for with one source, made by the job worker, downloaded; the
parts are fixed when asked for and each is the owner's own (isolation: test_isolation)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from pipelines.editing.names import download_name
from pipelines.media.probe import probe
from tests.support.api import World, wait_for_job


@pytest.mark.slow
def test_a_reel_of_a_query_is_made_by_a_job_and_downloaded(
    client: TestClient, world: World, tmp_path: Path
) -> None:
    alice = world.alice.headers
    asked = client.post("/api/v1/reels", json={"query": "solar panels power"}, headers=alice)
    assert asked.status_code == 202, asked.text
    job = wait_for_job(client, world.alice, asked.json()["job_id"])
    assert job["status"] == "succeeded" and job["kind"] == "reel", job
    reel = client.get(f"/api/v1/reels/{asked.json()['reel_id']}", headers=alice).json()
    assert reel["status"] == "ready" and reel["vertical"] is False and reel["size_bytes"] > 0
    assert {p["video_id"] for p in reel["parts"]} == {world.video_id}
    shown = sum(p["end"] - p["start"] for p in reel["parts"])
    file = client.get(f"/api/v1/reels/{reel['id']}/file", headers=alice)
    assert file.status_code == 200 and file.headers["content-type"] == "video/mp4"
    # Saved under the video's title (made safe for a file system), not the reel's id.
    title = client.get(f"/api/v1/videos/{world.video_id}", headers=alice).json()["title"]
    named = file.headers["content-disposition"]
    assert quote(download_name(title, "reel", "mp4")) in named and reel["id"] not in named
    (tmp_path / "reel.mp4").write_bytes(file.content)
    info = probe(tmp_path / "reel.mp4", allowed=("mp4",))
    assert info.has_video and info.has_audio
    assert abs(info.duration - shown) <= 0.1 * len(reel["parts"]) + 0.1, (info.duration, shown)


@pytest.mark.slow
def test_the_key_points_reel_and_a_vertical_one(client: TestClient, world: World) -> None:
    alice = world.alice.headers
    chapters = client.get(f"/api/v1/reels/{world.reel_id}", headers=alice).json()
    assert chapters["status"] == "ready" and chapters["parts"]
    hits = [{"video_id": world.video_id, "start": 4.0, "end": 7.5}]
    asked = client.post("/api/v1/reels", json={"hits": hits, "vertical": True}, headers=alice)
    assert asked.status_code == 202, asked.text
    assert wait_for_job(client, world.alice, asked.json()["job_id"])["status"] == "succeeded"
    reel = client.get(f"/api/v1/reels/{asked.json()['reel_id']}", headers=alice).json()
    assert reel["vertical"] is True and reel["parts"] == [{**hits[0]}]
    assert reel["subtitles"] is False and reel["title_cards"] is False


@pytest.mark.slow
def test_a_reel_with_words_on_it(client: TestClient, world: World, tmp_path: Path) -> None:
    alice = world.alice.headers
    hits = [{"video_id": world.video_id, "start": 4.0, "end": 7.5}]
    body = {"hits": hits, "subtitles": True, "title_cards": True}
    asked = client.post("/api/v1/reels", json=body, headers=alice)
    assert asked.status_code == 202, asked.text
    assert wait_for_job(client, world.alice, asked.json()["job_id"])["status"] == "succeeded"
    reel = client.get(f"/api/v1/reels/{asked.json()['reel_id']}", headers=alice).json()
    assert reel["subtitles"] is True and reel["title_cards"] is True
    file = client.get(f"/api/v1/reels/{reel['id']}/file", headers=alice)
    (tmp_path / "reel.mp4").write_bytes(file.content)
    info = probe(tmp_path / "reel.mp4", allowed=("mp4",))
    assert abs(info.duration - (3.5 + 2.0)) <= 0.3  # the part and its 2 s title card


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"query": "solar", "chapters_of": "abc"},
        {"hits": []},
        {"hits": [{"video_id": "x", "start": 5, "end": -1}]},
    ],
)
def test_a_reel_needs_exactly_one_good_source(
    client: TestClient, world: World, body: dict[str, object]
) -> None:
    answer = client.post("/api/v1/reels", json=body, headers=world.alice.headers)
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["code"] == "request.invalid"


def test_a_range_past_the_end_or_backwards_is_refused_before_any_job(
    client: TestClient, world: World
) -> None:
    alice = world.alice.headers
    jobs_before = client.get("/api/v1/jobs", headers=alice).json()["items"]
    backwards = [{"video_id": world.video_id, "start": 9.0, "end": 3.0}]
    answer = client.post("/api/v1/reels", json={"hits": backwards}, headers=alice)
    assert answer.status_code in (400, 422), answer.text
    assert answer.json()["error"]["code"].startswith("clip.")
    assert client.get("/api/v1/jobs", headers=alice).json()["items"] == jobs_before
