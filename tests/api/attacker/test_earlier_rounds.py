"""The web app played by a stranger with an ordinary account, against a real ``vidscope serve``:
crafted Gradio event payloads naming files that are not theirs, another user's result stream,
requests from a page on another port, forwarded headers, the reserved ``local`` account,
sessions after sign-out and password resets, parallel uploads against a quota. Each test
names the item of the issue it guards (the web app on real files and against a stranger)."""

from __future__ import annotations

import os
import stat
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.support.api import PASSWORD
from tests.support.attacker import (
    QUOTA,
    api_headers,
    browser_session,
    event_number,
    file_data,
    gradio_upload,
    join,
    ready_talk,
    result,
)
from tests.support.library import TALK
from tests.support.server import Server

pytestmark = pytest.mark.slow


# -- item 2: the path a client sends is never trusted ----------------------------------------------
def test_only_your_own_pending_upload_can_be_named_in_an_event(
    server: Server, alice: httpx.Client, bob: httpx.Client, tmp_path: Path
) -> None:
    upload_fn = event_number(alice, "upload_files")
    # Alice's stored video, through the API; and a second file she has sent to the page but
    # not yet pressed Upload for.
    ready_talk(server.url, api_headers(server.url, "alice"))
    [stored_media] = list((server.home / "media").iterdir())
    pending = gradio_upload(alice, TALK, "pending.mp4")

    answers = []
    for path in (str(stored_media), pending, "/etc/passwd", "/no/such/file.mp4", str(TALK)):
        refused = join(bob, upload_fn, [[file_data(path)], None], f"bob-{len(answers)}")
        assert refused.status_code == 404, (path, refused.text)
        answers.append(refused.json()["error"])
    # One answer whatever the path: nobody can tell which files exist.
    assert {a["code"] for a in answers} == {"upload.not_found"}
    assert len({a["message"].split("'", 2)[2] for a in answers}) == 1
    # Nothing reached Bob's library, and Alice's pending upload is still hers to use.
    bob_headers = api_headers(server.url, "bob")
    assert httpx.get(f"{server.url}/api/v1/videos", headers=bob_headers).json()["total"] == 0
    assert (server.home / "staging" / "web" / pending).exists()
    # A file without FileData's meta is still a file: checked the same way.
    bare = join(bob, upload_fn, [[{"path": pending}], None], "bob-bare")
    assert bare.status_code == 404 and bare.json()["error"]["code"] == "upload.not_found"
    # Gradio's file route shows nobody else's pending upload (and nothing in the library).
    assert bob.get(f"/gradio_api/file={pending}").status_code == 404


def test_your_own_upload_is_accepted_once(server: Server, tmp_path: Path) -> None:
    # Olive, not Alice: Alice's file still waiting on her page counts against her quota.
    olive = browser_session(server.url, "olive")
    upload_fn = event_number(olive, "upload_files")
    copy = tmp_path / "meeting notes.mp4"
    copy.write_bytes(TALK.read_bytes() + b"\0" * 16)  # other bytes than the API's upload
    path = gradio_upload(olive, copy)
    assert join(olive, upload_fn, [[file_data(path)], None], "olive-1").status_code == 200
    done = result(olive, "olive-1")
    assert done["success"] and "meeting notes.mp4: queued" in done["output"]["data"][0]
    assert not (server.home / "staging" / "web" / path).exists()  # moved into the library
    again = join(olive, upload_fn, [[file_data(path)], None], "olive-2")
    assert again.status_code == 404  # spent: no replay
    admin = {"Authorization": f"Bearer {(server.home / '.server' / 'admin-token').read_text()}"}
    events = httpx.get(f"{server.url}/api/v1/admin/audit", headers=admin).json()
    assert any(
        e["event"] == "video.uploaded" and e["username"] == "olive" and e["detail"]["via"] == "web"
        for e in events
    ), events[:3]
    olive.close()


