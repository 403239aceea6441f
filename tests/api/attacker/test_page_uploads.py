"""The web page's uploads, played by a stranger: files sent to the page and not yet uploaded
count against the quota on every face (item 6 of the web boundary round), and the page's
upload answer names no server path (item 8): Gradio answers an upload with where it stored the
file, and the page is told only the file's place inside its upload folder."""

from __future__ import annotations

import socket
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.support.attacker import (
    QUOTA,
    api_headers,
    browser_session,
    event_number,
    file_data,
    gradio_upload,
    join,
    result,
    wait_ready,
)
from tests.support.library import TALK
from tests.support.server import Server

pytestmark = pytest.mark.slow


def test_an_upload_is_named_without_the_servers_paths(
    server: Server, alice: httpx.Client, tmp_path: Path
) -> None:
    copy = tmp_path / "named upload.mp4"
    copy.write_bytes(TALK.read_bytes() + b"\1" * 32)
    with copy.open("rb") as handle:
        sent = alice.post("/gradio_api/upload", files={"files": (copy.name, handle, "video/mp4")})
    assert sent.status_code == 200, sent.text
    [shown] = sent.json()
    assert not Path(shown).is_absolute() and str(server.home) not in sent.text
    assert shown.endswith("named upload.mp4")
    # Gradio's file routes serve nothing, with one answer that names no path.
    for route in (
        f"/gradio_api/file={shown}",
        f"/gradio_api/file/{shown}",
        "/gradio_api/file=/etc/passwd",
    ):
        answer = alice.get(route)
        assert answer.status_code == 404 and str(server.home) not in answer.text
    # An event that names the upload as the page was told works.
    upload_fn = event_number(alice, "upload_files")
    assert join(alice, upload_fn, [[file_data(shown)], None], "alice-named").status_code == 200
    done = result(alice, "alice-named")
    assert done["success"] and "named upload.mp4: queued" in done["output"]["data"][0]


def test_files_waiting_on_the_page_count_against_the_quota(server: Server, tmp_path: Path) -> None:
    penny = browser_session(server.url, "penny")
    talk = TALK.read_bytes()
    assert 2 * len(talk) <= QUOTA < 3 * len(talk)
    copies = []
    for n in range(3):
        copy = tmp_path / f"waiting-{n}.mp4"
        copy.write_bytes(talk + bytes([n]) * 8)
        copies.append(copy)
    gradio_upload(penny, copies[0])
    gradio_upload(penny, copies[1])  # two files on the page, neither uploaded yet
    with copies[2].open("rb") as handle:
        third = penny.post("/gradio_api/upload", files={"files": (copies[2].name, handle)})
    assert third.status_code == 413, third.text
    assert third.json()["error"]["code"] == "quota.exceeded"
    # The API sees the same quota: what waits on the page is already stored for Penny.
    with copies[2].open("rb") as handle:
        through_api = httpx.post(
            f"{server.url}/api/v1/videos",
            files={"file": (copies[2].name, handle)},
            headers=api_headers(server.url, "penny"),
        )
    assert through_api.status_code == 413, through_api.text
    penny.close()


def test_uploads_sent_together_cannot_overrun_the_quota(server: Server, tmp_path: Path) -> None:
    rhea = browser_session(server.url, "rhea")
    talk = TALK.read_bytes()
    copies = []
    for n in range(6):
        copy = tmp_path / f"together-{n}.mp4"
        copy.write_bytes(talk + bytes([n]) * 8)
        copies.append(copy)

    def send(path: Path) -> int:
        with path.open("rb") as handle:
            return rhea.post(
                "/gradio_api/upload", files={"files": (path.name, handle, "video/mp4")}
            ).status_code

    with ThreadPoolExecutor(6) as pool:
        statuses = list(pool.map(send, copies))
    assert statuses.count(200) == 2 and statuses.count(413) == 4, statuses  # two fit
    staged_bytes = sum(
        p.stat().st_size for p in (server.home / "staging" / "web").rglob("together-*")
    )
    assert staged_bytes <= QUOTA
    rhea.close()


def test_an_upload_that_does_not_say_its_size_is_refused(server: Server) -> None:
    sam = browser_session(server.url, "sam")
    built = sam.build_request(
        "POST", "/gradio_api/upload", files={"files": ("c.mp4", b"\0" * 4096, "video/mp4")}
    )
    body = built.read()
    headers = {k: v for k, v in built.headers.items() if k.lower() != "content-length"}
    chunked = sam.post("/gradio_api/upload", content=iter([body]), headers=headers)
    assert chunked.status_code == 411, chunked.text
    assert chunked.json()["error"]["code"] == "request.length_required"
    sam.close()


