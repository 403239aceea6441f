"""Retrying a failed job, as its owner asks for it: a clip or a reel is made again from what
the catalog kept of it; a failed upload's file is gone, so it is refused with the way on."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.errors import VidscopeError
from pipelines.library import Library
from pipelines.records import ReelPart
from pipelines.storage.catalog import LOCAL_OWNER
from tests.support.catalog import video
from tests.support.library import make_settings


def test_a_failed_reel_is_queued_again_with_its_parts_and_a_failed_upload_is_not(
    tmp_path: Path,
) -> None:
    with Library(make_settings(tmp_path / "library")) as library:
        catalog = library.catalog
        catalog.upsert_processing_video(video("v1"))
        reel_id = catalog.for_owner(LOCAL_OWNER).add_reel(
            [ReelPart("v1", 0.0, 5.0), ReelPart("v1", 9.0, 12.0)], options={"subtitles": True}
        )
        job_id = catalog.add_job(
            kind="reel", owner_id=LOCAL_OWNER, status="running", payload={"reel_id": reel_id}
        )
        catalog.finish_job(job_id, error_code="reel.out_of_sync", error_message="x")
        catalog.finish_reel(reel_id, path=None, size_bytes=None)

        retried = library.local.retry_job(job_id)
        assert retried.status == "queued" and retried.attempts == 0
        assert retried.error_code is None
        reel = catalog.for_owner(LOCAL_OWNER).get_reel(reel_id)
        assert reel.status == "pending" and reel.path is None  # the worker makes it again
        assert [(p.start, p.end) for p in reel.parts] == [(0.0, 5.0), (9.0, 12.0)]
        assert reel.options == {"subtitles": True}

        upload = catalog.add_job(kind="ingest", owner_id=LOCAL_OWNER, status="running")
        catalog.finish_job(upload, error_code="media.unsupported", error_message="x")
        with pytest.raises(VidscopeError) as refused:
            library.local.retry_job(upload)
        assert refused.value.code == "job.not_retryable"
        assert "upload the file again" in refused.value.message
        assert catalog.system().job(upload).status == "failed"

        # A reel job whose reel was deleted since is not queued for nothing.
        catalog.finish_job(job_id, error_code="reel.out_of_sync", error_message="x")
        catalog.delete_reel(reel_id, owner_id=LOCAL_OWNER)
        with pytest.raises(VidscopeError) as gone:
            library.local.retry_job(job_id)
        assert gone.value.code == "reel.not_found"
        assert catalog.system().job(job_id).status == "failed"
