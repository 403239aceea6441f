"""Blue-green deploys for real (deploy/deploy.sh; issue 29 items 1-2): HAProxy from Debian's
package in front of two server containers on one library volume and one Redis, host networking.

Promotion needs a passed staging run of that exact digest: the next image (the server image
with one more label) is refused, then staged (production's library backed up, restored into the
root of a compose project's volume, deploy/smoke.py against it, signed in with production's
account) and recorded. The handover to it runs under a search every 50 ms and a 30 MB upload
still in flight on blue when the proxy switches, with a job running on blue: no request fails
(they wait at the proxy), the upload completes, the job is interrupted on blue and finishes
once, the rate-limit counts go on in Redis; the longest request is reported. The rollback to
the first image is held to the same, with the jobs green was running then."""

from __future__ import annotations

import io
import json
import shutil
import socket
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

from pipelines.media.ffmpeg import ffmpeg_executable
from tests.support.server import free_port

pytestmark = pytest.mark.container

ROOT = Path(__file__).resolve().parents[2]
PODMAN = ["podman", "--runtime", "runc"]
IMAGE = "localhost/vidscope:latest"
PROXY_IMAGE = "localhost/vidscope-proxy:latest"
REDIS_IMAGES = ["docker.io/library/redis:7-bookworm", "localhost/vidscope-redis:latest"]
JOB_MEDIA = ROOT / "tests" / "data" / "talk.mp4"  # the job running at the handover (36 s)
BIG_UPLOAD_BYTES = 30 * 1024**2  # what is uploaded during each handover, at least
HELD_BYTES = 1024**2  # ...its last MiB sent only once the proxy has switched
API = "/api/v1"
USER = {"username": "carol", "password": "correct horse battery"}


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

    def deploy_sh(
        self, *args: str, extra: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(ROOT / "deploy" / "deploy.sh"), *args],
            env={**self.environment, **(extra or {})}, capture_output=True, text=True,
            timeout=900,
        )  # fmt: skip

    def result(self, *args: str, extra: dict[str, str] | None = None) -> dict[str, Any]:
        done = self.deploy_sh(*args, extra=extra)
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        answer: dict[str, Any] = json.loads(done.stdout.splitlines()[-1])
        return answer

    def logs(self, colour: str) -> str:
        """The colour's output, also kept in the test's folder (``<colour>-<n>.log``)."""
        done = subprocess.run([*PODMAN, "logs", f"{self.name}-{colour}"], capture_output=True)
        said = done.stdout.decode(errors="replace") + done.stderr.decode(errors="replace")
        kept = len(list(self.state.parent.glob(f"{colour}-*.log")))
        (self.state.parent / f"{colour}-{kept}.log").write_text(said)
        return said

    def in_maintenance(self, colour: str) -> bool:
        """Whether the proxy has ``colour`` in maintenance (the old one, once switched)."""
        port = int(self.environment["VIDSCOPE_PROXY_ADMIN_PORT"])
        with socket.create_connection(("127.0.0.1", port), timeout=5) as link:
            link.sendall(b"show stat\n")
            said = b"".join(iter(lambda: link.recv(65536), b"")).decode()
        header = said.splitlines()[0].lstrip("# ").split(",")
        for line in said.splitlines()[1:]:
            row = dict(zip(header, line.split(","), strict=False))
            if row.get("pxname") == "servers" and row.get("svname") == colour:
                return row["status"].startswith("MAINT")
        raise AssertionError(f"the proxy has no server {colour!r}: {said[:500]}")

    def counted(self) -> int:
        """The requests Redis has counted for the account (its moving window's entries)."""
        redis = [*PODMAN, "exec", f"{self.name}-redis", "redis-cli", "-p",
                 self.environment["VIDSCOPE_REDIS_PORT"]]  # fmt: skip
        keys = subprocess.run(
            [*redis, "--scan", "--pattern", "*LIMITER/vidscope/user:*"],
            capture_output=True, text=True, timeout=60, check=True,
        ).stdout.split()  # fmt: skip
        assert len(keys) == 1, keys  # one account signs in here
        length = subprocess.run(
            [*redis, "LLEN", keys[0]], capture_output=True, text=True, timeout=60, check=True
        )
        return int(length.stdout)


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
        "VIDSCOPE_REDIS_PORT": str(free_port()),
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


