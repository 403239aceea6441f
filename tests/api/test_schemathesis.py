"""Schemathesis against a real ``vidscope serve`` with every check (issue 30): the examples,
coverage, fuzzing and stateful phases, as a signed-in user who has a video and a clip, whose
ids the paths take (so the routes behind /videos/{id} and /clips/{id} answer, not 404). The
rate limits and the JSON body limit are raised for this server only. Bob is alice's peer:
Schemathesis replays her reads as him (object_level_authorization: he is never shown her
object) and the hooks' owners_apart check asks for the exact answer (the documented 404, a
*.not_found code, never a 500). Every check keeps its
default expected statuses; tests/api/schemathesis_hooks.py keeps out of the positive cases
what no schema can state. On failure the assertion shows Schemathesis's report: fix the
server or the schema."""

from __future__ import annotations

import collections
import json
import os
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
ROOT = Path(__file__).resolve().parents[2]
MAX_EXAMPLES = 10


# Not the documented example's password: the examples phase logs in with the example
# ('alice', 'correct horse battery'), and a refresh token used twice ends every session of
# that account, the run's own token included.
RUN_PASSWORD = "schemathesis " + PASSWORD[::-1]


def _sign_in(url: str, username: str) -> str:
    credentials = {"username": username, "password": RUN_PASSWORD}
    assert httpx.post(f"{url}/api/v1/auth/register", json=credentials).status_code == 201
    return str(httpx.post(f"{url}/api/v1/auth/login", json=credentials).json()["access_token"])


def _alices_objects(url: str, token: str) -> tuple[dict[str, str], float]:
    """Alice's video, its ingest job and a clip of it (the ids the paths take), and the
    video's length."""
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
    video = httpx.get(f"{url}/api/v1/videos/{job['video_id']}", headers=headers).json()
    ids = {"video_id": job["video_id"], "clip_id": clip.json()["clip_id"], "job_id": job["id"]}
    return {name: str(value) for name, value in ids.items()}, float(video["duration"])


def _config(path: Path, auth: Path, ids: dict[str, str]) -> Path:
    """The stored settings, with the two users and alice's ids in every path that takes one:
    generated ids are nobody's, so without them every phase stops at 404 before the route does
    anything (a dictionary of ids drawn half the time was never drawn in 4.32). Alice sends
    every request; bob is there as her peer: the object_level_authorization check replays her
    reads of her objects as him and fails if he is shown them (he must get the documented
    404; tests/api/test_isolation.py asks every route that of him directly)."""
    parameters = "\n".join(f'"path.{name}" = "{value}"' for name, value in ids.items())
    path.write_text(
        CONFIG.read_text()
        + f"""
[auth.wfc]
path = "{auth}"
user = "alice"
peers = ["alice", "bob"]

[parameters]
{parameters}
"""
    )
    return path


@pytest.mark.timeout(900)  # 170-270 s on 2 cores, more under load
def test_schemathesis_finds_nothing_with_every_check(tmp_path: Path) -> None:
    server = Server(
        tmp_path / "library",
        tmp_path / "server.log",
        VIDSCOPE_RATE_LIMIT="100000/minute",
        VIDSCOPE_LOGIN_RATE_LIMIT="100000/minute",
        # The batch routes take up to 10,000 clips, more than the default 1 MiB of JSON: with
        # it, one item past maxItems was refused as too large (413) before it was read, not
        # as the invalid body it is (422). The limit's own answer: tests/api/test_routes.py.
        VIDSCOPE_REQUEST_MAX_BYTES=str(64 * 1024**2),
    )
    try:
        tokens = {name: _sign_in(server.url, name) for name in ("bob", "alice")}
        ids, duration = _alices_objects(server.url, tokens["alice"])
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
        config = _config(tmp_path / "schemathesis.toml", auth, ids)
        probes = tmp_path / "probes.jsonl"  # bob's reads of alice's objects (the hooks' check)
        run = subprocess.run(
            [
                *(sys.executable, "-m", "schemathesis.cli", "--config-file", str(config)),
                *("run", f"{server.url}/openapi.json"),
                *("--checks", "all", "--phases", "examples,coverage,fuzzing,stateful"),
                # ignored_auth knows no OAuth2 scheme and cannot take away [auth.wfc]'s fixed
                # Authorization header: with the session cookie declared it resent each
                # request "without auth", still carrying it, and reported every operation.
                # tests/api/test_contract.py asks every secured operation without credentials.
                *("--exclude-checks", "ignored_auth"),
                *("--max-examples", str(MAX_EXAMPLES), "--seed", "30", "--workers", "2"),
                # DELETE would remove the video the stateful phase follows (it has tests of
                # its own). Logout runs: it ends only the login its refresh token names, and
                # the run's tokens are never sent as one.
                *("--exclude-method", "DELETE"),
                *("--no-color", "--report", "junit", "--report-dir", str(tmp_path / "report")),
            ],
            capture_output=True,
            text=True,
            timeout=600,
            cwd=tmp_path,
            env={
                **os.environ,
                "PYTHONPATH": str(ROOT),
                "SCHEMATHESIS_HOOKS": "tests.api.schemathesis_hooks",
                "VIDSCOPE_ST_MEDIA": str(TALK),
                "VIDSCOPE_ST_DURATION": str(duration),
                "VIDSCOPE_ST_PEER_TOKEN": tokens["bob"],
                "VIDSCOPE_ST_OWNED_IDS": " ".join(ids.values()),
                "VIDSCOPE_ST_PROBES": str(probes),
                "VIDSCOPE_ST_PHASES": str(tmp_path / "phases.txt"),
            },
        )
    finally:
        server.stop()
    # The whole report, and the requests each phase sent (for an issue's closing note).
    sent = tmp_path / "phases.txt"
    phases = collections.Counter(sent.read_text().split() if sent.exists() else [])
    (tmp_path / "schemathesis.out").write_text(f"{run.stdout}{run.stderr}\n{dict(phases)}\n")
    report = run.stdout[-20000:]
    assert run.returncode == 0, report
    assert "Stateful" in report and "Test cases:" in report, report
    # The check that asks as bob ran where it matters (each of his answers was the 404).
    asked = {json.loads(line)["operation"] for line in probes.read_text().splitlines()}
    assert {"GET /api/v1/videos/{video_id}", "GET /api/v1/clips/{clip_id}"} <= asked, asked
