"""`vidscope serve` and the terminal around it, run as a person runs them: a real process."""

from __future__ import annotations

import socket
from pathlib import Path

from tests.support.server import free_port
from tests.support.server import run_command as run_cli


def test_serve_on_a_port_in_use_is_one_coded_line_before_any_banner(tmp_path: Path) -> None:
    port = free_port()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", port))
        taken.listen()
        run = run_cli(tmp_path / "library", "serve", "--port", str(port), "--api-only")
    assert run.returncode == 1, run.stderr
    assert run.stderr.startswith("error [server.port_in_use]"), run.stderr
    assert f"port {port} on 127.0.0.1 is already in use" in run.stderr
    assert "Vidscope on" not in run.stderr and "terminate called" not in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1
    # Nothing was started, so nothing claims the library: the next command opens it itself.
    assert not (tmp_path / "library" / ".server" / "server.json").exists()


def test_serve_on_an_address_of_another_machine_is_coded(tmp_path: Path) -> None:
    run = run_cli(tmp_path / "library", "serve", "--host", "192.0.2.1", "--api-only")
    assert run.returncode == 1
    assert run.stderr.startswith("error [server.cannot_listen]"), run.stderr
