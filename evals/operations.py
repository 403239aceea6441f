"""What an operator waits for (``python -m evals.operations [--cold]``, in ``make bench``):
the image's size, ``make image`` (warm caches; ``--cold`` adds a ``podman build --no-cache``
of the same context), a container from start to healthy (``/healthz``) and to ready
(``/readyz``: models loaded, worker up) and its stop on SIGTERM, and a backup and a restore
of the benchmark library (the 10-minute 720p slide talk, indexed) by the CLI.

Results are appended to docs/benchmarks.md with the command and logged to MLflow."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import httpx

from evals.common import BIN, ROOT, WORK, log, machine
from evals.talk_videos import slide_video
from pipelines.config import load_settings
from pipelines.jobs.tracking import log_run

COMMAND = "python -m evals.operations"
IMAGE = "localhost/vidscope:latest"
PODMAN = ["podman", "--runtime", "runc"]
LIMITS = ["--ulimit", "nofile=20000:20000", "--ulimit", "nproc=32768:32768"]
LIBRARY = WORK / "operations-slides"


def _seconds(command: list[str], **kwargs: object) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, **kwargs)  # type: ignore[call-overload]
    return time.perf_counter() - started


def image_figures(cold: bool) -> dict[str, float]:
    results = {"make_image_warm_s": _seconds(["make", "image"], cwd=ROOT)}
    size = subprocess.run(
        [*PODMAN, "image", "inspect", "--format", "{{.Size}}", IMAGE],
        check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    results["image_bytes"] = float(size.strip())
    if cold:
        base = "localhost/vidscope-base"
        log("podman build --no-cache (cold: every layer again)")
        results["build_cold_s"] = _seconds(
            [*PODMAN, "build", "--no-cache", "--format", "docker", "--network=none", *LIMITS,
             "--build-arg", f"BASE={base}", "-t", "localhost/vidscope:cold", "."],
            cwd=ROOT,
        )  # fmt: skip
        subprocess.run([*PODMAN, "rmi", "-f", "localhost/vidscope:cold"], capture_output=True)
        subprocess.run([*PODMAN, "image", "prune", "-f"], capture_output=True)
    return results


def _wait(url: str, deadline_s: float = 180) -> float:
    started = time.perf_counter()
    while time.perf_counter() - started < deadline_s:
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return time.perf_counter() - started
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    raise TimeoutError(url)


def container_figures() -> dict[str, float]:
    with tempfile.TemporaryDirectory() as folder:
        data = Path(folder) / "data"
        data.mkdir(mode=0o777)
        data.chmod(0o777)  # the image's user (uid 10001) makes its library inside
        name, port = "vidscope-bench", 7871
        subprocess.run([*PODMAN, "rm", "-f", name], capture_output=True)
        started = time.perf_counter()
        subprocess.run(
            [*PODMAN, "run", "-d", "--init", "--name", name, "--network=host", *LIMITS,
             "-v", f"{data}:/data", "-e", "VIDSCOPE_SECRET_KEY=bench-" + "k" * 40,
             IMAGE, "serve", "--host", "127.0.0.1", "--port", str(port)],
            check=True, capture_output=True,
        )  # fmt: skip
        try:
            _wait(f"http://127.0.0.1:{port}/healthz")
            healthy_s = time.perf_counter() - started
            _wait(f"http://127.0.0.1:{port}/readyz")
            ready_s = time.perf_counter() - started
            stop_s = _seconds([*PODMAN, "stop", "-t", "30", name])
        finally:
            subprocess.run([*PODMAN, "rm", "-f", name], capture_output=True)
            shutil.rmtree(data, ignore_errors=True)
    return {"start_to_healthy_s": healthy_s, "start_to_ready_s": ready_s, "stop_s": stop_s}


def backup_figures() -> dict[str, float]:
    vidscope = [str(BIN / "vidscope")]
    if not (LIBRARY / "catalog.duckdb").exists():
        log("ingesting the 10-minute slide talk into the benchmark library")
        subprocess.run(
            [*vidscope, "--home", str(LIBRARY), "ingest", str(slide_video())],
            check=True, capture_output=True,
        )  # fmt: skip
    size = sum(p.stat().st_size for p in LIBRARY.rglob("*") if p.is_file())
    backup, restored = WORK / "operations-backup", WORK / "operations-restored"
    shutil.rmtree(backup, ignore_errors=True)
    shutil.rmtree(restored, ignore_errors=True)
    backup_s = _seconds([*vidscope, "--home", str(LIBRARY), "backup", str(backup)])
    restore_s = _seconds([*vidscope, "--home", str(restored), "restore", str(backup)])
    listed = subprocess.run(
        [*vidscope, "--home", str(restored), "list", "--json"],
        check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    assert len(json.loads(listed)) == 1
    return {"library_bytes": float(size), "backup_s": backup_s, "restore_s": restore_s}


def write_report(r: dict[str, float], command: str) -> None:
    cold = (
        f"| `podman build --no-cache` (every layer; base `localhost/vidscope-base`) | "
        f"{r['build_cold_s']:.0f} s |"
        if "build_cold_s" in r
        else None
    )
    lines = [
        f"\n## {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC — `{command}` (in `make bench`)\n",
        f"Machine: {machine()}. One run each; Podman with runc, host network.\n",
        "| what | figure |",
        "| --- | --- |",
        f"| image size (`podman image inspect`) | {r['image_bytes'] / 1e9:.2f} GB |",
        f"| `make image` after a change of code (wheelhouse and dependencies' layer reused) | "
        f"{r['make_image_warm_s']:.0f} s |",
        *([cold] if cold else []),
        f"| `podman run` → `/healthz` answers 200 | {r['start_to_healthy_s']:.1f} s |",
        f"| `podman run` → `/readyz` answers 200 (models loaded) | {r['start_to_ready_s']:.1f} s |",
        f"| `podman stop` (SIGTERM, the server drains) | {r['stop_s']:.1f} s |",
        f"| `vidscope backup` of the benchmark library (the 10-minute 720p slide talk, "
        f"{r['library_bytes'] / 1e6:.0f} MB) | {r['backup_s']:.2f} s |",
        f"| `vidscope --home NEW restore` of that backup (checked whole first) | "
        f"{r['restore_s']:.2f} s |",
        "",
    ]
    with (ROOT / "docs" / "benchmarks.md").open("a", encoding="utf-8") as handle:
        handle.write("\n".join(lines))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cold", action="store_true", help="also build with --no-cache")
    cold = parser.parse_args().cold
    WORK.mkdir(parents=True, exist_ok=True)
    log("make image (warm)")
    results = image_figures(cold)
    log("a container from start to healthy, ready and stopped")
    results |= container_figures()
    log("backup and restore of the benchmark library")
    results |= backup_figures()
    command = COMMAND + (" --cold" if cold else "")
    write_report(results, command)
    log_run(
        "bench",
        uri=load_settings().tracking_uri,
        name=f"operations {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M}",
        params={"command": command, "machine": machine()},
        metrics=results,
    )
    for key, value in results.items():
        log(f"{key} = {value:.3f}")


if __name__ == "__main__":
    main()
