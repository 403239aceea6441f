"""The dashboard while the server writes: a real `vidscope serve`, a `vidscope batch ingest`
merging through it, Streamlit's AppTest driving every page against the live API, and a real
`streamlit run` answering over HTTP — all at once."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from streamlit.proto.Metric_pb2 import Metric as MetricProto
from streamlit.testing.v1 import AppTest

from pipelines.config import load_settings
from pipelines.jobs.tracking import log_run
from tests.support.api import PASSWORD
from tests.support.library import TALK, wait_until_answered
from tests.support.server import LONG_TALK, Server, environment, free_port

ROOT = Path(__file__).resolve().parents[2]
DASHBOARD = ROOT / "app" / "dashboard.py"
pytestmark = pytest.mark.slow


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    home = tmp_path / "library"
    created = subprocess.run(
        [sys.executable, "-m", "app.cli", "users", "create", "alice", "--password-stdin"],
        input=PASSWORD,
        env=environment(home),
        capture_output=True,
        text=True,
    )
    assert created.returncode == 0, created.stderr
    running = Server(home, tmp_path / "server.log")
    yield running
    running.stop()


def signed_in(server: Server, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("VIDSCOPE_API_URL", server.url)
    monkeypatch.setenv("VIDSCOPE_HOME", str(server.home))
    app = AppTest.from_file(str(DASHBOARD), default_timeout=60).run()
    assert not app.exception
    # The browser fills in the saved password instead of offering to make one up.
    assert app.text_input[1].proto.autocomplete == "current-password"
    assert app.text_input[0].proto.autocomplete == "username"
    app.text_input[0].input("alice")
    app.text_input[1].input("wrong password")
    app.button[0].click().run()
    assert "auth." in app.error[0].value  # refused with the API's code
    app.text_input[1].input(PASSWORD)
    app.button[0].click().run()
    assert not app.exception and not app.error, [e.value for e in app.error]
    return app


def metric(app: AppTest, label: str) -> str:
    return next(str(m.value) for m in app.metric if m.label == label)


def test_dashboard_reads_the_library_while_a_batch_writes_through_the_server(
    server: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    # The two-minute talk keeps the batch busy while the dashboard is tried.
    for video in sorted((ROOT / "data" / "samples").glob("*.mp4")) + [TALK, LONG_TALK]:
        shutil.copy(video, inbox / video.name)
    (inbox / "broken.mp4").write_bytes(b"\0" * 4096)
    batch = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "app.cli",
            "--user",
            "alice",
            "batch",
            "ingest",
            str(inbox),
            "--json",
        ],
        env=environment(server.home),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    port = free_port()
    streamlit = subprocess.Popen(  # `vidscope dashboard` runs `streamlit run` on 127.0.0.1
        [sys.executable, "-m", "app.cli", "dashboard", "--port", str(port)],
        env=environment(server.home),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # no terminal: it is stopped with SIGTERM, as by a service manager
    )
    try:
        # While the batch runs: the dashboard answers, signed in, on every page.
        app = signed_in(server, monkeypatch)
        assert batch.poll() is None, "the batch ended before the dashboard was tried"
        assert int(metric(app, "Videos")) <= 4
        # Streamlit starts beside a batch that holds both cores: 60 s was not always enough.
        health = wait_until_answered(
            "streamlit run", f"http://127.0.0.1:{port}/_stcore/health", timeout_s=180
        )
        assert health.text == "ok"
        page = httpx.get(f"http://127.0.0.1:{port}/", timeout=10)
        assert page.status_code == 200 and "<noscript>" in page.text

        out, err = batch.communicate(timeout=600)
        assert batch.returncode == 1, err  # broken.mp4 fails; the other four go in
        assert '"indexed": 4' in out and "broken.mp4" in err

        # Two evals, the second better: the quality tiles colour each change by whether it
        # is an improvement (a falling WER is green), and "no change" has no arrow.
        for wer in (0.10, 0.08):
            log_run(
                "eval",
                uri=load_settings(home=server.home).tracking_uri,
                name="eval",
                params={},
                metrics={
                    "wer": wer,
                    "recall_at_1": 1.0,
                    "recall_at_5": 1.0,
                    "mrr": 1.0,
                    "chapter_recall": 0.9,
                    "chapter_precision": 0.75,
                },
            )

        # After: the same pages show what the batch merged through the server.
        app.run()
        assert not app.exception
        assert metric(app, "Videos") == "4"
        library = app.dataframe[0].value
        assert list(library.columns)[-1] == "added (UTC)"  # a person's time, not ISO 8601
        assert all(re.fullmatch(r"\d{1,2} [A-Z][a-z]{2} \d{4}, \d\d:\d\d", t)
                   for t in library["added (UTC)"]), library  # fmt: skip
        assert metric(app, "Succeeded") == "4"  # the batch's ingest jobs, as the API lists them
        assert any("Batch runs" in h.value for h in app.subheader)  # the MLflow trend
        tiles = {m.label: m.proto for m in app.metric}
        assert tiles["WER"].delta == "-0.02" and tiles["WER"].color == MetricProto.GREEN
        assert tiles["recall@1"].delta == "+0" and tiles["recall@1"].color == MetricProto.GRAY
        assert tiles["recall@1"].direction == MetricProto.NONE
        assert metric(app, "chapter precision") == "0.75"  # beside chapter recall
        app.text_input(key="query").input("solar panels on the warehouse roof").run()
        assert not app.exception
        assert app.radio[0].options and "solar" in " ".join(m.value for m in app.markdown)
        assert app.get("video"), "the hit's video is not shown"
        # A video over the playground's limit is shown as its still at the hit's second.
        monkeypatch.setenv("VIDSCOPE_DASHBOARD_PLAY_MAX_MB", "0.1")
        app.run()
        assert not app.exception and not app.get("video") and app.get("image")
        assert "VIDSCOPE_DASHBOARD_PLAY_MAX_MB" in app.info[0].value
        assert streamlit.poll() is None
    finally:
        if batch.poll() is None:
            batch.kill()
        streamlit.send_signal(signal.SIGTERM)  # the command stops streamlit with itself
        batch.wait()
        assert streamlit.wait(timeout=60) == 0


def test_a_failed_clip_can_be_retried_from_the_jobs_page(
    server: Server, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A clip job that failed (here: its media was overwritten with bytes that are not a
    video; a missing file is refused before any job) goes back to the queue."""
    token = httpx.post(
        f"{server.url}/api/v1/auth/login",
        json={"username": "alice", "password": PASSWORD},
    ).json()["access_token"]
    api = httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {token}"})
    with TALK.open("rb") as handle:
        accepted = api.post("/api/v1/videos", files={"file": ("talk.mp4", handle)}).json()
    wait_for(api, accepted["job_id"])
    media = next((server.home / "media").iterdir())
    original = media.read_bytes()
    media.write_bytes(b"not a video " * 1000)
    clip = api.post(
        "/api/v1/clips", json={"video_id": accepted["video_id"], "start": 1, "end": 3}
    ).json()
    assert wait_for(api, clip["job_id"])["status"] == "failed"
    media.write_bytes(original)

    app = signed_in(server, monkeypatch)
    assert metric(app, "Failed") == "1"
    [retry] = [b for b in app.button if b.label == "Retry"]
    retry.click().run()
    assert not app.exception and app.success, [e.value for e in app.error]
    job = wait_for(api, clip["job_id"])
    assert job["status"] == "succeeded", job
    assert api.get(f"/api/v1/clips/{clip['clip_id']}/file").status_code == 200
    again = api.post(f"/api/v1/jobs/{clip['job_id']}/retry")
    assert again.status_code == 409 and again.json()["error"]["code"] == "job.not_retryable"


