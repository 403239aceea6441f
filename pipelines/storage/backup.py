"""Backups of a library and restoring one: a folder that opens as the same library.

A backup is taken while the library is in use (the server keeps serving and ingesting):

1. the catalog is copied by DuckDB itself (``COPY FROM DATABASE``): one transaction's
   snapshot, sequences, indexes and constraints included, whatever commits meanwhile;
2. the media, clips and reels *that snapshot names* are copied (stored files never change
   once their row is committed, so the snapshot and its files agree);
3. the search indexes are copied as they are: they are derived, and a library that opens
   with indexes out of step with its catalog rebuilds them (start-up repair);
4. MLflow's SQLite store through SQLite's online backup;
5. a manifest of every file with its size and SHA-256 is written last, and the finished
   folder is published by renaming it: a backup without its manifest never finished.

``restore_backup`` checks every file against the manifest before it writes anything, and
refuses a partial or damaged backup with a code naming the first bad file."""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
import shutil
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import duckdb

from pipelines.errors import VidscopeError
from pipelines.storage.faults import ensure_free_space, library_fault
from pipelines.storage.files import atomic_write, fsync_path, sha256_file

if TYPE_CHECKING:
    from pipelines.storage.layout import LibraryLayout

MANIFEST = "manifest.json"
FORMAT = 1


class CatalogCopy(Protocol):
    """All a backup needs of the open catalog (``Database.copy_to``)."""

    def copy_to(self, target: Path) -> None: ...


@dataclass(frozen=True)
class BackupReport:
    path: Path
    files: int
    bytes: int
    videos: int
    seconds: float


def make_backup(catalog: CatalogCopy, layout: LibraryLayout, dest: Path) -> BackupReport:
    """Writes a backup of the library at ``layout`` into the new folder ``dest``."""
    started = time.perf_counter()
    dest = dest.expanduser().resolve()
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise VidscopeError(
            f"{dest} already exists and is not an empty folder; name a new one",
            code="backup.exists",
        )
    if dest.is_relative_to(layout.home.resolve()):
        raise VidscopeError(
            f"{dest} is inside the library it would back up; put the backup elsewhere",
            code="backup.inside_library",
        )
    dest.parent.mkdir(parents=True, exist_ok=True)
    # Room for a copy of the whole library (it is the upper bound: a backup skips nothing big).
    ensure_free_space(dest.parent, _folder_bytes(layout.home), 0)
    work = dest.parent / f".{dest.name}.partial-{os.getpid()}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(mode=0o700)
    try:
        catalog.copy_to(work / layout.catalog_path.name)
        snapshot = duckdb.connect(str(work / layout.catalog_path.name), read_only=True)
        try:
            named = [str(r[0]) for r in snapshot.execute(_FILES_NAMED).fetchall()]
            videos = int(snapshot.execute("SELECT count(*) FROM videos").fetchone()[0])  # type: ignore[index]
        finally:
            snapshot.close()
        files = [layout.catalog_path.name]
        for relative in named:
            if (layout.home / relative).is_file():  # a file repair already removed is skipped
                _copy(layout.home / relative, work / relative)
                files.append(relative)
        if layout.index_dir.is_dir():
            for source in sorted(p for p in layout.index_dir.rglob("*") if p.is_file()):
                if not source.name.endswith(".part"):
                    relative = str(source.relative_to(layout.home))
                    _copy(source, work / relative)
                    files.append(relative)
        tracking = layout.home / "mlflow.db"
        if tracking.is_file():
            with sqlite3.connect(tracking) as live, sqlite3.connect(work / "mlflow.db") as copy:
                live.backup(copy)
            files.append("mlflow.db")
        manifest = {
            "format": FORMAT,
            "created_at": dt.datetime.now(dt.UTC).isoformat(),
            "videos": videos,
            "files": {f: _describe(work / f) for f in files},
        }
        with atomic_write(work / MANIFEST, mode=0o600) as partial:
            partial.write_text(json.dumps(manifest, indent=1) + "\n")
        if dest.exists():
            dest.rmdir()
        os.rename(work, dest)
        fsync_path(dest.parent)
    except BaseException as exc:
        shutil.rmtree(work, ignore_errors=True)
        fault = library_fault(exc, dest.parent) if isinstance(exc, Exception) else None
        if fault is not None and fault.code == "storage.full":
            raise fault from exc
        raise
    sizes = sum(entry["size"] for entry in manifest["files"].values())  # type: ignore[attr-defined]
    return BackupReport(dest, len(files), sizes, videos, time.perf_counter() - started)


