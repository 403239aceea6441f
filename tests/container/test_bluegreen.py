"""Blue-green deploys for real (deploy/deploy.sh; issue 29 items 1-2): HAProxy from Debian's
package in front of two server containers on one library volume, host networking.

Promotion needs a passed staging run of that exact digest: the next image (the server image
with one more label) is refused, then staged (production's library backed up, restored into a
compose project, deploy/smoke.py against it) and recorded. The handover to it runs under a
search every 50 ms and an upload, with a job running on blue: no request fails (they wait at
the proxy), the job is interrupted on blue and finished once, on green; the longest request is
reported. The rollback to the first image is held to the same."""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.server import free_port

pytestmark = pytest.mark.container

ROOT = Path(__file__).resolve().parents[2]
PODMAN = ["podman", "--runtime", "runc"]
IMAGE = "localhost/vidscope:latest"
PROXY_IMAGE = "localhost/vidscope-proxy:latest"
REDIS_IMAGES = ["docker.io/library/redis:7-bookworm", "localhost/vidscope-redis:latest"]
JOB_MEDIA = ROOT / "tests" / "data" / "talk.mp4"  # the job running at the handover (36 s)
UPLOAD = ROOT / "tests" / "data" / "slides.mp4"  # uploaded during the handover
API = "/api/v1"


def podman(*args: str, check: bool = True) -> str:
    done = subprocess.run([*PODMAN, *args], capture_output=True, text=True, timeout=600)
    assert not check or done.returncode == 0, done.stderr
    return done.stdout


def exists(image: str) -> bool:
    return subprocess.run([*PODMAN, "image", "exists", image]).returncode == 0


@dataclass
class Site:
    """One deployment: deploy.sh's environment, the proxy's address."""

    name: str
    url: str
    environment: dict[str, str]
    state: Path
    next_image: str

    def deploy_sh(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(ROOT / "deploy" / "deploy.sh"), *args],
            env=self.environment, capture_output=True, text=True, timeout=900,
        )  # fmt: skip

    def result(self, *args: str) -> dict[str, Any]:
        done = self.deploy_sh(*args)
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        answer: dict[str, Any] = json.loads(done.stdout.splitlines()[-1])
        return answer

    def logs(self, colour: str) -> str:
        done = subprocess.run([*PODMAN, "logs", f"{self.name}-{colour}"], capture_output=True)
        return done.stdout.decode(errors="replace") + done.stderr.decode(errors="replace")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    for image, make in ((IMAGE, "image"), (PROXY_IMAGE, "proxy-image")):
        assert exists(image), f"no {image}: run `make {make}`"
    assert any(exists(i) for i in REDIS_IMAGES), "no Redis image: run `make redis-image`"
    assert shutil.which("podman-compose"), "podman-compose is missing: run `make containerdeps`"
    folder = tmp_path_factory.mktemp("bluegreen")
    key = folder / "vidscope-key"
    key.write_text(uuid.uuid4().hex * 2)
    key.chmod(0o644)  # read inside the containers by their user
    settings = folder / "servers.env"
    settings.write_text(
        "VIDSCOPE_RATE_LIMIT=100000/minute\nVIDSCOPE_LOGIN_RATE_LIMIT=1000/minute\n"
    )
    name = f"vidscope-bg-{uuid.uuid4().hex[:8]}"
    # The next release: the same server with one more label (another digest).
    (folder / "Containerfile").write_text(f"FROM {IMAGE}\nLABEL org.vidscope.test-release={name}\n")
    next_image = f"localhost/vidscope-next:{name}"
    containerfile = str(folder / "Containerfile")
    podman("build", "--format", "docker", "--network=none", "-t", next_image, "-f", containerfile,
           str(folder))  # fmt: skip
    port = free_port()
    environment = {
        "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "HOME": str(folder),
        "VIDSCOPE_DEPLOY_NAME": name,
        "VIDSCOPE_PORT": str(port),
        "VIDSCOPE_PROXY_BIND": "127.0.0.1",
        "VIDSCOPE_BLUE_PORT": str(free_port()),
        "VIDSCOPE_GREEN_PORT": str(free_port()),
        "VIDSCOPE_PROXY_ADMIN_PORT": str(free_port()),
        "VIDSCOPE_STAGING_PORT": str(free_port()),
        "VIDSCOPE_SECRET_KEY_PATH": str(key),
        "VIDSCOPE_DEPLOY_BACKUPS": str(folder / "backups"),
        "VIDSCOPE_DEPLOY_STATE": str(folder / "state"),
        "VIDSCOPE_DEPLOY_ENV_FILE": str(settings),
    }
    site = Site(name, f"http://127.0.0.1:{port}", environment, folder / "state", next_image)
    try:
        site.result("up", IMAGE)
        yield site
    finally:
        site.deploy_sh("down")
        podman("volume", "rm", "-f", f"{name}-data", check=False)
        # deploy.sh tags what it deployed (deployed-<digest>), keeping it from prune: untag.
        next_id = podman("image", "inspect", "--format", "{{.Id}}", next_image, check=False)
        podman("rmi", next_image, f"localhost/vidscope:deployed-{next_id.strip()[:12]}",
               check=False)  # fmt: skip
        # The backups are the servers' (uid 10001): removed here, not left to pytest.
        shutil.rmtree(folder / "backups", ignore_errors=True)


