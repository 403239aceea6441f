"""A real ``vidscope serve`` for the benchmarks that measure one over HTTP."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from evals.common import ROOT


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def served(home: Path, *, code: Path = ROOT, **settings: str) -> Iterator[str]:
    """A ``vidscope serve`` of the source in ``code`` (this checkout, or another release's)
    on a free loopback port, its library at ``home`` and ``settings`` (``VIDSCOPE_*``
    variables) over the environment; yields its URL once ``/readyz`` answers, and stops it
    (SIGINT, then SIGKILL after 60 s) on leaving."""
    with served_process(home, code=code, **settings) as (url, _):
        yield url


@contextmanager
def served_process(home: Path, *, code: Path = ROOT, **settings: str) -> Iterator[tuple[str, int]]:
    """``served``, yielding the server's process id beside its URL (to read its memory)."""
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(code), "VIDSCOPE_HOME": str(home), **settings}
    server = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "serve", "--port", str(port)],
        env=env,
        cwd=code,  # `-m` puts the working folder first on the path: the code served is this
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:
            assert server.poll() is None, "the server stopped"
            try:
                if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "the server never became ready"
            time.sleep(0.2)
        yield url, server.pid
    finally:
        os.killpg(server.pid, signal.SIGINT)
        try:
            server.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
