"""Item 1 of the web boundary round: the cookie written another way. A stranger with an ordinary
account sends their own valid session in spellings a naive guard misreads (quoted, twice, a
space before ``=``, in two headers) and asks Gradio for what the guard alone polices: a server
file copied into the page, another user's result stream. Every spelling is refused by the
guard itself, and a differential property test checks that whatever the header, Gradio never
acts for a user the guard did not verify."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import httpx
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from starlette.requests import cookie_parser

from tests.support.attacker import event_number, file_data, join, result
from tests.support.server import Server

pytestmark = pytest.mark.slow


def spellings(token: str) -> list[list[tuple[str, str]]]:
    """Cookie headers that Starlette reads as this very token, but a guard might not."""
    return [
        [("Cookie", f'vidscope_session="{token}"')],
        [("Cookie", f"vidscope_session=x; vidscope_session={token}")],
        [("Cookie", f"vidscope_session ={token}")],
        [("Cookie", "vidscope_session=x"), ("Cookie", f"vidscope_session={token}")],
        [("Cookie", f"theme=dark;vidscope_session= {token}")],
    ]


def staged(server: Server) -> set[str]:
    """Every file in the server's upload staging area."""
    return {str(p) for p in (server.home / "staging").rglob("*") if p.is_file()}


def test_a_cookie_written_another_way_is_refused_by_the_guard(
    server: Server, alice: httpx.Client, bob: httpx.Client
) -> None:
    token = bob.cookies["vidscope_session"]
    upload_fn = event_number(bob, "upload_files")
    search_fn = event_number(alice, "search_cards")
    assert join(alice, search_fn, ["solar panels", ""], "alice-cookie-stream").status_code == 200
    before = staged(server)
    for n, header in enumerate(spellings(token)):
        with httpx.Client(base_url=server.url, timeout=30) as stranger:
            # A server file named in an upload event: never copied, never opened.
            sent = stranger.post(
                "/gradio_api/queue/join",
                json={
                    "data": [[file_data("/etc/os-release")], None],
                    "fn_index": upload_fn,
                    "trigger_id": None,
                    "session_hash": f"bob-cookie-{n}",
                },
                headers=header,
            )
            assert sent.status_code == 401, (header, sent.text)
            assert sent.json()["error"]["code"] == "auth.ambiguous_session"
            # Another user's result stream, by its session hash.
            stolen = stranger.get(
                "/gradio_api/queue/data",
                params={"session_hash": "alice-cookie-stream"},
                headers=header,
            )
            assert stolen.status_code == 401, header
            # An upload outside the quota's check and the ledger.
            uploaded = stranger.post(
                "/gradio_api/upload",
                files={"files": ("x.mp4", b"\0" * 1024, "video/mp4")},
                headers=header,
            )
            assert uploaded.status_code == 401, header
            # Gradio's other routes too: nothing but its static files without a session.
            assert stranger.get("/config", headers=header).status_code == 401
    assert staged(server) == before
    assert result(alice, "alice-cookie-stream")["success"]  # Alice's stream is untouched


def test_a_fifo_named_with_a_quoted_cookie_does_not_freeze_the_server(
    server: Server, bob: httpx.Client, tmp_path: Path
) -> None:
    token = bob.cookies["vidscope_session"]
    upload_fn = event_number(bob, "upload_files")
    fifo = tmp_path / "pipe.mp4"
    os.mkfifo(fifo)
    answers: list[httpx.Response] = []

    def send() -> None:
        answers.append(
            httpx.post(
                f"{server.url}/gradio_api/queue/join",
                json={"data": [[file_data(str(fifo))], None], "fn_index": upload_fn},
                headers={"Cookie": f'vidscope_session="{token}"'},
                timeout=30,
            )
        )

    sender = threading.Thread(target=send)
    sender.start()
    sender.join(10)
    assert not sender.is_alive() and answers[0].status_code == 401
    started = time.monotonic()
    assert httpx.get(f"{server.url}/healthz", timeout=5).status_code == 200
    assert time.monotonic() - started < 1.0


def test_nothing_but_static_files_reaches_gradio_without_a_session(server: Server) -> None:
    for method, path in (
        ("GET", "/gradio_api/info"),
        ("POST", "/gradio_api/queue/join"),
        ("GET", "/gradio_api/queue/data?session_hash=x"),
        ("POST", "/gradio_api/upload"),
        ("GET", "/gradio_api/file=/etc/passwd"),
        ("GET", "/gradio_api/user"),
        ("GET", "/config"),
        ("GET", "/monitoring/anything"),
        ("HEAD", "/"),
    ):
        answer = httpx.request(method, f"{server.url}{path}")
        assert answer.status_code == 401, (method, path, answer.text)
        if method != "HEAD":
            assert answer.json()["error"]["code"] == "auth.missing_token"
    assert httpx.get(f"{server.url}/theme.css").status_code == 200
    assert httpx.get(f"{server.url}/").status_code == 303  # to the sign-in form


