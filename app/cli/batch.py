"""Batch work on Ray: ``vidscope batch ingest`` and ``vidscope batch clips``."""

from __future__ import annotations

import json
import sys
import threading
from contextlib import redirect_stdout
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.progress import (
    BarColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from pipelines.errors import VidscopeError

if TYPE_CHECKING:  # loaded by the commands that use them: `vidscope --help` needs none
    from pipelines.config import Settings
from app.cli.core import _fail, _owner, _plain, _state, app, err, out

batch_app = typer.Typer(
    help="Batch work on Ray: many videos, or many clips, at once.", no_args_is_help=True
)
app.add_typer(batch_app, name="batch")
RayAddress = Annotated[
    str | None,
    typer.Option(
        help="Ray cluster: auto, or ray://HOST:10001 (default: start a local Ray)",
        envvar="VIDSCOPE_RAY_ADDRESS",
        show_envvar=True,
    ),
]
LocalCpus = Annotated[
    int | None,
    typer.Option(help="CPUs a local Ray may use (default: all)", min=1),
]


def _outcome_line(outcome: Any) -> str:
    name = _plain(outcome.path)
    if outcome.status == "computed":
        took = f" in {outcome.compute_s:.0f} s" if outcome.compute_s else " by an earlier run"
        return f"[dim]· {name}: transcribed{took}; stored at the next merge[/]"
    if outcome.status == "indexed":
        passages = f"{outcome.chunks} passage{'s' if outcome.chunks != 1 else ''}"
        return f"[green]✓[/] {name}: indexed as {outcome.video_id} ({passages})"
    if outcome.status in ("already_indexed", "duplicate"):
        reason = outcome.message or f"already indexed as {outcome.video_id or outcome.sha256[:12]}"
        return f"[yellow]=[/] {name}: {_plain(reason)}"
    tries = f" after {outcome.attempts} attempts" if outcome.attempts > 1 else ""
    return f"[red]✗[/] {name}: {_plain(f'[{outcome.error_code}] {outcome.message}')}{tries}"


@batch_app.command("ingest")
def batch_ingest(
    source: Annotated[
        Path,
        typer.Argument(
            help="A folder of videos, or a CSV manifest with a 'path' column", metavar="DIR|CSV"
        ),
    ],
    ray_address: RayAddress = None,
    workers: Annotated[
        int,
        typer.Option(
            help="Transcription workers (Ray actors); 0: one per CPU",
            min=0,
            envvar="VIDSCOPE_BATCH_WORKERS",
        ),
    ] = 0,
    cpus: LocalCpus = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON")] = False,
) -> None:
    """Ingest many videos in parallel on Ray; safe to run again after a crash (what is done
    is skipped, nothing is stored twice)."""
    from pipelines.batch import collect_items
    from pipelines.compute import ComputeOptions
    from pipelines.distributed import ingest_batch
    from pipelines.tracking import log_run, prepare_store, run_params

    settings: Settings = _state["settings"]
    try:
        items, skipped = collect_items(source, allowed=settings.limits.allowed_containers)
    except VidscopeError as exc:
        _fail(exc)
    for path, reason in skipped:
        err.print(f"[yellow]-[/] {_plain(f'{path}: skipped, {reason}')}", highlight=False)
    if not items:
        _fail(VidscopeError(f"no video or audio files in {source}", code="batch.empty"))
    # The MLflow store is opened (created, the first time: seconds) while Ray works.
    store = threading.Thread(
        target=prepare_store, args=(settings.tracking_uri, "batch"), daemon=True
    )
    store.start()
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        TextColumn("eta"),
        TimeRemainingColumn(),
    )
    # Ray prints its workers' troubles to stdout; stdout is for the report (--json).
    with (
        _owner() as (library, remote),
        Progress(*columns, console=err) as bars,
        redirect_stdout(sys.stderr),
    ):
        task = bars.add_task(f"{len(items)} files", total=len(items))

        def report(outcome: Any, done: int, total: int) -> None:
            bars.update(task, completed=done, description=f"{done}/{total} files")
            bars.console.print(_outcome_line(outcome), highlight=False)

        result = ingest_batch(
            items,
            writer=remote if remote is not None else library,
            options=ComputeOptions.from_settings(settings),
            limits=settings.limits,
            address=ray_address or settings.ray.address,
            workers=workers or settings.ray.workers,
            cpus=cpus,
            max_attempts=settings.ray.max_attempts,
            progress=report,
            merge_every_s=settings.ray.merge_every_s,
        )
    summary = result.to_json()
    settings.batch_reports_dir.mkdir(parents=True, exist_ok=True)
    report_path = settings.batch_reports_dir / f"{result.batch_id}.json"
    report_path.write_text(json.dumps(summary, indent=2))
    audio_h = result.audio_s / 3600
    store.join()
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
            "audio_hours": audio_h,
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
    )
    if as_json:
        out.print_json(json.dumps({**summary, "report": str(report_path), "mlflow_run": run_id}))
    else:
        speed = f" ({result.audio_s / result.wall_s:.1f}x real time)" if result.audio_s else ""
        err.print(
            f"{result.count('indexed')} indexed, {result.count('already_indexed')} already "
            f"indexed, {result.count('duplicate')} duplicate, {result.count('failed')} failed"
            f" · {result.audio_s / 60:.1f} min of audio in {result.wall_s:.0f} s{speed}"
            f" on {result.workers} worker(s) × {result.threads} thread(s)",
            highlight=False,
        )
        err.print(_plain(f"report: {report_path} · MLflow run {run_id} ('vidscope mlflow-ui')"))
    if result.count("failed"):
        raise typer.Exit(1)


