"""The storage quota (``VIDSCOPE_QUOTA_BYTES``) and the room to write: the one place that
decides how many bytes an owner may still store, and the checks every writer of an owner's
files calls first (uploads from the API and the web page, clips, reels).

What counts against an owner: their videos' media, their clips and reels (the catalog's
``stored_bytes``), and bytes held for them outside the catalog — a face that keeps files for an
owner before they reach the library (the web page's uploads not yet sent to the library)
registers a counter with ``count_pending``, and ``quota_left`` subtracts it for every face."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from pipelines.errors import VidscopeError
from pipelines.storage.faults import ensure_free_space

if TYPE_CHECKING:
    from pipelines.config import Settings
    from pipelines.records import Video
    from pipelines.storage.catalog import OwnerCatalog

PendingBytes = Callable[[str], int]
"""Bytes held for an owner (named by id) outside the catalog."""

# Per library (its home folder): a process may serve one library and test another.
_PENDING: dict[Path, list[PendingBytes]] = {}
_PENDING_LOCK = threading.Lock()
# A cut's size is estimated from its share of the source; the container, a re-encoded edge and
# a title card add a little, never much.
CUT_OVERHEAD_BYTES = 64 * 1024


def count_pending(home: Path, pending: PendingBytes) -> Callable[[], None]:
    """Makes ``quota_left`` of the library at ``home`` subtract ``pending(owner_id)``; returns
    the function that stops it (a face that shuts down calls it)."""
    key = home.absolute()
    with _PENDING_LOCK:
        _PENDING.setdefault(key, []).append(pending)

    def stop() -> None:
        with _PENDING_LOCK:
            sources = _PENDING.get(key, [])
            if pending in sources:
                sources.remove(pending)

    return stop


def pending_bytes(home: Path, owner_id: str) -> int:
    """Bytes held for the owner outside the catalog (every counter of ``count_pending``)."""
    with _PENDING_LOCK:
        sources = list(_PENDING.get(home.absolute(), []))
    return sum(max(0, source(owner_id)) for source in sources)


def quota_left(*, settings: Settings, catalog: OwnerCatalog) -> int:
    """Bytes the owner may still store: ``VIDSCOPE_QUOTA_BYTES`` less their videos, clips and
    reels and the bytes held for them elsewhere (``count_pending``); never below zero."""
    used = catalog.stored_bytes() + pending_bytes(settings.home, catalog.owner_id)
    return max(0, settings.limits.quota_bytes - used)


def quota_exceeded(quota_left: int, what: str = "this upload") -> VidscopeError:
    """The error for something past the owner's storage quota (every face, every writer)."""
    return VidscopeError(
        f"{what} does not fit in your storage quota ({quota_left} bytes left, "
        "VIDSCOPE_QUOTA_BYTES; videos, clips and reels all count); delete videos you no "
        "longer need (their clips and reels go with them)",
        code="quota.exceeded",
        quota_left_bytes=quota_left,
    )


def ensure_quota(
    size_bytes: int, *, settings: Settings, catalog: OwnerCatalog, what: str = "this upload"
) -> int:
    """Refuses (``quota.exceeded``) ``size_bytes`` more for the owner when they do not fit;
    returns the bytes left before them."""
    left = quota_left(settings=settings, catalog=catalog)
    if size_bytes > left:
        raise quota_exceeded(left, what)
    return left


def ensure_upload_room(size_bytes: int, *, settings: Settings, catalog: OwnerCatalog) -> int:
    """The checks before an upload's first byte is read (the API's route and the web page's
    alike): ``storage.full`` when the staging disk cannot hold ``size_bytes`` and keep
    ``VIDSCOPE_MIN_FREE_BYTES`` free, ``quota.exceeded`` when the owner has no room for them.
    Returns the owner's bytes left (the most the upload may then grow to)."""
    ensure_free_space(settings.layout.staging_dir, size_bytes, settings.limits.min_free_bytes)
    return ensure_quota(size_bytes, settings=settings, catalog=catalog)


def cut_bytes(video: Video, start: float, end: float) -> int:
    """About how many bytes a cut of [start, end) seconds of ``video`` writes."""
    share = max(0.0, min(end, video.duration) - start) / max(video.duration, 1e-6)
    return int(video.size_bytes * share) + CUT_OVERHEAD_BYTES


def ensure_output_room(
    size_bytes: int,
    *,
    output: Path,
    settings: Settings,
    catalog: OwnerCatalog,
    what: str = "this clip",
) -> None:
    """The checks before a clip or a reel is written to ``output`` (``cut_bytes`` estimates
    ``size_bytes``): ``quota.exceeded`` when the owner has no room for it, ``storage.full``
    when the disk cannot hold it and keep ``VIDSCOPE_MIN_FREE_BYTES`` free."""
    ensure_quota(size_bytes, settings=settings, catalog=catalog, what=what)
    ensure_free_space(output.absolute().parent, size_bytes, settings.limits.min_free_bytes)
