"""The ``vidscope`` command line: thin calls into ``pipelines``. One module per area
(``videos``, ``speakers``, ``accounts``, ``batch``, ``tools``), sharing the Typer app, the
options and the consoles of ``core``; importing a module registers its commands."""

from __future__ import annotations

import gc
import inspect
import os
import signal
from collections.abc import Callable
from typing import Any

import typer

from app.cli.core import _clock, _state, app, report_error

# Importing a module registers its commands; `vidscope --help` lists them in this order.
# isort: off
from app.cli import videos  # noqa: F401, E402
from app.cli import speakers  # noqa: F401, E402
from app.cli import accounts  # noqa: F401, E402
from app.cli import tools  # noqa: F401, E402
from app.cli import batch  # noqa: F401, E402
from app.cli import backups  # noqa: F401, E402
from app.cli import doctor  # noqa: F401, E402
from app.cli import models  # noqa: F401, E402

# isort: on


def _reflow(text: str | None) -> str | None:
    """A docstring's paragraphs each on one line: Typer's command list keeps a docstring's
    line breaks, so a summary broke mid-sentence wherever the source wrapped it."""
    if not text:
        return text
    paragraphs = inspect.cleandoc(text).split("\n\n")
    return "\n\n".join(" ".join(p.split()) for p in paragraphs)


def _reflow_help(typer_app: typer.Typer) -> None:
    for command in typer_app.registered_commands:
        command.help = _reflow(command.help or inspect.getdoc(command.callback))
    for group in typer_app.registered_groups:
        group.help = _reflow(group.help)
        if group.typer_instance is not None:
            info = group.typer_instance.info
            info.help = _reflow(info.help if isinstance(info.help, str) else None)
            _reflow_help(group.typer_instance)


_reflow_help(app)


def _stop_on_sigterm(signum: int, frame: object) -> None:
    # SystemExit unwinds like Ctrl-C: FFmpeg children are stopped, partial files removed.
    raise SystemExit(128 + signum)


# A command imports its libraries as it needs them: several hundred thousand objects, most of
# them kept to the end. With the collector's default (a pass every 700 new objects) those passes
# and the last one at exit cost a 60 s clip 0.17 s of its ~1.1 s (docs/benchmarks.md); a pass
# every 50,000 still frees cyclic garbage in long commands (ingest, serve).
GC_THRESHOLD = (50_000, 10, 10)


def main(argv: list[str] | None = None) -> None:
    gc.set_threshold(*GC_THRESHOLD)
    # Pydantic looks for plugins among every installed package's entry points (~250 here,
    # 11 ms) when the first model is built; Vidscope uses none. Set it to "" to have them.
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    command: Callable[..., Any] = app
    try:
        command(args=argv)
    except Exception as exc:
        # A damaged catalog, a full disk, a read-only library met in the middle of a
        # command: one coded line with the way back, not a traceback.
        from pipelines.storage.faults import library_fault

        settings = _state.get("settings")
        fault = library_fault(exc, settings.home) if settings is not None else None
        if fault is None:
            raise
        report_error(fault)
        raise SystemExit(1) from None
    finally:
        # The process ends next: its objects need no last collection (files and the library
        # are already closed by their context managers; atexit handlers still run).
        gc.freeze()


__all__ = ["_clock", "app", "main"]
