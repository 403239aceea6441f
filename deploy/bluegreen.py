"""Blue-green deploys of the Vidscope server with one writer, under Podman.

    deploy/deploy.sh up IMAGE         the proxy and blue serving IMAGE (a first start)
    deploy/deploy.sh stage IMAGE      IMAGE on a copy of production's library, smoke-tested
    deploy/deploy.sh deploy IMAGE     hand over to IMAGE (refused unless staging passed for it)
    deploy/deploy.sh rollback         hand back to the image served before
    deploy/deploy.sh status | down

HAProxy (deploy/proxy/haproxy.cfg) is in front of two server containers, blue and green, on
one library volume, both counting rate limits (and caching answers) in one Redis, so a handover
resets no limit. The catalog has one writer, so a deploy is a handover: the new colour
starts and prepares (deploy/take_over.py) and waits for the writer's lock; the proxy puts the
new colour in service before it listens (so new requests wait at the proxy, trying it again
every 0.1 s) and the old one in maintenance; the old colour's in-flight requests finish (at
most VIDSCOPE_DEPLOY_DRAIN_S), it is stopped (SIGTERM: it releases the lock and exits; a job it
was running stays 'running' in the catalog), the new colour takes the lock, queues that job
again and serves. One JSON line reports the handover (docs/operating.md "Blue-green deploys").
"""

from __future__ import annotations

import json
import os
import socket
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime

from deployment import (
    COLOURS,
    LIMITS,
    ROOT,
    SERVER_UID,
    DeployError,
    Deployment,
    Records,
    digest,
    keep,
    live_colour,
    logs,
    podman,
    redis_image,
    running,
    wait_http,
)

START_TIMEOUT_S = 300.0  # a cold start under load: imports and the embedder's load
STOP_TIMEOUT_S = 30  # after the drain: the server's own shutdown (jobs stopped, lock released)


def proxy_command(deployment: Deployment, command: str) -> str:
    """One command of HAProxy's runtime API (``set server``, ``show stat``)."""
    with socket.create_connection(("127.0.0.1", deployment.admin_port), timeout=5) as link:
        link.sendall(command.encode() + b"\n")
        chunks = []
        while chunk := link.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks).decode()


def in_flight(deployment: Deployment, colour: str) -> int:
    """Requests the proxy has in flight on ``colour`` (its server's current sessions)."""
    lines = proxy_command(deployment, "show stat").splitlines()
    header = lines[0].lstrip("# ").split(",")
    for line in lines[1:]:
        row = dict(zip(header, line.split(","), strict=False))
        if row.get("pxname") == "servers" and row.get("svname") == colour:
            return int(row["scur"] or 0)
    raise DeployError(f"the proxy has no server {colour!r}")


def start_proxy(deployment: Deployment) -> None:
    name = deployment.container("proxy")
    podman("rm", "-f", name, check=False)
    config = ROOT / "deploy/proxy/haproxy.cfg"
    retries = max(1, round(deployment.wait_s / 0.1))  # haproxy.cfg: a try every 0.1 s
    podman(
        "run", "-d", "--name", name, "--network=host", "--user", "haproxy", *LIMITS,
        "--label", f"vidscope.deploy={deployment.name}",
        "-v", f"{config}:/usr/local/etc/haproxy/haproxy.cfg:ro",
        "-e", f"VIDSCOPE_PORT={deployment.port}",
        "-e", f"VIDSCOPE_PROXY_BIND={deployment.bind}",
        "-e", f"VIDSCOPE_BLUE_PORT={deployment.ports['blue']}",
        "-e", f"VIDSCOPE_GREEN_PORT={deployment.ports['green']}",
        "-e", f"VIDSCOPE_PROXY_ADMIN_PORT={deployment.admin_port}",
        "-e", f"VIDSCOPE_PROXY_RETRIES={retries}",
        deployment.proxy_image,
    )  # fmt: skip
    wait_http(f"http://127.0.0.1:{deployment.port}/proxy-health", timeout_s=30, container=name)


def start_redis(deployment: Deployment) -> None:
    """Redis for both colours, on 127.0.0.1 (started once: by `up`, or by the first handover
    of an installation that ran without it). Counters only: nothing is kept on disk."""
    name = deployment.container("redis")
    if running(name):
        return
    podman("rm", "-f", name, check=False)
    podman(
        "run", "-d", "--name", name, "--network=host", *LIMITS,
        "--label", f"vidscope.deploy={deployment.name}", redis_image(),
        "redis-server", "--bind", "127.0.0.1", "--port", str(deployment.redis_port),
        "--save", "", "--appendonly", "no",
    )  # fmt: skip
    started = time.monotonic()
    while not _redis_answers(deployment.redis_port):
        if not running(name):
            raise DeployError(f"{name} stopped while starting:\n{logs(name)[-2000:]}")
        if time.monotonic() - started > 30:
            raise DeployError(f"{name} did not answer PING within 30 s")
        time.sleep(0.1)


