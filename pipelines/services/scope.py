"""What every service of an owner's library shares: the owner, the settings, the owner's view
of the catalog (``catalog.for_owner``: it can see nothing else) and the library's indexes."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from pipelines.records import Segment, Video
from pipelines.storage.faults import missing_media

if TYPE_CHECKING:
    import numpy as np

    from pipelines.config import Settings
    from pipelines.retrieval.indexes import SearchIndexes
    from pipelines.storage.catalog import OwnerCatalog
    from pipelines.understanding.cache import Cache
    from pipelines.understanding.generators import Generator


class OwnerScope:
    """Built by ``Library.for_owner``; another owner's ids are "not found" here."""

    def __init__(
        self,
        *,
        settings: Settings,
        catalog: OwnerCatalog,
        indexes: SearchIndexes,
        embed_query: Callable[[str], np.ndarray],
        generator: Callable[[], Generator],
        cache: Callable[[], Cache],
    ) -> None:
        self.settings = settings
        self.owner_id = catalog.owner_id
        self._catalog = catalog
        self.indexes = indexes
        self.embed_query = embed_query
        # The library's, built on first use (a clip or a listing loads no answer code).
        self._generator = generator
        self._cache = cache

    @property
    def generator(self) -> Generator:
        """Writes answers; one per library (it holds a circuit breaker)."""
        return self._generator()

    @property
    def cache(self) -> Cache:
        """Answers to repeated questions, shared by the library's owners."""
        return self._cache()

    def get_video(self, video_id: str) -> Video:
        return self._catalog.get_video(video_id)

    def segments(self, video_id: str) -> list[Segment]:
        """The sentences of one of the owner's videos, in time order."""
        return self._catalog.segments(video_id)  # another owner's id is video.not_found

    def media_file(self, video_id: str) -> Path:
        """The stored media of one of the owner's ready videos; ``media.missing`` when the file
        is gone (deleted or moved by hand, a lost disk)."""
        video = self.get_video(video_id)
        path = self.settings.home / video.media_path
        if not path.is_file():
            raise missing_media(video)
        return path
