"""Server programs the CLI runs in the foreground (MLflow's UI, Streamlit) and stops whole."""

from __future__ import annotations

import os
import signal
import subprocess  # nosec B404  # argument lists only, no shell
import time
from collections.abc import Sequence
from types import FrameType

# How long the program's processes get to end after SIGTERM before they are killed.
STOP_GRACE_S = 10.0


def run_server_program(command: Sequence[str], *, env: dict[str, str] | None = None) -> int:
    """Runs ``command`` until it ends or this process is asked to stop (SIGTERM, SIGINT,
    SIGHUP); returns its exit code, or 0 when it was stopped on request.

    The program runs in a process group of its own, and a stop ends the whole group: MLflow's
    UI starts uvicorn, which starts its workers, and a SIGTERM that ended only this process
    (or only MLflow's) left them serving the port. In its own group, the terminal's Ctrl-C
    reaches this process alone, which passes it on as SIGTERM."""
    child = subprocess.Popen(list(command), env=env, start_new_session=True)  # nosec B603
    stopping: list[int] = []

    def stop(signum: int, _frame: FrameType | None) -> None:
        stopping.append(signum)
        _signal_group(child.pid, signal.SIGTERM)

    caught = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
    previous = {number: signal.signal(number, stop) for number in caught}
    try:
        code = child.wait()
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
        _end_group(child.pid)
    return 0 if stopping else code


def _signal_group(group: int, number: int) -> bool:
    """Sends ``number`` to the group; False when no process of it is left."""
    try:
        os.killpg(group, number)
    except ProcessLookupError:
        return False
    return True


def _end_group(group: int) -> None:
    """Ends what is left of the group once its leader has exited (workers outlive a leader
    that was killed, or that exited first): SIGTERM, then SIGKILL after the grace."""
    if not _signal_group(group, signal.SIGTERM):
        return
    deadline = time.monotonic() + STOP_GRACE_S
    while time.monotonic() < deadline:
        time.sleep(0.1)
        if not _signal_group(group, 0):
            return
    _signal_group(group, signal.SIGKILL)
