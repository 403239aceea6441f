"""What every benchmark shares: where things are, how it reports progress, and how the
machine is described next to each figure (a figure holds only for the machine it came from)."""

from __future__ import annotations

import os
import platform
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "bench-work"
BIN = Path(sys.executable).parent


def log(message: str) -> None:
    print(f"[bench] {message}", flush=True)  # noqa: T201


def machine() -> str:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    return f"{os.cpu_count()} cores ({cpu}), Python {platform.python_version()}"