# -- item 3: a device or a pipe never reaches a read, and the server keeps answering ---------------
def test_devices_and_pipes_are_refused_without_reading_them(
    server: Server, bob: httpx.Client, tmp_path: Path
) -> None:
    upload_fn = event_number(bob, "upload_files")
    fifo = tmp_path / "pipe.mp4"
    os.mkfifo(fifo)
    for target in ("/dev/zero", str(fifo), "/dev/urandom"):
        answers: list[httpx.Response] = []

        def send(path: str, into: list[httpx.Response] = answers) -> None:
            into.append(join(bob, upload_fn, [[file_data(path)], None], "bob-device"))

        sender = threading.Thread(target=send, args=(target,))
        sender.start()
        started = time.monotonic()
        health = httpx.get(f"{server.url}/healthz", timeout=1.0)
        assert health.status_code == 200 and time.monotonic() - started < 1.0
        sender.join(10)
        assert not sender.is_alive()
        assert answers[0].status_code == 404, answers[0].text
    assert httpx.get(f"{server.url}/healthz", timeout=1.0).status_code == 200


# -- item 13: a result stream belongs to its user --------------------------------------------------
def test_another_users_result_stream_is_refused(alice: httpx.Client, bob: httpx.Client) -> None:
    search_fn = event_number(alice, "search_cards")
    assert join(alice, search_fn, ["solar panels", ""], "alice-stream").status_code == 200
    stolen = bob.get("/gradio_api/queue/data", params={"session_hash": "alice-stream"})
    assert stolen.status_code == 403
    assert stolen.json()["error"]["code"] == "web.session_mismatch"
    assert result(alice, "alice-stream")["success"]
    hijack = join(bob, search_fn, ["anything"], "alice-stream")
    assert hijack.status_code == 403
    unknown = join(bob, 10_000, [], "bob-unknown")
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "web.unknown_event"


# -- items 4 and 5: other origins ------------------------------------------------------------------
def test_a_page_on_another_port_can_neither_read_nor_change(
    server: Server, alice: httpx.Client
) -> None:
    other = f"http://127.0.0.1:{server.port + 1}"
    for path in ("/api/v1/videos", "/gradio_api/queue/join", "/login"):
        preflight = alice.options(
            path,
            headers={
                "Origin": other,
                "Access-Control-Request-Method": "DELETE",
                "Access-Control-Request-Headers": "content-type",
            },
        )
        assert "access-control-allow-origin" not in preflight.headers, path
        assert "access-control-allow-credentials" not in preflight.headers, path
    read = alice.get("/api/v1/videos", headers={"Origin": other})
    assert "access-control-allow-origin" not in read.headers
    videos = alice.get("/api/v1/videos").json()["items"]
    assert videos
    deleted = alice.delete(f"/api/v1/videos/{videos[0]['id']}", headers={"Origin": other})
    assert deleted.status_code == 403
    assert deleted.json()["error"]["code"] == "request.cross_origin"
    fetched = alice.delete(
        f"/api/v1/videos/{videos[0]['id']}", headers={"Sec-Fetch-Site": "same-site"}
    )
    assert fetched.status_code == 403
    assert alice.get(f"/api/v1/videos/{videos[0]['id']}").status_code == 200  # still there


def test_sign_in_forms_refuse_posts_from_elsewhere(server: Server) -> None:
    for origin in ("http://evil.example", f"http://127.0.0.1:{server.port + 1}", "null"):
        for form in ("/login", "/signup"):
            posted = httpx.post(
                f"{server.url}{form}",
                data={"username": "mallory", "password": PASSWORD},
                headers={"Origin": origin},
            )
            assert posted.status_code == 403, (origin, form)
            assert "vidscope_session" not in posted.headers.get("set-cookie", "")
    same = httpx.post(
        f"{server.url}/signup",
        data={"username": "carol", "password": PASSWORD},
        headers={"Origin": server.url},
    )
    assert same.status_code == 200 and "vidscope_session" in same.cookies  # our own page works


