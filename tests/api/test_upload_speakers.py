"""An upload may say how many people speak (issue 26, a stranger's finding: only the CLI,
with the server stopped, could): the form's ``speakers`` goes with the job to its diarization,
and a count outside 1-20 is refused before anything is stored."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.support.api import Account, sign_up, wait_for_job
from tests.support.library import DATA

TURNS = DATA / "turns.mp4"  # three voices taking turns (tests/data/turns.json)


def _upload(client: TestClient, account: Account, speakers: str) -> Any:
    with TURNS.open("rb") as handle:
        return client.post(
            "/api/v1/videos",
            files={"file": (TURNS.name, handle, "video/mp4")},
            data={"speakers": speakers},
            headers=account.headers,
        )


def test_a_count_outside_one_to_twenty_is_refused_and_nothing_is_stored(
    client: TestClient,
) -> None:
    rita = sign_up(client, "rita")
    for count in ("0", "21", "two", "-1", "1" * 17):
        refused = _upload(client, rita, count)
        assert refused.status_code == 422, (count, refused.text)
        code = refused.json()["error"]["code"]
        assert code == ("request.invalid" if len(count) > 16 else "speaker.bad_count"), count
        assert code == "request.invalid" or "between 1 and 20" in refused.json()["error"]["message"]
    listed = client.get("/api/v1/videos", headers=rita.headers).json()
    assert listed["total"] == 0


@pytest.mark.slow
def test_an_uploads_count_of_speakers_reaches_its_diarization(client: TestClient) -> None:
    sam = sign_up(client, "sam")
    accepted = _upload(client, sam, " 2 ")
    assert accepted.status_code == 202, accepted.text
    job = wait_for_job(client, sam, accepted.json()["job_id"])
    assert job["status"] == "succeeded", job
    speakers = client.get(f"/api/v1/videos/{job['video_id']}/speakers", headers=sam.headers)
    # Three voices, told apart as the two the uploader said there are.
    assert [s["label"] for s in speakers.json()["items"]] == ["Speaker 1", "Speaker 2"]
