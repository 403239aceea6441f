"""The command line's shared parts: the Typer app and its global options, the consoles, the
library (local, or the running server's) each command acts on, and safe printing."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape

from pipelines.clock import timestamp
from pipelines.errors import VidscopeError

if TYPE_CHECKING:  # loaded by the commands that use them: `vidscope --help` needs none
    from rich.progress import Progress
    from rich.table import Table

    from app.client import RemoteLibrary
    from pipelines.config import Settings
    from pipelines.library import Library
    from pipelines.ports import AdminPort, LibraryPort

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


def _read_umask() -> int:
    mask = os.umask(0o077)
    os.umask(mask)
    return mask


# The person's umask, read before a library makes this process's new files private (077):
# what they ask to have written (-o) is theirs, not the library's.
USER_UMASK = _read_umask()


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
    # bars, so they appear when VIDSCOPE_LOG_LEVEL asks for them. Until then a warning on a
    # terminal is one sentence (a library repaired at start), not a structured record.
    chosen = "log_level" in settings.model_fields_set
    configure_logging(
        settings.log_level if chosen else "WARNING", settings.log_format, readable=not chosen
    )
    bind_run_id()
    _state["settings"] = settings
    _state["user"] = user


def use_settings(**changes: object) -> None:
    """This command's settings with ``changes`` (a flag that overrides a VIDSCOPE_* variable),
    checked like the environment's."""
    from pipelines.config import load_settings

    settings: Settings = _state["settings"]
    try:
        _state["settings"] = load_settings(home=settings.home, **changes)
    except VidscopeError as exc:
        _fail(exc)


def status_words(status: str) -> str:
    """A status as a person reads it: "already indexed", not ``already_indexed``."""
    return status.replace("_", " ")


def failure_reason(message: str | None, path: object) -> str:
    """A failure's message without the file name the line already starts with: the library's
    messages name the file for faces that show them alone ("fake.mp4: not an allowed...")."""
    text = message or ""
    for name in (str(path), Path(str(path)).name):
        if text.startswith(f"{name}: "):
            return text[len(name) + 2 :]
    return text


@contextmanager
def users_umask() -> Iterator[None]:
    """Files created inside follow the person's umask (an export, a clip, a reel they named
    with -o); the library's own files stay private, its folder being theirs alone (0700)."""
    private = os.umask(USER_UMASK)
    try:
        yield
    finally:
        os.umask(private)


def print_table(table: Table) -> None:
    """A table on stdout: as wide as the terminal, or — into a file or a pipe — as wide as its
    longest row, so no title, time or event is cut at an assumed 80 columns."""
    if out.is_terminal:
        out.print(table)
        return
    from rich.measure import Measurement

    natural = Measurement.get(out, out.options.update(width=100_000), table).maximum
    # Console.print(width=) is capped at the console's width; a console of this width is not.
    Console(width=natural, soft_wrap=True).print(table)


def audit_local(event: str, **detail: Any) -> None:
    """Records in the audit trail what this command did to a library it opened itself; beside
    a running server, the server records what it was asked to do."""
    audited: tuple[Library, str] | None = _state.get("local_audit")
    if audited is not None:
        library, owner_id = audited
        library.administration.audit(event, user_id=owner_id, via="cli", **detail)


def report_error(exc: VidscopeError) -> None:
    """The one coded line every failure prints on stderr, with the flag or command that does
    what its message asks when there is one (the library's messages name none)."""
    from app.cli.hints import cli_hint

    hint = cli_hint(exc.code, exc.context)
    said = f"[{exc.code}] {exc.message}" + (f" (here: {hint})" if hint else "")
    err.print(f"[bold red]error[/] {_plain(said)}", highlight=False)


def _fail(exc: VidscopeError) -> NoReturn:
    report_error(exc)
    raise typer.Exit(1)


def _need_extras(*extras: str) -> None:
    """Fails with extra.missing when a command's extra is not installed (the server image has
    none of batch, tracking, dashboard and eval), before it starts any work."""
    from pipelines.extras import require_extra

    try:
        for extra in extras:
            require_extra(extra)
    except VidscopeError as exc:
        _fail(exc)


@contextmanager
def _connection() -> Iterator[tuple[Library | None, RemoteLibrary | None]]:
    """(the library opened here, None) — this process is the one writer — or (None, the
    running server's client) when ``vidscope serve`` owns the library."""
    from pipelines.library import Library

    settings: Settings = _state["settings"]
    try:
        remote = None
        # The HTTP client (httpx) is loaded only when a server has said where it is.
        if settings.layout.server_info_path.exists():
            from app.client import find_server

            remote = find_server(settings)
        if remote is not None:
            try:
                yield None, remote
            finally:
                remote.close()
            return
        with Library(settings) as library:
            yield library, None
    except VidscopeError as exc:
        _fail(exc)


@contextmanager
def _library() -> Iterator[LibraryPort]:
    """The chosen user's library (``--user``; default the local one), in-process or through
    the server: the commands cannot tell, both keep ``LibraryPort``."""
    from pipelines.storage.catalog import LOCAL_OWNER

    username: str | None = _state.get("user")
    with _connection() as (local, remote):
        try:
            if remote is not None:
                if username:
                    remote.act_for(username)
                yield remote
            else:
                assert local is not None
                owner = local.accounts.user_named(username).id if username else LOCAL_OWNER
                mine = local.for_owner(owner)
                # A read-only library is read and exported from, never written: not audited.
                # The administration is built when an event is recorded: it imports the
                # public models, which a clip never needs (test_cli_edges).
                _state["local_audit"] = None if local.read_only else (local, owner)
                try:
                    yield mine
                finally:
                    _state["local_audit"] = None
        except VidscopeError as exc:
            _fail(exc)


@contextmanager
def _administration() -> Iterator[AdminPort]:
    """Accounts and the audit trail, in-process or through the server."""
    with _connection() as (local, remote):
        try:
            if remote is not None:
                yield remote
            else:
                assert local is not None
                yield local.administration
        except VidscopeError as exc:
            _fail(exc)


def progress_bars(*, eta: bool = False) -> Progress:
    """The one set of progress columns every long command shows, on stderr (stdout is for
    results): what is happening, a bar, the percentage, the time so far — and the time left
    when ``eta`` (a batch, whose items take similar times)."""
    from rich.progress import (
        BarColumn,
        Progress,
        ProgressColumn,
        TaskProgressColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    columns: list[ProgressColumn] = [
        TextColumn("{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
    ]
    if eta:
        columns += [TextColumn("eta"), TimeRemainingColumn()]
    return Progress(*columns, console=err)


def _clock(seconds: float) -> str:
    """The command line's time: HH:MM:SS.t, rounded to the nearest tenth (8.97 s is
    00:00:09.0, not 00:00:08.0), one width so a column of them lines up."""
    return timestamp(seconds, decimals=1)
