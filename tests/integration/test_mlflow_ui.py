"""`vidscope mlflow-ui` stops whole: MLflow's UI runs uvicorn and its workers, and a SIGTERM
to the command once left them all serving the port."""

from __future__ import annotations

import signal
import subprocess
import sys
from contextlib import suppress
from pathlib import Path

import psutil

from tests.support.library import wait_until_answered
from tests.support.server import environment, free_port


def test_sigterm_stops_mlflow_and_every_process_it_started(tmp_path: Path) -> None:
    port = free_port()
    ui = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "mlflow-ui", "--port", str(port)],
        env=environment(tmp_path / "library"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # as a service manager starts it: no terminal's Ctrl-C
    )
    started: list[psutil.Process] = []
    try:
        found = wait_until_answered(
            "vidscope mlflow-ui",
            f"http://127.0.0.1:{port}/ajax-api/2.0/mlflow/experiments/search",
            json={"max_results": 10},
            timeout_s=120,
        )
        assert "experiments" in found.json()
        started = psutil.Process(ui.pid).children(recursive=True)
        assert len(started) >= 2, started  # MLflow's command, and the server it runs
        ui.send_signal(signal.SIGTERM)
        _, stderr = ui.communicate(timeout=60)
        assert ui.returncode == 0, stderr
        # It opens on the experiments list, not MLflow 3's GenAI view (empty here).
        assert f"127.0.0.1:{port}/#/experiments?workflowType=machine_learning" in stderr
        _, alive = psutil.wait_procs(started, timeout=5)
        assert not [p for p in alive if p.status() != psutil.STATUS_ZOMBIE], alive
    finally:
        if ui.poll() is None:
            ui.kill()
        for process in started:
            with suppress(psutil.NoSuchProcess):
                process.kill()
        ui.wait()
