"""The search load benchmark alone (``python -m evals.load``): appends its section to
docs/benchmarks.md and logs it to MLflow, like ``make bench`` does for everything; the
measurement itself is ``evals.search_load``."""

from __future__ import annotations

import datetime as dt

import numpy as np

from evals.common import ROOT, WORK, log, machine
from evals.search_load import CLIENTS, DURATION_S, PASSAGES, bench_search_load, report_lines
from evals.synthetic import QUERIES, synthetic_library
from pipelines.config import load_settings
from pipelines.jobs.tracking import log_run


def main() -> None:
    """Runs the load benchmark alone: appends its section to docs/benchmarks.md and logs it to
    MLflow, like ``make bench`` does for everything."""
    WORK.mkdir(exist_ok=True)
    home = synthetic_library(PASSAGES, np.random.default_rng(0))
    results = bench_search_load(home, QUERIES, log)
    command = "python -m evals.load"
    lines = [
        f"\n## {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC — `{command}`\n",
        f"Machine: {machine()}.",
        *report_lines(results),
    ]
    with (ROOT / "docs" / "benchmarks.md").open("a", encoding="utf-8") as handle:
        handle.write("\n".join(lines))
    log_run(
        "bench",
        uri=load_settings().tracking_uri,
        name=f"load {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M}",
        params={
            "command": command,
            "machine": machine(),
            "clients": CLIENTS,
            "duration_s": DURATION_S,
            "passages": PASSAGES,
        },
        metrics=results,
    )
    for key, value in results.items():
        log(f"{key} = {value:.3f}")


if __name__ == "__main__":
    main()
