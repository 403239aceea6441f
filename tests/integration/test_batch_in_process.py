"""Batch ingest in this process, on one local Ray the module starts once: merges as the batch
goes, and a rerun after the writer died before its merge. (tests/integration/test_batch.py
runs the CLI's batches, each with a Ray of its own, as a person runs them.)"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from pipelines.config import Settings
from pipelines.jobs.manifest import collect_items
from pipelines.jobs.ray_ingest import BatchOptions, ingest_batch
from pipelines.jobs.ray_session import ray_session
from pipelines.library import Library
from tests.support.library import make_settings

SAMPLES = Path(__file__).resolve().parents[2] / "data" / "samples"
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module", autouse=True)
def local_ray() -> Iterator[float]:
    """One local Ray for the module, started as a batch starts its own (ray_session); each
    batch below finds it running and uses it, as in a notebook. A start is ~15 s on 2 cores,
    and these tests ran three."""
    with ray_session(None) as cpus:
        yield cpus


class WriterKilledBeforeMerge(Exception):
    pass


class CountingWriter:
    """The local writer, noting what each merge it is asked for holds."""

    def __init__(self, library: Any) -> None:
        self.library = library
        self.merges: list[list[str]] = []

    def shards_folder(self) -> Path:
        folder: Path = self.library.shards_folder()
        return folder

    def ready_sha256s(self, sha256s: list[str]) -> set[str]:
        found: set[str] = self.library.ready_sha256s(sha256s)
        return found

    def merge_shards(self, sha256s: list[str], *, batch_id: str) -> Any:
        self.merges.append(list(sha256s))
        return self.library.merge_shards(sha256s, batch_id=batch_id)


class DyingWriter(CountingWriter):
    """The local writer, killed (as far as the batch can tell) when it starts merging."""

    def merge_shards(self, sha256s: list[str], *, batch_id: str) -> Any:
        raise WriterKilledBeforeMerge


def batch(
    settings: Settings, folder: Path, writer: Any, progress: Any = None, **options: Any
) -> Any:
    items, _ = collect_items(folder, allowed=settings.limits.allowed_containers)
    return ingest_batch(
        items,
        writer=writer,
        options=replace(BatchOptions.from_settings(settings, workers=1), **options),
        progress=progress,
    )


@pytest.fixture
def two_samples(tmp_path: Path) -> Path:
    folder = tmp_path / "two"
    folder.mkdir()
    for video in SAMPLES.glob("*.mp4"):
        shutil.copy(video, folder / video.name)
    return folder


def test_a_long_batch_stores_what_it_computed_as_it_goes(tmp_path: Path, two_samples: Path) -> None:
    """Merges every merge_every_s: here after each file (one actor computes them in turn),
    so the first video is searchable while the second is transcribed."""
    settings = make_settings(tmp_path / "library")
    with Library(settings) as library:
        writer = CountingWriter(library.for_owner("local"))
        report = batch(settings, two_samples, writer, merge_every_s=0.001)
        assert [len(merge) for merge in writer.merges] == [1, 1]
        assert report.count("indexed") == 2 and report.merge_s > 0
        assert len(library.local.list_videos()) == 2
        assert library.indexes.in_step_with(library.catalog.for_owner("local"))
        assert not list(settings.layout.shards_dir.rglob("*.parquet"))


def test_a_rerun_after_the_writer_died_merges_the_shards_without_recomputing(
    tmp_path: Path, two_samples: Path
) -> None:
    settings = make_settings(tmp_path / "library")
    with Library(settings) as library:
        owner = library.for_owner("local")
        seen: list[tuple[str, str, int, int]] = []

        def progress(outcome: Any, done: int, total: int) -> None:
            seen.append((Path(outcome.path).name, outcome.status, done, total))

        with pytest.raises(WriterKilledBeforeMerge):
            batch(settings, two_samples, DyingWriter(owner), progress)
        assert len(list(owner.shards_folder().glob("*.parquet"))) == 2
        assert library.local.list_videos() == []  # nothing stored before the merge
        # The progress moved as each file was computed, before the merge.
        assert sorted(name for name, *_ in seen) == ["hiring-kickoff.mp4", "solar-power-update.mp4"]
        assert [(status, done, total) for _, status, done, total in seen] == [
            ("computed", 1, 2),
            ("computed", 2, 2),
        ]

        seen.clear()
        report = batch(settings, two_samples, owner, progress)
        # Shards of the killed run count at once; each file then ends indexed, counted once.
        assert [status for _, status, _, _ in seen] == ["computed"] * 2 + ["indexed"] * 2
        assert [done for _, _, done, _ in seen] == [1, 2, 2, 2]
        assert report.count("indexed") == 2
        assert all(o.compute_s == 0 for o in report.outcomes)  # taken from the shards
        assert not list(owner.shards_folder().glob("*.parquet"))
        assert len(library.local.list_videos()) == 2
        assert library.indexes.in_step_with(library.catalog.for_owner("local"))
