"""The server and the tools beside it: serve, eval, mlflow-ui, dashboard."""

from __future__ import annotations

import errno
import json
import os
import socket
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from pipelines.errors import VidscopeError

if TYPE_CHECKING:  # loaded by the commands that use them: `vidscope --help` needs none
    from pipelines.config import Settings
from app.cli.children import run_server_program
from app.cli.core import _fail, _need_extras, _plain, _state, app, err, out


def _listen(host: str, port: int) -> socket.socket:
    """The server's socket, bound before anything is opened or printed: a port another program
    holds is one coded line and exit 1. Left to uvicorn, the bind failed after the banner and
    the app's start-up, and the threads that start-up began aborted the process (exit 134)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP named, not left 0: asyncio turns Nagle's algorithm off (TCP_NODELAY) only
    # on connections whose socket says TCP. Without it a response's head and body, written
    # apart, waited for the client's delayed ACK: ~40 ms on every request of a kept-alive
    # connection (GET /healthz took 48 ms; python -m evals.search_scale, 2026-12-08).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    # As uvicorn binds: a port whose last server just stopped (TIME_WAIT) can be taken again.
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise VidscopeError(
                f"port {port} on {host} is already in use by another program; stop it, or "
                "give another --port",
                code="server.port_in_use",
            ) from exc
        raise VidscopeError(
            f"cannot listen on {host}:{port}: {exc.strerror or exc}; give an address of this "
            "machine (--host) and a port you may use (--port; below 1024 needs privileges)",
            code="server.cannot_listen",
        ) from exc
    sock.set_inheritable(True)
    return sock


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on", min=1, max=65535)] = 7860,
    root_path: Annotated[
        str, typer.Option(help="URL prefix when behind a reverse proxy, e.g. /vidscope")
    ] = "",
    api_only: Annotated[bool, typer.Option(help="Serve the REST API without the web app")] = False,
) -> None:
    """Run the server: the web app at /, the REST API under /api/v1 (docs at /docs) and the job
    worker, owning the library."""
    import uvicorn

    from app.api.main import create_app
    from app.client import find_server

    settings: Settings = _state["settings"]
    running = find_server(settings)
    if running is not None:
        running.close()
        _fail(
            VidscopeError(
                f"a server already owns {settings.home} at {running.url}; stop it first, or "
                "give this one another --home",
                code="library.locked",
            )
        )
    if "log_level" not in settings.model_fields_set:
        from pipelines.logs import configure_logging

        configure_logging(settings.log_level, settings.log_format)  # a server reports its work
    try:
        sock = _listen(host, port)
    except VidscopeError as exc:
        _fail(exc)
    from pipelines.library import Library

    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host  # nosec B104  # only compared, to show 127.0.0.1
    url = f"http://{shown}:{port}{root_path}"
    from pipelines.storage.faults import read_only_library

    try:
        library = Library.open(settings)  # here, so a locked library is one clear line
    except VidscopeError as exc:
        _fail(exc)
    if library.read_only:
        # Sign-ins, sessions, uploads and jobs all write: a server cannot run read-only.
        library.close()
        _fail(read_only_library(settings.home, "serving it (sign-ins, sessions and jobs write)"))
    err.print(_plain(f"Vidscope on {url} (API docs: {url}/docs); Ctrl-C stops it"))
    config = uvicorn.Config(
        create_app(settings, public_url=url, library=library, web=not api_only),
        host=host,
        port=port,
        root_path=root_path,
        log_config=None,
        access_log=False,  # one line per request comes from the app, with its request id
        # Forwarded headers only from VIDSCOPE_TRUSTED_PROXIES: anyone else could otherwise
        # pick the address every per-address limit counts against.
        proxy_headers=bool(settings.server.trusted_proxies),
        forwarded_allow_ips=",".join(settings.server.trusted_proxies) or None,
        timeout_graceful_shutdown=10,
    )
    server = uvicorn.Server(config)
    try:
        server.run(sockets=[sock])  # the socket bound above, before the banner
    except KeyboardInterrupt:
        pass
    if not server.started:
        raise typer.Exit(1)  # the start-up failed; its log line says why


@app.command("eval")
def evaluate(
    quick: Annotated[
        bool, typer.Option(help="Only the two sample videos, or with -g three talks (faster)")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the metrics as JSON")] = False,
    generator: Annotated[
        list[str] | None,
        typer.Option(
            "--generator",
            "-g",
            help="Run the talk eval (answers, abstention, grounding, chapter titles, summaries) "
            "for this generator: extractive or local:<model>; repeat to compare",
        ),
    ] = None,
) -> None:
    """Measure quality: WER on the fixture videos, recall@1/5 and MRR of search and the share
    of questions answered and cited right on a generated query set with known answer times,
    abstention on off-topic questions, chapter boundaries on generated multi-topic talks, figures
    shown only on slides found by search, and WER per voice; logged to MLflow. With -g: the
    talk eval (docs/evals.md), one MLflow run per generator."""
    _need_extras("eval", "tracking")
    settings: Settings = _state["settings"]
    if generator:
        from evals.understanding import evaluate_generators, parse_generator
        from evals.understanding import table as talk_table

        for spec in generator:
            try:
                parse_generator(spec)
            except ValueError as exc:
                raise typer.BadParameter(str(exc), param_hint="--generator") from exc
        with err.status("ingesting the eval talks and asking each generator..."):
            reports = evaluate_generators(
                generator, quick=quick, tracking_uri=settings.tracking_uri
            )
        if as_json:
            out.print_json(json.dumps({g: r["metrics"] for g, r in reports.items()}))
            return
        out.print(talk_table(reports), markup=False)
        runs = ", ".join(f"{g}: {r['run_id']}" for g, r in reports.items())
        err.print(_plain(f"MLflow runs {runs} ('vidscope mlflow-ui' to compare)"))
        return
    from evals.evaluate import FIXTURES, QUICK, metrics_table, run_eval

    with err.status("transcribing the fixture videos and running the queries..."):
        result = run_eval(settings, QUICK if quick else FIXTURES)
    if as_json:
        out.print_json(json.dumps(result))
        return
    table = Table("metric", "value")
    for name, value in metrics_table(result["metrics"]):  # diarization's figures too
        table.add_row(name, value)
    out.print(table)
    err.print(_plain(f"MLflow run {result['run_id']} ('vidscope mlflow-ui' to compare)"))


@app.command("mlflow-ui")
def mlflow_ui(
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1", min=1, max=65535)] = 5000,
) -> None:
    """Open MLflow's tracking UI (batch, eval and benchmark runs) on 127.0.0.1; Ctrl-C or a
    SIGTERM stops it and every process it started."""
    _need_extras("tracking")
    settings: Settings = _state["settings"]
    # MLflow 3 opens on its GenAI view (traces, prompts), where these runs are not shown:
    # the link opens the experiments list in its machine-learning view.
    url = f"http://127.0.0.1:{port}/#/experiments?workflowType=machine_learning"
    err.print(_plain(f"MLflow UI on {url} for {settings.tracking_uri}"))
    command = [
        sys.executable,
        "-m",
        "mlflow",
        "ui",
        "--backend-store-uri",
        settings.tracking_uri,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        "1",  # one person's browser; MLflow's default started 4 uvicorn workers
    ]
    raise typer.Exit(run_server_program(command))


@app.command()
def dashboard(
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1", min=1, max=65535)] = 8501,
    api: Annotated[
        str | None,
        typer.Option(help="The server's URL (default: the one that owns this library)"),
    ] = None,
) -> None:
    """Open the Streamlit dashboard (library, jobs, quality trends, search) on 127.0.0.1. It
    reads through the server's REST API, so start 'vidscope serve' first."""
    _need_extras("dashboard", "tracking")
    from app.client import find_server

    settings: Settings = _state["settings"]
    env = dict(os.environ, VIDSCOPE_HOME=str(settings.home))
    if api is None:
        remote = find_server(settings)
        if remote is None:
            _fail(
                VidscopeError(
                    "no server owns this library; start 'vidscope serve' first, or give --api",
                    code="server.not_running",
                )
            )
        api = remote.url
        remote.close()
    env["VIDSCOPE_API_URL"] = api
    script = Path(__file__).resolve().parents[1] / "dashboard.py"  # app/dashboard.py
    err.print(_plain(f"dashboard on http://127.0.0.1:{port} reading {api}"))
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(script),
        "--server.address",
        "127.0.0.1",
        "--server.port",
        str(port),
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
        "--client.toolbarMode",
        "viewer",  # no "Deploy" button: this dashboard is not for Streamlit's cloud
    ]
    raise typer.Exit(run_server_program(command, env=env))