@pytest.fixture(scope="module")
def big_videos(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Two different videos of at least 30 MiB (one uploaded in each handover): the sample's
    speech under its picture at 720p with a still grain, every frame a keyframe, so the bytes
    are many and the ingest costs what the sample's does (made in 4 s; not committed)."""
    folder = tmp_path_factory.mktemp("big")
    first, second = folder / "big-upgrade.mp4", folder / "big-rollback.mp4"
    ffmpeg = [ffmpeg_executable(), "-nostdin", "-y", "-hide_banner", "-loglevel", "error"]
    subprocess.run(
        [
            *ffmpeg, "-i", str(JOB_MEDIA),
            "-vf", "scale=1280:720:flags=neighbor,noise=alls=40,fps=10",
            "-c:v", "libx264", "-preset", "ultrafast", "-g", "1",
            "-b:v", "7500k", "-maxrate", "7500k", "-bufsize", "7500k", "-c:a", "copy", str(first),
        ],
        check=True, timeout=300,
    )  # fmt: skip
    # Another file (another sha256, so another video and job) with the same streams.
    subprocess.run(
        [*ffmpeg, "-i", str(first), "-c", "copy", "-metadata", "title=rollback", str(second)],
        check=True, timeout=60,
    )  # fmt: skip
    for video in (first, second):
        assert video.stat().st_size >= BIG_UPLOAD_BYTES, video.stat().st_size
    return first, second


def staged(site: Site, image: str, extra: dict[str, str]) -> dict[str, Any]:
    """The staging record of ``image``'s digest, staging it first when there is none."""
    image_digest = "sha256:" + podman("image", "inspect", "--format", "{{.Id}}", image).strip()
    records = site.state / "staging.json"
    if records.exists() and image_digest in json.loads(records.read_text()):
        found: dict[str, Any] = json.loads(records.read_text())[image_digest]
        return found
    return site.result("stage", image, extra=extra)


def test_promotion_needs_a_passed_staging_run_of_that_exact_digest(site: Site) -> None:
    refused = site.deploy_sh("deploy", site.next_image)
    assert refused.returncode == 1, refused.stdout
    assert "staging has not run" in refused.stderr, refused.stderr
    assert site.result("status")["serving"] == "blue"  # nothing was started or stopped

    # Production has an account; the smoke test signs in with it on the copy, so the copy
    # is production's library, restored into the root of the staging project's volume.
    sign_in(site.url)
    smoke_as = {
        "VIDSCOPE_SMOKE_USER": USER["username"],
        "VIDSCOPE_SMOKE_PASSWORD": USER["password"],
    }
    result = staged(site, site.next_image, smoke_as)
    assert result["passed"], json.dumps(result, indent=1)
    assert result["restored"].startswith("restored 0 videos"), result["restored"]
    steps = {s["name"]: s for s in result["steps"]}
    assert steps["sign-in"]["detail"] == "signed in", steps["sign-in"]  # not "signed up"
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
    status = site.result("status")
    assert status["serving"] == "blue" and status["redis"], status


class HeldFile(io.FileIO):
    """A file read for an upload whose last ``held`` bytes are given only once ``release`` is
    set: a client still sending when the proxy switches colours."""

    def __init__(self, path: Path, release: threading.Event, held: int) -> None:
        super().__init__(path, "rb")
        self.release = release
        self.held_from = path.stat().st_size - held

    def read(self, size: int | None = -1) -> bytes:
        at = self.tell()
        if at >= self.held_from:
            self.release.wait(900)
        elif size is None or size < 0 or at + size > self.held_from:
            size = self.held_from - at
        return super().read(size)


@dataclass
class Traffic:
    """Through the proxy during a handover from ``old``: a client searching every 50 ms, and
    one upload of ``upload`` started at once, its last MiB held until the proxy has put
    ``old`` in maintenance (so it is in flight on the old colour at the switch). Each request's
    start, seconds and outcome is kept (an exception or a status over 499 is a failure)."""

    site: Site
    token: str
    old: str
    upload: Path
    requests: list[tuple[float, float, str]] = field(default_factory=list)
    uploaded: dict[str, Any] = field(default_factory=dict)  # the upload's answer
    switched_at: float = float("nan")
    upload_ended_at: float = float("nan")
    _stop: threading.Event = field(default_factory=threading.Event)
    _release: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)

    def _timed(self, call: Any) -> httpx.Response | None:
        started = time.monotonic()
        answer = None
        try:
            answer = call()
            outcome = str(answer.status_code)
        except httpx.HTTPError as exc:
            outcome = f"{type(exc).__name__}: {exc}"
        self.requests.append((started, time.monotonic() - started, outcome))
        return answer

    def _client(self, timeout: float) -> httpx.Client:
        headers = {"Authorization": f"Bearer {self.token}"}
        return httpx.Client(base_url=self.site.url, headers=headers, timeout=timeout)

    def _search(self) -> None:
        with self._client(120) as client:
            while not self._stop.is_set():
                self._timed(lambda: client.get(f"{API}/search", params={"q": "solar power"}))
                time.sleep(0.05)

    def _upload(self) -> None:
        with self._client(900) as client, HeldFile(self.upload, self._release, HELD_BYTES) as media:
            files = {"file": (self.upload.name, media, "video/mp4")}
            answer = self._timed(lambda: client.post(f"{API}/videos", files=files))
        self.upload_ended_at = time.monotonic()
        if answer is not None and answer.status_code < 300:
            self.uploaded = answer.json()

    def _watch(self) -> None:
        while not self._stop.is_set() and not self.site.in_maintenance(self.old):
            time.sleep(0.05)
        self.switched_at = time.monotonic()
        self._release.set()

    def __enter__(self) -> Traffic:
        self._threads = [threading.Thread(target=t) for t in (self._search, self._upload)]
        self._threads.append(threading.Thread(target=self._watch))
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        time.sleep(1.0)  # requests after the handover too
        self._stop.set()
        self._release.set()
        for thread in self._threads:
            thread.join(300)

    def failures(self) -> list[tuple[float, float, str]]:
        return [r for r in self.requests if not r[2].isdigit() or int(r[2]) >= 500]

    def searches(self) -> list[tuple[float, float, str]]:
        return [r for r in self.requests if r[2] not in ("201", "202")]

    def longest(self) -> float:
        """The longest search (the upload's own time is the held client's)."""
        return max(seconds for _, seconds, _ in self.searches())

    def said(self, direction: str, report: dict[str, Any]) -> str:
        return (
            f"{direction}: handover {report['handover_s']:.2f} s (prepared in "
            f"{report['prepared_s']:.1f} s before it; drained {report['drained_s']:.2f} s, old "
            f"colour stopped {report['old_stopped_s']:.2f} s), "
            f"longest search {self.longest():.2f} s of {len(self.searches())}, "
            f"{len(self.failures())} failed; the {self.upload.stat().st_size / 1e6:.1f} MB "
            f"upload answered {self.upload_ended_at - self.switched_at:.2f} s after the switch"
        )


