"""Reel parts that begin and end between sentences of one topic. A part chosen from a search
hit or a key point is padded a little; the padding must not cut into a sentence, nor show the
next topic's first words or its slide. ``snap_part`` moves each end into the pause beside
the sentences the part is about, and short of a chapter's start or a change of the picture's
text found in that pause; ``merge_parts`` joins the parts of one video that then overlap."""

from __future__ import annotations

import bisect
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from pipelines.records import ReelPart

# A change of on-screen text is dated when the picture has settled, up to about this long
# after the slide appeared (tests/integration/test_screen_text.py holds it to 0.5 s): a part
# ends this much before the change found, never before its own last sentence ends.
SCREEN_SLACK_S = 0.5
# A sentence belongs to a part when at least this share of it lies inside the part; less is
# only the padding of a neighbour, which the snapped part leaves out.
INSIDE_SHARE = 0.5

Span = tuple[float, float]  # start, end (seconds in the video)


@dataclass(frozen=True)
class TopicBounds:
    """What bounds a video's parts: its sentences, where its chapters start (none before its
    summary is made) and when its on-screen text changes (none without screen text)."""

    sentences: Sequence[Span]
    chapter_starts: Sequence[float] = ()
    screen_changes: Sequence[float] = ()


def snap_parts(
    parts: Sequence[ReelPart], bounds_of: Callable[[str], TopicBounds]
) -> list[ReelPart]:
    """Each of ``parts`` snapped (``snap_part``) to its video's bounds, asked once per video;
    parts that then overlap are merged."""
    bounds: dict[str, TopicBounds] = {}
    snapped = []
    for part in parts:
        if part.video_id not in bounds:
            bounds[part.video_id] = bounds_of(part.video_id)
        found = bounds[part.video_id]
        snapped.append(
            snap_part(
                part,
                found.sentences,
                chapter_starts=found.chapter_starts,
                screen_changes=found.screen_changes,
            )
        )
    return merge_parts(snapped)


def snap_part(
    part: ReelPart,
    sentences: Sequence[Span],
    *,
    chapter_starts: Sequence[float] = (),
    screen_changes: Sequence[float] = (),
) -> ReelPart:
    """``part`` with its start and end in the pauses around the sentences it is about: those
    mostly inside it, and of them only the ones in the chapter (``chapter_starts``) holding
    most of their time (a part reaching back into the chapter before begins where this one's
    first sentence does). Each end keeps the part's padding where the pause allows it, stops at
    the neighbouring sentence, and stays clear of a chapter start or a screen change
    (``screen_changes``, when new on-screen text was found) in that pause. A part holding no
    sentence (silence, a slide nobody speaks over) is returned as it is."""
    ordered = sorted(sentences)
    inside = [n for n, (start, end) in enumerate(ordered) if _share_inside(part, start, end)]
    if not inside:
        return part
    crossed = inside[0]
    inside = _one_chapter(inside, ordered, sorted(chapter_starts))
    first, last = inside[0], inside[-1]
    said_from, said_to = ordered[first][0], ordered[last][1]
    pause_from = ordered[first - 1][1] if first > 0 else 0.0
    pause_to = ordered[last + 1][0] if last + 1 < len(ordered) else float("inf")
    start = max(min(part.start, said_from), min(pause_from, said_from))
    if crossed < first:  # it reached back into the chapter before: it begins with this one
        start = said_from
    end = min(max(part.end, said_to), max(pause_to, said_to))
    for change in sorted({*chapter_starts, *screen_changes}):
        if pause_from < change < said_from:
            start = max(start, change)  # dated late, so the new picture is already up
        if said_to < change < pause_to:
            end = min(end, max(said_to, change - SCREEN_SLACK_S))
    return replace(part, start=start, end=end)


def _share_inside(part: ReelPart, start: float, end: float) -> bool:
    length = end - start
    inside = min(end, part.end) - max(start, part.start)
    return inside > 0 and inside >= INSIDE_SHARE * length


def _one_chapter(inside: list[int], ordered: list[Span], starts: list[float]) -> list[int]:
    """The sentences of ``inside`` in the chapter holding most of their time."""
    if not starts:
        return inside
    time_in: dict[int, float] = {}
    for n in inside:
        chapter = bisect.bisect_right(starts, ordered[n][0])
        time_in[chapter] = time_in.get(chapter, 0.0) + ordered[n][1] - ordered[n][0]
    best = max(time_in, key=lambda chapter: (time_in[chapter], -chapter))
    return [n for n in inside if bisect.bisect_right(starts, ordered[n][0]) == best]


def merge_parts(parts: Sequence[ReelPart]) -> list[ReelPart]:
    """Overlapping or touching parts of one video become one (in the order first seen)."""
    merged: list[ReelPart] = []
    for part in parts:
        for n, kept in enumerate(merged):
            if kept.video_id == part.video_id and part.start <= kept.end and part.end >= kept.start:
                merged[n] = replace(
                    kept, start=min(kept.start, part.start), end=max(kept.end, part.end)
                )
                break
        else:
            merged.append(part)
    return merged
