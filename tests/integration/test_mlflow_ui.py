"""`vidscope mlflow-ui` shows the library's runs and stops whole: MLflow's UI runs uvicorn and
its workers, and a SIGTERM to the command once left them all serving the port."""

from __future__ import annotations

import signal
import subprocess
import sys
from contextlib import suppress
from pathlib import Path

import httpx
import psutil

from pipelines.jobs.tracking import log_run
from tests.support.library import make_settings, wait_until_answered
from tests.support.server import environment, free_port


def test_the_ui_shows_the_librarys_runs_and_sigterm_stops_every_process_it_started(
    tmp_path: Path,
) -> None:
    # An eval's run, logged as `vidscope eval` logs it (tests/integration/test_batch.py runs
    # the eval itself and finds its run in the store).
    run_id = log_run(
        "eval",
        uri=make_settings(tmp_path / "library").tracking_uri,
        name="eval",
        params={"whisper_model": "tiny.en"},
        metrics={"wer": 0.1},
    )
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
        names = {e["name"] for e in found.json()["experiments"]}
        assert "vidscope-eval" in names, names
        shown = httpx.post(
            f"http://127.0.0.1:{port}/ajax-api/2.0/mlflow/runs/search",
            json={"experiment_ids": [e["experiment_id"] for e in found.json()["experiments"]]},
            timeout=30,
        )
        assert run_id in {r["info"]["run_id"] for r in shown.json()["runs"]}, shown.text[:2000]
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