def sign_in(url: str) -> str:
    with httpx.Client(base_url=url, timeout=30) as client:
        if client.post(f"{API}/auth/login", json=USER).status_code == 401:
            assert client.post(f"{API}/auth/register", json=USER).status_code == 201
        answer = client.post(f"{API}/auth/login", json=USER)
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


def redis_ready(url: str) -> str:
    status: str = httpx.get(f"{url}/readyz", timeout=30).json()["checks"]["redis"]["status"]
    return status


def pass_staging_for(site: Site, image: str) -> None:
    """The gate opened for ``image`` without a staging run: the handover is tested here,
    staging and the gate in the test above (a staging run costs minutes of ingest)."""
    image_digest = "sha256:" + podman("image", "inspect", "--format", "{{.Id}}", image).strip()
    records = site.state / "staging.json"
    found = json.loads(records.read_text()) if records.exists() else {}
    found[image_digest] = {"image": image, "digest": image_digest, "passed": True}
    records.write_text(json.dumps(found))


def test_handover_under_requests_and_back(site: Site, big_videos: tuple[Path, Path]) -> None:
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
    talk = accepted.json()["job_id"]
    wait_job(site.url, token, talk, {"running", "succeeded", "failed"})
    counted = site.counted()

    with Traffic(site, token, "blue", big_videos[0]) as traffic:
        report = site.result("deploy", site.next_image)
    assert traffic.failures() == [], traffic.failures()[:5]
    assert report["colour"] == "green" and report["from"] == "blue"
    # The upload was in flight on blue at the switch; blue finished it before it stopped.
    assert traffic.uploaded.get("job_id"), traffic.requests[-5:]
    assert report["cut_in_flight"] == 0, report
    big = traffic.uploaded["job_id"]
    # One Redis for both colours: blue's counts go on on green (per-server counts reset).
    assert site.counted() == counted + len(traffic.requests)
    assert redis_ready(site.url) == "ok"
    print("\n" + traffic.said("blue->green", report))
    blue = site.logs("blue")  # the rollback starts blue anew
    assert events(blue, "job.started", talk) == 1, "the job was not running on blue"
    assert events(blue, "job.succeeded", talk) == 0, "the job ended before the handover"

    # Back at once: green is running the jobs (the one resumed, then the upload's) as blue
    # prepares, and what runs at the switch is resumed on blue.
    counted = site.counted()
    with Traffic(site, token, "green", big_videos[1]) as back:
        rolled = site.result("rollback")
    assert back.failures() == [], back.failures()[:5]
    assert rolled["colour"] == "blue" and rolled["cut_in_flight"] == 0, rolled
    assert rolled["digest"] == "sha256:" + podman("image", "inspect", "--format", "{{.Id}}",
                                                  IMAGE).strip()  # fmt: skip
    assert back.uploaded.get("job_id"), back.requests[-5:]
    assert site.counted() == counted + len(back.requests)
    assert site.result("status")["serving"] == "blue"
    print(back.said("rollback green->blue", rolled))

    # What green was running at the switch (green's log is whole now) is resumed on blue and
    # waited for, with every job that started; the upload's job, when it had not started on
    # green, is only queued (its ingest is not waited for: the test's time is CI's).
    green = site.logs("green")
    assert events(green, "job.started", talk) >= 1  # resumed on green
    named = {talk: "the first job", big: "the first upload's"}
    started = [j for j in named if events(blue, "job.started", j) + events(green, "job.started", j)]
    interrupted = [
        j
        for j in named
        if events(green, "job.started", j) and not events(green, "job.succeeded", j)
    ]
    # The rollback's guarantee: a job green was running at the switch finishes once on blue.
    assert interrupted, "no job was running on green at the rollback"
    done = {j: wait_job(site.url, token, j, {"succeeded", "failed"}) for j in started}
    blue_again = site.logs("blue")
    for job_id, found in done.items():
        assert found["status"] == "succeeded", found
        # Exactly once, across every attempt on every colour.
        runs = [events(logs, "job.started", job_id) for logs in (blue, green, blue_again)]
        ends = [events(logs, "job.succeeded", job_id) for logs in (blue, green, blue_again)]
        assert sum(ends) == 1 and found["attempts"] == sum(runs), (job_id, runs, ends, found)
    print(
        f"jobs finished once each; interrupted by the rollback: {[named[j] for j in interrupted]}"
    )
