from __future__ import annotations

import json
import subprocess
import sys


def test_library_logs_go_to_stderr_as_json_with_a_run_id() -> None:
    code = (
        "from pipelines.logs import bind_run_id, get_logger\n"
        "bind_run_id('abc123')\n"
        "get_logger('t').info('library.used', videos=2)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout == ""  # never mixed into a caller's stdout
    record = json.loads(out.stderr.strip().splitlines()[-1])  # stderr is a pipe: JSON
    assert record["event"] == "library.used" and record["videos"] == 2
    assert record["run_id"] == "abc123" and record["level"] == "info"
