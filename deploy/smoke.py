"""A smoke test of a running Vidscope server, over HTTP only: what a person does first.

    python deploy/smoke.py URL --user U [--password P] [--json]

The password may come from VIDSCOPE_SMOKE_PASSWORD instead (kept out of the process list;
deploy/staging.py passes it so).

Signs in (signing up first when the account does not exist), uploads tests/data/talk.mp4 (its
words are what the search and the question look for), waits until it is ready, searches, asks,
cuts a clip and downloads it, and streams the video with a Range request. Each step is reported
with its time, pass or fail; a step whose input failed is skipped. Exit status 0 when every
step passed, 1 otherwise. The tests run it on a real server (tests/integration/test_smoke.py)
and on an older release's server over this release's catalog (test_rollback.py).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx

SAMPLE = Path(__file__).resolve().parents[1] / "tests" / "data" / "talk.mp4"
# The sample's own words (tests/data/talk.json): a search and a question it must answer. The
# answer is checked for the unit only: Whisper tiny.en hears "produce forty" as "are produced
# for the" in this recording.
QUERY = "solar panels on the warehouse roof"
QUESTION = "How much power do the solar panels produce?"
EXPECTED = "kilowatts"
API = "/api/v1"


class StepFailed(Exception):
    """A step's check failed; the message says what was seen."""


@dataclass
class Step:
    name: str
    status: str  # 'pass', 'fail' or 'skip'
    seconds: float
    detail: str = ""


@dataclass
class Report:
    url: str
    steps: list[Step] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return all(step.status == "pass" for step in self.steps)