def staged(site: Site, image: str) -> dict[str, Any]:
    """The staging record of ``image``'s digest, staging it first when there is none."""
    image_digest = "sha256:" + podman("image", "inspect", "--format", "{{.Id}}", image).strip()
    records = site.state / "staging.json"
    if records.exists() and image_digest in json.loads(records.read_text()):
        found: dict[str, Any] = json.loads(records.read_text())[image_digest]
        return found
    return site.result("stage", image)


def test_promotion_needs_a_passed_staging_run_of_that_exact_digest(site: Site) -> None:
    refused = site.deploy_sh("deploy", site.next_image)
    assert refused.returncode == 1, refused.stdout
    assert "staging has not run" in refused.stderr, refused.stderr
    assert site.result("status")["serving"] == "blue"  # nothing was started or stopped

    result = staged(site, site.next_image)
    assert result["passed"], json.dumps(result, indent=1)
    image_id = podman("image", "inspect", "--format", "{{.Id}}", site.next_image).strip()
    assert result["digest"] == f"sha256:{image_id}"
    assert [s["status"] for s in result["steps"]] == ["pass"] * len(result["steps"])
    assert {"sign-in", "upload", "search", "ask", "clip", "stream"} <= {
        s["name"] for s in result["steps"]
    }
    # The backup taken first stays where the result says, finished (its manifest last).
    assert (Path(result["backup"]) / "manifest.json").is_file()
    # The staging project is gone (its volume too); production still serves the same image.
    assert not podman("ps", "-a", "--filter", f"name={site.name}-staging", "-q").strip()
    assert site.result("status")["serving"] == "blue"


@dataclass
class Traffic:
    """A client searching through the proxy every 50 ms, and one upload, each request's
    start, seconds and outcome kept (an exception or a status over 499 is a failure)."""

    url: str
    token: str
    upload: Path | None = None
    requests: list[tuple[float, float, str]] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)

    def _timed(self, call: Any) -> None:
        started = time.monotonic()
        try:
            outcome = str(call().status_code)
        except httpx.HTTPError as exc:
            outcome = f"{type(exc).__name__}: {exc}"
        self.requests.append((started, time.monotonic() - started, outcome))

    def _search(self) -> None:
        headers = {"Authorization": f"Bearer {self.token}"}
        with httpx.Client(base_url=self.url, headers=headers, timeout=120) as client:
            while not self._stop.is_set():
                self._timed(lambda: client.get(f"{API}/search", params={"q": "solar power"}))
                time.sleep(0.05)

    def _upload(self, path: Path) -> None:
        headers = {"Authorization": f"Bearer {self.token}"}
        with httpx.Client(base_url=self.url, headers=headers, timeout=300) as client:
            with path.open("rb") as media:
                files = {"file": (path.name, media, "video/mp4")}
                self._timed(lambda: client.post(f"{API}/videos", files=files))

    def __enter__(self) -> Traffic:
        self._threads.append(threading.Thread(target=self._search))
        if self.upload is not None:
            self._threads.append(threading.Thread(target=self._upload, args=(self.upload,)))
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        time.sleep(1.0)  # requests after the handover too
        self._stop.set()
        for thread in self._threads:
            thread.join(300)

    def failures(self) -> list[tuple[float, float, str]]:
        return [r for r in self.requests if not r[2].isdigit() or int(r[2]) >= 500]

    def longest(self) -> float:
        return max(seconds for _, seconds, _ in self.requests)


