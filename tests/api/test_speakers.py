"""A video's speakers through the API: listed with their talk time, named once (and the name is
in the transcript at once), refused with a code, and out of reach of every other owner."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from tests.support.api import World


@pytest.fixture
def speakers_url(client: TestClient, world: World) -> Iterator[str]:
    """Alice's talk's speakers; whatever a test named is given back its label after it."""
    url = f"/api/v1/videos/{world.video_id}/speakers"
    yield url
    for speaker in client.get(url, headers=world.alice.headers).json()["items"]:
        if speaker["name"] is not None:
            client.patch(
                f"{url}/{speaker['label']}", json={"name": None}, headers=world.alice.headers
            )


@pytest.mark.slow
def test_naming_the_one_voice_of_a_talk_shows_in_its_transcript(
    client: TestClient, world: World, speakers_url: str
) -> None:
    alice = world.alice.headers
    listed = client.get(speakers_url, headers=alice)
    assert listed.status_code == 200, listed.text
    [voice] = listed.json()["items"]
    # One voice nobody named: the transcript names nobody.
    assert voice == {
        "label": "Speaker 1",
        "name": None,
        "shown": None,
        "seconds": voice["seconds"],
        "share": 1.0,
        "suggestion": None,
        "rejected": [],
        "joined": None,
    }
    assert voice["seconds"] > 20
    transcript = f"/api/v1/videos/{world.video_id}/transcript"
    assert "<v " not in client.get(transcript, params={"format": "vtt"}, headers=alice).text
    named = client.patch(f"{speakers_url}/speaker%201", json={"name": "Alice"}, headers=alice)
    assert named.status_code == 200, named.text
    assert (named.json()["name"], named.json()["shown"]) == ("Alice", "Alice")
    vtt = client.get(transcript, params={"format": "vtt"}, headers=alice).text
    assert vtt.count("<v Alice>") == vtt.count(" --> ")
    # Renamed by its name; given back its label with null.
    again = client.patch(f"{speakers_url}/alice", json={"name": "Alice B."}, headers=alice)
    assert again.json()["name"] == "Alice B."
    cleared = client.patch(f"{speakers_url}/Speaker 1", json={"name": None}, headers=alice)
    assert (cleared.json()["name"], cleared.json()["shown"]) == (None, None)
    assert "Alice" not in client.get(transcript, headers=alice).text
    events = client.app.state.library.system.audit_events(limit=10)
    renamed = [e for e in events if e["event"] == "speaker.renamed"]
    assert renamed and renamed[0]["username"] == "alice"
    assert renamed[0]["detail"] == {"video_id": world.video_id, "label": "Speaker 1", "name": None}


@pytest.mark.slow
def test_a_rename_that_breaks_a_rule_says_which(
    client: TestClient, world: World, speakers_url: str
) -> None:
    alice = world.alice.headers
    cases = [
        ("Speaker 7", {"name": "Dana"}, 404, "speaker.unknown"),
        ("Speaker 1", {"name": "Dana\nScully"}, 422, "speaker.bad_name"),
        ("Speaker 1", {"name": " "}, 422, "speaker.bad_name"),
        ("Speaker 1", {"name": "x" * 61}, 422, "speaker.bad_name"),
        ("Speaker 1", {"name": "Speaker 9"}, 422, "speaker.name_like_label"),
        ("Speaker 1", {}, 422, "request.invalid"),
    ]
    for label, body, status, code in cases:
        answer = client.patch(f"{speakers_url}/{label}", json=body, headers=alice)
        assert answer.status_code == status, (label, body, answer.text)
        assert answer.json()["error"]["code"] == code
    unknown = client.patch(f"{speakers_url}/Speaker 7", json={"name": "Dana"}, headers=alice)
    assert "Speaker 1" in unknown.json()["error"]["message"]
    assert client.get(speakers_url, headers=alice).json()["items"][0]["name"] is None


@pytest.mark.slow
def test_another_owner_can_neither_list_nor_rename_your_speakers(
    client: TestClient, world: World, speakers_url: str
) -> None:
    bob = world.bob.headers
    nobody = speakers_url.replace(world.video_id, "0" * 16)
    for method, body in (("GET", None), ("PATCH", {"name": "Eve"})):
        suffix = "" if method == "GET" else "/Speaker 1"
        theirs = client.request(method, speakers_url + suffix, json=body, headers=bob)
        missing = client.request(method, nobody + suffix, json=body, headers=bob)
        assert theirs.status_code == missing.status_code == 404, theirs.text
        assert theirs.json()["error"]["code"] == missing.json()["error"]["code"]
    mine = client.get(speakers_url, headers=world.alice.headers).json()["items"]
    assert [s["name"] for s in mine] == [None]
    assert client.get(speakers_url).status_code == 401


@pytest.mark.slow
def test_search_and_questions_filtered_by_a_speaker_name(
    client: TestClient, world: World, speakers_url: str
) -> None:
    alice, bob = world.alice.headers, world.bob.headers
    named = client.patch(f"{speakers_url}/Speaker 1", json={"name": "Dana"}, headers=alice)
    assert named.status_code == 200, named.text
    found = client.get("/api/v1/search", params={"q": "budget", "speaker": "dana"}, headers=alice)
    assert found.status_code == 200, found.text
    hits = found.json()["hits"]
    assert hits and {h["speaker"] for h in hits} == {"Dana"}
    asked = client.post(
        "/api/v1/ask", json={"question": "What is the budget?", "speaker": "Dana"}, headers=alice
    )
    assert asked.status_code == 200, asked.text
    assert {c["speaker"] for c in asked.json()["citations"]} <= {"Dana"}
    # Nobody of that name: a coded 404, not an empty list that looks like "never said it".
    nobody = client.get("/api/v1/search", params={"q": "budget", "speaker": "Zed"}, headers=alice)
    assert (nobody.status_code, nobody.json()["error"]["code"]) == (404, "speaker.unknown")
    # Another owner's names are not Bob's to filter by.
    stranger = client.get("/api/v1/search", params={"q": "budget", "speaker": "Dana"}, headers=bob)
    assert (stranger.status_code, stranger.json()["error"]["code"]) == (404, "speaker.unknown")
