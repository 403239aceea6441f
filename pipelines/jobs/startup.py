"""The job worker of an open library, as the server starts it. Built here, above both, and
not by the library: the worker drives the library's services (it plans a clip as the owner
would), so the library must not depend on it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pipelines.jobs.worker import JobWorker

if TYPE_CHECKING:
    from pipelines.library import Library


def library_worker(library: Library) -> JobWorker:
    """The worker for ``library``'s queue (``start()`` runs it, ``stop()`` ends it)."""
    return JobWorker(
        settings=library.settings,
        catalog=library.catalog,
        indexes=library.indexes,
        owner=library.for_owner,
    )
