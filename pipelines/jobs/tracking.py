"""MLflow runs for batch jobs, evaluations and benchmarks, so they can be compared.

The store is SQLite inside the library (``sqlite:///<home>/mlflow.db``, artifacts beside it)
unless ``VIDSCOPE_MLFLOW_URI`` names another. MLflow is imported only here and only when a run
is logged: the server and the CLI's everyday commands never load it."""

from __future__ import annotations

import logging
import math
import time
from pathlib import Path
from typing import Any

from pipelines.config import Settings

EXPERIMENTS = {"batch": "vidscope-batch", "eval": "vidscope-eval", "bench": "vidscope-bench"}


def run_params(settings: Settings) -> dict[str, Any]:
    """The settings that change what a run measures."""
    return {
        "whisper_model": settings.transcribe.model,
        "compute_type": settings.transcribe.compute_type,
        "beam_size": settings.transcribe.beam_size,
        "vad": settings.transcribe.vad,
        "embed_model": settings.embedding.model,
        "chunk_target_s": settings.chunking.target_s,
        "chunk_overlap_s": settings.chunking.overlap_s,
        "search_k": settings.search.k,
        "rrf_k": settings.search.rrf_k,
        "min_similarity": settings.search.min_similarity,
        "ocr": "off",  # on-screen text is not extracted yet
    }


def _artifact_root(uri: str) -> str | None:
    """Artifacts beside a SQLite store (MLflow's default would be ./mlruns of the cwd)."""
    if uri.startswith("sqlite:///"):
        return (Path(uri.removeprefix("sqlite:///")).parent / "mlflow-artifacts").as_uri()
    return None


def prepare_store(uri: str, kind: str) -> tuple[Any, str]:
    """Opens (creating, the first time) the store and the kind's experiment: (client, id).
    Creating a SQLite store takes seconds of migrations, so a batch starts this in a thread
    while Ray works."""
    from mlflow.tracking import MlflowClient

    # MLflow's store migrations log at INFO (alembic, mlflow.store); a CLI user needs none.
    for noisy in ("alembic", "mlflow"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    if uri.startswith("sqlite:///"):
        Path(uri.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    client = MlflowClient(tracking_uri=uri)
    experiment = client.get_experiment_by_name(EXPERIMENTS[kind])
    if experiment is not None:
        return client, str(experiment.experiment_id)
    return client, str(
        client.create_experiment(EXPERIMENTS[kind], artifact_location=_artifact_root(uri))
    )


def log_run(
    kind: str,
    *,
    uri: str,
    name: str,
    params: dict[str, Any],
    metrics: dict[str, float],
    report: dict[str, Any] | None = None,
    files: tuple[Path, ...] = (),
    tags: dict[str, str] | None = None,
    wall_s: float | None = None,
) -> str:
    """Logs one finished run to experiment ``vidscope-<kind>``; returns its run id. With
    ``wall_s``, the run is recorded as the work it describes, ending now after that many
    seconds; without, its start and end are the logging's own (MLflow's "Duration")."""
    client, experiment_id = prepare_store(uri, kind)
    ended_ms = int(time.time() * 1000)
    run = client.create_run(
        experiment_id,
        run_name=name,
        tags={"kind": kind, **(tags or {})},
        start_time=None if wall_s is None else ended_ms - round(wall_s * 1000),
    )
    run_id: str = run.info.run_id
    try:
        for key, value in params.items():
            client.log_param(run_id, key, value)
        for key, number in metrics.items():
            if number is not None and math.isfinite(float(number)):
                client.log_metric(run_id, key, float(number))
        if report is not None:
            client.log_dict(run_id, report, "report.json")
        for file in files:
            client.log_artifact(run_id, str(file))
    except BaseException:
        client.set_terminated(run_id, status="FAILED")
        raise
    client.set_terminated(run_id, status="FINISHED", end_time=None if wall_s is None else ended_ms)
    return run_id


def recent_runs(uri: str, kind: str, *, limit: int = 200) -> list[dict[str, Any]]:
    """The newest runs of one kind as flat dicts (name, start and end time in epoch
    milliseconds, metrics, params), for the dashboard's trends; empty when the store or the
    experiment does not exist yet."""
    from mlflow.tracking import MlflowClient

    if uri.startswith("sqlite:///") and not Path(uri.removeprefix("sqlite:///")).exists():
        return []
    client = MlflowClient(tracking_uri=uri)
    experiment = client.get_experiment_by_name(EXPERIMENTS[kind])
    if experiment is None:
        return []
    runs = client.search_runs(
        [experiment.experiment_id], max_results=limit, order_by=["attributes.start_time DESC"]
    )
    return [
        {
            "run_id": r.info.run_id,
            "name": r.info.run_name,
            "start_time": r.info.start_time,
            "end_time": r.info.end_time,
            **{f"metric.{k}": v for k, v in r.data.metrics.items()},
            **{f"param.{k}": v for k, v in r.data.params.items()},
        }
        for r in runs
    ]
