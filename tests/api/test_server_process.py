"""``vidscope serve`` as a real process: killed with SIGKILL mid-job, then restarted, it
finishes the job once; and the CLI keeps working beside it, through its API."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import av
import httpx
import pytest

from tests.support.api import PASSWORD
from tests.support.library import TALK
from tests.support.server import LONG_TALK, Server, environment, free_port

pytestmark = pytest.mark.slow


@pytest.fixture
def home(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path / "library"


def login(url: str, username: str) -> dict[str, str]:
    httpx.post(f"{url}/api/v1/auth/register", json={"username": username, "password": PASSWORD})
    tokens = httpx.post(
        f"{url}/api/v1/auth/login", json={"username": username, "password": PASSWORD}
    ).json()
    return {"Authorization": f"Bearer {tokens['access_token']}"}


def job(url: str, headers: dict[str, str], job_id: str) -> Any:
    return httpx.get(f"{url}/api/v1/jobs/{job_id}", headers=headers).json()


def test_a_server_killed_mid_job_finishes_it_once_after_a_restart(
    home: Path, tmp_path: Path
) -> None:
    server = Server(home, tmp_path / "server.log")
    try:
        headers = login(server.url, "alice")
        with LONG_TALK.open("rb") as handle:
            accepted = httpx.post(
                f"{server.url}/api/v1/videos",
                files={"file": ("voices.ogg", handle)},
                headers=headers,
                timeout=60,
            ).json()
        job_id = accepted["job_id"]
        deadline = time.monotonic() + 120
        while job(server.url, headers, job_id)["stage"] != "transcribe":
            assert time.monotonic() < deadline, job(server.url, headers, job_id)
            time.sleep(0.05)
    finally:
        old_admin = (home / ".server" / "admin-token").read_text()
        server.kill()  # mid-transcription: the job is 'running', nothing stored yet

    server = Server(home, tmp_path / "server.log")
    try:
        # The administrator's token of the killed server ended when this one started.
        replay = httpx.get(
            f"{server.url}/api/v1/admin/users", headers={"Authorization": f"Bearer {old_admin}"}
        )
        assert replay.status_code == 401 and replay.json()["error"]["code"] == "auth.session_ended"
        deadline = time.monotonic() + 240
        while (state := job(server.url, headers, job_id))["status"] not in ("succeeded", "failed"):
            assert time.monotonic() < deadline, state
            time.sleep(0.2)
        assert state["status"] == "succeeded" and state["attempts"] == 2, state
        videos = httpx.get(f"{server.url}/api/v1/videos", headers=headers).json()
        assert videos["total"] == 1 and videos["items"][0]["status"] == "ready"
        passages = videos["items"][0]["passages"]
        hits = httpx.get(
            f"{server.url}/api/v1/search", params={"q": "weather", "k": 200}, headers=headers
        ).json()["hits"]
        assert len({(h["passage_start"], h["passage_end"]) for h in hits}) <= passages
    finally:
        server.stop()
    # Stopped cleanly, the catalog can be read: one video, its rows once, one stored file.
    import duckdb

    with duckdb.connect(str(home / "catalog.duckdb"), read_only=True) as con:
        [(videos, chunks, jobs)] = con.execute(
            "SELECT (SELECT count(*) FROM videos), (SELECT count(*) FROM chunks), "
            "(SELECT count(*) FROM jobs)"
        ).fetchall()
    assert (videos, jobs) == (1, 1) and chunks == passages
    assert len(list((home / "media").iterdir())) == 1
    assert not any(path.is_file() for path in (home / "staging").rglob("*"))


def vidscope(home: Path, *args: str, stdin: str | None = None) -> tuple[int, str, str]:
    done = subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        env=environment(home),
        input=stdin,
        capture_output=True,
        text=True,
        timeout=300,
    )
    return done.returncode, done.stdout, done.stderr


def test_the_cli_works_beside_the_server(home: Path, tmp_path: Path) -> None:
    server = Server(home, tmp_path / "server.log")
    try:
        token_file = home / ".server" / "admin-token"
        assert token_file.stat().st_mode & 0o777 == 0o600
        code, _, err = vidscope(home, "ingest", str(TALK))
        assert code == 0, err
        assert "indexed as" in err
        code, out, err = vidscope(home, "list", "--json")
        assert code == 0, err
        [video] = json.loads(out)
        assert video["title"] == "talk" and video["status"] == "ready"
        code, out, _ = vidscope(home, "search", "solar panels on the roof", "--json")
        assert code == 0 and json.loads(out)[0]["video_id"] == video["id"]
        code, out, _ = vidscope(home, "transcript", video["id"], "--format", "srt")
        assert code == 0 and "-->" in out
        clip = tmp_path / "clip.mp4"
        code, out, err = vidscope(home, "clip", "--query", "the marketing budget", "-o", str(clip))
        assert code == 0, err
        assert clip.stat().st_size > 0
        # Answers, summaries and reels through the server: the same ports as in-process.
        code, out, err = vidscope(home, "ask", "how big is the marketing budget", "--json")
        assert code == 0, err
        answer = json.loads(out)
        assert not answer["abstained"] and answer["citations"][0]["video_id"] == video["id"]
        code, out, err = vidscope(home, "summarize", video["id"], "--chapters", "youtube")
        assert code == 0 and out.startswith("0:00 "), err
        reel = tmp_path / "reel.mp4"
        code, out, err = vidscope(home, "reel", "--chapters", video["id"], "-o", str(reel))
        assert code == 0, err
        with av.open(str(reel)) as media:
            assert media.duration and media.streams.video and media.streams.audio
        # Accounts and the audit trail, administered from the CLI while the server runs.
        code, _, err = vidscope(
            home, "users", "create", "alice", "--password-stdin", stdin=PASSWORD + "\n"
        )
        assert code == 0, err
        code, out, _ = vidscope(home, "users", "list", "--json")
        assert {u["username"] for u in json.loads(out)} >= {"local", "alice"}
        code, out, _ = vidscope(home, "--user", "alice", "list", "--json")
        assert code == 0 and json.loads(out) == []  # alice's library is her own
        code, out, _ = vidscope(home, "audit", "--json")
        assert "user.created" in {e["event"] for e in json.loads(out)}
        code, _, err = vidscope(home, "delete", video["id"])
        assert code == 0, err
        code, out, _ = vidscope(home, "list", "--json")
        assert json.loads(out) == []
        # How many people speak goes with the upload (it was server.unsupported).
        code, _, err = vidscope(home, "ingest", str(TALK.with_name("turns.mp4")), "--speakers", "2")
        assert code == 0, err
        code, out, _ = vidscope(home, "list", "--json")
        [told] = json.loads(out)
        code, out, _ = vidscope(home, "speakers", told["id"], "--json")
        assert [s["label"] for s in json.loads(out)] == ["Speaker 1", "Speaker 2"]
        code, _, err = vidscope(home, "reindex")
        assert code == 1 and "server.running" in err
        code, _, err = vidscope(home, "serve", "--port", str(free_port()))
        assert code == 1 and "library.locked" in err and server.url in err  # one line, no trace
        assert "Traceback" not in err
    finally:
        server.stop()
    assert not (home / ".server" / "admin-token").exists()  # withdrawn when it stops
    # Every line the server wrote is JSON, uvicorn's own included; requests carry their context.
    lines = [
        json.loads(line)
        for line in (tmp_path / "server.log").read_text().splitlines()
        if line.startswith("{")
    ]
    assert any(
        r.get("logger") == "uvicorn.error" and "startup complete" in r["event"] for r in lines
    )
    requests = [r for r in lines if r["event"] == "http.request"]
    assert requests and all(
        {"request_id", "route", "status", "latency_ms", "user_id"} <= set(r) for r in requests
    )
    assert any(r["route"] == "/api/v1/search" and r["user_id"] == "local" for r in requests)
    code, out, _ = vidscope(home, "users", "list", "--json")  # and the CLI opens it itself
    assert code == 0 and "alice" in out


def test_a_server_killed_alone_takes_its_compute_process_with_it(
    home: Path, tmp_path: Path
) -> None:
    import psutil

    server = Server(home, tmp_path / "server.log")
    headers = login(server.url, "alice")
    with TALK.open("rb") as handle:
        accepted = httpx.post(
            f"{server.url}/api/v1/videos", files={"file": ("talk.mp4", handle)}, headers=headers
        ).json()
    deadline = time.monotonic() + 120
    while job(server.url, headers, accepted["job_id"])["status"] != "succeeded":
        assert time.monotonic() < deadline
        time.sleep(0.2)
    children = psutil.Process(server.process.pid).children(recursive=True)
    assert children  # the compute process (and multiprocessing's resource tracker)
    server.process.kill()  # SIGKILL to the server alone, not its process group
    server.process.wait()
    server.log.close()
    _, alive = psutil.wait_procs(children, timeout=10)
    assert alive == [], [p.cmdline() for p in alive]


def test_a_chunked_body_over_the_limit_is_413_under_uvicorn(home: Path, tmp_path: Path) -> None:
    """A body sent without its length (chunked) is counted while it is read: over the JSON
    limit it is the documented 413 request.too_large, on a route whose body FastAPI reads and
    on one that reads its own (login), never 422 'not JSON' or 500. Under uvicorn only: a
    middleware's task group wraps the limit's error, which the in-process client never shows."""
    server = Server(home, tmp_path / "server.log", VIDSCOPE_REQUEST_MAX_BYTES="4096")
    try:

        def chunks() -> Iterator[bytes]:
            yield b'{"refresh_token": "'
            for _ in range(8):
                yield b"a" * 1024

        for path in ("/api/v1/auth/refresh", "/api/v1/auth/login", "/api/v1/clips"):
            try:
                answer = httpx.post(
                    server.url + path,
                    content=chunks(),
                    headers={"Content-Type": "application/json"},
                    timeout=30,
                )
            except httpx.HTTPError:
                continue  # closed while still sending: the log below says what it answered
            assert answer.status_code == 413, (path, answer.text)
            assert answer.json()["error"]["code"] == "request.too_large", answer.text
        small = httpx.post(
            server.url + "/api/v1/auth/refresh",
            content=iter([b'{"refresh_token": "x"}']),
            headers={"Content-Type": "application/json"},
        )
        assert small.status_code == 401, small.text
    finally:
        server.stop()
    answered = [
        json.loads(line)
        for line in (tmp_path / "server.log").read_text().splitlines()
        if line.startswith("{") and '"http.request"' in line
    ]
    statuses = {(a["route"], a["status"]) for a in answered if a["route"] != "/readyz"}
    assert {s for _, s in statuses} >= {413} and not {422, 500} & {s for _, s in statuses}, statuses
