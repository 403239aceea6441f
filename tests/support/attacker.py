"""The stranger's tools for the attacker tests (tests/api/attacker/): a browser's session, Gradio
events sent by hand, their result streams, uploads through the page, API tokens."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import httpx

from tests.support.api import PASSWORD

QUOTA = 2_000_000  # bytes: two copies of the talk (818,758 bytes) fit, three do not


def browser_session(url: str, username: str) -> httpx.Client:
    """A client holding the web app's session cookie, as a browser would after signing up."""
    client = httpx.Client(base_url=url, timeout=60)
    signed = client.post("/signup", data={"username": username, "password": PASSWORD})
    if "vidscope_session" not in client.cookies:
        signed = client.post("/login", data={"username": username, "password": PASSWORD})
    assert "vidscope_session" in client.cookies, signed.text
    # What the page's script sends with each request: the session's fingerprint, which the
    # sign-in form's answer keeps in the origin's storage.
    client.headers["X-Vidscope-Session"] = page_session(signed.text)
    return client


def page_session(signed_in_page: str) -> str:
    """The session fingerprint the sign-in form's answer records for the page."""
    return signed_in_page.split('data-session="', 1)[1].split('"', 1)[0]


def event_number(client: httpx.Client, api_name: str) -> int:
    config = client.get("/config").json()
    return next(
        i for i, dep in enumerate(config["dependencies"]) if dep.get("api_name") == api_name
    )


def file_data(path: str) -> dict[str, Any]:
    return {"path": path, "orig_name": Path(path).name, "meta": {"_type": "gradio.FileData"}}


def join(
    client: httpx.Client,
    fn_index: int,
    data: list[Any],
    session: str,
    event_data: dict[str, Any] | None = None,
) -> httpx.Response:
    return client.post(
        "/gradio_api/queue/join",
        json={
            "data": data,
            "fn_index": fn_index,
            "trigger_id": None,
            "session_hash": session,
            "event_data": event_data,
        },
    )


def result(client: httpx.Client, session: str, timeout_s: float = 120) -> dict[str, Any]:
    """The completed message of the session's event, read from its result stream."""
    deadline = time.monotonic() + timeout_s
    with client.stream(
        "GET", "/gradio_api/queue/data", params={"session_hash": session}, timeout=timeout_s
    ) as stream:
        assert stream.status_code == 200, stream.read()
        for line in stream.iter_lines():
            assert time.monotonic() < deadline
            if line.startswith("data:"):
                message = json.loads(line[5:])
                if message.get("msg") == "process_completed":
                    return dict(message)
    raise AssertionError("the stream ended without a result")


def gradio_upload(client: httpx.Client, path: Path, name: str | None = None) -> str:
    with path.open("rb") as handle:
        sent = client.post(
            "/gradio_api/upload", files={"files": (name or path.name, handle, "video/mp4")}
        )
    assert sent.status_code == 200, sent.text
    [stored] = sent.json()
    return str(stored)


def api_headers(url: str, username: str) -> dict[str, str]:
    tokens = httpx.post(
        f"{url}/api/v1/auth/login", json={"username": username, "password": PASSWORD}
    ).json()
    return {"Authorization": f"Bearer {tokens['access_token']}"}


def wait_ready(url: str, headers: dict[str, str], job_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        job: dict[str, Any] = httpx.get(f"{url}/api/v1/jobs/{job_id}", headers=headers).json()
        if job["status"] in ("succeeded", "failed"):
            return job
        time.sleep(0.2)
    raise AssertionError("the job did not finish")


def ready_talk(url: str, headers: dict[str, str]) -> str:
    """The talk uploaded through the API with ``headers`` and indexed; its video id."""
    from tests.support.library import TALK

    with TALK.open("rb") as handle:
        accepted = httpx.post(
            f"{url}/api/v1/videos", files={"file": ("talk.mp4", handle)}, headers=headers
        )
    assert accepted.status_code == 202, accepted.text
    job = wait_ready(url, headers, accepted.json()["job_id"])
    assert job["status"] == "succeeded", job
    return str(job["video_id"])