def _redis_answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2) as link:
            link.sendall(b"PING\r\n")
            return link.recv(64).startswith(b"+PONG")
    except OSError:
        return False


def start_server(deployment: Deployment, colour: str, image: str) -> str:
    """Starts ``colour`` on ``image``; it prepares, then waits for the writer's lock."""
    name = deployment.container(colour)
    podman("rm", "-f", name, check=False)
    deployment.backups.mkdir(parents=True, exist_ok=True)
    extra = ["--env-file", str(deployment.env_file)] if deployment.env_file else []
    podman(
        "run", "-d", "--init", "--name", name, "--network=host", *LIMITS,
        "--label", f"vidscope.deploy={deployment.name}", "--label", f"vidscope.colour={colour}",
        "-v", f"{deployment.volume}:/data", "-v", f"{deployment.backups}:/backups",
        "-v", f"{deployment.secret_key}:/run/secrets/vidscope-key:ro",
        "-v", f"{ROOT / 'deploy/take_over.py'}:/deploy/take_over.py:ro",
        "-e", "VIDSCOPE_PROFILE=production",
        "-e", "VIDSCOPE_SECRET_KEY_FILE=/run/secrets/vidscope-key",
        "-e", "VIDSCOPE_TRUSTED_PROXIES=127.0.0.1",  # the proxy's X-Forwarded-For
        "-e", f"VIDSCOPE_REDIS_URL={deployment.redis_url}",  # both colours count in one Redis
        # A stopping server leaves a running job within a third of the lease (the worker's
        # wait): 9 s makes that 3 s, the default 60 s would hold a handover up to 20 s.
        "-e", "VIDSCOPE_JOB_LEASE_S=9",
        *extra, "--entrypoint", "python3", image,
        "/deploy/take_over.py", "--host", "127.0.0.1", "--port", str(deployment.ports[colour]),
    )  # fmt: skip
    return name


def wait_prepared(name: str) -> float:
    started = time.monotonic()
    while "handover.prepared" not in logs(name):
        if not running(name):
            raise DeployError(f"{name} stopped while preparing:\n{logs(name)[-2000:]}")
        if time.monotonic() - started > START_TIMEOUT_S:
            raise DeployError(f"{name} not prepared within {START_TIMEOUT_S:.0f} s")
        time.sleep(0.2)
    return time.monotonic() - started


def _prepare_volume(deployment: Deployment) -> None:
    if not podman("volume", "ls", "-q", "--filter", f"name=^{deployment.volume}$").strip():
        podman("volume", "create", deployment.volume)
    deployment.backups.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        os.chown(deployment.backups, SERVER_UID, SERVER_UID)  # the servers write backups there


def up(deployment: Deployment, image: str) -> dict[str, object]:
    """The first start: the proxy, and blue serving ``image``."""
    if live_colour(deployment) is not None:
        raise DeployError("a colour already serves: use deploy or rollback")
    _prepare_volume(deployment)
    image_digest = digest(image)
    start_proxy(deployment)
    start_redis(deployment)
    name = start_server(deployment, "blue", keep(image_digest))
    wait_http(f"http://127.0.0.1:{deployment.ports['blue']}/healthz",
              timeout_s=START_TIMEOUT_S, container=name)  # fmt: skip
    proxy_command(deployment, "set server servers/green state maint")
    proxy_command(deployment, "set server servers/blue state ready")
    # Its health check may have marked blue down while it started: served once it is up again.
    wait_http(f"http://127.0.0.1:{deployment.port}/healthz", timeout_s=30)
    entry: dict[str, object] = {"colour": "blue", "image": image, "digest": image_digest,
                                "at": _now()}  # fmt: skip
    Records(deployment.state).record_served(entry)
    return entry


