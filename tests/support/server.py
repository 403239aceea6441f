"""A real ``vidscope serve`` in its own process, for the tests that need one (the server
process, the attacker, the browser, the dashboard, batch routes)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

LONG_TALK = Path(__file__).resolve().parents[2] / "evals" / "data" / "talk-2min-voices.ogg"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def environment(home: Path) -> dict[str, str]:
    return {
        **os.environ,
        "VIDSCOPE_HOME": str(home),
        "VIDSCOPE_PROFILE": "test",
        "VIDSCOPE_LOG_FORMAT": "json",
        "VIDSCOPE_JOB_BACKOFF_S": "0.1",
        "VIDSCOPE_RATE_LIMIT": "10000/minute",
        "VIDSCOPE_LOGIN_RATE_LIMIT": "1000/minute",
    }


class Server:
    def __init__(self, home: Path, log: Path, **env: str) -> None:
        self.home = home
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "serve", "--port", str(self.port)],
            env={**environment(home), **env},
            stdout=self.log,
            stderr=self.log,
            start_new_session=True,  # its own process group: a kill takes its compute too
        )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            assert self.process.poll() is None, log.read_text()[-3000:]
            try:
                if httpx.get(f"{self.url}/readyz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise AssertionError("the server did not become ready")

    def kill(self) -> None:
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        self.log.close()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.kill()
        self.log.close()


def run_command(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``vidscope ARGS`` run as a person runs it (a process of its own) on the library at
    ``home``, with the test profile."""
    env = {**os.environ, "VIDSCOPE_HOME": str(home), "VIDSCOPE_PROFILE": "test"}
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