@batch_app.command("clips")
def batch_clips(
    manifest: Annotated[
        Path,
        typer.Argument(
            help="CSV with columns video_id, start, end, output (seconds; .mp4 ...)",
            metavar="CSV",
        ),
    ],
    ray_address: RayAddress = None,
    cpus: LocalCpus = None,
) -> None:
    """Cut many clips in parallel on Ray. Relative outputs are taken from the manifest's
    folder; a clip that fails is reported and the others go on."""
    from pipelines.batch import read_manifest
    from pipelines.distributed import clip_batch

    settings: Settings = _state["settings"]
    try:
        rows = read_manifest(manifest, ("video_id", "start", "end", "output"))
        wanted = [
            {
                "video_id": r["video_id"],
                "start": float(r["start"]),
                "end": float(r["end"]),
                "output": str((manifest.parent / Path(r["output"]).expanduser()).resolve()),
            }
            for r in rows
        ]
    except ValueError as exc:
        _fail(
            VidscopeError(
                f"{manifest}: start and end must be seconds ({exc})", code="batch.bad_manifest"
            )
        )
    except VidscopeError as exc:
        _fail(exc)
    with _owner() as (library, remote):
        plans = (remote or library).clip_plans(wanted)
    runnable = [p for p in plans if not isinstance(p, VidscopeError)]
    failed = 0
    for row, plan in zip(wanted, plans, strict=True):
        if isinstance(plan, VidscopeError):
            failed += 1
            line = f"{row['output']}: [{plan.code}] {plan.message}"
            err.print(f"[red]✗[/] {_plain(line)}", highlight=False)
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=err) as bars, redirect_stdout(sys.stderr):
        task = bars.add_task(f"{len(runnable)} clips", total=len(runnable))

        def report(result: dict[str, Any], done: int, total: int) -> None:
            bars.update(task, completed=done, description=f"{done}/{total} clips")

        try:
            results = clip_batch(
                runnable, address=ray_address or settings.ray.address, cpus=cpus, progress=report
            )
        except VidscopeError as exc:
            _fail(exc)
    for plan, result in zip(runnable, results, strict=True):
        if result["ok"]:
            out.print(_plain(result["path"]), highlight=False)
        else:
            failed += 1
            line = f"{plan.output}: [{result['code']}] {result['message']}"
            err.print(f"[red]✗[/] {_plain(line)}", highlight=False)
    err.print(f"{len(plans) - failed} of {len(plans)} clips written")
    if failed:
        raise typer.Exit(1)