def wait_for(api: httpx.Client, job_id: str) -> dict[str, object]:
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        job: dict[str, object] = api.get(f"/api/v1/jobs/{job_id}").json()
        if job["status"] in ("succeeded", "failed"):
            return job
        time.sleep(0.3)
    raise AssertionError(f"job {job_id} did not finish")


def test_the_health_page_shows_the_doctor_to_administrators_only(
    server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    created = subprocess.run(  # through the running server, as its local administrator
        [sys.executable, "-m", "app.cli", "users", "create", "boss", "--admin", "--password-stdin"],
        input=PASSWORD, env=environment(server.home), capture_output=True, text=True,
    )  # fmt: skip
    assert created.returncode == 0, created.stderr
    user = signed_in(server, monkeypatch)  # alice is not an administrator
    assert any("administrators" in str(i.value) for i in user.info)
    assert "token" in user.session_state  # and she stays signed in

    admin = AppTest.from_file(str(DASHBOARD), default_timeout=60).run()
    admin.text_input[0].input("boss")
    admin.text_input[1].input(PASSWORD)
    admin.button[0].click().run()
    assert not admin.exception and metric(admin, "Health") == "healthy"
    left = server.home / "media" / "left-behind.mp4.part"
    left.write_bytes(b"x" * 100)
    admin.run()
    assert metric(admin, "Health") == "healthy"  # being written, for all it knows (an upload)
    os.utime(left, (time.time() - 3600, time.time() - 3600))
    admin.run()
    assert metric(admin, "Health") == "1 finding(s)"
    assert any("partial file" in str(e.value) for e in admin.error)
