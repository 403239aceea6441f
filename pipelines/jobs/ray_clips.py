"""Many clips cut on Ray: one task per clip (one CPU each; a task whose process dies is
re-run by Ray). Plans are checked by the owner's library first, so a task gets only plain,
checked values."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

from pipelines.editing.clips import ClipPlan
from pipelines.errors import VidscopeError
from pipelines.jobs.ray_session import RAY_TASK_RETRIES, ray_session
from pipelines.jobs.results import Cut, TaskFailed, from_wire, to_wire


def _cut(plan: ClipPlan) -> dict[str, Any]:
    """Runs on a Ray worker."""
    started = time.perf_counter()
    try:
        path = plan.cut()
    except VidscopeError as exc:
        return to_wire(TaskFailed.of(exc))
    return to_wire(Cut(str(path), time.perf_counter() - started))


def clip_batch(
    plans: Sequence[ClipPlan],
    *,
    address: str | None = None,
    cpus: int | None = None,
    progress: Callable[[Cut | TaskFailed, int, int], None] | None = None,
) -> list[Cut | TaskFailed]:
    """Cuts every clip; one result per plan, in order."""
    results: dict[int, Cut | TaskFailed] = {}
    with ray_session(address, cpus=cpus):
        import ray

        cut = ray.remote(num_cpus=1, max_retries=RAY_TASK_RETRIES)(_cut)
        pending = {cut.remote(plan): n for n, plan in enumerate(plans)}
        while pending:
            ready, _ = ray.wait(list(pending), num_returns=1)
            n = pending.pop(ready[0])
            result = from_wire(ray.get(ready[0]))
            assert isinstance(result, Cut | TaskFailed)
            results[n] = result
            if progress is not None:
                progress(result, len(results), len(plans))
    return [results[n] for n in range(len(plans))]
