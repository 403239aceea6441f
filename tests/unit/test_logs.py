from __future__ import annotations

import json
import subprocess
import sys


def test_importing_configures_no_logging() -> None:
    """Logging is set up by the entry points (CLI, server, Library.open), never at import, so
    an application that embeds Vidscope keeps its own configuration."""
    code = (
        "import logging, structlog, pipelines, pipelines.library, app.api.main, app.cli\n"
        "print(structlog.is_configured(), len(logging.getLogger().handlers))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "0"]


def test_standard_library_logs_come_out_as_json_with_the_request_context() -> None:
    code = (
        "import logging, structlog\n"
        "from pipelines.logs import configure_logging\n"
        "configure_logging('INFO', 'json')\n"
        "structlog.contextvars.bind_contextvars(request_id='r-12345678')\n"
        "logging.getLogger('uvicorn.error').warning('Started server process')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    record = json.loads(out.stderr.strip().splitlines()[-1])
    assert record["event"] == "Started server process"
    assert record["request_id"] == "r-12345678" and record["logger"] == "uvicorn.error"


def test_library_logs_go_to_stderr_as_json_with_a_run_id() -> None:
    code = (
        "from pipelines.logs import bind_run_id, ensure_logging, get_logger\n"
        "ensure_logging()\n"
        "bind_run_id('abc123')\n"
        "get_logger('t').info('library.used', videos=2)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout == ""  # never mixed into a caller's stdout
    record = json.loads(out.stderr.strip().splitlines()[-1])  # stderr is a pipe: JSON
    assert record["event"] == "library.used" and record["videos"] == 2
    assert record["run_id"] == "abc123" and record["level"] == "info"
