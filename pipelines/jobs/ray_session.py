"""A Ray session for batch work: connect to a cluster or start a local Ray, and size the
worker pool to the CPUs it has.

Security: a local Ray starts without its dashboard and without usage statistics. Ray 2.60
cannot bind its gRPC ports to loopback (it turns 127.0.0.1 into the machine's address), so
what guards them is token authentication, which stays on (Ray's default) unless
``RAY_AUTH_MODE=disabled`` is set — only the tests do."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from pipelines.errors import VidscopeError
from pipelines.extras import require_extra
from pipelines.logs import get_logger

log = get_logger(__name__)

# What the workers' processes must see whatever machine they run on.
WORKER_ENV = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
RAY_TASK_RETRIES = 2  # Ray re-runs a task whose process died this many times


@contextmanager
def ray_session(address: str | None, *, cpus: int | None = None) -> Iterator[float]:
    """Connects to the cluster at ``address`` ("auto", "ray://host:10001"), or starts a
    local Ray (no dashboard, token authentication on) with ``cpus`` CPUs (default: all);
    yields the CPUs available."""
    # Both before Ray is imported: it reads the authentication mode once, at import.
    # Ray would report usage statistics to its makers over the internet; Vidscope runs
    # air-gapped and sends nothing anywhere. An explicit setting is left as it is.
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    if address and address.startswith("ray://"):
        # Ray Client sends the cluster's token only in token mode, which ray.init() turns
        # on by itself for every other address; without it the head refuses the client and
        # it times out after 30 s, saying nothing of why. A cluster without authentication
        # must be named so: RAY_AUTH_MODE=disabled.
        os.environ.setdefault("RAY_AUTH_MODE", "token")
    require_extra("batch")
    import ray
    from ray.exceptions import RayError

    if ray.is_initialized():  # a notebook or test that started Ray itself
        yield _cpus()
        return
    runtime_env = {"env_vars": WORKER_ENV}
    try:
        if address:
            _connect(address, runtime_env)
        else:
            _start_local(cpus, runtime_env)
    except (ConnectionError, RuntimeError, ValueError, RayError) as exc:
        raise _unavailable(address, exc) from exc
    try:
        yield _cpus()
    finally:
        ray.shutdown()


def _start_local(cpus: int | None, runtime_env: dict[str, Any]) -> None:
    import ray

    try:
        ray.init(
            # "local": always a Ray of our own. Without it Ray joins whatever cluster
            # /tmp/ray/ray_current_cluster names, stale after a killed run ("num_cpus must
            # not be provided" when connecting to an existing cluster).
            address="local",
            num_cpus=cpus or os.cpu_count() or 1,
            include_dashboard=False,
            runtime_env=runtime_env,
            log_to_driver=False,
            # Ray's INFO/WARNING lines (its start, the token notice we document) would
            # interleave with our progress bar; errors still show.
            logging_level=logging.ERROR,
        )
    except OSError as exc:
        # Its temporary folder (RAY_TMPDIR, /tmp/ray) cannot be made or written.
        raise _unavailable(None, exc) from exc
    except Exception as exc:
        # A raylet that does not register within Ray's 30 s (a loaded machine) is a bare
        # Exception ("The current node timed out during startup", ray/_private/node.py);
        # Ray's other kinds are caught by the caller, and anything else is a bug to show.
        if type(exc) is not Exception:
            raise
        raise _unavailable(None, exc) from exc


def _unavailable(address: str | None, exc: BaseException) -> VidscopeError:
    reason = str(exc).split(". ")[0]  # Ray's own advice follows; ours names our settings
    if address is None:
        return VidscopeError(
            f"a local Ray could not start ({reason}); it needs a writable temporary folder "
            "(RAY_TMPDIR, else /tmp/ray) and its processes must start within 30 s (a machine "
            "this busy may run the batch later, or on a cluster: VIDSCOPE_RAY_ADDRESS)",
            code="batch.ray_unavailable",
        )
    return VidscopeError(
        f"Ray could not connect to {address} ({reason}); check the Ray address "
        "(VIDSCOPE_RAY_ADDRESS), and RAY_AUTH_TOKEN_PATH for a cluster with token "
        "authentication (README, 'Running on a cluster')",
        code="batch.ray_unavailable",
    )


# Ray Client's proxy starts a server process per driver, and that start now and then fails
# at once (seen in full-suite CI runs, on heads that served the next driver); such a failure
# is worth another try, unlike a refused token or a wrong address.
CLIENT_CONNECT_ATTEMPTS = 3


def _connect(address: str, runtime_env: dict[str, Any]) -> None:
    import ray

    for attempt in range(1, CLIENT_CONNECT_ATTEMPTS + 1):
        try:
            ray.init(
                address=address,
                runtime_env=runtime_env,
                log_to_driver=False,
                logging_level=logging.ERROR,
            )
            return
        except ConnectionError as exc:
            # The proxy's own words when its server process died while starting.
            transient = any(
                words in str(exc)
                for words in ("Starting Ray client server failed", "start_specific_server")
            )
            if not transient or attempt == CLIENT_CONNECT_ATTEMPTS:
                raise
            log.warning("batch.ray_client_retry", attempt=attempt, reason=str(exc)[:300])
            ray.shutdown()  # the failed client connection, so the next init starts afresh
            time.sleep(attempt)


def _cpus() -> float:
    import ray

    resources: dict[str, float] = ray.cluster_resources()  # type: ignore[no-untyped-call]
    return float(resources.get("CPU", 1))


def plan_workers(cpus: float, workers: int) -> tuple[int, int]:
    """(actors, threads per actor) for ``workers`` requested, so that actors × threads ≤ CPUs.
    The default, one single-threaded actor per CPU, took 13 % less wall time than one actor
    on both cores here (docs/benchmarks.md): Whisper's threads do not scale perfectly."""
    total = max(1, int(cpus))
    if workers > total:
        raise VidscopeError(
            f"{workers} workers asked for, more than the {total} CPU(s) Ray has; each worker "
            "needs one CPU at least",
            code="batch.too_many_workers",
        )
    actors = workers or total
    return actors, max(1, total // actors)
