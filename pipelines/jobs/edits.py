"""What the edits lane's compute process runs: a clip cut, a reel cut, joined and composed
(words included), from plans the worker checked against the catalog. No database here; each
writes only inside its job's working folder, which the worker publishes or removes."""

from __future__ import annotations

from pathlib import Path

from pipelines.editing.clips import ClipPlan
from pipelines.editing.reels import ReelPlan
from pipelines.jobs.compute_lane import report


def cut_planned_clip(job_id: str, plan: ClipPlan) -> Path:
    report(job_id, "cut", 0.0)
    return plan.cut()


def make_planned_reel(job_id: str, plan: ReelPlan) -> Path:
    return plan.make(lambda stage, fraction: report(job_id, stage, fraction))
