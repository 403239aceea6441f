"""A server's start in a blue-green handover (deploy/bluegreen.py starts every colour with it).

    python3 /deploy/take_over.py --host 127.0.0.1 --port 7861      (inside the server image)

The catalog has one writer: DuckDB's lock on catalog.duckdb. A new release must not wait for
that lock with cold code: this process first prepares (imports the server, the web app and
their libraries, loads the query embedder), says so (``handover.prepared``), then waits for the
lock while the old server drains and exits, and at once runs ``vidscope serve`` with the same
arguments in this process, which opens the library (its migrations, and running jobs of the
old server queued again: ``recover_jobs``) and listens. Lines are JSON on stderr, as the
server's own. Exit status 1 when the lock is not free after VIDSCOPE_TAKE_OVER_WAIT_S seconds
(default 600).
"""

from __future__ import annotations

import json
import os
import sys
import time

# What the start of `vidscope serve` would otherwise import after the lock is taken.
import duckdb

import app.api.main  # noqa: F401
import app.web  # noqa: F401
from app.cli import main as vidscope
from pipelines.config import Settings
from pipelines.retrieval.embed import load_embedder
from pipelines.storage.faults import is_lock_conflict

POLL_S = 0.05


def say(event: str, **fields: object) -> None:
    line = {"event": event, "timestamp": time.time(), **fields}
    sys.stderr.write(json.dumps(line) + "\n")
    sys.stderr.flush()


def lock_is_free(catalog: str) -> bool:
    """Whether a read-write open of the catalog succeeds now (closed again at once: the
    server opens it next; no other process competes, the old server is exiting)."""
    try:
        duckdb.connect(catalog).close()
    except duckdb.IOException as exc:
        if is_lock_conflict(str(exc)):
            return False
        raise
    return True


def main() -> None:
    started = time.monotonic()
    settings = Settings()
    load_embedder(settings.embedding.model, settings.threads, settings.model_cache)
    catalog = settings.layout.catalog_path
    say("handover.prepared", seconds=round(time.monotonic() - started, 2))
    limit_s = float(os.environ.get("VIDSCOPE_TAKE_OVER_WAIT_S", "600"))
    waited = time.monotonic()
    while catalog.exists() and not lock_is_free(str(catalog)):
        if time.monotonic() - waited > limit_s:
            say("handover.lock_not_released", seconds=limit_s)
            raise SystemExit(1)
        time.sleep(POLL_S)
    say("handover.lock_free", waited_s=round(time.monotonic() - waited, 2))
    vidscope(["serve", *sys.argv[1:]])


if __name__ == "__main__":
    main()
