"""A batch's MLflow run lasts as long as the batch: MLflow's "Duration" column showed the
0.2 s its logging took for batches of 28-37 s."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from pipelines.jobs.ray_ingest import BatchReport
from pipelines.jobs.reports import BatchRecorder
from pipelines.jobs.tracking import recent_runs
from tests.support.library import make_settings


def test_a_batch_run_is_recorded_with_the_batch_wall_time(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "library")
    finished = time.time() * 1000
    report = BatchReport(batch_id="b-wall", workers=2, threads=1, cpus=2, wall_s=31.25)
    record = BatchRecorder(settings).record(report, source=tmp_path / "inbox")
    [run] = recent_runs(settings.tracking_uri, "batch")
    assert run["run_id"] == record.mlflow_run and run["metric.wall_s"] == 31.25
    assert run["end_time"] - run["start_time"] == pytest.approx(31_250, abs=1)
    assert finished <= run["end_time"] <= time.time() * 1000  # it ended as it was recorded