def handover(deployment: Deployment, image: str, image_digest: str) -> dict[str, object]:
    """Hands the library and the traffic from the live colour to the other one on
    ``image``; the report's times are in seconds."""
    old = live_colour(deployment)
    if old is None:
        raise DeployError("no colour serves: start with `deploy.sh up IMAGE`")
    new = COLOURS[1 - COLOURS.index(old)]
    start_redis(deployment)
    name = start_server(deployment, new, keep(image_digest))
    prepared_s = wait_prepared(name)
    # From here requests wait at the proxy for the new colour: in service before it listens.
    switched = time.monotonic()
    proxy_command(deployment, f"set server servers/{new} state maint")
    proxy_command(deployment, f"disable health servers/{new}")
    proxy_command(deployment, f"set server servers/{new} state ready")
    proxy_command(deployment, f"set server servers/{old} state maint")
    while (left := in_flight(deployment, old)) and time.monotonic() - switched < deployment.drain_s:
        time.sleep(0.05)
    drained_s = time.monotonic() - switched
    # The stop returns after the container is torn down; the new colour serves as soon as
    # the old process has exited, so both are timed from the switch, side by side.
    stopped: list[float] = []
    stopping = threading.Thread(target=_stop, args=(deployment.container(old), switched, stopped))
    stopping.start()
    try:
        wait_http(f"http://127.0.0.1:{deployment.ports[new]}/healthz",
                  timeout_s=START_TIMEOUT_S, container=name)  # fmt: skip
    except DeployError:
        stopping.join()
        _back_to(deployment, old, new)
        raise
    serving_s = time.monotonic() - switched
    stopping.join()
    stopped_s = stopped[0] if stopped else float("nan")
    proxy_command(deployment, f"enable health servers/{new}")
    # The old container stays, stopped (its logs, and `_back_to`), until the next handover.
    entry = {
        "colour": new, "image": image, "digest": image_digest, "at": _now(),
        "from": old, "prepared_s": round(prepared_s, 2),
        "drained_s": round(drained_s, 3), "cut_in_flight": left,
        "old_stopped_s": round(stopped_s, 3), "handover_s": round(serving_s, 3),
    }  # fmt: skip
    Records(deployment.state).record_served(entry)
    return entry


def _stop(container: str, switched: float, stopped: list[float]) -> None:
    podman("stop", "-t", str(STOP_TIMEOUT_S), container, check=False)
    stopped.append(time.monotonic() - switched)


def _back_to(deployment: Deployment, old: str, new: str) -> None:
    """The new colour did not come up: the old container starts again and serves."""
    podman("rm", "-f", deployment.container(new), check=False)
    proxy_command(deployment, f"enable health servers/{new}")
    proxy_command(deployment, f"set server servers/{new} state maint")
    podman("start", deployment.container(old))
    proxy_command(deployment, f"set server servers/{old} state ready")


def deploy(deployment: Deployment, image: str) -> dict[str, object]:
    image_digest = digest(image)
    staged = Records(deployment.state).staging(image_digest)
    if staged is None or not staged.get("passed"):
        said = "did not pass" if staged else "has not run"
        raise DeployError(
            f"staging {said} for {image} ({image_digest}): promotion needs a passed staging "
            f"run of this exact image; run `deploy/deploy.sh stage {image}` first"
        )
    return handover(deployment, image, image_digest)


def rollback(deployment: Deployment) -> dict[str, object]:
    """Hands back to the image served before the current one (it passed staging then)."""
    history = Records(deployment.state).history()
    current = history[-1]["digest"] if history else None
    before = next((h for h in reversed(history) if h["digest"] != current), None)
    if before is None:
        raise DeployError("no earlier image in the history to roll back to")
    return handover(deployment, str(before["image"]), str(before["digest"]))


def down(deployment: Deployment) -> None:
    """Stops and removes the proxy, both colours and Redis; the library volume stays."""
    for role in (*COLOURS, "proxy", "redis"):
        podman("rm", "-f", "-t", str(STOP_TIMEOUT_S), deployment.container(role), check=False)


def status(deployment: Deployment) -> dict[str, object]:
    history = Records(deployment.state).history()
    return {
        "serving": live_colour(deployment),
        "image": history[-1] if history else None,
        "redis": running(deployment.container("redis")),
    }


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def main(argv: list[str]) -> int:
    from staging import stage

    deployment = Deployment.from_env()
    commands: dict[str, Callable[[], object]] = {
        "up": lambda: up(deployment, argv[1]),
        "stage": lambda: stage(deployment, argv[1]),
        "deploy": lambda: deploy(deployment, argv[1]),
        "rollback": lambda: rollback(deployment),
        "status": lambda: status(deployment),
        "down": lambda: down(deployment),
    }
    needs_image = {"up", "stage", "deploy"}
    if not argv or argv[0] not in commands or (argv[0] in needs_image and len(argv) < 2):
        sys.stderr.write((__doc__ or "").split("\n\n")[1] + "\n")
        return 2
    try:
        result = commands[argv[0]]()
    except DeployError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 1
    sys.stdout.write(json.dumps(result) + "\n")
    if argv[0] == "stage" and isinstance(result, dict) and not result.get("passed"):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
