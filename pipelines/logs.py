"""Structured logging: JSON lines when stderr is not a terminal, readable lines when it is.
Every record carries the run id bound by ``bind_run_id`` (one correlation id per command)."""

from __future__ import annotations

import logging
import sys
import uuid
from typing import Any

import structlog


def configure_logging(level: str = "INFO", fmt: str = "auto") -> None:
    as_json = fmt == "json" or (fmt == "auto" and not sys.stderr.isatty())
    renderer: Any = (
        structlog.processors.JSONRenderer() if as_json else structlog.dev.ConsoleRenderer()
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level)),
        # Resolve sys.stderr per call, not once: test runners and notebooks swap it.
        logger_factory=lambda *args: structlog.PrintLogger(file=sys.stderr),
        cache_logger_on_first_use=False,
    )


def bind_run_id(run_id: str | None = None) -> str:
    """Bind a correlation id to every log line from this context; returns it."""
    run_id = run_id or uuid.uuid4().hex[:12]
    structlog.contextvars.bind_contextvars(run_id=run_id)
    return run_id


def get_logger(name: str) -> Any:
    # Library users who configure nothing still get logs on stderr, never mixed into stdout.
    if not structlog.is_configured():
        configure_logging()
    return structlog.get_logger(name)
