"""The fault suite's tools: a pristine library to copy, the CLI in its own process, the state
of a library to compare before and after a fault, and small file systems (a tmpfs to fill,
a read-only bind mount) — these need root, as CI runs; elsewhere the tests that use them skip."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pytest

from pipelines.library import Library
from tests.support.api import PASSWORD
from tests.support.library import TALK, make_settings
from tests.support.server import environment


@dataclass(frozen=True)
class Cli:
    code: int
    out: str
    err: str


def run_cli(home: Path, *args: str, **env: str) -> Cli:
    done = subprocess.run(
        [sys.executable, "-m", "app.cli", "--home", str(home), *args],
        env={**environment(home), "VIDSCOPE_LOG_LEVEL": "ERROR", **env},
        capture_output=True,
        text=True,
        timeout=300,
    )
    return Cli(done.returncode, done.stdout, done.stderr)


def build_pristine(home: Path) -> dict[str, str]:
    """A library with the talk in alice's account and in the local one; returns their ids."""
    with Library(make_settings(home)) as library:
        alice = library.accounts.register("alice", PASSWORD)
        ids = {}
        for name, owner in (("local", library.local), ("alice", library.for_owner(alice.id))):
            [result] = list(owner.ingest([TALK]))
            assert result.status == "indexed", result
            ids[name] = result.video_id
    return ids


def copy_library(pristine: Path, target: Path) -> Path:
    shutil.copytree(pristine, target, symlinks=True)
    return target


def library_state(home: Path) -> dict[str, Any]:
    """What a fault must not change: every row of the videos and chunks tables (read with
    DuckDB itself, read-only) and the checksum of every media file."""
    con = duckdb.connect(str(home / "catalog.duckdb"), read_only=True)
    try:
        videos = con.execute(
            "SELECT id, owner_id, status, sha256 FROM videos ORDER BY id"
        ).fetchall()
        chunks = con.execute("SELECT id, video_id, text FROM chunks ORDER BY id").fetchall()
    finally:
        con.close()
    media = {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted((home / "media").iterdir())
    }
    return {"videos": videos, "chunks": chunks, "media": media}


def partial_files(home: Path) -> list[Path]:
    return [p for p in home.rglob("*") if p.name.endswith((".part", ".upload"))]


def _need_root() -> None:
    if os.geteuid() != 0:
        pytest.skip("mounting a small or read-only file system needs root (CI runs as root)")


@contextmanager
def small_disk(folder: Path, size_bytes: int) -> Iterator[Path]:
    """A tmpfs of ``size_bytes`` mounted on ``folder``."""
    _need_root()
    folder.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size_bytes}", "tmpfs", str(folder)], check=True
    )
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def fill(disk: Path, leave_bytes: int) -> Path:
    """Fills ``disk`` with one file so that about ``leave_bytes`` stay free."""
    filler = disk / "filler"
    free = shutil.disk_usage(disk).free
    with filler.open("wb") as handle:
        os.posix_fallocate(handle.fileno(), 0, max(1, free - leave_bytes))
    return filler


@contextmanager
def read_only_view(folder: Path, mount_point: Path) -> Iterator[Path]:
    """``folder`` seen through a read-only bind mount at ``mount_point``."""
    _need_root()
    mount_point.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", "--bind", str(folder), str(mount_point)], check=True)
    try:
        subprocess.run(["mount", "-o", "remount,ro,bind", str(mount_point)], check=True)
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)
