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

from pipelines.errors import VidscopeError
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


def write_text_file(output: Path, text: str, *, example: str) -> None:
    """Writes an export a person asked for (``-o``), creating missing folders, whole or not at
    all; a folder (``example`` is the file name suggested instead), an unwritable place or a
    full disk is a coded error, not a traceback."""
    if output.is_dir():
        raise VidscopeError(
            f"{output} is a folder; give a file name, e.g. {output / example}",
            code="output.is_folder",
        )
    try:
        with atomic_write(output) as partial:
            partial.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise VidscopeError(
            f"cannot write {output}: {exc.strerror or exc}", code="output.unwritable"
        ) from exc