def staged_files(server: Server) -> set[Path]:
    return {p for p in (server.home / "staging" / "web").rglob("*") if p.is_file()}


def test_an_upload_sent_in_chunks_beside_a_length_is_refused(server: Server) -> None:
    """Transfer-Encoding: chunked with Content-Length: 0 — the body is read in chunks while
    the checks would have read its size as 0."""
    tess = browser_session(server.url, "tess")
    before = staged_files(server)
    built = tess.build_request(
        "POST", "/gradio_api/upload", files={"files": ("c.mp4", b"\0" * 4096, "video/mp4")}
    )
    body = built.read()
    # Framed by hand: httpx would not send both headers.
    head = (
        f"POST /gradio_api/upload HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n"
        f"Cookie: vidscope_session={tess.cookies['vidscope_session']}\r\n"
        f"X-Vidscope-Session: {tess.headers['X-Vidscope-Session']}\r\n"
        f"Content-Type: {built.headers['content-type']}\r\n"
        "Transfer-Encoding: chunked\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    ).encode()
    chunked = f"{len(body):x}\r\n".encode() + body + b"\r\n0\r\n\r\n"
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as raw:
        raw.sendall(head + chunked)
        answer = b""
        while chunk := raw.recv(65536):
            answer += chunk
    status = int(answer.split(b" ", 2)[1])
    assert status in (400, 411), answer[:300]  # refused by the server or by the guard
    assert staged_files(server) == before
    tess.close()


def test_an_unterminated_upload_body_leaves_nothing(server: Server) -> None:
    """A multipart body without its closing boundary, with a true Content-Length: Gradio kept
    its part as a file in the upload folder, counted against nobody's quota."""
    uma = browser_session(server.url, "uma")
    before = staged_files(server)
    boundary = "XyZbound"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="files"; '
        f'filename="open.mp4"\r\nContent-Type: video/mp4\r\n\r\n'
    ).encode() + b"\1" * 200_000
    sent = uma.post(
        "/gradio_api/upload",
        content=body,
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    assert sent.status_code == 400, sent.text
    assert sent.json()["error"]["code"] == "upload.malformed"
    assert staged_files(server) == before
    not_multipart = uma.post(
        "/gradio_api/upload", content=b"abc", headers={"Content-Type": "text/plain"}
    )
    assert not_multipart.status_code == 400
    # A whole body is stored as before.
    whole = uma.post("/gradio_api/upload", files={"files": ("ok.mp4", b"\2" * 1000, "video/mp4")})
    assert whole.status_code == 200, whole.text
    uma.close()


def test_the_pages_speakers_box_goes_with_each_upload(server: Server, tmp_path: Path) -> None:
    """The Library tab's "Speakers (if known)" list ("Not known", 1-20): a count outside
    1-20 is refused and nothing is stored; a count goes with the job to its diarization
    (turns.mp4's three voices told apart as the two the list said)."""
    quinn = browser_session(server.url, "quinn")
    upload_fn = event_number(quinn, "upload_files")
    turns = TALK.with_name("turns.mp4")
    stored = gradio_upload(quinn, turns)
    # A count the list does not offer, sent by hand: refused, nothing stored.
    assert join(quinn, upload_fn, [[file_data(stored)], 21], "quinn-21").status_code == 200
    refused = result(quinn, "quinn-21")
    assert refused["success"] is False and "not in the list" in refused["output"]["error"]
    stored = gradio_upload(quinn, turns)
    assert join(quinn, upload_fn, [[file_data(stored)], 2], "quinn-2").status_code == 200
    assert "turns.mp4: queued" in result(quinn, "quinn-2")["output"]["data"][0]
    headers = api_headers(server.url, "quinn")
    [video] = httpx.get(f"{server.url}/api/v1/videos", headers=headers).json()["items"]
    [job] = httpx.get(f"{server.url}/api/v1/jobs", headers=headers).json()["items"]
    assert wait_ready(server.url, headers, job["id"])["status"] == "succeeded"
    speakers = httpx.get(f"{server.url}/api/v1/videos/{video['id']}/speakers", headers=headers)
    assert [s["label"] for s in speakers.json()["items"]] == ["Speaker 1", "Speaker 2"]