# -- item 8: the quota holds under parallel uploads, on both routes --------------------------------
def test_parallel_uploads_cannot_overrun_the_quota(server: Server, tmp_path: Path) -> None:
    client = browser_session(server.url, "dave")
    headers = api_headers(server.url, "dave")
    copies = []
    for n in range(4):
        copy = tmp_path / f"copy-{n}.mp4"
        copy.write_bytes(TALK.read_bytes() + bytes([n]) * 8)  # four different files
        copies.append(copy)

    def send(path: Path) -> int:
        with path.open("rb") as handle:
            return httpx.post(
                f"{server.url}/api/v1/videos",
                files={"file": (path.name, handle)},
                headers=headers,
                timeout=60,
            ).status_code

    with ThreadPoolExecutor(4) as pool:
        statuses = list(pool.map(send, copies))
    assert statuses.count(202) == 2 and statuses.count(413) == 2, statuses
    videos = httpx.get(f"{server.url}/api/v1/videos", headers=headers).json()["items"]
    assert sum(v["size_bytes"] for v in videos) <= QUOTA
    # The page's upload route refuses what no longer fits, before storing anything.
    with copies[0].open("rb") as handle:
        refused = client.post("/gradio_api/upload", files={"files": ("more.mp4", handle)})
    assert refused.status_code == 413 and refused.json()["error"]["code"] == "quota.exceeded"
    client.close()


# -- item 10: the reserved local owner -------------------------------------------------------------
def test_the_local_owner_cannot_be_taken_over(server: Server) -> None:
    admin = {"Authorization": f"Bearer {(server.home / '.server' / 'admin-token').read_text()}"}
    changed = httpx.patch(
        f"{server.url}/api/v1/admin/users/local", json={"password": PASSWORD}, headers=admin
    )
    assert changed.status_code == 403, changed.text
    assert changed.json()["error"]["code"] == "auth.reserved_account"
    disabled = httpx.patch(
        f"{server.url}/api/v1/admin/users/local", json={"disabled": True}, headers=admin
    )
    assert disabled.status_code == 403
    login = httpx.post(
        f"{server.url}/api/v1/auth/login", json={"username": "local", "password": PASSWORD}
    )
    assert login.status_code == 401


# -- item 11: sessions end when they should --------------------------------------------------------
def test_a_session_ends_at_sign_out_and_at_a_password_reset(server: Server) -> None:
    erin = browser_session(server.url, "erin")
    cookie = erin.cookies["vidscope_session"]
    assert erin.get("/api/v1/videos").status_code == 200
    erin.post("/logout")
    replay = httpx.get(f"{server.url}/api/v1/videos", cookies={"vidscope_session": cookie})
    assert replay.status_code == 401
    assert replay.json()["error"]["code"] == "auth.session_ended"

    erin = browser_session(server.url, "erin")
    headers = api_headers(server.url, "erin")
    admin = {"Authorization": f"Bearer {(server.home / '.server' / 'admin-token').read_text()}"}
    reset = httpx.patch(
        f"{server.url}/api/v1/admin/users/erin",
        json={"password": "a brand new passphrase"},
        headers=admin,
    )
    assert reset.status_code == 200, reset.text
    assert erin.get("/api/v1/videos").status_code == 401
    assert httpx.get(f"{server.url}/api/v1/videos", headers=headers).status_code == 401
    erin.close()


def test_guessable_passwords_are_refused(server: Server) -> None:
    for username, password in (
        ("frank", "password"),
        ("frank", "12345678"),
        ("frankie", "frankie"),
    ):
        made = httpx.post(
            f"{server.url}/api/v1/auth/register",
            json={"username": username, "password": password},
        )
        assert made.status_code == 422, (username, password)
        assert made.json()["error"]["code"] == "auth.weak_password"


# -- item 12: the library is private ---------------------------------------------------------------
def test_the_library_is_private(server: Server) -> None:
    assert stat.S_IMODE(server.home.stat().st_mode) == 0o700
    assert stat.S_IMODE((server.home / "catalog.duckdb").stat().st_mode) & 0o077 == 0
    for media in (server.home / "media").iterdir():
        assert stat.S_IMODE(media.stat().st_mode) & 0o077 == 0


