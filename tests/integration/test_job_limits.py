"""A user's jobs within their limits, on a real library and the real worker: a clip that runs
over its time limit is stopped in its compute process and fails with ``job.timed_out``,
leaving no file, no working folder and no process; the next clip is cut by a fresh process;
a reel past its size limits and a queue past its cap are refused with their codes, naming
the setting, before anything is recorded."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from pipelines.errors import VidscopeError
from pipelines.jobs.startup import library_worker
from pipelines.jobs.worker import JobWorker
from pipelines.library import Library
from pipelines.records import ReelPart
from tests.support.library import TALK, make_settings

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def limited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Library, str]]:
    settings = make_settings(
        tmp_path_factory.mktemp("limits") / "library",
        job_timeout_clip_s=0.05,
        job_max_active_per_owner=2,
        reel_max_parts=2,
        reel_max_part_s=5.0,
        reel_max_total_s=8.0,
    )
    with Library(settings) as library:
        [ingested] = list(library.local.ingest([TALK]))
        assert ingested.status == "indexed", ingested
        yield library, ingested.video_id


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_a_clip_over_its_time_limit_is_stopped_and_leaves_nothing(
    limited: tuple[Library, str],
) -> None:
    library, video_id = limited
    clips_dir = library.settings.layout.clips_dir
    clip_id, job_id = library.local.queue_clip(video_id=video_id, start=1.0, end=30.0)
    worker = library_worker(library)
    try:
        # The compute process is up already, so the 0.05 s limit falls in the cut itself.
        edits = worker.lanes["edits"]
        edits.submit(os.getpid).result()
        [pid] = edits.pids()
        job = library.system.claim_job(lease_s=60, kinds=("clip",))
        assert job is not None and job.id == job_id
        worker.run(job)
    finally:
        worker.stop()
    failed = library.system.job(job_id)
    assert (failed.status, failed.error_code) == ("failed", "job.timed_out")
    assert failed.error_message is not None
    assert "0.05 s (VIDSCOPE_JOB_TIMEOUT_CLIP_S)" in failed.error_message
    assert failed.attempts == 1  # not retried: it would only run over again
    assert library.local.get_clip(clip_id).status == "failed"
    assert not alive(pid)
    assert sorted(p.name for p in clips_dir.iterdir()) == []  # no clip, no working folder

    # Other work goes on: the next clip gets a fresh process (a worker with room to cut).
    roomy = library.settings.model_copy(update={"job_timeout_clip_s": 600.0})
    again = JobWorker(
        settings=roomy, catalog=library.catalog, indexes=library.indexes, owner=library.for_owner
    )
    clip_id, job_id = library.local.queue_clip(video_id=video_id, start=1.0, end=4.0)
    job = library.system.claim_job(lease_s=60, kinds=("clip",))
    assert job is not None
    try:
        again.run(job)
    finally:
        again.stop()
    assert library.system.job(job_id).status == "succeeded", library.system.job(job_id)
    assert library.local.clip_file(clip_id).is_file()
    assert sorted(p.name for p in clips_dir.iterdir()) == [f"{clip_id}.mp4"]


def test_a_reel_past_its_limits_is_refused_with_the_setting_named(
    limited: tuple[Library, str],
) -> None:
    library, video_id = limited
    before = library.local.jobs()
    cases = [
        ([ReelPart(video_id, 0.0, 6.0)], "reel.too_long", "VIDSCOPE_REEL_MAX_PART_S"),
        (
            [ReelPart(video_id, 0.0, 5.0), ReelPart(video_id, 10.0, 15.0)],
            "reel.too_long",
            "VIDSCOPE_REEL_MAX_TOTAL_S",
        ),
        (
            [ReelPart(video_id, n * 5.0, n * 5.0 + 1) for n in range(3)],
            "reel.too_many_parts",
            "VIDSCOPE_REEL_MAX_PARTS",
        ),
    ]
    for parts, code, setting in cases:
        with pytest.raises(VidscopeError) as refused:
            library.local.queue_reel(parts=parts)
        assert refused.value.code == code
        assert setting in refused.value.message
        with pytest.raises(VidscopeError, match=setting):  # the CLI's reel alike
            library.local.reel(parts, output=library.settings.home / "r.mp4")
    assert library.local.jobs() == before


def test_a_queue_past_the_cap_is_refused_before_anything_is_recorded(
    limited: tuple[Library, str],
) -> None:
    library, video_id = limited
    queued = [library.local.queue_clip(video_id=video_id, start=1.0, end=2.0) for _ in range(2)]
    with pytest.raises(VidscopeError) as refused:
        library.local.queue_clip(video_id=video_id, start=1.0, end=2.0)
    assert refused.value.code == "job.queue_full"
    assert "2 jobs" in refused.value.message
    with pytest.raises(VidscopeError, match="VIDSCOPE_JOB_MAX_ACTIVE_PER_OWNER"):
        library.local.queue_reel(parts=[ReelPart(video_id, 1.0, 2.0)])
    active = library.local.jobs(status="queued")
    assert {job.id for job in active} == {job_id for _, job_id in queued}
    for _, job_id in queued:
        library.catalog.finish_job(job_id)
    _, job_id = library.local.queue_reel(parts=[ReelPart(video_id, 1.0, 2.0)])  # room again
    assert library.local.job(job_id).status == "queued"


def test_working_folders_a_killed_server_left_go_when_the_worker_starts(
    limited: tuple[Library, str],
) -> None:
    library, _ = limited
    left = library.settings.layout.clips_dir / ".job-0123456789abcdef"
    (left / ".reel-x").mkdir(parents=True)
    (left / ".reel-x" / "part-000.mp4").write_bytes(b"half")
    worker = JobWorker(
        settings=library.settings,
        catalog=library.catalog,
        indexes=library.indexes,
        owner=library.for_owner,
    )
    worker.start()
    worker.stop()
    assert not left.exists()
