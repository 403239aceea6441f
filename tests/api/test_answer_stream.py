"""A real ``vidscope serve`` with the local language model (SmolLM2-135M-Instruct GGUF): loaded
once, at start, before /readyz says ready; answers stream as server-sent events; the CLI beside
the server asks the server instead of loading the model itself."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.support.api import PASSWORD
from tests.support.library import TALK, seed_embedder
from tests.support.server import Server, environment

pytestmark = pytest.mark.slow

QUESTION = "how much power do the solar panels make"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, dict[str, str]]]:
    folder = tmp_path_factory.mktemp("llm-server")
    # The language model is prepared into the new cache at start (what this module tests);
    # the embedder's ONNX export, made once for the suite, is copied in, not made again.
    seed_embedder(folder / "models")
    server = Server(
        folder / "library",
        folder / "server.log",
        VIDSCOPE_ASK_GENERATOR="local",
        VIDSCOPE_LLM_LOCAL_MODEL="smollm2",
        VIDSCOPE_MODEL_CACHE=str(folder / "models"),  # prepared at start, not at the question
        VIDSCOPE_THREADS="2",
    )
    try:
        httpx.post(
            f"{server.url}/api/v1/auth/register", json={"username": "ann", "password": PASSWORD}
        )
        tokens = httpx.post(
            f"{server.url}/api/v1/auth/login", json={"username": "ann", "password": PASSWORD}
        ).json()
        headers = {"Authorization": f"Bearer {tokens['access_token']}"}
        with TALK.open("rb") as handle:
            accepted = httpx.post(
                f"{server.url}/api/v1/videos",
                files={"file": ("talk.mp4", handle)},
                headers=headers,
                timeout=60,
            ).json()
        deadline = time.monotonic() + 900  # a shared, busy CPU
        while time.monotonic() < deadline:
            job = httpx.get(f"{server.url}/api/v1/jobs/{accepted['job_id']}", headers=headers)
            if job.json()["status"] in ("succeeded", "failed"):
                break
            time.sleep(0.25)
        assert job.json()["status"] == "succeeded", job.text
        yield server, headers
    finally:
        server.stop()


def _events(response: httpx.Response) -> Iterator[tuple[str, Any]]:
    event = None
    for line in response.iter_lines():
        if line.startswith("event: "):
            event = line.removeprefix("event: ")
        elif line.startswith("data: "):
            yield event or "message", json.loads(line.removeprefix("data: "))
            event = None


def _log(server: Server) -> str:
    return (server.home.parent / "server.log").read_text()


def test_the_model_is_loaded_once_at_start_before_ready(
    served: tuple[Server, dict[str, str]],
) -> None:
    server, _ = served
    log = _log(server)
    assert log.count('"llm.model_loaded"') == 1, log[-2000:]
    assert log.index('"llm.model_prepared"') < log.index('"llm.model_loaded"')


def test_an_answer_streams_its_text_then_the_cited_answer(
    served: tuple[Server, dict[str, str]],
) -> None:
    server, headers = served
    with httpx.stream(
        "POST",
        f"{server.url}/api/v1/ask/stream",
        json={"question": QUESTION},
        headers=headers,
        timeout=300,
    ) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        events = list(_events(response))
    kinds = [kind for kind, _ in events]
    assert kinds[-1] == "answer" and kinds.count("answer") == 1, events
    assert set(kinds[:-1]) <= {"token"}
    answer = events[-1][1]
    assert answer["question"] == QUESTION and answer["citations"], answer
    if answer["generator"] != "extractive" and not answer["fell_back"]:
        # What the model wrote and the evidence supports came as it was written.
        assert kinds.count("token") >= 1
        assert "".join(data["text"] for _, data in events[:-1]).strip() == answer["answer"]
    assert _log(server).count('"llm.model_loaded"') == 1  # the warm one answered


def test_a_question_refused_before_any_text_is_an_ordinary_error(
    served: tuple[Server, dict[str, str]],
) -> None:
    server, headers = served
    missing = httpx.post(
        f"{server.url}/api/v1/ask/stream",
        json={"question": QUESTION, "video_id": "0123456789abcdef"},
        headers=headers,
        timeout=60,
    )
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("application/json")
    assert missing.json()["error"]["code"].endswith("not_found")
    unsigned = httpx.post(f"{server.url}/api/v1/ask/stream", json={"question": QUESTION})
    assert unsigned.status_code == 401


def test_the_stream_is_in_the_openapi_schema(served: tuple[Server, dict[str, str]]) -> None:
    server, _ = served
    schema = httpx.get(f"{server.url}/openapi.json").json()
    route = schema["paths"]["/api/v1/ask/stream"]["post"]
    assert "text/event-stream" in route["responses"]["200"]["content"]
    assert "404" in route["responses"]


def test_the_cli_beside_the_server_asks_the_server(
    served: tuple[Server, dict[str, str]],
) -> None:
    server, _ = served
    done = subprocess.run(
        [sys.executable, "-m", "app.cli", "--user", "ann", "ask", QUESTION, "--json"],
        env={
            **environment(server.home),
            "VIDSCOPE_ASK_GENERATOR": "local",
            "VIDSCOPE_LLM_LOCAL_MODEL": "smollm2",
        },
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["citations"]
    assert "llm.model_loaded" not in done.stderr  # this process loaded no model
    assert _log(server).count('"llm.model_loaded"') == 1
