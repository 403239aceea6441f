"""The ``vidscope`` command line: thin calls into ``pipelines.Library``."""

from __future__ import annotations

import json
import os
import re
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, redirect_stdout
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Column, Table

from pipelines.errors import ClipError, VidscopeError
from pipelines.transcripts import FORMATS, format_timestamp

if TYPE_CHECKING:  # loaded by the commands that use them: `vidscope --help` needs none
    from pipelines.config import Settings

app = typer.Typer(
    help="Vidscope: search, question and cut your recorded videos, offline.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
# Typer 0.29 prints every argument's Python type after its name ("PATH... <list[Path]>") and
# offers no setting to drop it; an argument that names itself with a metavar shows only that.
_argument_type = typer.core.TyperArgument.display_type


def _metavar_only(self: typer.core.TyperArgument, ctx: Any) -> str:
    return "" if self.metavar else _argument_type(self, ctx)


typer.core.TyperArgument.display_type = _metavar_only  # type: ignore[method-assign,assignment]

# soft_wrap: a line printed to a file or pipe stays one line (grep-able), not cut at 80 columns.
err = Console(stderr=True, soft_wrap=True)
out = Console(soft_wrap=True)
_state: dict[str, Any] = {}
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _plain(text: object) -> str:
    """User-provided text (titles, file names) made safe to print: Rich markup escaped and
    control characters shown as escapes, so a name can neither style nor drive the terminal."""
    return escape(_CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", str(text)))


@app.callback()
def _global(
    home: Annotated[
        Path | None,
        typer.Option(
            help="Library folder (default: data/library)",
            envvar="VIDSCOPE_HOME",
            show_envvar=True,
        ),
    ] = None,
    user: Annotated[
        str | None,
        typer.Option(
            "--user",
            help="Act on this account's library (default: the local library)",
            envvar="VIDSCOPE_USER",
        ),
    ] = None,
) -> None:
    from pipelines.config import load_settings
    from pipelines.logs import bind_run_id, configure_logging

    overrides: dict[str, object] = {"home": home} if home else {}
    try:
        settings = load_settings(**overrides)
    except VidscopeError as exc:
        _fail(exc)
    # The CLI reports each file itself; INFO logs would only repeat it between the progress
    # bars, so they appear when VIDSCOPE_LOG_LEVEL asks for them.
    level = settings.log_level if "log_level" in settings.model_fields_set else "WARNING"
    configure_logging(level, settings.log_format)
    bind_run_id()
    _state["settings"] = settings
    _state["user"] = user


def _fail(exc: VidscopeError) -> NoReturn:
    err.print(f"[bold red]error[/] {_plain(f'[{exc.code}] {exc.message}')}", highlight=False)
    raise typer.Exit(1)


@contextmanager
def _library() -> Iterator[Any]:
    """The library this command works on, for the chosen user: through the server when
    ``vidscope serve`` owns the library, else opened here (this process is the one writer)."""
    with _owner() as (library, remote):
        yield remote if remote is not None else library


@contextmanager
def _owner() -> Iterator[tuple[Any, Any]]:
    """(local Library scoped to the user, None) or (None, the server's client)."""
    from app.client import find_server  # heavy imports only for commands that need them
    from pipelines.catalog import LOCAL_OWNER
    from pipelines.library import Library

    settings: Settings = _state["settings"]
    username: str | None = _state.get("user")
    try:
        remote = find_server(settings)
        if remote is not None:
            try:
                if username:
                    remote.act_for(username)
                yield None, remote
            finally:
                remote.close()
            return
        with Library(settings) as library:
            owner = LOCAL_OWNER
            if username:
                found = library.catalog.find_user(username.strip().lower())
                if found is None:
                    raise VidscopeError(
                        f"no account named {username!r}; 'vidscope users list' shows them",
                        code="user.not_found",
                    )
                owner = found.id
            yield library.for_owner(owner), None
    except VidscopeError as exc:
        _fail(exc)


def _clock(seconds: float) -> str:
    """HH:MM:SS.t, rounded to the nearest tenth (8.97 s is 00:00:09.0, not 00:00:08.0)."""
    tenths = round(seconds * 10)
    return f"{format_timestamp(tenths // 10)}.{tenths % 10}"


@app.command()
def ingest(
    paths: Annotated[
        list[Path], typer.Argument(help="Video/audio files or folders", metavar="PATH")
    ],
    force: Annotated[bool, typer.Option(help="Reprocess files that are already indexed")] = False,
    audio_track: Annotated[
        int | None,
        typer.Option(
            help="Audio track to transcribe, counting from 0 (default: the track marked "
            "default, else the first); 'vidscope list' shows each video's tracks",
            min=0,
        ),
    ] = None,
) -> None:
    """Add videos to the library: transcribe, chunk, embed and index them."""
    failed = 0
    with _library() as library:
        expanded = library.expand_paths(paths)
        for path, reason in expanded.skipped:
            err.print(f"[yellow]-[/] {_plain(f'{path}: skipped, {reason}')}", highlight=False)
        files = expanded.files
        if not files:
            err.print(_plain("no video or audio files found in " + ", ".join(map(str, paths))))
            raise typer.Exit(1)
        columns = (
            TextColumn("{task.description}"),
            BarColumn(),
            TaskProgressColumn(),
            TimeElapsedColumn(),
        )
        with Progress(*columns, console=err, transient=False) as bars:
            for path in files:
                task = bars.add_task(_plain(f"{path.name} · probe"), total=1.0)

                def report(
                    stage: str, fraction: float, task: Any = task, name: str = path.name
                ) -> None:
                    bars.update(task, description=_plain(f"{name} · {stage}"), completed=fraction)

                result = library.ingest_file(
                    path, force=force, audio_track=audio_track, progress=report
                )
                bars.update(
                    task, completed=1.0, description=_plain(f"{path.name} · {result.status}")
                )
                if result.status == "failed":
                    failed += 1
                    bars.console.print(
                        "[red]✗[/] " + _plain(f"{path}: [{result.error_code}] {result.message}"),
                        highlight=False,
                    )
                elif result.status == "already_indexed":
                    bars.console.print(
                        "[yellow]=[/] " + _plain(f"{path}: already indexed as {result.video_id}"),
                        highlight=False,
                    )
                else:
                    detail = (
                        f"{result.chunks} passage{'s' if result.chunks != 1 else ''}"
                        if result.chunks
                        else "no speech found"
                    )
                    bars.console.print(
                        "[green]✓[/] " + _plain(f"{path}: indexed as {result.video_id} ({detail})"),
                        highlight=False,
                    )
    if failed:
        err.print(f"{failed} of {len(files)} file(s) failed")
        raise typer.Exit(1)


@app.command()
def search(
    query: Annotated[str, typer.Argument(help="What you are looking for, in your own words")],
    k: Annotated[
        int | None,
        typer.Option("--k", "-k", help="Number of hits, 1 to 200 (default: VIDSCOPE_SEARCH_K)"),
    ] = None,
    video: Annotated[str | None, typer.Option(help="Only search this video id")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON array only")] = False,
) -> None:
    """Search the library by meaning and words; each hit says where to jump."""
    with _library() as library:
        hits = library.search(query, k=k, video_id=video)
    if as_json:
        from pipelines.schemas import HitPublic

        payload = [HitPublic.of(h).model_dump(mode="json") for h in hits]
        sys.stdout.write(json.dumps(payload, ensure_ascii=False) + "\n")
        return
    if not hits:
        print("no results: nothing in the library is close to that query")
        return
    for rank, hit in enumerate(hits, start=1):
        out.print(
            _plain(
                f"{rank:>2}. [{_clock(hit.start)} – {_clock(hit.end)}] {hit.title} "
                f"({hit.video_id})  score {hit.score:.4f}"
            ),
            highlight=False,
        )
        out.print(_plain(f"    {hit.text}"), highlight=False)


@app.command()
def transcript(
    video_id: Annotated[str, typer.Argument(help="Video id (see 'vidscope list')")],
    fmt: Annotated[
        str, typer.Option("--format", "-f", help=f"One of {', '.join(FORMATS)}")
    ] = "txt",
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Write to a file")] = None,
) -> None:
    """Export a video's transcript as text, JSON, SRT or WebVTT."""
    with _library() as library:
        text = library.transcript(video_id, fmt)
    if output:
        _write_text(output, text)
        err.print(_plain(f"wrote {output}"), highlight=False)
    else:
        sys.stdout.write(text)


def _write_text(output: Path, text: str) -> None:
    """Writes a file, creating missing folders; a folder or an unwritable place is a coded
    error, not a traceback."""
    if output.is_dir():
        _fail(
            VidscopeError(
                f"{output} is a folder; give a file name, e.g. {output / 'transcript.srt'}",
                code="output.is_folder",
            )
        )
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        _fail(
            VidscopeError(f"cannot write {output}: {exc.strerror or exc}", code="output.unwritable")
        )


@app.command()
def clip(
    output: Annotated[Path, typer.Option("-o", "--output", help="Clip file (.mp4 .mov .mkv .m4a)")],
    video_id: Annotated[str | None, typer.Argument(help="Video id, with --start and --end")] = None,
    start: Annotated[float | None, typer.Option(help="Start, in seconds")] = None,
    end: Annotated[float | None, typer.Option(help="End, in seconds")] = None,
    query: Annotated[str | None, typer.Option(help="Cut the best hit for this query")] = None,
) -> None:
    """Cut a frame-accurate clip by time range, or the best hit for a query."""
    with _library() as library:
        if query is not None:
            hit, path = library.clip_query(query, output=output, video_id=video_id)
            err.print(
                f"best hit: {hit.title} ({hit.video_id}) {_clock(hit.start)} – {_clock(hit.end)}"
            )
        elif video_id is not None and start is not None and end is not None:
            path = library.clip(video_id, start=start, end=end, output=output)
        else:
            missing = "VIDEO_ID" if video_id is None else "--start" if start is None else "--end"
            _fail(
                ClipError(
                    f"missing {missing}: give a VIDEO_ID with --start and --end (seconds), "
                    "or --query",
                    code="clip.missing_range",
                )
            )
    print(path)


@app.command("list")
def list_videos(
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON array only")] = False,
) -> None:
    """List the videos in the library, with their audio tracks and whether speech was found."""
    with _library() as library:
        videos = library.public_videos()
    if as_json:
        payload = [v.model_dump(mode="json") for v in videos]
        sys.stdout.write(json.dumps(payload, ensure_ascii=False) + "\n")
        return
    # Ids are never wrapped or cut: they are what every other command takes.
    table = Table(Column("id", no_wrap=True), "title", "status", "duration", "audio", "speech")
    for v in videos:
        if v.audio_track is None:
            audio = "none"
        elif v.audio_tracks > 1:
            audio = f"#{v.audio_track} of {v.audio_tracks}"
        else:
            audio = "1 track"
        speech = str(v.sentences) if v.sentences else ("none" if v.has_audio else "—")
        table.add_row(v.id, _plain(v.title), v.status, format_timestamp(v.duration), audio, speech)
    out.print(table)


@app.command()
def delete(video_id: Annotated[str, typer.Argument(help="Video id")]) -> None:
    """Delete a video: its rows, vectors and stored media."""
    with _library() as library:
        library.delete(video_id)
    err.print(f"deleted {video_id}")


@app.command()
def reindex() -> None:
    """Rebuild every account's search indexes from the catalog."""
    with _owner() as (library, remote):
        if remote is not None:
            _fail(
                VidscopeError(
                    "the running server keeps the indexes in step (and rebuilds them at "
                    "start); stop 'vidscope serve' to rebuild them by hand",
                    code="server.running",
                )
            )
        count = library.library.reindex()
    err.print(f"reindexed {count} passages")


users_app = typer.Typer(help="Manage the accounts of the server's users.", no_args_is_help=True)
app.add_typer(users_app, name="users")


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    password: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    return password


@contextmanager
def _accounts() -> Iterator[Any]:
    """The account calls: on the server when it runs, else on the library here."""
    from pipelines.accounts import Accounts
    from pipelines.schemas import UserPublic

    class LocalAccounts:
        def __init__(self, library: Any) -> None:
            self.accounts = Accounts(library.catalog, library.settings)
            self.catalog = library.catalog

        def users(self) -> list[UserPublic]:
            return [UserPublic.of(u) for u in self.catalog.list_users()]

        def create_user(self, username: str, password: str, *, admin: bool) -> UserPublic:
            role = "admin" if admin else "user"
            user = self.accounts.register(username, password, role=role)
            self.catalog.audit("user.created", user_id=user.id, username=user.username)
            return UserPublic.of(user)

        def change_user(
            self, username: str, *, disabled: bool | None = None, password: str | None = None
        ) -> UserPublic:
            user = self.accounts.user_named(username)
            if password is not None:
                user = self.accounts.reset_password(username, password)
                self.catalog.audit("user.password_reset", user_id=user.id, username=user.username)
            if disabled is not None:
                user = self.accounts.set_disabled(username, disabled)
                event = "user.disabled" if disabled else "user.enabled"
                self.catalog.audit(event, user_id=user.id, username=user.username)
            return UserPublic.of(user)

        def audit(self, limit: int) -> list[dict[str, Any]]:
            events: list[dict[str, Any]] = self.catalog.audit_events(limit=limit)
            return events

    _state["user"] = None  # administration is the local administrator's
    with _owner() as (library, remote):
        try:
            yield remote if remote is not None else LocalAccounts(library.library)
        except VidscopeError as exc:
            _fail(exc)


@users_app.command("create")
def users_create(
    username: Annotated[str, typer.Argument(help="3-32 lowercase letters, digits, . _ -")],
    admin: Annotated[bool, typer.Option(help="Make an administrator")] = False,
    password_stdin: Annotated[
        bool, typer.Option(help="Read the password from the first line of stdin")
    ] = False,
    exist_ok: Annotated[
        bool, typer.Option(help="Succeed without changes if the account exists (scripts)")
    ] = False,
) -> None:
    """Create an account (asks for its password)."""
    password = _read_password(password_stdin)
    with _accounts() as accounts:
        if exist_ok and any(u.username == username.strip().lower() for u in accounts.users()):
            err.print(_plain(f"{username} exists already; left as it is"))
            return
        user = accounts.create_user(username, password, admin=admin)
    err.print(_plain(f"created {user.username} ({user.id})"))


@users_app.command("list")
def users_list(
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON array only")] = False,
) -> None:
    """List the accounts."""
    with _accounts() as accounts:
        users = accounts.users()
    if as_json:
        sys.stdout.write(json.dumps([u.model_dump(mode="json") for u in users]) + "\n")
        return
    table = Table(Column("id", no_wrap=True), "username", "role", "status", "created")
    for u in users:
        status = "disabled" if u.disabled else "active"
        table.add_row(u.id, _plain(u.username), u.role, status, f"{u.created_at:%Y-%m-%d %H:%M}")
    out.print(table)


@users_app.command("disable")
def users_disable(username: Annotated[str, typer.Argument(help="The account")]) -> None:
    """Disable an account: its tokens stop working and it cannot log in."""
    with _accounts() as accounts:
        accounts.change_user(username, disabled=True)
    err.print(_plain(f"disabled {username}"))


@users_app.command("enable")
def users_enable(username: Annotated[str, typer.Argument(help="The account")]) -> None:
    """Enable a disabled account again."""
    with _accounts() as accounts:
        accounts.change_user(username, disabled=False)
    err.print(_plain(f"enabled {username}"))


@users_app.command("reset-password")
def users_reset_password(
    username: Annotated[str, typer.Argument(help="The account")],
    password_stdin: Annotated[
        bool, typer.Option(help="Read the password from the first line of stdin")
    ] = False,
) -> None:
    """Set a new password; every session of the account signs in again."""
    password = _read_password(password_stdin)
    with _accounts() as accounts:
        accounts.change_user(username, password=password)
    err.print(_plain(f"password of {username} reset"))


@app.command()
def audit(
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON array only")] = False,
    limit: Annotated[int, typer.Option(help="How many events, newest first", min=1)] = 50,
) -> None:
    """Show the security events: sign-ups, logins, token reuse, uploads, deletes, clips."""
    with _accounts() as accounts:
        events = accounts.audit(limit)
    if as_json:
        sys.stdout.write(json.dumps(events, ensure_ascii=False) + "\n")
        return
    table = Table("when", "event", "user", "address", Column("detail", overflow="fold"))
    for e in events:
        user = e.get("username") or e.get("user_id") or ""
        detail = json.dumps(e["detail"], ensure_ascii=False) if e["detail"] else ""
        table.add_row(
            str(e["occurred_at"])[:19],
            e["event"],
            _plain(user),
            e.get("ip") or "",
            _plain(detail),
        )
    out.print(table)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on", min=1, max=65535)] = 7860,
    root_path: Annotated[
        str, typer.Option(help="URL prefix when behind a reverse proxy, e.g. /vidscope")
    ] = "",
    api_only: Annotated[bool, typer.Option(help="Serve the REST API without the web app")] = False,
) -> None:
    """Run the server: the web app at /, the REST API under /api/v1 (docs at /docs) and the job
    worker, owning the library."""
    import uvicorn

    from app.api.main import create_app
    from app.client import find_server

    settings: Settings = _state["settings"]
    running = find_server(settings)
    if running is not None:
        running.close()
        _fail(
            VidscopeError(
                f"a server already owns {settings.home} at {running.url}; stop it first, or "
                "give this one another --home",
                code="library.locked",
            )
        )
    if "log_level" not in settings.model_fields_set:
        from pipelines.logs import configure_logging

        configure_logging(settings.log_level, settings.log_format)  # a server reports its work
    from pipelines.library import Library

    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    url = f"http://{shown}:{port}{root_path}"
    try:
        library = Library.open(settings)  # here, so a locked library is one clear line
    except VidscopeError as exc:
        _fail(exc)
    err.print(_plain(f"Vidscope on {url} (API docs: {url}/docs); Ctrl-C stops it"))
    uvicorn.run(
        create_app(settings, public_url=url, library=library, web=not api_only),
        host=host,
        port=port,
        root_path=root_path,
        log_config=None,
        access_log=False,  # one line per request comes from the app, with its request id
        # Forwarded headers only from VIDSCOPE_TRUSTED_PROXIES: anyone else could otherwise
        # pick the address every per-address limit counts against.
        proxy_headers=bool(settings.server.trusted_proxies),
        forwarded_allow_ips=",".join(settings.server.trusted_proxies) or None,
        timeout_graceful_shutdown=10,
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


@app.command("eval")
def evaluate(
    quick: Annotated[bool, typer.Option(help="Only the two sample videos (faster)")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the metrics as JSON")] = False,
) -> None:
    """Measure quality: WER on the fixture videos, and recall@1/5 and MRR of search on a
    generated query set with known answer times; logged to MLflow."""
    from evals.evaluate import FIXTURES, QUICK, run_eval

    settings: Settings = _state["settings"]
    with err.status("transcribing the fixture videos and running the queries..."):
        result = run_eval(settings, QUICK if quick else FIXTURES)
    if as_json:
        out.print_json(json.dumps(result))
        return
    metrics = result["metrics"]
    table = Table("metric", "value")
    for name in (
        "wer",
        "recall_at_1",
        "recall_at_5",
        "mrr",
        "queries",
        "search_p50_ms",
        "search_p99_ms",
        "audio_s",
    ):
        table.add_row(name, f"{metrics[name]:.4g}")
    out.print(table)
    err.print(_plain(f"MLflow run {result['run_id']} ('vidscope mlflow-ui' to compare)"))


@app.command("mlflow-ui")
def mlflow_ui(
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1", min=1, max=65535)] = 5000,
) -> None:
    """Open MLflow's tracking UI (batch, eval and benchmark runs) on 127.0.0.1."""
    import subprocess

    settings: Settings = _state["settings"]
    err.print(_plain(f"MLflow UI on http://127.0.0.1:{port} for {settings.tracking_uri}"))
    command = [
        sys.executable,
        "-m",
        "mlflow",
        "ui",
        "--backend-store-uri",
        settings.tracking_uri,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]
    raise typer.Exit(subprocess.call(command))


@app.command()
def dashboard(
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1", min=1, max=65535)] = 8501,
    api: Annotated[
        str | None,
        typer.Option(help="The server's URL (default: the one that owns this library)"),
    ] = None,
) -> None:
    """Open the Streamlit dashboard (library, jobs, quality trends, search) on 127.0.0.1. It
    reads through the server's REST API, so start 'vidscope serve' first."""
    import subprocess

    from app.client import find_server

    settings: Settings = _state["settings"]
    env = dict(os.environ, VIDSCOPE_HOME=str(settings.home))
    if api is None:
        remote = find_server(settings)
        if remote is None:
            _fail(
                VidscopeError(
                    "no server owns this library; start 'vidscope serve' first, or give --api",
                    code="server.not_running",
                )
            )
        api = remote.url
        remote.close()
    env["VIDSCOPE_API_URL"] = api
    script = Path(__file__).with_name("dashboard.py")
    err.print(_plain(f"dashboard on http://127.0.0.1:{port} reading {api}"))
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(script),
        "--server.address",
        "127.0.0.1",
        "--server.port",
        str(port),
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
        "--client.toolbarMode",
        "viewer",  # no "Deploy" button: this dashboard is not for Streamlit's cloud
    ]
    raise typer.Exit(subprocess.call(command, env=env))


def _stop_on_sigterm(signum: int, frame: object) -> None:
    # SystemExit unwinds like Ctrl-C: FFmpeg children are stopped, partial files removed.
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> None:
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    command: Callable[..., Any] = app
    command(args=argv)


if __name__ == "__main__":
    main()
