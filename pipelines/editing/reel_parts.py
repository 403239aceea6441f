"""What a reel shows: its parts, from exactly one source (a query's best hits, a JSON file of
hits, given ranges, or a video's key points); a part chosen from a query or a key point is
moved to the pauses around the sentences it is about (``sentence_bounds``). One owner for the
in-process library and the HTTP client (the CLI beside a server): both hand themselves in as
a ``ReelSource``; what is made of the parts is ``reels``."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from pipelines.editing.sentence_bounds import TopicBounds, merge_parts, snap_parts
from pipelines.errors import ClipError, NoMatchError, VidscopeError
from pipelines.records import Hit, ReelPart, Segment

if TYPE_CHECKING:
    from pipelines.config import Settings
    from pipelines.public import SummaryPublic

QUERY_HITS = 5  # parts of a reel made from a query: its best hits


def read_parts(path: Path) -> list[ReelPart]:
    """Parts from a JSON file of hits (``vidscope search --json`` writes one): a list of
    objects with ``video_id``, ``start`` and ``end`` (seconds)."""
    try:
        rows = json.loads(path.read_text())
        parts = [ReelPart(str(r["video_id"]), float(r["start"]), float(r["end"])) for r in rows]
    except (OSError, ValueError, TypeError, KeyError) as exc:
        raise ClipError(
            f"{path}: not a list of hits with video_id, start and end ({exc}); search "
            "results saved as JSON are one",
            code="reel.bad_hits",
        ) from exc
    return parts


class ReelSource(Protocol):
    """What choosing a reel's parts needs of a library: the in-process owner's library and
    the HTTP client both have it (the client's ``screen_changes`` is empty: the API does not
    say when a video's on-screen text changes)."""

    settings: Settings

    def search(
        self,
        query: str,
        *,
        k: int | None = None,
        video_id: str | None = None,
        speaker: str | None = None,
    ) -> list[Hit]: ...

    def summary(self, video_id: str) -> SummaryPublic: ...

    def segments(self, video_id: str) -> list[Segment]: ...

    def screen_changes(self, video_id: str) -> list[float]: ...


def reel_parts(
    source: ReelSource,
    *,
    query: str | None = None,
    hits_file: Path | None = None,
    parts: Sequence[ReelPart] | None = None,
    chapters_of: str | None = None,
    speaker: str | None = None,
) -> list[ReelPart]:
    """What a reel shows, from exactly one source: a query's best hits (each sentence, padded
    a little; only what ``speaker`` says, when given, as the search shows them), a JSON file
    of hits, given ranges (``parts``), or a video's key points (one per chapter). Parts chosen
    from a query or key points then begin and end between sentences of one topic
    (``sentence_bounds.snap_parts``); ranges given or read from a file are kept as given. None
    or two sources is ``reel.missing_source``; a query nothing matches is ``query.no_match``.
    The parts may be none (a video without key points): ``check_limits`` names that."""
    given = (query, hits_file, parts, chapters_of)
    if sum(x is not None for x in given) != 1:
        raise ClipError(
            "a reel is made from exactly one source: a query, hits or a video's chapters",
            code="reel.missing_source",
        )
    if hits_file is not None:
        return merge_parts(read_parts(hits_file))
    if parts is not None:
        return merge_parts(parts)
    pad_s = source.settings.clips.padding_s
    if query is not None:
        hits = source.search(query, k=QUERY_HITS, speaker=speaker)
        if not hits:
            raise NoMatchError(query)
        chosen = [ReelPart(h.video_id, max(0.0, h.start - pad_s), h.end + pad_s) for h in hits]
    else:
        assert chapters_of is not None
        chosen = [
            ReelPart(chapters_of, max(0.0, p.start - pad_s), p.end + pad_s)
            for p in source.summary(chapters_of).key_points
        ]
    return snap_parts(merge_parts(chosen), lambda video_id: topic_bounds(source, video_id))


def topic_bounds(source: ReelSource, video_id: str) -> TopicBounds:
    """A video's sentences, where its chapters start (none when it has no summary yet) and
    when its on-screen text changes."""
    return TopicBounds(
        [(s.start, s.end) for s in source.segments(video_id)],
        [start for start, _, _ in chapter_titles(source, video_id)[1:]],
        [t for t in source.screen_changes(video_id) if t > 0],
    )


def chapter_titles(source: ReelSource, video_id: str) -> list[tuple[float, float, str]]:
    """A video's chapters (start, end, title) for a reel's bounds and title cards; none when
    it has no summary to be had."""
    try:
        chapters = source.summary(video_id).chapters
    except VidscopeError:
        return []
    return [(c.start, c.end, c.title) for c in chapters]
