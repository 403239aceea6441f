"""A stranger against a real ``vidscope serve`` on the accounts and the limits (issue 24, items
6–8): disk used through clips and reels outside the quota, the lock-out of a named user by
wrong passwords, /metrics open to anyone, failed jobs naming server paths, a malformed
``Origin`` answered with a 500, access tokens outliving a stolen refresh token.

This module's server believes ``X-Forwarded-For`` from the test (a trusted proxy on loopback),
so each request can come from an address of its own; it has no metrics token, the default
login rate (10 a minute) and a quota of one talk, one small video and 200 kB to spare."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.api import PASSWORD
from tests.support.attacker import ready_talk, wait_ready
from tests.support.library import TALK
from tests.support.server import Server

pytestmark = pytest.mark.slow

SPARE = 200_000  # bytes: less than a 20 s clip or a 30 s reel of the talk
# The second video the quota is probed with: a copy of the talk (other bytes, the same
# length), so a clip fits beside it when asked for (its estimate, its share of the talk and
# 64 KB, is under SPARE + PROBE) and takes the room it needs once written (it is over SPARE).
PROBE_BYTES = TALK.stat().st_size + 8
QUOTA = TALK.stat().st_size + PROBE_BYTES + SPARE
_addresses = itertools.count(1)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("accounts-and-limits")
    running = Server(
        folder / "library",
        folder / "server.log",
        VIDSCOPE_QUOTA_BYTES=str(QUOTA),
        VIDSCOPE_LOGIN_RATE_LIMIT="10/minute",
        VIDSCOPE_TRUSTED_PROXIES="127.0.0.1",
    )
    yield running
    running.stop()


def address() -> dict[str, str]:
    """A client address of its own (203.0.113.0/24 is for documentation: nobody's)."""
    return {"X-Forwarded-For": f"203.0.113.{next(_addresses)}"}


def register(server: Server, username: str) -> None:
    created = httpx.post(
        f"{server.url}/api/v1/auth/register",
        json={"username": username, "password": PASSWORD},
        headers=address(),
    )
    assert created.status_code == 201, created.text


def login(server: Server, username: str, password: str = PASSWORD, **headers: str) -> Any:
    return httpx.post(
        f"{server.url}/api/v1/auth/login",
        json={"username": username, "password": password},
        headers=headers or address(),
    )


def bearer(server: Server, username: str) -> dict[str, str]:
    tokens = login(server, username)
    assert tokens.status_code == 200, tokens.text
    return {"Authorization": f"Bearer {tokens.json()['access_token']}"}


def upload(server: Server, headers: dict[str, str], path: Path) -> httpx.Response:
    with path.open("rb") as handle:
        return httpx.post(
            f"{server.url}/api/v1/videos",
            files={"file": (path.name, handle, "video/mp4")},
            headers=headers,
            timeout=60,
        )


def error_of(answer: httpx.Response) -> dict[str, Any]:
    body: dict[str, Any] = answer.json()["error"]
    return body


# -- item 6: clips and reels are stored bytes like any other ---------------------------------------
@pytest.mark.parametrize("kind", ["clip", "reel"])
def test_clips_and_reels_count_toward_the_owners_quota(
    server: Server, kind: str, tmp_path: Path
) -> None:
    register(server, f"hoarder-{kind}")
    headers = bearer(server, f"hoarder-{kind}")
    video_id = ready_talk(server.url, headers)
    # Room left for a second copy of the talk; a clip or a reel of most of the talk takes it.
    if kind == "clip":
        made = httpx.post(
            f"{server.url}/api/v1/clips",
            json={"video_id": video_id, "start": 0, "end": 20},
            headers=headers,
        )
    else:
        made = httpx.post(
            f"{server.url}/api/v1/reels",
            json={"hits": [{"video_id": video_id, "start": 0, "end": 30}]},
            headers=headers,
        )
    assert made.status_code == 202, made.text
    assert wait_ready(server.url, headers, made.json()["job_id"])["status"] == "succeeded"

    probe = tmp_path / "probe.mp4"
    probe.write_bytes(TALK.read_bytes() + b"\7" * 8)
    refused = upload(server, headers, probe)
    assert refused.status_code == 413, refused.text
    error = error_of(refused)
    assert error["code"] == "quota.exceeded"
    assert "VIDSCOPE_QUOTA_BYTES" in error["message"] and "reels" in error["message"]

    # Deleting the video frees what was made of it: the clip, or the reel that shows it.
    deleted = httpx.delete(f"{server.url}/api/v1/videos/{video_id}", headers=headers)
    assert deleted.status_code in (200, 204), deleted.text
    accepted = upload(server, headers, probe)
    assert accepted.status_code == 202, accepted.text


# -- item 7: wrong passwords from elsewhere do not lock the owner out ------------------------------
def test_wrong_passwords_from_one_address_do_not_lock_out_the_owner(server: Server) -> None:
    register(server, "carol")
    guesser = address()
    answers = [login(server, "carol", "not her password", **guesser) for _ in range(11)]
    assert [a.status_code for a in answers[:10]] == [401] * 10
    assert error_of(answers[10])["code"] == "rate.limited"  # that address is slowed down

    # Carol, from her own address, signs in with her password — and again (the page, then
    # the CLI): a right password does not spend her address's one try.
    home = address()
    assert login(server, "carol", **home).status_code == 200
    assert login(server, "carol", **home).status_code == 200

    # Guessing her password from many addresses stays slow: with her account's failures
    # spent, each new address has one try a minute, not the ten of an address's login rate.
    for _ in range(3):
        elsewhere = address()
        first = login(server, "carol", "another guess", **elsewhere)
        assert error_of(first)["code"] == "auth.failed"
        second = login(server, "carol", "one more guess", **elsewhere)
        assert second.status_code == 429 and error_of(second)["code"] == "rate.limited"
        assert int(second.headers["retry-after"]) > 0
    # ... while the other accounts on those addresses are not affected.
    register(server, "dave")
    assert login(server, "dave", **elsewhere).status_code == 200


# -- item 8: smaller ones ------------------------------------------------------------------------
def test_metrics_are_closed_without_a_token_except_to_this_machine(server: Server) -> None:
    assert httpx.get(f"{server.url}/metrics").status_code == 200  # loopback, no proxy
    register(server, "prober")
    for headers in (address(), {**address(), **bearer(server, "prober")}):
        refused = httpx.get(f"{server.url}/metrics", headers=headers)
        assert refused.status_code == 401, refused.text
        error = error_of(refused)
        assert error["code"] == "auth.metrics_token"
        assert "VIDSCOPE_METRICS_TOKEN" in error["message"]


@pytest.mark.parametrize(
    "origin", ["http://127.0.0.1:abc", "http://127.0.0.1:99999", "http://[::1", "http://:-1"]
)
def test_a_malformed_origin_is_refused_not_a_server_error(server: Server, origin: str) -> None:
    for path, data in (
        ("/login", {"username": "x", "password": "y"}),
        ("/api/v1/auth/login", None),
    ):
        answer = httpx.post(
            f"{server.url}{path}",
            data=data,
            json=None if data else {"username": "x", "password": "y"},
            headers={"Origin": origin},
        )
        assert answer.status_code == 403, (path, answer.status_code, answer.text)
        assert error_of(answer)["code"] == "request.cross_origin"
    assert httpx.get(f"{server.url}/healthz", headers={"Origin": origin}).status_code == 200


def test_reusing_a_refresh_token_ends_the_access_tokens_at_once(server: Server) -> None:
    register(server, "erin")
    stolen = login(server, "erin").json()
    rotated = httpx.post(
        f"{server.url}/api/v1/auth/refresh", json={"refresh_token": stolen["refresh_token"]}
    ).json()
    me = f"{server.url}/api/v1/auth/me"
    for access in (stolen["access_token"], rotated["access_token"]):
        assert httpx.get(me, headers={"Authorization": f"Bearer {access}"}).status_code == 200

    reused = httpx.post(
        f"{server.url}/api/v1/auth/refresh", json={"refresh_token": stolen["refresh_token"]}
    )
    assert error_of(reused)["code"] == "auth.token_reused"
    for access in (stolen["access_token"], rotated["access_token"]):
        ended = httpx.get(me, headers={"Authorization": f"Bearer {access}"})
        assert ended.status_code == 401 and error_of(ended)["code"] == "auth.session_ended"
    # A new sign-in works at once.
    assert httpx.get(me, headers=bearer(server, "erin")).status_code == 200


def test_a_failed_job_names_no_server_path_or_exception(server: Server) -> None:
    register(server, "frank")
    headers = bearer(server, "frank")
    video_id = ready_talk(server.url, headers)
    # The stored media is damaged after the video was indexed (a bad disk, a stray write):
    # its header and index are intact, the pictures between are zeros, so the cut fails in
    # the decoder, whose error names the file's full path.
    [media] = [p for p in (server.home / "media").rglob("*") if video_id in p.name]
    data = media.read_bytes()
    media.write_bytes(data[:40] + bytes(len(data) - 400_040) + data[-400_000:])

    for route, body in (
        ("clips", {"video_id": video_id, "start": 1, "end": 5}),
        ("reels", {"hits": [{"video_id": video_id, "start": 1, "end": 5}], "title_cards": True}),
    ):
        queued = httpx.post(f"{server.url}/api/v1/{route}", json=body, headers=headers)
        assert queued.status_code == 202, queued.text
        job = wait_ready(server.url, headers, queued.json()["job_id"])
        assert job["status"] == "failed", job
        shown = job["error"]["message"]
        assert job["error"]["code"], job
        for leak in (str(server.home), "media/", "Error", "Errno", "Traceback", "avcodec"):
            assert leak not in shown, (route, leak, shown)
    # The whole error stays in the server's log, for the operator.
    assert str(media) in Path(server.log.name).read_text()
