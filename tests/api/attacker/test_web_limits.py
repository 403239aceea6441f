"""Item 5 of the web boundary round, on the page's side: Gradio's events are held to the same
rate limits as the API, so one account cannot flood the server through the web page."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.support.attacker import browser_session, event_number, join
from tests.support.server import Server

pytestmark = pytest.mark.slow
RATE = 20  # events a minute, per account and per address


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("web-limits")
    running = Server(
        folder / "library", folder / "server.log", VIDSCOPE_RATE_LIMIT=f"{RATE}/minute"
    )
    yield running
    running.stop()


def test_web_events_are_held_to_the_rate_limit(server: Server) -> None:
    bob = browser_session(server.url, "bob")
    search_fn = event_number(bob, "search_cards")
    answers = [join(bob, search_fn, [f"query {n}"], f"bob-flood-{n}") for n in range(RATE + 5)]
    statuses = [a.status_code for a in answers]
    assert statuses[:RATE].count(200) == RATE, statuses
    refused = [a for a in answers if a.status_code == 429]
    assert len(refused) == 5, statuses
    error = refused[0].json()["error"]
    assert error["code"] == "rate.limited" and f"{RATE} per 1 minute" in error["message"]
    assert int(refused[0].headers["retry-after"]) >= 1
    # Uploads through the page count too.
    upload = bob.post("/gradio_api/upload", files={"files": ("a.mp4", b"\0" * 64, "video/mp4")})
    assert upload.status_code == 429
    # The API's own budget is apart: the page's polling does not spend it.
    assert bob.get("/api/v1/videos").status_code == 200
    assert httpx.get(f"{server.url}/healthz").status_code == 200
    bob.close()
