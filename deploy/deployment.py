"""What the deploy scripts share: their settings (from the environment), Podman, and the
record of staged and deployed images (docs/operating.md "Blue-green deploys"). Standard
library only: the scripts run on the host."""

from __future__ import annotations

import json
import os
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PODMAN = ["podman", "--runtime", "runc"]  # crun cannot run in these hosts' hybrid cgroups
LIMITS = ["--ulimit", "nofile=20000:20000", "--ulimit", "nproc=32768:32768"]
COLOURS = ("blue", "green")
SERVER_UID = 10001  # the image's user (Dockerfile)
# Redis' image: the public one where a registry answered, else `make redis-image`'s own.
REDIS_IMAGES = ("docker.io/library/redis:7-bookworm", "localhost/vidscope-redis:latest")


class DeployError(Exception):
    """A deploy step failed; the message says which and what to do."""


def _env(name: str, default: str) -> str:
    return os.environ.get(name) or default


@dataclass(frozen=True)
class Deployment:
    """One installation's names, ports and folders; every field has a VIDSCOPE_* variable."""

    name: str  # containers <name>-proxy, -blue, -green and -redis; volume <name>-data
    port: int  # the proxy: what clients use
    ports: dict[str, int]  # each colour's server, on 127.0.0.1
    admin_port: int  # the proxy's runtime API, on 127.0.0.1
    redis_port: int  # Redis, shared by both colours, on 127.0.0.1
    staging_port: int
    bind: str
    drain_s: float  # how long in-flight requests may take to finish on the old colour
    wait_s: float  # how long a request may wait at the proxy during a handover
    secret_key: Path
    backups: Path
    state: Path  # staging results and the deployed images' history
    env_file: Path | None
    proxy_image: str

    @classmethod
    def from_env(cls) -> Deployment:
        env_file = os.environ.get("VIDSCOPE_DEPLOY_ENV_FILE")
        return cls(
            name=_env("VIDSCOPE_DEPLOY_NAME", "vidscope"),
            port=int(_env("VIDSCOPE_PORT", "7860")),
            ports={
                "blue": int(_env("VIDSCOPE_BLUE_PORT", "7861")),
                "green": int(_env("VIDSCOPE_GREEN_PORT", "7862")),
            },
            admin_port=int(_env("VIDSCOPE_PROXY_ADMIN_PORT", "7869")),
            redis_port=int(_env("VIDSCOPE_REDIS_PORT", "7868")),
            staging_port=int(_env("VIDSCOPE_STAGING_PORT", "7870")),
            bind=_env("VIDSCOPE_PROXY_BIND", "0.0.0.0"),  # nosec B104  # the public face
            drain_s=float(_env("VIDSCOPE_DEPLOY_DRAIN_S", "30")),
            wait_s=float(_env("VIDSCOPE_DEPLOY_WAIT_S", "60")),
            secret_key=Path(_env("VIDSCOPE_SECRET_KEY_PATH", str(ROOT / "secrets/vidscope-key"))),
            backups=Path(_env("VIDSCOPE_DEPLOY_BACKUPS", str(ROOT / "backups"))),
            state=Path(_env("VIDSCOPE_DEPLOY_STATE", str(ROOT / "build/deploy"))),
            env_file=Path(env_file) if env_file else None,
            proxy_image=_env("VIDSCOPE_PROXY_IMAGE", "localhost/vidscope-proxy:latest"),
        )

    @property
    def volume(self) -> str:
        return f"{self.name}-data"

    def container(self, role: str) -> str:
        return f"{self.name}-{role}"

    @property
    def redis_url(self) -> str:
        """VIDSCOPE_REDIS_URL of both colours: one Redis, so a handover keeps the counts."""
        return f"redis://127.0.0.1:{self.redis_port}/0"


def podman(*args: str, check: bool = True, timeout: float = 600) -> str:
    done = subprocess.run([*PODMAN, *args], capture_output=True, text=True, timeout=timeout)
    if check and done.returncode != 0:
        raise DeployError(f"podman {' '.join(args[:3])} failed: {done.stderr.strip()[-1500:]}")
    return done.stdout


def logs(container: str) -> str:
    """The container's output (the server writes its lines to stderr)."""
    done = subprocess.run(
        [*PODMAN, "logs", container], capture_output=True, text=True, timeout=60, check=False
    )
    return done.stdout + done.stderr


def running(container: str) -> bool:
    out = podman("inspect", "--format", "{{.State.Running}}", container, check=False)
    return out.strip() == "true"


def digest(image: str) -> str:
    """The image's content digest (its configuration's sha256, which names every layer)."""
    found = podman("image", "inspect", "--format", "{{.Id}}", image, check=False).strip()
    if not found:
        raise DeployError(f"no image {image!r} here: build it (make image) or pull it")
    return f"sha256:{found.removeprefix('sha256:')}"


def redis_image() -> str:
    """The first of REDIS_IMAGES present here; DeployError naming `make redis-image` when none."""
    for image in REDIS_IMAGES:
        if subprocess.run([*PODMAN, "image", "exists", image], check=False).returncode == 0:
            return image
    raise DeployError("no Redis image here: run `make redis-image`")


def keep(image_digest: str) -> str:
    """A tag that keeps a deployed image from `podman image prune` (rollback needs it)."""
    tag = f"localhost/vidscope:deployed-{image_digest.removeprefix('sha256:')[:12]}"
    podman("tag", image_digest.removeprefix("sha256:"), tag)
    return tag


def wait_http(url: str, *, timeout_s: float, container: str | None = None) -> float:
    """Seconds until ``url`` answers 200; DeployError past ``timeout_s`` or when
    ``container`` stopped."""
    started = time.monotonic()
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:  # nosec B310  # http to localhost
                if answer.status == 200:
                    return time.monotonic() - started
        except (urllib.error.URLError, OSError):
            pass
        if container is not None and not running(container):
            said = logs(container)[-2000:]
            raise DeployError(f"{container} stopped before {url} answered:\n{said}")
        if time.monotonic() - started > timeout_s:
            raise DeployError(f"{url} did not answer 200 within {timeout_s:.0f} s")
        time.sleep(0.05)


class Records:
    """staging.json (digest -> the last staging run's result) and history.json (the images
    served, newest last), in the deployment's state folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def _read(self, name: str, empty: Any) -> Any:
        path = self.folder / name
        return json.loads(path.read_text()) if path.exists() else empty

    def _write(self, name: str, value: Any) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        partial = self.folder / f".{name}.partial"
        partial.write_text(json.dumps(value, indent=1) + "\n")
        partial.replace(self.folder / name)

    def staging(self, image_digest: str) -> dict[str, Any] | None:
        found: dict[str, Any] | None = self._read("staging.json", {}).get(image_digest)
        return found

    def record_staging(self, image_digest: str, result: dict[str, Any]) -> None:
        results = self._read("staging.json", {})
        results[image_digest] = result
        self._write("staging.json", results)

    def history(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self._read("history.json", [])
        return found

    def record_served(self, entry: dict[str, Any]) -> None:
        self._write("history.json", [*self.history(), entry])


def live_colour(deployment: Deployment) -> str | None:
    """The colour serving now (None: neither runs); both running is an interrupted handover."""
    found = [c for c in COLOURS if running(deployment.container(c))]
    if len(found) > 1:
        raise DeployError(f"both colours run ({', '.join(found)}): a handover was interrupted")
    return found[0] if found else None
