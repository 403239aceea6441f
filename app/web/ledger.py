"""The web page's pending uploads: which user each file Gradio stored belongs to, until the
user's Upload claims it or it expires; how the page names them (never by a server path); and
their bytes, which count against the user's quota while they wait."""

from __future__ import annotations

import os
import shutil
import stat
import threading
import time
from collections.abc import Callable
from pathlib import Path

from pipelines.errors import VidscopeError
from pipelines.quota import quota_exceeded

# An upload nobody used within this long is removed (the person closed the page).
UPLOAD_TTL_S = 3600.0


def not_uploaded(shown_as: str) -> VidscopeError:
    """One error for every file reference that is not the user's own pending upload: missing,
    someone else's, outside the upload folder, not a regular file. Never says which."""
    return VidscopeError(
        f"{shown_as!r} is not a file you uploaded on this page (or it has expired); "
        "choose the file again",
        code="upload.not_found",
    )


class UploadLedger:
    """Which user each of Gradio's uploaded files belongs to, until it is claimed or expires.
    Files live in ``folder`` (Gradio's upload folder, inside the library's staging area)."""

    def __init__(self, folder: Path, *, ttl_s: float = UPLOAD_TTL_S) -> None:
        self.folder = folder.resolve()
        self.ttl_s = ttl_s
        self._entries: dict[str, tuple[str, float]] = {}
        self._lock = threading.Lock()
        # Uploads on their way in: (user, bytes), counted like the files that wait here.
        self._reserved: dict[object, tuple[str, int]] = {}
        self._reserving = threading.Lock()

    def reset(self) -> None:
        """Empties the folder: uploads of an earlier run belong to nobody now."""
        with self._lock:
            self._entries.clear()
        shutil.rmtree(self.folder, ignore_errors=True)
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)

    def _key(self, path: str) -> str | None:
        """The path's canonical form, if it lies inside the folder (symlinks resolved)."""
        try:
            resolved = Path(os.path.realpath(path))
        except (OSError, ValueError):
            return None
        return str(resolved) if resolved.is_relative_to(self.folder) else None

    def add(self, user_id: str, path: str) -> None:
        key = self._key(path)
        if key is not None:
            with self._lock:
                self._entries.setdefault(key, (user_id, time.monotonic()))

    def shown(self, path: str) -> str:
        """How the page names an upload: its place inside the folder, never the server's
        absolute path."""
        key = self._key(path)
        return str(Path(key).relative_to(self.folder)) if key else Path(path).name

    def locate(self, path: str) -> str:
        """The absolute path of an upload the page names (as :meth:`shown` wrote it; an
        absolute path is taken as it is, and checked like any other)."""
        if Path(path).is_absolute():
            return path
        if ".." in Path(path).parts:
            return str(self.folder / "..invalid")  # never inside the folder: not found
        return str(self.folder / path)

    def reserve(self, user_id: str, size_bytes: int, room: Callable[[], int]) -> Callable[[], None]:
        """Holds ``size_bytes`` for an upload on its way in, if ``room()`` (the user's bytes
        left, which count what is held here) has them; else ``quota.exceeded``. One check and
        hold at a time, so uploads sent together cannot each see the same room. Returns the
        function that lets the hold go (once the upload is written here, or failed)."""
        with self._reserving:
            left = room()
            if size_bytes > left:
                raise quota_exceeded(left)
            hold = object()
            with self._lock:
                self._reserved[hold] = (user_id, size_bytes)

        def release() -> None:
            with self._lock:
                self._reserved.pop(hold, None)

        return release

    def pending_bytes(self, user_id: str) -> int:
        """Bytes of the user's uploads that wait here or are on their way in (the quota counts
        them: ``pipelines.quota.count_pending``)."""
        with self._lock:
            keys = [key for key, (owner, _) in self._entries.items() if owner == user_id]
            held = sum(size for owner, size in self._reserved.values() if owner == user_id)
        total = held
        for key in keys:
            try:
                total += os.lstat(key).st_size
            except OSError:
                pass
        return total

    def owns(self, user_id: str, path: str) -> bool:
        key = self._key(path)
        with self._lock:
            entry = self._entries.get(key) if key else None
        return entry is not None and entry[0] == user_id

    def claim(self, user_id: str, path: str) -> Path:
        """The user's uploaded file at ``path``, now theirs alone to consume (a second claim
        fails). Raises ``upload.not_found`` unless it is the user's pending upload and a
        regular file (checked without following links or opening it)."""
        shown_as = Path(str(path)).name
        key = self._key(str(path))
        with self._lock:
            entry = self._entries.get(key) if key else None
            if key is None or entry is None or entry[0] != user_id:
                raise not_uploaded(shown_as)
            del self._entries[key]
        try:
            info = os.lstat(key)
        except OSError as exc:
            raise not_uploaded(shown_as) from exc
        if not stat.S_ISREG(info.st_mode):
            raise not_uploaded(shown_as)
        return Path(key)

    def sweep(self) -> int:
        """Removes uploads older than the time to live; returns how many."""
        cutoff = time.monotonic() - self.ttl_s
        with self._lock:
            old = [key for key, (_, at) in self._entries.items() if at < cutoff]
            for key in old:
                del self._entries[key]
        for key in old:
            Path(key).unlink(missing_ok=True)
            _remove_empty(Path(key).parent, self.folder)
        # Gradio's part files sit at the top of the folder while they are written (an upload
        # is moved into a folder of its own when whole); one nobody wrote to for the time to
        # live was left by an upload that never finished.
        stale = time.time() - self.ttl_s
        for entry in self.folder.iterdir():
            try:
                if entry.is_file() and not entry.is_symlink() and entry.stat().st_mtime < stale:
                    entry.unlink(missing_ok=True)
            except OSError:
                pass
        return len(old)

    def discard(self, path: Path) -> None:
        """Removes a claimed file and its folder, if Gradio made one for it alone."""
        path.unlink(missing_ok=True)
        _remove_empty(path.parent, self.folder)


def _remove_empty(folder: Path, top: Path) -> None:
    if folder != top and folder.is_relative_to(top):
        try:
            folder.rmdir()
        except OSError:
            pass
