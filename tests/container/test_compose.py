"""compose.yaml brought up for real with podman-compose (Debian's): the server and Redis on the
compose network, the server ready with Redis reachable, both health checks passing, rate-limit
counters kept in Redis, the restart policy set, and the library kept in its volume across a
`down` and a new `up`. Redis' image is the public one where a registry answers, else the one
`make redis-image` makes from Debian's packages."""

from __future__ import annotations

import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.support.server import free_port

pytestmark = pytest.mark.container

ROOT = Path(__file__).resolve().parents[2]
PODMAN = ["podman", "--runtime", "runc"]
REDIS_IMAGES = ["docker.io/library/redis:7-bookworm", "localhost/vidscope-redis:latest"]


def podman(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([*PODMAN, *args], capture_output=True, text=True, timeout=300)
    assert not check or done.returncode == 0, done.stderr
    return done


@dataclass
class Stack:
    project: str
    url: str
    environment: dict[str, str]

    def compose(self, *args: str) -> None:
        done = subprocess.run(
            ["podman-compose", "-p", self.project, "--podman-run-args=--runtime runc", *args],
            cwd=ROOT, env=self.environment, capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]

    def wait_ready(self) -> dict[str, object]:
        started = time.monotonic()
        while True:
            try:
                answer = httpx.get(f"{self.url}/readyz", timeout=2)
                if answer.status_code == 200:
                    ready: dict[str, object] = answer.json()
                    return ready
            except httpx.HTTPError:
                pass
            logs = podman("logs", f"{self.project}_vidscope_1", check=False).stderr[-3000:]
            assert time.monotonic() - started < 180, logs
            time.sleep(0.5)


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    if shutil.which("podman-compose") is None:
        pytest.fail("podman-compose is missing: run `make containerdeps`")
    redis = next(
        (i for i in REDIS_IMAGES if podman("image", "exists", i, check=False).returncode == 0),
        None,
    )
    assert redis, "no Redis image: run `make redis-image`"
    key = tmp_path / "vidscope-key"
    key.write_text(uuid.uuid4().hex * 2)
    key.chmod(0o644)  # read inside the container by its user
    port = free_port()
    environment = {
        "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "VIDSCOPE_SECRET_KEY_PATH": str(key),
        "VIDSCOPE_PORT": str(port),
        "REDIS_IMAGE": redis,
    }
    stack = Stack(f"vidscope-test-{uuid.uuid4().hex[:8]}", f"http://127.0.0.1:{port}", environment)
    try:
        yield stack
    finally:
        subprocess.run(
            ["podman-compose", "-p", stack.project, "down"],
            cwd=ROOT, env=environment, capture_output=True, timeout=300,
        )  # fmt: skip
        podman("volume", "rm", "-f", f"{stack.project}_vidscope-data", check=False)
        podman("network", "rm", "-f", f"{stack.project}_default", check=False)


def test_compose_runs_the_server_beside_redis_and_keeps_the_library_in_its_volume(
    stack: Stack,
) -> None:
    stack.compose("up", "-d")
    ready = stack.wait_ready()
    assert ready["checks"]["redis"]["status"] == "ok"  # type: ignore[index]
    for service in ("vidscope", "redis"):
        name = f"{stack.project}_{service}_1"
        # Podman runs health checks from systemd timers, absent here: run each once by hand.
        assert podman("healthcheck", "run", name, check=False).returncode == 0, service
        policy = podman("inspect", name, "--format", "{{.HostConfig.RestartPolicy.Name}}")
        assert policy.stdout.strip() == "unless-stopped"

    api = f"{stack.url}/api/v1"
    body = {"username": "alice", "password": "correct horse battery"}
    assert httpx.post(f"{api}/auth/register", json=body).status_code == 201
    assert httpx.post(f"{api}/auth/login", json=body).status_code == 200
    counters = podman("exec", f"{stack.project}_redis_1", "redis-cli", "--scan").stdout
    assert "login-ip:" in counters  # the rate limits are counted in Redis

    stack.compose("down")
    stack.compose("up", "-d")
    stack.wait_ready()
    assert httpx.post(f"{api}/auth/login", json=body).status_code == 200  # same library
