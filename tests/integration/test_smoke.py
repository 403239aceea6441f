"""deploy/smoke.py run as an operator runs it, against a real ``vidscope serve``: every step
passes on a healthy server, and a failed step makes it exit 1 with the rest skipped."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.support.server import Server

SMOKE = Path(__file__).resolve().parents[2] / "deploy" / "smoke.py"
STEPS = ["sign-in", "upload", "ready", "search", "ask", "clip", "stream"]


def smoke(url: str, user: str, password: str) -> tuple[int, dict[str, Any]]:
    done = subprocess.run(
        [sys.executable, str(SMOKE), url, "--user", user, "--password", password, "--json"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    return done.returncode, json.loads(done.stdout)


def test_smoke_passes_on_a_real_server_and_fails_on_a_wrong_password(tmp_path: Path) -> None:
    server = Server(tmp_path / "home", tmp_path / "server.log")
    try:
        code, report = smoke(server.url, "smoke", "kettle-orbit-57")
        assert [step["name"] for step in report["steps"]] == STEPS
        assert code == 0, report
        assert report["passed"] is True
        first = {step["name"]: step for step in report["steps"]}
        assert first["sign-in"]["detail"] == "signed up and in"
        assert first["stream"]["detail"].startswith("bytes 0-1023/")

        # The account exists now: a second run signs in, and its upload is the same file.
        code, report = smoke(server.url, "smoke", "kettle-orbit-57")
        assert code == 0, report
        assert report["steps"][0]["detail"] == "signed in"

        code, report = smoke(server.url, "smoke", "not-the-password-9")
        assert code == 1
        assert report["passed"] is False
        statuses = [step["status"] for step in report["steps"]]
        assert statuses == ["fail"] + ["skip"] * (len(STEPS) - 1)
        assert "auth.username_taken" in report["steps"][0]["detail"]
    finally:
        server.stop()
