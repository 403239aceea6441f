"""Hybrid search over one owner's indexes, and the best hit's time range (what clips, and next
answers and reels, start from)."""

from __future__ import annotations

from pipelines.errors import NoMatchError
from pipelines.records import Hit
from pipelines.services.scope import OwnerScope


class SearchService(OwnerScope):
    def search(
        self,
        query: str,
        *,
        k: int | None = None,
        video_id: str | None = None,
        speaker: str | None = None,
    ) -> list[Hit]:
        from pipelines.retrieval.search import search_library

        if video_id is not None:
            self.get_video(video_id)  # raises video.not_found for another owner's id
        snapshot = self.indexes.usable_snapshot(self._catalog)
        return search_library(
            query,
            catalog=self._catalog,
            vectors=snapshot.vectors,
            lexical=snapshot.lexical,
            embed_query=self.embed_query,
            k=self.settings.search.k if k is None else k,
            video_id=video_id,
            speaker=speaker,
            rrf_k=self.settings.search.rrf_k,
            min_similarity=self.settings.search.min_similarity,
        )

    def best_range(self, query: str, *, video_id: str | None = None) -> tuple[Hit, float, float]:
        """The best hit for ``query`` and its bounds (word timestamps, padded a little)."""
        hits = self.search(query, k=1, video_id=video_id)
        if not hits:
            raise NoMatchError(query)
        hit = hits[0]
        pad = self.settings.clips.padding_s
        video = self.get_video(hit.video_id)
        return hit, max(0.0, hit.start - pad), min(video.duration, hit.end + pad)
