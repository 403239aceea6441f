"""Staging: a release candidate on a copy of production's library, smoke-tested, its result
recorded for the image's exact digest (deploy.sh deploy refuses a digest that did not pass).

    deploy/deploy.sh stage IMAGE

The serving colour backs the library up (`vidscope backup`, into VIDSCOPE_DEPLOY_BACKUPS: the
backup is kept, and its path is in the result: it is also the backup taken before the upgrade);
the candidate restores it into a new volume and runs there as a second compose project of
compose.yaml (<name>-staging, beside Redis, on VIDSCOPE_STAGING_PORT), where its migrations run
on production's catalog; deploy/smoke.py signs in (VIDSCOPE_SMOKE_USER and
VIDSCOPE_SMOKE_PASSWORD, else a new account in the copy), uploads, searches, asks, cuts a clip
and streams. The project and its volume are removed afterwards, passed or not."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from deployment import (
    LIMITS,
    PODMAN,
    REDIS_IMAGES,
    ROOT,
    DeployError,
    Deployment,
    Records,
    digest,
    keep,
    live_colour,
    podman,
    redis_image,
    wait_http,
)

SMOKE_TIMEOUT_S = 600
# `vidscope restore` builds the library in a folder beside its target and renames that into
# place: a volume's root is a mount point in a folder (/) the server's user cannot write, so it
# cannot be the target. The library is restored into a folder inside the volume and its
# entries, hidden ones too, are moved up; the folder's removal fails if anything was left.
RESTORE_INTO_ROOT = (
    'vidscope --home /data/restored restore "$1"'
    " && find /data/restored -mindepth 1 -maxdepth 1 -exec mv -t /data {} +"
    " && rmdir /data/restored"
)


def _compose(
    deployment: Deployment, project: str, image: str, *args: str, check: bool = True
) -> None:
    environment = {
        **os.environ,
        "VIDSCOPE_IMAGE": image,
        "VIDSCOPE_PORT": str(deployment.staging_port),
        "VIDSCOPE_SECRET_KEY_PATH": str(deployment.secret_key),
        "REDIS_IMAGE": os.environ.get("REDIS_IMAGE") or REDIS_IMAGES[-1],
    }
    done = subprocess.run(
        ["podman-compose", "-p", project, "--podman-run-args=--runtime runc", *args],
        cwd=ROOT, env=environment, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    if check and done.returncode != 0:
        raise DeployError(f"podman-compose {args[0]} failed: {done.stderr[-1500:]}")


def backup(deployment: Deployment, label: str) -> str:
    """Backs production's library up through its serving colour; the folder inside
    VIDSCOPE_DEPLOY_BACKUPS."""
    colour = live_colour(deployment)
    if colour is None:
        raise DeployError("no colour serves: there is no production library to copy")
    podman("exec", deployment.container(colour), "vidscope", "backup", f"/backups/{label}")
    return str(deployment.backups / label)


def smoke_call(url: str, environ: Mapping[str, str]) -> tuple[list[str], dict[str, str]]:
    """The command that smoke-tests ``url`` and its environment. The password goes in the
    environment, never the arguments: out of the process list, and a generated one that
    begins with "-" (token_urlsafe's alphabet has it) is not taken for an option."""
    user = environ.get("VIDSCOPE_SMOKE_USER") or f"smoke-{secrets.token_hex(4)}"
    password = environ.get("VIDSCOPE_SMOKE_PASSWORD") or secrets.token_urlsafe(16)
    command = [sys.executable, str(ROOT / "deploy/smoke.py"), url, "--user", user, "--json"]
    return command, {**environ, "VIDSCOPE_SMOKE_PASSWORD": password}


def _smoke(url: str) -> dict[str, Any]:
    """deploy/smoke.py's JSON report of ``url``; ``passed`` only with its exit status 0."""
    command, environment = smoke_call(url, os.environ)
    smoke = subprocess.run(
        command, env=environment, capture_output=True, text=True, timeout=SMOKE_TIMEOUT_S
    )
    try:
        report: dict[str, Any] = json.loads(smoke.stdout)
    except ValueError:
        return {"passed": False, "steps": [], "error": smoke.stderr[-1500:]}
    report["passed"] = bool(report.get("passed")) and smoke.returncode == 0
    return report


def restore_into_volume(deployment: Deployment, label: str, volume: str, image: str) -> str:
    """Restores the backup ``label`` (in VIDSCOPE_DEPLOY_BACKUPS) with ``image``'s vidscope
    into the root of ``volume`` (new or empty), the library's home when the volume is mounted
    on /data; what the restore said (``restored N videos (F files) into ...``)."""
    done = subprocess.run(
        [
            *PODMAN, "run", "--rm", "--network=none", *LIMITS, "-v", f"{volume}:/data",
            "-v", f"{deployment.backups}:/backups:ro", "--entrypoint", "sh", image,
            "-c", RESTORE_INTO_ROOT, "sh", f"/backups/{label}",
        ],
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    said = (done.stdout + done.stderr).strip()  # the CLI reports on stderr
    if done.returncode != 0:
        raise DeployError(f"the restore into {volume} failed: {said[-1500:]}")
    lines = said.splitlines()
    return next((line for line in reversed(lines) if line.startswith("restored ")), said)


def stage(deployment: Deployment, image: str) -> dict[str, Any]:
    image_digest = digest(image)
    os.environ["REDIS_IMAGE"] = redis_image()  # compose.yaml's variable
    pinned = keep(image_digest)
    at = datetime.now(UTC)
    label = f"staging-{at:%Y%m%dT%H%M%SZ}-{image_digest.removeprefix('sha256:')[:12]}"
    backup_path = backup(deployment, label)
    project = f"{deployment.name}-staging"
    volume = f"{project}_vidscope-data"
    podman("volume", "rm", "-f", volume, check=False)
    podman("volume", "create", volume)
    restored = ""
    try:
        restored = restore_into_volume(deployment, label, volume, pinned)
        _compose(deployment, project, pinned, "up", "-d")
        url = f"http://127.0.0.1:{deployment.staging_port}"
        wait_http(f"{url}/readyz", timeout_s=300, container=f"{project}_vidscope_1")
        report = _smoke(url)
    except DeployError as exc:
        report = {"passed": False, "steps": [], "error": str(exc)}
    finally:
        _compose(deployment, project, pinned, "down", check=False)
        podman("volume", "rm", "-f", volume, check=False)
        podman("network", "rm", "-f", f"{project}_default", check=False)
    result = {
        "image": image,
        "digest": image_digest,
        "passed": bool(report.get("passed")),
        "at": at.isoformat(timespec="seconds"),
        "backup": backup_path,
        "restored": restored,
        "steps": report.get("steps", []),
        **({"error": report["error"]} if "error" in report else {}),
    }
    Records(deployment.state).record_staging(image_digest, result)
    return result
