"""Schemathesis against a real ``vidscope serve`` with every check (issue 30): the examples,
coverage, fuzzing and stateful phases, as a signed-in user who has a video and a clip, whose
ids the paths take (so the routes behind /videos/{id} and /clips/{id} answer, not 404). The
rate limits are raised for this server only. On failure the assertion shows Schemathesis's
report: fix the server or the schema (tests/api/schemathesis.toml says, per operation, what
the schema cannot state). About 1,400 cases in under a minute on 2 cores."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.support.api import PASSWORD
from tests.support.library import TALK
from tests.support.server import Server

pytestmark = pytest.mark.slow

CONFIG = Path(__file__).with_name("schemathesis.toml")
MAX_EXAMPLES = 10


# Not the documented example's password: the examples phase logs in with the example
# ('alice', 'correct horse battery'), and a refresh token used twice ends every session of
# that account, the run's own token included.
RUN_PASSWORD = "schemathesis " + PASSWORD[::-1]


def _sign_in(url: str, username: str) -> str:
    credentials = {"username": username, "password": RUN_PASSWORD}
    assert httpx.post(f"{url}/api/v1/auth/register", json=credentials).status_code == 201
    return str(httpx.post(f"{url}/api/v1/auth/login", json=credentials).json()["access_token"])


def _video_and_clip(url: str, token: str) -> tuple[str, str]:
    headers = {"Authorization": f"Bearer {token}"}
    with TALK.open("rb") as handle:
        accepted = httpx.post(
            f"{url}/api/v1/videos",
            files={"file": (TALK.name, handle, "video/mp4")},
            headers=headers,
            timeout=60,
        ).json()
    deadline = time.monotonic() + 180
    while (job := httpx.get(f"{url}/api/v1/jobs/{accepted['job_id']}", headers=headers).json())[
        "status"
    ] not in ("succeeded", "failed"):
        assert time.monotonic() < deadline, job
        time.sleep(0.3)
    assert job["status"] == "succeeded", job
    clip = httpx.post(
        f"{url}/api/v1/clips",
        json={"video_id": job["video_id"], "start": 1.0, "end": 3.0},
        headers=headers,
    )
    assert clip.status_code == 202, clip.text
    return str(job["video_id"]), str(clip.json()["clip_id"])


def _config(path: Path, video_id: str, clip_id: str) -> Path:
    """The stored settings, with alice's video and clip as the ids in every path that takes
    one: generated ids are nobody's, so without them every phase stops at 404 before the
    route does anything (a dictionary of ids drawn half the time was never drawn in 4.32)."""
    path.write_text(
        CONFIG.read_text()
        + f"""
[parameters]
"path.video_id" = "{video_id}"
"path.clip_id" = "{clip_id}"
"""
    )
    return path


def test_schemathesis_finds_nothing_with_every_check(tmp_path: Path) -> None:
    server = Server(
        tmp_path / "library",
        tmp_path / "server.log",
        VIDSCOPE_RATE_LIMIT="100000/minute",
        VIDSCOPE_LOGIN_RATE_LIMIT="100000/minute",
    )
    try:
        tokens = {name: _sign_in(server.url, name) for name in ("bob", "alice")}
        config = _config(
            tmp_path / "schemathesis.toml", *_video_and_clip(server.url, tokens["alice"])
        )
        auth = tmp_path / "auth.json"
        auth.write_text(
            json.dumps(
                {
                    "auth": [
                        {
                            "name": name,
                            "fixedHeaders": [{"name": "Authorization", "value": f"Bearer {token}"}],
                        }
                        for name, token in tokens.items()
                    ]
                }
            )
        )
        run = subprocess.run(
            [
                *(sys.executable, "-m", "schemathesis.cli", "--config-file", str(config)),
                *("run", f"{server.url}/openapi.json", "--auth-wfc", str(auth)),
                # As alice, whose video and clip the paths name: with both identities 4.32
                # sent most requests as bob, who is refused them (404), so the routes behind
                # the ids went untested. Bob's reads of alice's objects: test_isolation.py.
                *("--auth-wfc-user", "alice"),
                *("--checks", "all", "--phases", "examples,coverage,fuzzing,stateful"),
                *("--max-examples", str(MAX_EXAMPLES), "--seed", "30", "--workers", "2"),
                # DELETE would remove the video the stateful phase follows; logout ends the
                # session the run signs in with (both have tests of their own).
                *("--exclude-method", "DELETE", "--exclude-path", "/api/v1/auth/logout"),
                *("--no-color", "--report", "junit", "--report-dir", str(tmp_path / "report")),
            ],
            capture_output=True,
            text=True,
            timeout=600,
            cwd=tmp_path,
        )
    finally:
        server.stop()
    (tmp_path / "schemathesis.out").write_text(run.stdout + run.stderr)  # the whole report
    report = run.stdout[-20000:]
    assert run.returncode == 0, report
    assert "Stateful" in report and "Test cases:" in report, report
