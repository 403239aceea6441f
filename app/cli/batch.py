"""Batch work on Ray: ``vidscope batch ingest`` and ``vidscope batch clips``."""

from __future__ import annotations

import json
import sys
from contextlib import redirect_stdout
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from pipelines.errors import VidscopeError

if TYPE_CHECKING:  # loaded by the commands that use them: `vidscope --help` needs none
    from pipelines.config import Settings
    from pipelines.jobs.merge import ItemOutcome
    from pipelines.jobs.results import Cut, TaskFailed
from app.cli.core import (
    USER_UMASK,
    _fail,
    _library,
    _need_extras,
    _plain,
    _state,
    app,
    err,
    failure_reason,
    out,
    progress_bars,
)

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


def _outcome_line(outcome: ItemOutcome) -> str:
    name = _plain(outcome.path)
    if outcome.status == "computed":
        took = f" in {outcome.compute_s:.0f} s" if outcome.compute_s else " by an earlier run"
        return f"[dim]· {name}: transcribed{took}; stored at the next merge[/]"
    if outcome.status == "indexed":
        passages = f"{outcome.chunks} passage{'s' if outcome.chunks != 1 else ''}"
        return f"[green]✓[/] {name}: indexed as {outcome.video_id} ({passages})"
    if outcome.status in ("already_indexed", "duplicate"):
        # A content hash is not an id: with no id known, the line says no more than it knows.
        known = f"already indexed as {outcome.video_id}" if outcome.video_id else "already indexed"
        return f"[yellow]=[/] {name}: {_plain(outcome.message or known)}"
    tries = f" after {outcome.attempts} attempts" if outcome.attempts > 1 else ""
    why = failure_reason(outcome.message, outcome.path)
    return f"[red]✗[/] {name}: {_plain(f'[{outcome.error_code}] {why}')}{tries}"


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
    _need_extras("batch", "tracking")
    from pipelines.jobs.manifest import collect_items
    from pipelines.jobs.ray_ingest import BatchOptions, ingest_batch
    from pipelines.jobs.reports import BatchRecorder

    settings: Settings = _state["settings"]
    try:
        items, skipped = collect_items(source, allowed=settings.limits.allowed_containers)
    except VidscopeError as exc:
        _fail(exc)
    for path, reason in skipped:
        err.print(f"[yellow]-[/] {_plain(f'{path}: skipped, {reason}')}", highlight=False)
    if not items:
        _fail(VidscopeError(f"no video or audio files in {source}", code="batch.empty"))
    recorder = BatchRecorder(settings)  # opens the MLflow store while Ray works
    options = BatchOptions.from_settings(settings, address=ray_address, workers=workers, cpus=cpus)
    # Ray prints its workers' troubles to stdout; stdout is for the report (--json).
    with (
        _library() as library,
        progress_bars(eta=True) as bars,
        redirect_stdout(sys.stderr),
    ):
        task = bars.add_task(f"{len(items)} files", total=len(items))

        def report(outcome: ItemOutcome, done: int, total: int) -> None:
            bars.update(task, completed=done, description=f"{done}/{total} files")
            bars.console.print(_outcome_line(outcome), highlight=False)

        result = ingest_batch(
            items,
            writer=library,
            options=options,
            progress=report,
        )
    record = recorder.record(result, source=source, ray_address=ray_address)
    summary = result.to_json()
    report_path, run_id = record.report_path, record.mlflow_run
    if as_json:
        out.print_json(json.dumps({**summary, "report": str(report_path), "mlflow_run": run_id}))
    else:
        speed = f" ({result.audio_s / result.wall_s:.1f}x real time)" if result.audio_s else ""
        # No workers: every file was known by its hash and Ray was not started.
        ran = (
            f" · {result.audio_s / 60:.1f} min of audio in {result.wall_s:.0f} s{speed}"
            f" on {result.workers} worker(s) × {result.threads} thread(s)"
            if result.workers
            else f" · nothing new, answered in {result.wall_s:.1f} s without Ray"
        )
        err.print(
            f"{result.count('indexed')} indexed, {result.count('already_indexed')} already "
            f"indexed, {result.count('duplicate')} duplicate, {result.count('failed')} failed"
            + ran,
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
    _need_extras("batch")
    from pipelines.jobs.manifest import read_clip_manifest
    from pipelines.jobs.ray_clips import clip_batch
    from pipelines.jobs.results import Cut

    settings: Settings = _state["settings"]
    try:
        wanted = read_clip_manifest(manifest)
    except VidscopeError as exc:
        _fail(exc)
    with _library() as library:
        plans = library.clip_plans(wanted)
    runnable = [p for p in plans if not isinstance(p, VidscopeError)]
    failed = 0
    for row, plan in zip(wanted, plans, strict=True):
        if isinstance(plan, VidscopeError):
            failed += 1
            line = f"{row.output}: [{plan.code}] {plan.message}"
            err.print(f"[red]✗[/] {_plain(line)}", highlight=False)
    with progress_bars() as bars, redirect_stdout(sys.stderr):
        task = bars.add_task(f"{len(runnable)} clips", total=len(runnable))

        def report(result: Cut | TaskFailed, done: int, total: int) -> None:
            bars.update(task, completed=done, description=f"{done}/{total} clips")

        try:
            results = clip_batch(
                runnable, address=ray_address or settings.ray.address, cpus=cpus, progress=report
            )
        except VidscopeError as exc:
            _fail(exc)
    for plan, result in zip(runnable, results, strict=True):
        if isinstance(result, Cut):
            # Ray's workers write under the library's private umask; the clips are the person's.
            Path(result.path).chmod(0o666 & ~USER_UMASK)
            out.print(_plain(result.path), highlight=False)
        else:
            failed += 1
            line = f"{plan.output}: [{result.code}] {result.message}"
            err.print(f"[red]✗[/] {_plain(line)}", highlight=False)
    err.print(f"{len(plans) - failed} of {len(plans)} clips written")
    if failed:
        raise typer.Exit(1)