def _folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


# Every file a catalog row names (relative to the library folder).
_FILES_NAMED = (
    "SELECT media_path FROM videos WHERE status <> 'deleting' "
    "UNION ALL SELECT path FROM clips WHERE path IS NOT NULL "
    "UNION ALL SELECT path FROM reels WHERE path IS NOT NULL"
)


@dataclass(frozen=True)
class RestoreReport:
    home: Path
    files: int
    videos: int
    seconds: float


def check_backup(src: Path) -> dict[str, Any]:
    """The manifest of the backup at ``src`` once every file in it is there and whole;
    ``backup.incomplete`` or ``backup.damaged`` naming the first that is not."""
    src = src.expanduser()
    manifest_path = src / MANIFEST
    if not manifest_path.is_file():
        raise VidscopeError(
            f"{src} has no {MANIFEST}: the backup did not finish, or this is not a Vidscope "
            "backup; take a new one",
            code="backup.incomplete",
        )
    try:
        manifest: dict[str, Any] = json.loads(manifest_path.read_text())
        files: dict[str, dict[str, Any]] = manifest["files"]
    except (ValueError, KeyError, TypeError) as exc:
        raise VidscopeError(
            f"{manifest_path} is damaged ({exc}); restore another backup",
            code="backup.damaged",
        ) from exc
    if manifest.get("format") != FORMAT:
        raise VidscopeError(
            f"{src} is backup format {manifest.get('format')}; this Vidscope reads {FORMAT}",
            code="backup.unsupported",
        )
    for relative, expected in files.items():
        path = src / relative
        if not path.is_file():
            raise VidscopeError(
                f"the backup lacks {relative} (listed in its manifest); restore another backup",
                code="backup.incomplete",
                file=relative,
            )
        if path.stat().st_size != expected["size"] or sha256_file(path) != expected["sha256"]:
            raise VidscopeError(
                f"{relative} in the backup is damaged (its size or checksum differs from "
                "the manifest's); restore another backup",
                code="backup.damaged",
                file=relative,
            )
    return manifest


def restore_backup(src: Path, home: Path) -> RestoreReport:
    """Checks the backup at ``src`` whole, then makes ``home`` (new or empty) a copy of it."""
    started = time.perf_counter()
    manifest = check_backup(src)
    home = home.expanduser().resolve()
    if home.exists() and (not home.is_dir() or any(home.iterdir())):
        raise VidscopeError(
            f"{home} is not empty; restore into a new library folder so nothing is overwritten",
            code="restore.home_not_empty",
        )
    home.parent.mkdir(parents=True, exist_ok=True)
    work = home.parent / f".{home.name}.restoring-{secrets.token_hex(4)}"
    work.mkdir(mode=0o700)
    try:
        for relative in manifest["files"]:
            _copy(src / relative, work / relative)
        if home.exists():
            home.rmdir()
        os.rename(work, home)
        fsync_path(home.parent)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return RestoreReport(
        home, len(manifest["files"]), int(manifest["videos"]), time.perf_counter() - started
    )


def _copy(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    shutil.copyfile(source, target)
    os.chmod(target, 0o600)


def _describe(path: Path) -> dict[str, Any]:
    return {"size": path.stat().st_size, "sha256": sha256_file(path)}
