"""What every service of an owner's library shares: the owner, the settings, the owner's view
of the catalog (``catalog.for_owner``: it can see nothing else) and the library's indexes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pipelines.records import Video

if TYPE_CHECKING:
    from pipelines.library import Library


class OwnerScope:
    """Built by ``Library.for_owner``; another owner's ids are "not found" here."""

    def __init__(self, library: Library, owner_id: str) -> None:
        self.library = library
        self.owner_id = owner_id
        self.settings = library.settings
        self._catalog = library.catalog.for_owner(owner_id)
        self.indexes = library.indexes

    def get_video(self, video_id: str) -> Video:
        return self._catalog.get_video(video_id)
