"""One account cannot starve another (``python -m evals.fairness``, part of ``make bench``):
a real ``vidscope serve``; alice sends 80 thumbnail requests at once, of a 5-minute video
with one keyframe (each second decoded from the start, before thumbnails were made
constant-cost), and queues 25 clips of it; meanwhile bob lists his library and asks for a
clip. Measured: bob's ``GET /api/v1/videos`` (target < 0.5 s) and the time from his
``POST /api/v1/clips`` to his job leaving the queue (target < 2 s), and to its end.

The server runs with its defaults but for the request rate (the load is the point here) and
OCR off (ingest is not measured). Bob's list is asked ``LISTS`` times from the moment alice's
thumbnails are sent, while her clips are queued; the median and the slowest are reported.
The same load is first run against the baseline — the release before one account could no
longer starve another (``BASELINE``, its source taken from this repository's history with
``git archive``) — so both figures come from one run on one machine, and the report gives
their ratio."""

from __future__ import annotations

import datetime as dt
import os
import statistics
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import httpx

from evals.common import ROOT, WORK, log, machine
from evals.serving import served
from pipelines.config import load_settings
from pipelines.jobs.tracking import log_run
from pipelines.media.ffmpeg import ffmpeg_executable

COMMAND = "python -m evals.fairness"
# main before issue 24 (one queue for everyone, thumbnails decoded from the keyframe on).
BASELINE = "34cfbdc"
THUMBNAILS, CLIPS, LISTS = 80, 25, 10
LONG_S = 300
BOB_VIDEO = ROOT / "tests" / "data" / "talk.mp4"
PASSWORD = "fairness-bench-password"  # nosec B105  # a throwaway account on a throwaway server


def one_keyframe_video(path: Path) -> Path:
    """``LONG_S`` seconds of 320x240 moving picture and a tone, one keyframe at the start."""
    if not path.exists():
        subprocess.run(
            [ffmpeg_executable(), "-y", "-loglevel", "error"]
            + ["-f", "lavfi", "-i", f"testsrc2=size=320x240:rate=25:duration={LONG_S}"]
            + ["-f", "lavfi", "-i", f"sine=frequency=440:duration={LONG_S}"]
            + ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]
            + ["-x264-params", "keyint=100000:min-keyint=100000:scenecut=0"]
            + ["-c:a", "aac", "-shortest", str(path)],
            check=True,
        )
    return path


