"""Publishing a file so that readers see the old one or the whole new one, never a part: write
beside it, fsync, rename over it, fsync the folder. A failure (a full disk, a crash, an
interrupt) leaves the old file and removes the part. Every stage that publishes a file uses
``atomic_write``; folders that are swapped whole (an index, an exported model) use
``fsync_path`` on the folder after their own rename."""

from __future__ import annotations

import errno
import hashlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pipelines.storage.faults import storage_full

_COPY_BLOCK = 1024 * 1024


@contextmanager
def atomic_write(
    target: Path, *, partial_name: str | None = None, mode: int | None = None
) -> Iterator[Path]:
    """Yields the path to write (``partial_name`` in ``target``'s folder; default
    ``<name>.part``); when the block ends it is made durable and renamed to ``target``
    (with permissions ``mode`` when given). Raises whatever the block or the disk raised,
    after removing the part; a full disk (ENOSPC) as ``storage.full``."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(partial_name or f"{target.name}.part")
    partial.unlink(missing_ok=True)
    try:
        yield partial
        if mode is not None:
            os.chmod(partial, mode)
        fsync_path(partial)
        os.replace(partial, target)
        fsync_path(target.parent)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        if exc.errno == errno.ENOSPC:
            raise storage_full(target.parent) from exc
        raise
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


def fsync_path(path: Path) -> None:
    """Makes a file's data, or a folder's entries (a rename into it), durable."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(_COPY_BLOCK):
            digest.update(block)
    return digest.hexdigest()


def store_media(source: Path, target: Path) -> None:
    """Copies ``source`` to ``target`` atomically (``files.atomic_write``)."""
    with atomic_write(target) as partial, source.open("rb") as src, partial.open("wb") as dst:
        while block := src.read(_COPY_BLOCK):
            dst.write(block)