def sign_in(url: str) -> str:
    body = {"username": "carol", "password": "correct horse battery"}
    with httpx.Client(base_url=url, timeout=30) as client:
        if client.post(f"{API}/auth/login", json=body).status_code == 401:
            assert client.post(f"{API}/auth/register", json=body).status_code == 201
        answer = client.post(f"{API}/auth/login", json=body)
    assert answer.status_code == 200, answer.text
    token: str = answer.json()["access_token"]
    return token


def job(url: str, token: str, job_id: str) -> dict[str, Any]:
    answer = httpx.get(
        f"{url}{API}/jobs/{job_id}", headers={"Authorization": f"Bearer {token}"}, timeout=30
    )
    assert answer.status_code == 200, answer.text
    found: dict[str, Any] = answer.json()
    return found


def wait_job(url: str, token: str, job_id: str, statuses: set[str]) -> dict[str, Any]:
    deadline = time.monotonic() + 600  # an ingest on a loaded machine
    while (found := job(url, token, job_id))["status"] not in statuses:
        assert time.monotonic() < deadline, found
        time.sleep(0.2)
    return found


def events(logs: str, event: str, job_id: str) -> int:
    return sum(1 for line in logs.splitlines() if f'"{event}"' in line and job_id in line)


def pass_staging_for(site: Site, image: str) -> None:
    """The gate opened for ``image`` without a staging run: the handover is tested here,
    staging and the gate in the test above (a staging run costs minutes of ingest)."""
    image_digest = "sha256:" + podman("image", "inspect", "--format", "{{.Id}}", image).strip()
    records = site.state / "staging.json"
    found = json.loads(records.read_text()) if records.exists() else {}
    found[image_digest] = {"image": image, "digest": image_digest, "passed": True}
    records.write_text(json.dumps(found))


def test_handover_under_requests_and_back(site: Site) -> None:
    pass_staging_for(site, site.next_image)
    token = sign_in(site.url)
    with JOB_MEDIA.open("rb") as media:
        accepted = httpx.post(
            f"{site.url}{API}/videos",
            headers={"Authorization": f"Bearer {token}"},
            files={"file": (JOB_MEDIA.name, media, "video/mp4")},
            timeout=120,
        )
    assert accepted.status_code == 202, accepted.text
    job_id = accepted.json()["job_id"]
    wait_job(site.url, token, job_id, {"running", "succeeded", "failed"})

    with Traffic(site.url, token, upload=UPLOAD) as traffic:
        report = site.result("deploy", site.next_image)
    assert traffic.failures() == [], traffic.failures()[:5]
    assert report["colour"] == "green" and report["from"] == "blue"
    uploads = [r for r in traffic.requests if r[2] in ("201", "202")]
    assert len(uploads) == 1  # the upload completed (accepted: its job is queued)
    print(
        f"\nhandover blue->green: {report['handover_s']:.2f} s (prepared in "
        f"{report['prepared_s']:.1f} s before it), longest request {traffic.longest():.2f} s "
        f"of {len(traffic.requests)}, 0 failed"
    )

    done = wait_job(site.url, token, job_id, {"succeeded", "failed"})
    assert done["status"] == "succeeded", done
    # Exactly once: started on blue and stopped there unfinished (the handover came first),
    # queued again by green when it took the lock, finished there once.
    blue, green = site.logs("blue"), site.logs("green")
    assert events(blue, "job.started", job_id) == 1, "the job was not running on blue"
    assert events(blue, "job.succeeded", job_id) == 0, "the job ended before the handover"
    assert events(green, "job.started", job_id) == 1
    assert events(green, "job.succeeded", job_id) == 1
    assert done["attempts"] == 2
    with Traffic(site.url, token) as back:
        rolled = site.result("rollback")
    assert back.failures() == [], back.failures()[:5]
    assert rolled["colour"] == "blue"
    assert rolled["digest"] == "sha256:" + podman("image", "inspect", "--format", "{{.Id}}",
                                                  IMAGE).strip()  # fmt: skip
    assert site.result("status")["serving"] == "blue"
    print(
        f"rollback green->blue: {rolled['handover_s']:.2f} s, longest request "
        f"{back.longest():.2f} s of {len(back.requests)}, 0 failed"
    )
