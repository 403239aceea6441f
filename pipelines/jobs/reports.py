"""A finished batch on record: its report as JSON in the library's ``batches`` folder and one
MLflow run with its figures, so batches can be compared (``vidscope mlflow-ui``). The CLI,
the batch notebook and anything else that runs a batch record it the same way."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from pathlib import Path

from pipelines.config import Settings
from pipelines.jobs.ray_ingest import BatchReport
from pipelines.jobs.tracking import log_run, prepare_store, run_params
from pipelines.storage.files import atomic_write


@dataclass(frozen=True)
class BatchRecord:
    report_path: Path
    mlflow_run: str


class BatchRecorder:
    """Opens the MLflow store while the batch runs (the first time it creates it: seconds),
    then records the finished batch with ``record``."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._store = threading.Thread(
            target=prepare_store, args=(settings.tracking_uri, "batch"), daemon=True
        )
        self._store.start()

    def record(
        self, result: BatchReport, *, source: Path | str, ray_address: str | None = None
    ) -> BatchRecord:
        settings = self.settings
        summary = result.to_json()
        report_path = settings.layout.batch_reports_dir / f"{result.batch_id}.json"
        with atomic_write(report_path) as partial:
            partial.write_text(json.dumps(summary, indent=2))
        self._store.join()
        run_id = log_run(
            "batch",
            uri=settings.tracking_uri,
            name=f"batch {result.batch_id}",
            params={
                **run_params(settings),
                "workers": result.workers,
                "threads": result.threads,
                "cpus": result.cpus,
                "source": str(source),
                "ray_address": ray_address or "",
            },
            metrics={
                "audio_hours": result.audio_s / 3600,
                "videos": result.count("indexed"),
                "failures": result.count("failed"),
                "already_indexed": result.count("already_indexed"),
                "wall_s": result.wall_s,
                "compute_s": result.compute_s,
                "merge_s": result.merge_s,
                "real_time_factor": result.wall_s / result.audio_s if result.audio_s else 0.0,
                "worker_restarts": result.worker_restarts,
            },
            report=summary,
            wall_s=result.wall_s,  # the batch's, not the seconds this record takes
        )
        return BatchRecord(report_path, run_id)
