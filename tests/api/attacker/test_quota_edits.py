"""Item 6 of the web boundary round: clips and reels are stored for their owner too, so they
count against the quota and are refused when they do not fit — when asked for, not after
the disk has taken them."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.support.attacker import api_headers, browser_session, ready_talk, wait_ready
from tests.support.server import Server

pytestmark = pytest.mark.slow
QUOTA = 1_000_000  # the talk (818,758 bytes, 35.8 s) and a few seconds of clips


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("quota-edits")
    running = Server(
        folder / "library",
        folder / "server.log",
        VIDSCOPE_QUOTA_BYTES=str(QUOTA),
        VIDSCOPE_OCR="false",
    )
    yield running
    running.stop()


def test_clips_and_reels_count_against_the_quota(server: Server) -> None:
    browser_session(server.url, "quinn").close()
    headers = api_headers(server.url, "quinn")
    video_id = ready_talk(server.url, headers)

    def clip(start: float, end: float) -> httpx.Response:
        return httpx.post(
            f"{server.url}/api/v1/clips",
            json={"video_id": video_id, "start": start, "end": end},
            headers=headers,
        )

    # A whole copy of the talk does not fit in what is left (about 181 KB).
    whole = clip(0.0, 35.0)
    assert whole.status_code == 413, whole.text
    error = whole.json()["error"]
    assert error["code"] == "quota.exceeded" and "VIDSCOPE_QUOTA_BYTES" in error["message"]
    reel = httpx.post(
        f"{server.url}/api/v1/reels",
        json={"hits": [{"video_id": video_id, "start": 0.0, "end": 35.0}]},
        headers=headers,
    )
    assert reel.status_code == 413 and reel.json()["error"]["code"] == "quota.exceeded"
    # A short clip fits, is stored, and counts: the quota left goes down by its size.
    short = clip(1.0, 2.0)
    assert short.status_code == 202, short.text
    assert wait_ready(server.url, headers, short.json()["job_id"])["status"] == "succeeded"
    made = httpx.get(f"{server.url}/api/v1/clips/{short.json()['clip_id']}", headers=headers)
    assert made.json()["size_bytes"] > 0
    # Nothing was written for the refused ones.
    clips = list((server.home / "clips").rglob("*.mp4"))
    assert len(clips) == 1, clips
