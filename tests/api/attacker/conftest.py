"""A real server and two ordinary accounts for each attacker module (a module that needs other
limits defines its own ``server``)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.support.attacker import QUOTA, browser_session
from tests.support.server import Server


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("attacker")
    running = Server(
        folder / "library",
        folder / "server.log",
        VIDSCOPE_QUOTA_BYTES=str(QUOTA),
        VIDSCOPE_LOGIN_RATE_LIMIT="40/minute",
        VIDSCOPE_METRICS_TOKEN="metrics-secret-for-the-test",
    )
    yield running
    running.stop()


@pytest.fixture(scope="module")
def alice(server: Server) -> Iterator[httpx.Client]:
    client = browser_session(server.url, "alice")
    yield client
    client.close()


@pytest.fixture(scope="module")
def bob(server: Server) -> Iterator[httpx.Client]:
    client = browser_session(server.url, "bob")
    yield client
    client.close()
