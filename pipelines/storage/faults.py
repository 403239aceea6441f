"""What went wrong with a library, named: a low-level failure (DuckDB's, the operating
system's) turned into the coded error a person can act on, with the way back in its message.

- ``library.damaged``: the catalog's bytes are not what DuckDB wrote (checksums, truncation).
- ``library.locked``: another *live* process holds the catalog (its PID is checked; DuckDB's
  word "block" once made every damaged catalog read as locked).
- ``library.read_only``: the library cannot be written (a read-only mount, a backup copy).
- ``storage.full``: the disk filled up during a write.
- ``media.missing``: a ready video's media file is gone.

The faces (CLI, API) ask ``library_fault`` about any exception they did not expect."""

from __future__ import annotations

import errno
import os
import re
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from pipelines.errors import VidscopeError

if TYPE_CHECKING:
    from pipelines.records import Video

TROUBLESHOOTING = "docs/troubleshooting.md"

# DuckDB's words for a file that is not what it wrote (not its INTERNAL errors: a bug there
# must not send people to their backups).
_DAMAGE = re.compile(
    r"Corrupt database file|checksum|Could not read enough bytes|not a valid DuckDB"
    r"|Serialization Error|Failed to load metadata|block .* out of range",
    re.IGNORECASE,
)
_READ_ONLY_WRITE = re.compile(r"read-only mode|read only mode|attached in read-only", re.I)
_LOCK_HOLDER = re.compile(r"Conflicting lock is held in .*?\(PID (\d+)\)", re.S)


def damaged_catalog(catalog: Path, detail: str) -> VidscopeError:
    return VidscopeError(
        f"the catalog {catalog} is damaged ({detail.splitlines()[0][:200]}); Vidscope stopped "
        "before changing anything. The way back: restore your newest backup into a new library "
        "folder and use that folder; the doctor, run on this library, lists what is still "
        f"readable ({TROUBLESHOOTING}#a-damaged-catalog)",
        code="library.damaged",
        path=str(catalog),
    )


def missing_media(video: Video) -> VidscopeError:
    return VidscopeError(
        f"the media file of {video.title!r} ({video.id}) is missing from the library: it was "
        "deleted or moved, or its disk is gone; search still finds its transcript. Put the file "
        f"back at {video.media_path} inside the library, or delete the video and upload it "
        f"again ({TROUBLESHOOTING}#missing-media)",
        code="media.missing",
        video_id=video.id,
    )


def read_only_library(home: Path, what: str = "this change") -> VidscopeError:
    return VidscopeError(
        f"the library {home} is read-only (a read-only mount or folder): {what} needs to write "
        "to it; reading still works from the command line (list, search, transcript, clip -o). "
        "Make the folder writable, or restore it into a writable folder "
        f"({TROUBLESHOOTING}#a-read-only-library)",
        code="library.read_only",
        home=str(home),
    )


def storage_full(
    where: Path, *, needed: int | None = None, free: int | None = None
) -> VidscopeError:
    if needed is not None and free is not None:
        state = f"has too little space ({_size(needed)} needed with the margin, {_size(free)} free)"
    else:
        state = "is full"
    return VidscopeError(
        f"the disk holding {where} {state}; nothing was half-written. Free some space "
        "(or move the library: VIDSCOPE_HOME; the margin is VIDSCOPE_MIN_FREE_BYTES) and try "
        f"again ({TROUBLESHOOTING}#a-full-disk)",
        code="storage.full",
        needed_bytes=needed,
        free_bytes=free,
    )


def free_bytes(folder: Path) -> int:
    """Free bytes on the disk that holds ``folder`` (or its nearest existing parent)."""
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    return shutil.disk_usage(folder).free


def ensure_free_space(folder: Path, needed: int, margin: int) -> None:
    """Refuses (``storage.full``) a step that needs ``needed`` bytes in ``folder`` when the
    disk would keep less than ``margin`` (VIDSCOPE_MIN_FREE_BYTES) free afterwards."""
    free = free_bytes(folder)
    if free < needed + margin:
        raise storage_full(folder, needed=needed + margin, free=free)


def _size(count: int) -> str:
    return f"{count / 1e9:.2f} GB" if count >= 1e9 else f"{count / 1e6:.1f} MB"


def lock_holder(detail: str) -> int | None:
    """The PID DuckDB names as holding the catalog's lock, if it names one."""
    found = _LOCK_HOLDER.search(detail)
    return int(found.group(1)) if found else None


def process_alive(pid: int) -> bool:
    """Whether the process ``pid`` still runs (another user's counts)."""
    if pid <= 0:  # os.kill(0, ...) would ask about our own process group
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, another user's
        return True
    return True


def is_lock_conflict(detail: str) -> bool:
    return "Could not set lock on file" in detail or "Conflicting lock" in detail


def is_damage(detail: str) -> bool:
    return bool(_DAMAGE.search(detail))


def library_fault(exc: BaseException, home: Path) -> VidscopeError | None:
    """The library fault behind ``exc`` (raised while working on the library in ``home``),
    or None when it is not one (a bug, to be reported as such)."""
    if isinstance(exc, VidscopeError):
        return exc
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
        return storage_full(Path(exc.filename) if exc.filename else home)
    detail = str(exc)
    if type(exc).__module__.startswith(("duckdb", "_duckdb")):
        if "No space left" in detail:
            return storage_full(home)
        if _READ_ONLY_WRITE.search(detail):
            return read_only_library(home)
        if is_damage(detail):
            return damaged_catalog(home / "catalog.duckdb", detail)
    if isinstance(exc, OSError) and exc.errno == errno.EROFS:
        return read_only_library(home)
    return None
