"""The server image (`make image`) as an operator runs it: a container with a volume for the
library and the secret from a file, healthy, used through the API (sign up, upload, the job,
search, a Range of the media), stopped with SIGTERM, and a new container on the same volume
holding the same library. It runs as a non-root user and no secret is in its history or its
configuration. Host networking: these machines' container networks leave state behind."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.server import free_port

pytestmark = pytest.mark.container

IMAGE = "localhost/vidscope:latest"
PODMAN = ["podman", "--runtime", "runc"]
LIMITS = ["--ulimit", "nofile=20000:20000", "--ulimit", "nproc=32768:32768"]
ROOT = Path(__file__).resolve().parents[2]
SLIDES = ROOT / "tests" / "data" / "slides.mp4"
SECRET = "container-test-secret-0123456789-abcdefghij"


def podman(*args: str, check: bool = True) -> str:
    done = subprocess.run([*PODMAN, *args], capture_output=True, text=True, timeout=300)
    assert not check or done.returncode == 0, done.stderr
    return done.stdout


class Container:
    def __init__(self, volume: Path, secrets: Path, name: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.name = name
        podman(
            "run", "-d", "--init", "--name", name, "--network=host", *LIMITS,
            "-v", f"{volume}:/data", "-v", f"{secrets}:/run/secrets:ro",
            "-e", "VIDSCOPE_PROFILE=production",
            "-e", "VIDSCOPE_SECRET_KEY_FILE=/run/secrets/vidscope-key",
            IMAGE, "serve", "--host", "127.0.0.1", "--port", str(self.port),
        )  # fmt: skip
        started = time.monotonic()
        while True:
            try:
                if httpx.get(f"{self.url}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() - started < 180, podman("logs", name, check=False)[-3000:]
            time.sleep(0.5)
        self.ready_after_s = time.monotonic() - started

    def stop(self) -> float:
        """SIGTERM (podman stop), the seconds it took."""
        started = time.monotonic()
        podman("stop", "-t", "30", self.name)
        return time.monotonic() - started

    def remove(self) -> None:
        podman("rm", "-f", self.name, check=False)


@pytest.fixture
def volume(tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    data, secrets = tmp_path / "data", tmp_path / "secrets"
    data.mkdir(mode=0o777)
    data.chmod(0o777)  # the image's user (uid 10001) makes its library inside
    secrets.mkdir()
    (secrets / "vidscope-key").write_text(SECRET)
    (secrets / "vidscope-key").chmod(0o644)
    yield data, secrets
    shutil.rmtree(data, ignore_errors=True)  # files of uid 10001: the suite runs as root


def test_the_image_serves_a_library_that_outlives_its_container(
    volume: tuple[Path, Path],
) -> None:
    data, secrets = volume
    first = Container(data, secrets, "vidscope-test-1")
    try:
        assert podman("exec", first.name, "id", "-u").strip() == "10001"  # not root
        # The models made at build time are the server's to read (the multilingual base too).
        podman(
            "exec", first.name, "python3", "-c",
            "from pathlib import Path; from pipelines.speech.transcribe import load_whisper; "
            "load_whisper('base', 'int8', 1, 1, Path('/opt/vidscope/models'))",
        )  # fmt: skip
        api = f"{first.url}/api/v1"
        body = {"username": "alice", "password": "correct horse battery"}
        assert httpx.post(f"{api}/auth/register", json=body).status_code == 201
        token = httpx.post(f"{api}/auth/login", json=body).json()["access_token"]
        auth = {"Authorization": f"Bearer {token}"}
        with SLIDES.open("rb") as handle:
            accepted = httpx.post(
                f"{api}/videos", files={"file": ("slides.mp4", handle)}, headers=auth
            )
        assert accepted.status_code == 202, accepted.text
        deadline = time.monotonic() + 180
        while (job := httpx.get(f"{api}/jobs/{accepted.json()['job_id']}", headers=auth).json())[
            "status"
        ] not in ("succeeded", "failed"):
            assert time.monotonic() < deadline
            time.sleep(0.5)
        assert job["status"] == "succeeded", job
        video_id = accepted.json()["video_id"]
        hits = httpx.get(f"{api}/search", params={"q": "order volume"}, headers=auth).json()
        assert hits["hits"][0]["source"] == "screen"  # OCR runs inside the image too
        ranged = httpx.get(
            f"{api}/videos/{video_id}/media", headers={**auth, "Range": "bytes=0-1023"}
        )
        assert ranged.status_code == 206 and len(ranged.content) == 1024
        assert first.stop() < 15  # SIGTERM reaches the server (--init), which drains
    finally:
        first.remove()
    second = Container(data, secrets, "vidscope-test-2")
    try:
        token = httpx.post(f"{second.url}/api/v1/auth/login", json=body).json()["access_token"]
        listed = httpx.get(
            f"{second.url}/api/v1/videos", headers={"Authorization": f"Bearer {token}"}
        ).json()
        assert [v["id"] for v in listed["items"]] == [video_id]
    finally:
        second.remove()


def test_no_secret_in_the_image_and_a_non_root_user() -> None:
    history = podman("history", "--no-trunc", IMAGE)
    image = json.loads(podman("image", "inspect", IMAGE))[0]
    config = image["Config"]
    assert SECRET not in history and "SECRET_KEY=" not in history
    assert not [e for e in config.get("Env", []) if e.startswith("VIDSCOPE_SECRET_KEY")]
    assert config["User"] == "vidscope"
    assert any("/healthz" in part for part in image["Healthcheck"]["Test"])


def test_the_faces_left_out_of_the_image_name_the_extra_to_install() -> None:
    # The image installs the server only (requirements/image.lock): batch, tracking, dashboard
    # and eval say which extra they need, rather than an ImportError's traceback.
    for command, extra in (
        (["batch", "ingest", "/opt"], "batch"),
        (["mlflow-ui"], "tracking"),
        (["dashboard", "--api", "http://127.0.0.1:9"], "dashboard"),
        (["eval", "--quick"], "eval"),
    ):
        done = subprocess.run(
            [*PODMAN, "run", "--rm", "--network=none", *LIMITS, IMAGE, *command],
            capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        said = " ".join(done.stderr.split())
        assert done.returncode == 1, said
        assert "[extra.missing]" in said and f"pip install 'vidscope[{extra}]'" in said, said


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_the_image_holds_exactly_the_lock_and_its_sbom_names_every_package(
    tmp_path: Path,
) -> None:
    listed = podman(
        "run", "--rm", "--network=none", *LIMITS, "--entrypoint", "pip", IMAGE,
        "list", "--format", "json",
    )  # fmt: skip
    installed = {_normalise(p["name"]): p["version"] for p in json.loads(listed)}
    lock = (ROOT / "requirements" / "image.lock").read_text()
    locked = {_normalise(n): v for n, v in re.findall(r"^([A-Za-z0-9._-]+)==(\S+)", lock, re.M)}
    # The venv's own pip, and the project itself (installed from its wheel, --no-deps).
    extra = {n: v for n, v in installed.items() if n not in locked}
    assert set(extra) <= {"pip", "vidscope"}, extra
    assert {n: installed.get(n) for n in locked} == locked

    sbom_file = tmp_path / "sbom.json"
    subprocess.run(
        [sys.executable, str(ROOT / "deploy" / "sbom.py"), IMAGE, str(sbom_file)],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    sbom = json.loads(sbom_file.read_text())
    assert sbom["bomFormat"] == "CycloneDX"
    named = {(_normalise(c["name"]), c["version"]) for c in sbom["components"]}
    assert set(locked.items()) <= named
    debian = [c["name"] for c in sbom["components"] if c["purl"].startswith("pkg:deb/debian/")]
    assert "python3" in debian