def _body(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return response.text[:300]


def _expect(response: httpx.Response, *statuses: int) -> Any:
    if response.status_code not in statuses:
        raise StepFailed(
            f"{response.request.method} {response.request.url.path} answered "
            f"{response.status_code}: {_body(response)}"
        )
    return _body(response)


def _wait(check: Callable[[], bool], *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise StepFailed(f"{what} not done after {timeout:.0f} s")
        time.sleep(0.25)


class Smoke:
    """The steps, in order; each returns a short detail and raises StepFailed."""

    def __init__(self, client: httpx.Client, user: str, password: str, sample: Path) -> None:
        self.client = client
        self.user = user
        self.password = password
        self.sample = sample
        self.timeout = 300.0
        self.video_id = ""
        self.job_id = ""
        self.hit: dict[str, Any] = {}

    def sign_in(self) -> str:
        credentials = {"username": self.user, "password": self.password}
        response = self.client.post(f"{API}/auth/login", json=credentials)
        how = "signed in"
        if response.status_code == 401:
            # Unknown user or wrong password: signing up tells the two apart (409 if taken).
            _expect(self.client.post(f"{API}/auth/register", json=credentials), 201)
            response = self.client.post(f"{API}/auth/login", json=credentials)
            how = "signed up and in"
        token = _expect(response, 200)["access_token"]
        self.client.headers["Authorization"] = f"Bearer {token}"
        return how

    def upload(self) -> str:
        with self.sample.open("rb") as media:
            files = {"file": (self.sample.name, media, "video/mp4")}
            accepted = _expect(self.client.post(f"{API}/videos", files=files), 200, 202)
        self.video_id, self.job_id = accepted["video_id"], accepted.get("job_id") or ""
        return f"video {self.video_id} ({accepted['status']})"

    def ready(self) -> str:
        def done() -> bool:
            video = _expect(self.client.get(f"{API}/videos/{self.video_id}"), 200)
            if video["status"] == "failed":
                job = self.client.get(f"{API}/jobs/{self.job_id}") if self.job_id else None
                raise StepFailed(f"processing failed: {_body(job) if job else video}")
            return bool(video["status"] == "ready")

        _wait(done, timeout=self.timeout, what="processing")
        return "ready"

    def search(self) -> str:
        params = {"q": QUERY, "video_id": self.video_id}
        hits: list[dict[str, Any]] = []

        def found() -> bool:
            nonlocal hits
            hits = _expect(self.client.get(f"{API}/search", params=params), 200)["hits"]
            return bool(hits)

        # The video is ready when its transaction commits; its passages reach the search
        # indexes just after, so a search at once may find nothing for a moment.
        try:
            _wait(found, timeout=15, what="a search of the sample")
        except StepFailed:
            pass  # the check below says what was found
        if not hits or "solar" not in hits[0]["text"].lower():
            raise StepFailed(f"the sample's own words were not found first: {hits[:1]}")
        self.hit = hits[0]
        return f"{len(hits)} hits, first at {hits[0]['start']:.1f} s"

    def ask(self) -> str:
        question = {"question": QUESTION, "video_id": self.video_id}
        answer = _expect(self.client.post(f"{API}/ask", json=question), 200)
        if answer["abstained"] or not answer["citations"]:
            raise StepFailed(f"no cited answer: {answer['answer']!r}")
        if EXPECTED not in answer["answer"].lower():
            raise StepFailed(f"the answer does not say {EXPECTED!r}: {answer['answer']!r}")
        return f"{len(answer['citations'])} citations ({answer['generator']})"

    def clip(self) -> str:
        span = {"video_id": self.video_id, "start": self.hit["start"], "end": self.hit["end"]}
        accepted = _expect(self.client.post(f"{API}/clips", json=span), 202)
        clip_id, job_id = accepted["clip_id"], accepted["job_id"]

        def done() -> bool:
            clip = _expect(self.client.get(f"{API}/clips/{clip_id}"), 200)
            if clip["status"] == "failed":
                job = _body(self.client.get(f"{API}/jobs/{job_id}"))
                raise StepFailed(
                    f"the clip failed: {job.get('error') if isinstance(job, dict) else job}"
                )
            return bool(clip["status"] == "ready")

        _wait(done, timeout=self.timeout, what="the clip")
        download = self.client.get(f"{API}/clips/{clip_id}/file")
        _expect(download, 200)
        # An MP4 starts with a box whose type is 'ftyp' (bytes 4-8).
        if download.content[4:8] != b"ftyp":
            raise StepFailed(f"the clip is not an MP4: {download.content[:16]!r}")
        return f"{len(download.content)} bytes"

    def stream(self) -> str:
        response = self.client.get(
            f"{API}/videos/{self.video_id}/media", headers={"Range": "bytes=0-1023"}
        )
        _expect(response, 206)
        if len(response.content) != 1024 or not response.headers.get(
            "content-range", ""
        ).startswith("bytes 0-1023/"):
            raise StepFailed(
                f"{len(response.content)} bytes, Content-Range "
                f"{response.headers.get('content-range')!r}"
            )
        return response.headers["content-range"]


def run(url: str, user: str, password: str, *, sample: Path = SAMPLE) -> Report:
    """Runs every step against the server at ``url``; never raises for a failed step."""
    report = Report(url=url)
    with httpx.Client(base_url=url, timeout=120) as client:
        smoke = Smoke(client, user, password, sample)
        steps: list[tuple[str, Callable[[], str]]] = [
            ("sign-in", smoke.sign_in),
            ("upload", smoke.upload),
            ("ready", smoke.ready),
            ("search", smoke.search),
            ("ask", smoke.ask),
            ("clip", smoke.clip),
            ("stream", smoke.stream),
        ]
        # Search, ask, clip and stream each need only a ready video, so one failing among
        # them does not hide the others; a failed sign-in, upload or wait skips the rest.
        gate = {"sign-in", "upload", "ready"}
        blocked = False
        for name, step in steps:
            if blocked:
                report.steps.append(Step(name, "skip", 0.0, "an earlier step failed"))
                continue
            began = time.monotonic()
            try:
                detail, status = step(), "pass"
            except (StepFailed, httpx.HTTPError, KeyError, TypeError) as exc:
                detail, status = f"{type(exc).__name__}: {exc}", "fail"
                blocked = name in gate or name == "search"  # the clip is cut from the hit
            report.steps.append(Step(name, status, round(time.monotonic() - began, 3), detail))
    return report


PASSWORD_VARIABLE = "VIDSCOPE_SMOKE_PASSWORD"


def arguments(argv: list[str] | None, environ: Mapping[str, str]) -> argparse.Namespace:
    """The command line, the password from ``--password`` or else ``VIDSCOPE_SMOKE_PASSWORD``."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("url", help="the server, e.g. http://127.0.0.1:7860")
    parser.add_argument("--user", required=True)
    parser.add_argument("--password", help=f"the user's password (default: ${PASSWORD_VARIABLE})")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args(argv)
    args.password = args.password or environ.get(PASSWORD_VARIABLE)
    if not args.password:
        parser.error(f"give --password, or set {PASSWORD_VARIABLE}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = arguments(argv, os.environ)
    report = run(args.url.rstrip("/"), args.user, args.password)
    if args.json:
        payload = {"url": report.url, "passed": report.passed}
        sys.stdout.write(json.dumps({**payload, "steps": [asdict(s) for s in report.steps]}))
        sys.stdout.write("\n")
    else:
        for step in report.steps:
            line = f"{step.status.upper():4} {step.name:8} {step.seconds:7.2f} s  {step.detail}"
            sys.stdout.write(line.rstrip() + "\n")
        sys.stdout.write(("PASSED" if report.passed else "FAILED") + f" {report.url}\n")
    return 0 if report.passed else 1


if __name__ == "__main__":
    sys.exit(main())
