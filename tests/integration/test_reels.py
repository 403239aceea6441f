"""Highlight reels cut from real videos: the parts of one video joined by stream copy, parts
of two videos by one encode; each reel as long as its parts; nothing written on a bad request."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import av
import numpy as np
import pytest

from pipelines.errors import ClipError, NotFoundError
from pipelines.library import Library
from tests.support.library import make_settings

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "data" / "samples"


@pytest.fixture(scope="module")
def samples_library(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Library]:
    with Library(make_settings(tmp_path_factory.mktemp("reels") / "library")) as library:
        assert all(r.status == "indexed" for r in library.local.ingest([SAMPLES]))
        yield library


def streams(path: Path) -> tuple[float, list[str], tuple[int, int]]:
    with av.open(str(path)) as media:
        video = media.streams.video[0]
        size = (video.codec_context.width, video.codec_context.height)
        return float(media.duration or 0) / 1e6, [s.type for s in media.streams], size


def test_a_reel_of_one_videos_key_points_is_joined_by_copy(
    samples_library: Library, tmp_path: Path
) -> None:
    mine = samples_library.local
    video = next(v for v in mine.list_videos() if v.title == "hiring-kickoff")
    parts = mine.reel_parts(chapters_of=video.id)
    assert len(parts) >= 3 and {p.video_id for p in parts} == {video.id}
    reel = mine.reel(parts, output=tmp_path / "reel.mp4")
    duration, kinds, _ = streams(reel)
    assert sorted(kinds) == ["audio", "video"]
    assert duration == pytest.approx(sum(p.end - p.start for p in parts), abs=0.3)
    assert [p.name for p in tmp_path.iterdir()] == ["reel.mp4"]  # no part left behind
    vertical = mine.reel(parts, output=tmp_path / "vertical.mp4", vertical=True)
    duration, kinds, size = streams(vertical)
    assert size == (152, 270) and sorted(kinds) == ["audio", "video"]  # 9:16 of 480x270
    assert duration == pytest.approx(sum(p.end - p.start for p in parts), abs=0.3)


def test_a_reel_across_videos_is_encoded_to_one_picture(
    samples_library: Library, tmp_path: Path
) -> None:
    mine = samples_library.local
    parts = mine.reel_parts(query="solar panels and the interviews")
    assert len({p.video_id for p in parts}) == 2
    reel = mine.reel(parts, output=tmp_path / "reel.mp4")
    duration, kinds, size = streams(reel)
    assert sorted(kinds) == ["audio", "video"] and size == (480, 270)
    assert duration == pytest.approx(sum(p.end - p.start for p in parts), abs=0.3)


def test_a_reel_from_a_hits_file_and_the_requests_it_refuses(
    samples_library: Library, tmp_path: Path
) -> None:
    mine = samples_library.local
    [hit] = mine.search("interviews on Tuesdays", k=1)
    hits = tmp_path / "hits.json"
    hits.write_text(json.dumps([{"video_id": hit.video_id, "start": hit.start, "end": hit.end}]))
    duration, _, _ = streams(mine.reel(mine.reel_parts(hits_file=hits), output=tmp_path / "a.mp4"))
    assert duration == pytest.approx(hit.end - hit.start, abs=0.2)
    hits.write_text(json.dumps([{"video_id": "0" * 16, "start": 1.0, "end": 3.0}]))
    with pytest.raises(NotFoundError):  # not this owner's (or nobody's): refused before cutting
        mine.reel(mine.reel_parts(hits_file=hits), output=tmp_path / "b.mp4")
    hits.write_text('{"not": "a list"}')
    with pytest.raises(ClipError, match="reel.bad_hits|not a list"):
        mine.reel_parts(hits_file=hits)
    with pytest.raises(ClipError) as two:
        mine.reel_parts(query="solar", chapters_of=hit.video_id)
    assert two.value.code == "reel.missing_source"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.mp4", "hits.json"]


def _frame_at(path: Path, at_s: float) -> np.ndarray:
    with av.open(str(path)) as media:
        stream = media.streams.video[0]
        for frame in media.decode(stream):
            if frame.time is not None and frame.time >= at_s:
                return np.asarray(frame.to_ndarray(format="rgb24"), dtype=np.int16)
    raise AssertionError(f"no frame at {at_s} s")


def test_title_cards_and_subtitles_are_composed_in(
    samples_library: Library, tmp_path: Path
) -> None:
    mine = samples_library.local
    video = next(v for v in mine.list_videos() if v.title == "hiring-kickoff")
    parts = mine.reel_parts(chapters_of=video.id)[:2]
    reel = mine.reel(parts, output=tmp_path / "words.mp4", subtitles=True, title_cards=True)
    duration, kinds, size = streams(reel)
    assert sorted(kinds) == ["audio", "video"] and size == (480, 270)
    shown = sum(p.end - p.start for p in parts)
    assert duration == pytest.approx(shown + 2.0 * len(parts), abs=0.3)  # a 2 s card each
    card = _frame_at(reel, 1.0)  # the first card: white words on black
    assert (card.max(axis=2) < 40).mean() > 0.8 and (card.min(axis=2) > 200).sum() > 200
    spoken = _frame_at(reel, 2.0 + (parts[0].end - parts[0].start) / 2)
    band, top = spoken[int(270 * 0.8) :], spoken[: int(270 * 0.5)]
    # The subtitle band: white letters on a black box over the colourful test picture.
    assert (band.min(axis=2) > 200).sum() > 100 and (band.max(axis=2) < 40).sum() > 2000
    assert (top.max(axis=2) < 40).mean() < 0.2  # the picture itself is not blacked out
    plain = mine.reel(parts, output=tmp_path / "plain.mp4")
    assert streams(plain)[0] == pytest.approx(shown, abs=0.3)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plain.mp4", "words.mp4"]
