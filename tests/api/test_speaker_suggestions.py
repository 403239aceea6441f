"""Speaker suggestions through the API: a voice named in one upload is suggested in another of
the same account (turns.mp4 and turns-reply.m4a share a voice: tests/data/turns-reply.json),
confirmed with the rename PATCH, turned down with POST .../reject (audited), and never shown to
another account that holds the very same recording."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.support.api import Account, sign_up, upload, wait_for_job
from tests.support.library import DATA

pytestmark = pytest.mark.slow


def _ingested(client: TestClient, account: Account, name: str) -> str:
    accepted = upload(client, account, DATA / name)
    assert accepted.status_code == 202, accepted.text
    job = wait_for_job(client, account, accepted.json()["job_id"])
    assert job["status"] == "succeeded", job
    return str(job["video_id"])


def _speaker_at(client: TestClient, account: Account, video_id: str, second: float) -> str:
    cues = client.get(
        f"/api/v1/videos/{video_id}/transcript",
        params={"format": "json"},
        headers=account.headers,
    ).json()
    [label] = [c["speaker"] for c in cues if c["start"] <= second <= c["end"]]
    return str(label)


def _speakers(client: TestClient, account: Account, video_id: str) -> dict[str, Any]:
    listed = client.get(f"/api/v1/videos/{video_id}/speakers", headers=account.headers)
    assert listed.status_code == 200, listed.text
    return {s["label"]: s for s in listed.json()["items"]}


def test_a_voice_named_in_one_upload_is_suggested_confirmed_and_turned_down(
    client: TestClient,
) -> None:
    nadia, oscar = sign_up(client, "nadia"), sign_up(client, "oscar")
    turns = _ingested(client, nadia, "turns.mp4")
    reply = _ingested(client, nadia, "turns-reply.m4a")
    theirs = _ingested(client, oscar, "turns-reply.m4a")
    shared = _speaker_at(client, nadia, reply, 5.0)  # the voice turns.mp4 has at 22-40 s
    assert _speakers(client, nadia, reply)[shared]["suggestion"] is None

    url = f"/api/v1/videos/{turns}/speakers/{_speaker_at(client, nadia, turns, 30.0)}"
    assert client.patch(url, json={"name": "Dana"}, headers=nadia.headers).status_code == 200
    # Oscar names his copy's same voice Eve: its print is identical to Nadia's, yet Nadia is
    # offered only her own Dana, and Oscar nothing of hers.
    mine = f"/api/v1/videos/{theirs}/speakers/{_speaker_at(client, oscar, theirs, 5.0)}"
    assert client.patch(mine, json={"name": "Eve"}, headers=oscar.headers).status_code == 200
    speakers = _speakers(client, nadia, reply)
    suggestion = speakers[shared]["suggestion"]
    assert suggestion is not None, speakers
    assert (suggestion["name"], suggestion["from_video_id"]) == ("Dana", turns)
    threshold = client.app.state.library.settings.speakers.match
    assert threshold <= suggestion["similarity"] <= 1.0
    assert [s["suggestion"] for label, s in speakers.items() if label != shared] == [None]
    assert all(s["suggestion"] is None for s in _speakers(client, oscar, theirs).values())

    # Confirming is the rename PATCH with the suggested name.
    speaker_url = f"/api/v1/videos/{reply}/speakers/{shared}"
    confirmed = client.patch(speaker_url, json={"name": "Dana"}, headers=nadia.headers)
    assert confirmed.status_code == 200, confirmed.text
    assert (confirmed.json()["name"], confirmed.json()["suggestion"]) == ("Dana", None)
    # Confirmed by mistake: turning Dana down takes the name away and never offers it again.
    rejected = client.post(f"{speaker_url}/reject", json={"name": "Dana"}, headers=nadia.headers)
    assert rejected.status_code == 200, rejected.text
    assert (rejected.json()["name"], rejected.json()["suggestion"]) == (None, None)
    assert _speakers(client, nadia, reply)[shared]["suggestion"] is None
    events = client.app.state.library.system.audit_events(limit=20)
    [event] = [e for e in events if e["event"] == "speaker.rejected"][:1]
    assert event["username"] == "nadia"
    assert event["detail"] == {"video_id": reply, "label": shared, "name": "Dana"}

    nobody = f"/api/v1/videos/{reply}/speakers/Speaker 9/reject"
    cases = [
        (f"{speaker_url}/reject", {"name": " "}, nadia, 422, "speaker.bad_name"),
        (f"{speaker_url}/reject", {}, nadia, 422, "request.invalid"),
        (nobody, {"name": "Dana"}, nadia, 404, "speaker.unknown"),
        (f"{speaker_url}/reject", {"name": "Dana"}, oscar, 404, "video.not_found"),
    ]
    for url, body, account, status, code in cases:
        answer = client.post(url, json=body, headers=account.headers)
        assert answer.status_code == status, (url, body, answer.text)
        assert answer.json()["error"]["code"] == code
    assert client.post(f"{speaker_url}/reject", json={"name": "Dana"}).status_code == 401

    # The name turned down is listed with the speaker (why it has no suggestion now).
    assert _speakers(client, nadia, reply)[shared]["rejected"] == ["Dana"]
    # Naming a second voice of a video as the first is called merges them (one voice that
    # diarization split): the answer is the speaker they became, saying who joined it.
    before = _speakers(client, nadia, reply)
    first, second = sorted(before, key=lambda label: (len(label), label))[:2]
    client.patch(
        f"/api/v1/videos/{reply}/speakers/{first}", json={"name": "Ann"}, headers=nadia.headers
    )
    merged = client.patch(
        f"/api/v1/videos/{reply}/speakers/{second}", json={"name": "ann"}, headers=nadia.headers
    )
    assert merged.status_code == 200, merged.text
    body = merged.json()
    assert (body["label"], body["name"], body["joined"]) == (first, "Ann", second)
    assert body["seconds"] == pytest.approx(before[first]["seconds"] + before[second]["seconds"])
    after = _speakers(client, nadia, reply)
    assert len(after) == len(before) - 1 and second not in after
    cues = client.get(
        f"/api/v1/videos/{reply}/transcript", params={"format": "json"}, headers=nadia.headers
    ).json()
    assert second not in {c["speaker"] for c in cues} and "Ann" in {c["speaker"] for c in cues}
