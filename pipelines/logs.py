"""Structured logging: JSON lines when stderr is not a terminal, readable lines when it is.
Every record carries the run id bound by ``bind_run_id`` (one correlation id per command)."""

from __future__ import annotations

import logging
import sys
import uuid
from typing import Any

import structlog


def configure_logging(level: str = "INFO", fmt: str = "auto", *, readable: bool = False) -> None:
    """Configures structlog and routes the standard library's logging (uvicorn, libraries)
    through the same processors, so every line has one format and the request's context.
    ``readable``: on a terminal, in ``auto`` format, each record is one plain sentence
    (``readable_line``) — for a command whose person asked for no logs; JSON lines still go
    to a file or a pipe. Called by the entry points (CLI, server), never at import."""
    as_json = fmt == "json" or (fmt == "auto" and not sys.stderr.isatty())
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if as_json
        else readable_line
        if readable and fmt == "auto"
        else structlog.dev.ConsoleRenderer()
    )
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    handler = logging.StreamHandler(_Stderr())
    handler.setLevel(logging.getLevelName(level))  # libraries that set DEBUG on their loggers
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[*shared, structlog.stdlib.add_logger_name],
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
        )
    )
    root = logging.getLogger()
    root.handlers = [h for h in root.handlers if not getattr(h, "_vidscope", False)]
    handler._vidscope = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(logging.getLevelName(level))
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers = []
        logging.getLogger(name).propagate = True
    structlog.configure(
        processors=[
            *shared,
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level)),
        # Resolve sys.stderr per call, not once: test runners and notebooks swap it.
        logger_factory=lambda *args: structlog.PrintLogger(file=sys.stderr),
        cache_logger_on_first_use=False,
    )


# Context every record carries for machines; a sentence for a person leaves it out.
_MACHINE_KEYS = {"timestamp", "run_id", "level", "logger", "request_id", "exception", "event"}


def readable_line(logger: Any, method: str, record: dict[str, Any]) -> str:
    """A record as a person reads it: ``warning: library repaired (indexes rebuilt: 1)`` for
    ``library.repaired indexes_rebuilt=1 files_removed=0 ...`` — words, not keys, and the
    counts that are zero left out. A traceback follows on its own lines."""
    level = str(record.get("level", method))
    details = [
        f"{key.replace('_', ' ')}: {value}"
        for key, value in record.items()
        if key not in _MACHINE_KEYS and value not in (0, "", None, [], {})
    ]
    event = str(record.get("event", ""))
    # An event name (library.repaired) reads as words; a sentence from a library stays as it is.
    if " " not in event:
        event = event.replace(".", " ").replace("_", " ")
    line = f"{level}: {event}" + (f" ({', '.join(details)})" if details else "")
    exception = record.get("exception")
    return f"{line}\n{exception}" if exception else line


def bind_run_id(run_id: str | None = None) -> str:
    """Bind a correlation id to every log line from this context; returns it."""
    run_id = run_id or uuid.uuid4().hex[:12]
    structlog.contextvars.bind_contextvars(run_id=run_id)
    return run_id


def get_logger(name: str) -> Any:
    """A lazy logger: it takes whatever configuration the entry point set up by its first use."""
    return structlog.get_logger(name)


def ensure_logging() -> None:
    """For code that opens a library without an entry point of ours (a notebook, a script):
    logs go to stderr, never mixed into stdout. Does nothing once an entry point configured."""
    if not structlog.is_configured():
        configure_logging()


class _Stderr:
    """sys.stderr looked up at each write: test runners and notebooks swap it."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()