# -- item 14: the smaller items --------------------------------------------------------------------
def test_answers_carry_cache_control_and_the_envelope(server: Server, alice: httpx.Client) -> None:
    videos = alice.get("/api/v1/videos")
    assert videos.headers["cache-control"] == "no-store"
    video_id = videos.json()["items"][0]["id"]
    media = alice.get(f"/api/v1/videos/{video_id}/media", headers={"Range": "bytes=0-9"})
    assert media.status_code == 206 and media.headers["cache-control"] == "no-store"
    transcript = alice.get(f"/api/v1/videos/{video_id}/transcript")
    assert transcript.headers["cache-control"] == "no-store"
    bad_range = alice.get(f"/api/v1/videos/{video_id}/media", headers={"Range": "bytes=x-y"})
    assert bad_range.status_code in (400, 416)
    assert bad_range.json()["error"]["correlation_id"]
    missing = alice.get("/gradio_api/no-such-route")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "http.not_found"
    assert alice.head("/login").status_code == 200
    assert alice.get("/config").json()["analytics_enabled"] is False


def test_metrics_ask_for_their_token(server: Server) -> None:
    assert httpx.get(f"{server.url}/metrics").status_code == 401
    allowed = httpx.get(
        f"{server.url}/metrics",
        headers={"Authorization": "Bearer metrics-secret-for-the-test"},
    )
    assert allowed.status_code == 200 and "vidscope" in allowed.text


# -- every Gradio handler is scoped to its owner -------------------------------------------------
def test_another_owners_video_is_not_found_through_every_handler(
    server: Server, alice: httpx.Client, bob: httpx.Client
) -> None:
    alice_headers = api_headers(server.url, "alice")
    [theirs, *_] = httpx.get(f"{server.url}/api/v1/videos", headers=alice_headers).json()["items"]
    missing = "0123456789abcdef"
    calls = {
        "choose_video": lambda video: ([video], None),
        "pick_hit": lambda video: ([], {"video_id": video, "start": 1.0, "end": 2.0}),
        "cut_clip": lambda video: ([video, 1.0, 3.0], None),
        "delete_video": lambda video: ([video], None),
    }
    for name, make in calls.items():
        fn_index = event_number(bob, name)
        answers = []
        for n, video in enumerate((theirs["id"], missing)):
            data, event_data = make(video)
            session = f"bob-{name}-{n}"
            sent = join(bob, fn_index, data, session, event_data)
            assert sent.status_code == 200, sent.text
            done = result(bob, session)
            assert not done["success"], (name, done)
            answers.append(str(done["output"].get("error")).replace(video, "ID"))
        assert answers[0] == answers[1], (name, answers)  # nothing tells theirs from none
        # The video chooser refuses any id not among the caller's own choices before the
        # handler runs; the clip's video comes from the session's own state, never from the
        # request; the other handlers answer the library's video.not_found.
        expected = {
            "choose_video": "not in the list of choices",
            "cut_clip": "Open a video first",
        }.get(name, "video.not_found")
        assert expected in answers[0], (name, answers)
    still = httpx.get(f"{server.url}/api/v1/videos/{theirs['id']}", headers=alice_headers)
    assert still.status_code == 200  # and nothing was deleted


# -- item 9 (last: it spends the address's login budget): forwarded headers are ignored ------------
def test_spoofed_forwarded_addresses_do_not_escape_the_login_limit(server: Server) -> None:
    statuses = [
        httpx.post(
            f"{server.url}/api/v1/auth/login",
            json={"username": f"nobody{n}", "password": "not the password"},
            headers={"X-Forwarded-For": f"203.0.113.{n}"},
        ).status_code
        for n in range(45)
    ]
    assert 429 in statuses  # VIDSCOPE_LOGIN_RATE_LIMIT=40/minute, one address in truth