def baseline_code(folder: Path) -> Path:
    """The baseline release's source (``git archive``), made once."""
    if not (folder / "app" / "cli").is_dir():
        folder.mkdir(parents=True, exist_ok=True)
        archive = subprocess.run(
            ["git", "-C", str(ROOT), "archive", BASELINE],
            check=True,
            capture_output=True,
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    return folder


def account(url: str, name: str) -> httpx.Client:
    httpx.post(f"{url}/api/v1/auth/register", json={"username": name, "password": PASSWORD})
    tokens = httpx.post(
        f"{url}/api/v1/auth/login", json={"username": name, "password": PASSWORD}
    ).json()
    return httpx.Client(
        base_url=url, headers={"Authorization": f"Bearer {tokens['access_token']}"}, timeout=120
    )


def wait_job(client: httpx.Client, job_id: str, until: tuple[str, ...]) -> dict[str, Any]:
    deadline = time.monotonic() + 900
    while time.monotonic() < deadline:
        job: dict[str, Any] = client.get(f"/api/v1/jobs/{job_id}").json()
        if job["status"] in until:
            return job
        time.sleep(0.02)
    raise AssertionError(f"job {job_id} did not reach {until}")


def upload(client: httpx.Client, path: Path) -> str:
    with path.open("rb") as handle:
        accepted = client.post("/api/v1/videos", files={"file": (path.name, handle)}).json()
    job = wait_job(client, accepted["job_id"], ("succeeded", "failed"))
    assert job["status"] == "succeeded", job
    return str(accepted["video_id"])


def measure(url: str, long_video: Path) -> dict[str, float]:
    alice, bob = account(url, "alice"), account(url, "bob")
    alice_video = upload(alice, long_video)
    bob_video = upload(bob, BOB_VIDEO)
    bob.get("/api/v1/videos").raise_for_status()  # warm: his first list is not the measure

    thumbnails: list[tuple[int, float]] = []

    def thumbnail(n: int) -> None:
        second = LONG_S - 1 - (n * 37) % (LONG_S - 1)  # spread, the far end included
        started = time.perf_counter()
        with httpx.Client(base_url=url, headers=alice.headers, timeout=300) as own:
            answer = own.get(f"/api/v1/videos/{alice_video}/thumbnail", params={"t": second})
        thumbnails.append((answer.status_code, time.perf_counter() - started))

    lists: list[float] = []

    def list_library() -> None:
        # While alice's thumbnails are in flight: the moment a starved server shows it.
        for _ in range(LISTS):
            started = time.perf_counter()
            bob.get("/api/v1/videos").raise_for_status()
            lists.append(time.perf_counter() - started)
            time.sleep(0.05)

    threads = [threading.Thread(target=thumbnail, args=(n,)) for n in range(THUMBNAILS)]
    for thread in threads:
        thread.start()
    lister = threading.Thread(target=list_library)
    lister.start()
    queued = []
    for n in range(CLIPS):
        start = 10.0 * n
        answer = alice.post(
            "/api/v1/clips", json={"video_id": alice_video, "start": start, "end": start + 30}
        )
        assert answer.status_code == 202, answer.text
        queued.append(answer.json()["job_id"])
    lister.join()
    asked = time.perf_counter()
    accepted = bob.post(
        "/api/v1/clips", json={"video_id": bob_video, "start": 1.0, "end": 11.0}
    ).json()
    wait_job(bob, accepted["job_id"], ("running", "succeeded", "failed"))
    started_s = time.perf_counter() - asked
    done = wait_job(bob, accepted["job_id"], ("succeeded", "failed"))
    done_s = time.perf_counter() - asked
    assert done["status"] == "succeeded", done
    alices_done_first = sum(
        alice.get(f"/api/v1/jobs/{job_id}").json()["status"] == "succeeded" for job_id in queued
    )
    for thread in threads:
        thread.join()
    ok = [seconds for status, seconds in thumbnails if status == 200]
    return {
        "list_median_s": statistics.median(lists),
        "list_max_s": max(lists),
        "bob_clip_start_s": started_s,
        "bob_clip_done_s": done_s,
        "alice_clips_done_before_bob": float(alices_done_first),
        "thumbnails_ok": float(len(ok)),
        "thumbnails_refused": float(len(thumbnails) - len(ok)),
        "thumbnail_median_s": statistics.median(ok) if ok else float("nan"),
        "thumbnail_max_s": max(ok) if ok else float("nan"),
    }


def write_report(r: dict[str, float], base: dict[str, float]) -> None:
    def verdict(value: float, target: float) -> str:
        return "yes" if value < target else "**no**"

    def row(label: str, key: str, target: str = "", limit: float | None = None) -> str:
        ratio = base[key] / r[key] if r[key] > 0 else float("inf")
        met = verdict(r[key], limit) if limit is not None else ""
        return f"| {label} | {base[key]:.3f} s | {r[key]:.3f} s | {ratio:.1f}× | {target} | {met} |"

    lines = [
        f"\n## {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC — `{COMMAND}` (in `make bench`)\n",
        f"Machine: {machine()}. A real `vidscope serve` (defaults; the request rate limit "
        "raised, OCR off). Alice, at once: "
        f"{THUMBNAILS} thumbnail requests of a {LONG_S} s 320x240 video with one keyframe "
        f"(seconds spread to its end) and {CLIPS} queued 30 s clips of it. Meanwhile Bob lists "
        f"his library {LISTS} times and asks for a 10 s clip of `tests/data/talk.mp4`. "
        f"Baseline: the same load, in the same run, on `{BASELINE}` (the release before).\n",
        "| Bob's | baseline | now | baseline ÷ now | target | met |",
        "| --- | --- | --- | --- | --- | --- |",
        row(f"`GET /api/v1/videos`, median of {LISTS}", "list_median_s", "< 0.5 s", 0.5),
        row("`GET /api/v1/videos`, slowest", "list_max_s", "< 0.5 s", 0.5),
        row("clip: asked → started (left the queue)", "bob_clip_start_s", "< 2 s", 2.0),
        row("clip: asked → done", "bob_clip_done_s"),
        f"\nAlice's clips finished before Bob's: {base['alice_clips_done_before_bob']:.0f} of "
        f"{CLIPS} on the baseline, {r['alice_clips_done_before_bob']:.0f} now. Her thumbnails "
        f"now: {r['thumbnails_ok']:.0f} answered (median {r['thumbnail_median_s']:.2f} s, "
        f"slowest {r['thumbnail_max_s']:.2f} s), {r['thumbnails_refused']:.0f} refused (her "
        f"limit of thumbnails at once); on the baseline {base['thumbnails_ok']:.0f} answered "
        f"(median {base['thumbnail_median_s']:.2f} s, slowest {base['thumbnail_max_s']:.2f} s).\n",
    ]
    with (ROOT / "docs" / "benchmarks.md").open("a", encoding="utf-8") as handle:
        handle.write("\n".join(lines))


def run(long_video: Path, home: Path, code: Path) -> dict[str, float]:
    # The load is the point here (the request rate raised); ingest is not measured (OCR off).
    with served(
        home,
        code=code,
        VIDSCOPE_RATE_LIMIT="1000000/minute",
        VIDSCOPE_OCR="false",
        VIDSCOPE_LOG_LEVEL="WARNING",
    ) as url:
        return measure(url, long_video)


def main() -> None:
    work = WORK / "fairness"
    work.mkdir(parents=True, exist_ok=True)
    long_video = one_keyframe_video(WORK / "one-keyframe-300s.mp4")
    old_code = baseline_code(work / f"baseline-{BASELINE}")
    base = run(long_video, work / f"baseline-library-{os.getpid()}", old_code)
    results = run(long_video, work / f"library-{os.getpid()}", ROOT)
    write_report(results, base)
    log_run(
        "bench",
        uri=load_settings().tracking_uri,
        name=f"fairness {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M}",
        params={
            "command": COMMAND,
            "machine": machine(),
            "thumbnails": THUMBNAILS,
            "clips": CLIPS,
            "lists": LISTS,
            "baseline": BASELINE,
        },
        metrics={**results, **{f"baseline_{key}": value for key, value in base.items()}},
    )
    for key, value in results.items():
        log(f"{key} = {value:.3f} (baseline {base[key]:.3f})")


if __name__ == "__main__":
    main()