# -- the differential property: the guard's user and Gradio's user are one, or it is refused ------
_names = st.sampled_from(
    ["vidscope_session", " vidscope_session", "vidscope_session ", "VIDSCOPE_SESSION", "theme"]
)
_tokens = st.sampled_from(["alice", "bob", "junk", "empty"])
_quotes = st.sampled_from(["", '"', " "])
_separators = st.sampled_from(["; ", ";", " ; ", ","])


@st.composite
def cookie_headers(draw: st.DrawFn, tokens: dict[str, str]) -> list[tuple[str, str]]:
    headers = []
    for _ in range(draw(st.integers(1, 2))):
        parts = []
        for _ in range(draw(st.integers(1, 3))):
            name, who, quote = draw(_names), draw(_tokens), draw(_quotes)
            value = tokens.get(who, "" if who == "empty" else "x.y.z")
            if draw(st.booleans()):
                value = value.lower()  # another encoding of nothing valid
            parts.append(f"{name}={quote}{value}{quote}")
        # (a header cannot begin or end with white space on the wire)
        headers.append(("Cookie", draw(_separators).join(parts).strip()))
    return headers


def test_the_guard_and_gradio_see_the_same_user_or_refuse(
    server: Server, alice: httpx.Client, bob: httpx.Client
) -> None:
    tokens = {"alice": alice.cookies["vidscope_session"], "bob": bob.cookies["vidscope_session"]}
    users = {token: name for name, token in tokens.items()}
    ids = {
        name: alice_or_bob.get("/api/v1/auth/me").json()["id"]
        for name, alice_or_bob in (
            ("alice", alice),
            ("bob", bob),
        )
    }
    upload_fn = event_number(bob, "upload_files")
    before = staged(server)

    accepted = []

    @settings(
        max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), database=None
    )
    @given(cookie_headers(tokens))
    @example([("Cookie", f"theme=dark; vidscope_session={tokens['alice']}")])
    @example([("Cookie", f'vidscope_session="{tokens["bob"]}"')])
    def check(headers: list[tuple[str, str]]) -> None:
        merged: dict[str, str] = {}
        for _, value in headers:
            merged.update(cookie_parser(value))
        framework_user = users.get(merged.get("vidscope_session", ""))
        with httpx.Client(base_url=server.url, timeout=30) as client:
            seen = client.get("/gradio_api/user", headers=headers)
            me = client.get("/api/v1/auth/me", headers=headers)
            # What the guard alone polices holds for every header: a server file is never
            # accepted in an event, whoever the header is taken for.
            event = client.post(
                "/gradio_api/queue/join",
                json={"data": [[file_data("/etc/hostname")], None], "fn_index": upload_fn},
                headers=headers,
            )
        assert event.status_code in (401, 403, 404), (headers, event.text)
        if seen.status_code == 200:
            # Gradio acted for a user: the guard verified exactly that user, the API agrees,
            # and it is the user the framework's own reading of the header names.
            assert framework_user is not None, headers
            assert seen.json() == ids[framework_user], headers
            assert me.status_code == 200 and me.json()["id"] == ids[framework_user], headers
            accepted.append(headers)
        else:
            assert seen.status_code == 401, (headers, seen.text)
        if me.status_code == 200:
            assert seen.status_code == 200, headers  # no layer reads a header another refuses

    check()
    assert accepted  # the plain cookie, at least, was a user to every layer
    assert staged(server) == before


def test_a_planted_session_acts_for_nobody(
    server: Server, alice: httpx.Client, bob: httpx.Client
) -> None:
    """A page on another port of the host can replace the session cookie (cookies are not
    separated by port) but not write this origin's storage, where the page keeps its session's
    fingerprint: events and uploads carrying the planted cookie are refused by the server,
    whatever the page's own script manages to check."""
    search_fn = event_number(alice, "search_cards")
    planted = {"Cookie": f"vidscope_session={bob.cookies['vidscope_session']}"}
    victims_record = alice.headers["X-Vidscope-Session"]
    with httpx.Client(base_url=server.url, timeout=30) as victim:
        for record in (victims_record, None, ""):
            headers = dict(planted)
            if record is not None:
                headers["X-Vidscope-Session"] = record
            sent = victim.post(
                "/gradio_api/queue/join",
                json={"data": ["x"], "fn_index": search_fn, "session_hash": "victim-1"},
                headers=headers,
            )
            assert sent.status_code == 403, (record, sent.text)
            assert sent.json()["error"]["code"] == "web.session_changed"
            upload = victim.post(
                "/gradio_api/upload",
                files={"files": ("a.mp4", b"\0" * 64, "video/mp4")},
                headers=headers,
            )
            assert upload.status_code == 403, record
    # The session's own page still works.
    assert join(bob, search_fn, ["solar"], "bob-own-page").status_code == 200
