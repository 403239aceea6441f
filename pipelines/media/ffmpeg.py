"""FFmpeg as a child process: the binary from the imageio-ffmpeg wheel, run with an argument
list (never a shell), no stdin, a time limit, and killed with its parent, so no encoder
outlives an interrupted server."""

from __future__ import annotations

import ctypes
import os
import re
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import imageio_ffmpeg

from pipelines.errors import ProcessingError, VidscopeError
from pipelines.media.probe import frame_too_large
from pipelines.storage.faults import storage_full


def ffmpeg_executable() -> str:
    """The ffmpeg binary shipped in the imageio-ffmpeg wheel (no system ffmpeg needed)."""
    return str(imageio_ffmpeg.get_ffmpeg_exe())


def decoder_cap(max_frame_pixels: int | None) -> list[str]:
    """Options for an input whose video is decoded: a frame over ``max_frame_pixels`` fails in
    the decoder before its picture is allocated (libavcodec's ``max_pixels``), and the failure
    stops FFmpeg (``-xerror``) instead of being skipped; ``wait_ffmpeg_jobs`` then raises
    ``media.frame_too_large``. Put them before the input's ``-i``."""
    if max_frame_pixels is None:
        return []
    return ["-max_pixels", str(max_frame_pixels), "-xerror"]


# What libavutil logs when a frame is over the decoder's max_pixels.
_OVER_CAP = re.compile(r"Picture size (\d+)x(\d+) exceeds specified max pixel count (\d+)")


def run_ffmpeg(args: list[str], *, timeout_s: float) -> None:
    """Runs ffmpeg with an argument list (never a shell), no stdin, and a time limit."""
    wait_ffmpeg_jobs(start_ffmpeg_jobs([args]), timeout_s=timeout_s)


_LIBC = ctypes.CDLL(None, use_errno=True) if sys.platform == "linux" else None
_PR_SET_PDEATHSIG = 1


def die_with_parent(parent: int) -> Callable[[], None]:
    """Runs in a child (FFmpeg between fork and exec, a compute process at its start): the
    kernel kills it when the Python process that started it ends, even by SIGKILL, so no
    encoder or compute process outlives an interrupted server."""

    def arm() -> None:
        if _LIBC is not None:
            _LIBC.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != parent:  # the parent died before the signal was armed
            os._exit(1)

    return arm


def start_ffmpeg_jobs(jobs: list[list[str]]) -> list[subprocess.Popen[bytes]]:
    """Starts independent ffmpeg jobs at once; pair with ``wait_ffmpeg_jobs``, which stops
    them all if the caller is interrupted."""
    processes: list[subprocess.Popen[bytes]] = []
    try:
        for args in jobs:
            processes.append(
                subprocess.Popen(  # nosec B603  # an argument list, no shell
                    [ffmpeg_executable(), "-nostdin", "-hide_banner", "-loglevel", "error", *args],
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.PIPE,
                    preexec_fn=die_with_parent(os.getpid()),  # noqa: PLW1509
                )
            )
    except BaseException:
        stop_ffmpeg_jobs(processes)
        raise
    return processes


def stop_ffmpeg_jobs(processes: list[subprocess.Popen[bytes]]) -> None:
    for process in processes:
        if process.poll() is None:
            process.kill()
        process.wait()
        if process.stderr is not None:
            process.stderr.close()


def wait_ffmpeg_jobs(processes: list[subprocess.Popen[bytes]], *, timeout_s: float) -> None:
    """Waits for every job; the first failure raises once all have ended, so no process
    outlives the call, also when the wait itself is interrupted (Ctrl-C, SIGTERM)."""
    failure: VidscopeError | None = None
    try:
        for process in processes:
            try:
                _, stderr = process.communicate(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                stop_ffmpeg_jobs(processes)
                failure = failure or ProcessingError(
                    f"ffmpeg took longer than {timeout_s:.0f} s (VIDSCOPE_FFMPEG_TIMEOUT_S)",
                    code="processing.timeout",
                )
                continue
            if process.returncode != 0 and failure is None:
                text = stderr.decode(errors="replace")
                over = _OVER_CAP.search(text)
                if over is not None:
                    width, height, limit = (int(n) for n in over.groups())
                    failure = frame_too_large("a frame of the video", width, height, limit)
                    continue
                detail = " | ".join(text.strip().splitlines()[-3:])
                if "No space left on device" in detail:
                    output = process.args[-1] if isinstance(process.args, list) else "."
                    failure = storage_full(Path(str(output)).parent)  # the output's disk
                    continue
                failure = ProcessingError(
                    f"ffmpeg failed: {detail or 'exit code ' + str(process.returncode)}",
                    code="processing.ffmpeg",
                )
    except BaseException:
        stop_ffmpeg_jobs(processes)
        raise
    if failure is not None:
        raise failure
