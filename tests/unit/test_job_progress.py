"""A job's progress as the jobs table holds it: written often enough to follow and no more
(ProgressGate: a new stage and a stage's end at once, in between at most one a second and
only a percent on), never stepping back within a stage; a lease renewal leaves the stage and
progress the compute reported; and a job that starts again (a restart, a retry) starts from
0 % and says which try it is on, on a real catalog."""

from __future__ import annotations

from pathlib import Path

from app.web.processing import job_state, making_progress
from pipelines.jobs.progress_gate import ProgressGate
from pipelines.storage.catalog import Catalog


def gate() -> tuple[ProgressGate, list[tuple[str, str, float]]]:
    written: list[tuple[str, str, float]] = []
    return ProgressGate(lambda *report: written.append(report)), written


def test_a_burst_of_reports_is_one_write_a_second_and_the_latest_is_not_lost() -> None:
    passed, written = gate()
    passed.offer("j", "transcribe", 0.0, now=0.0)  # a new stage: at once
    for n, fraction in enumerate((0.1, 0.2, 0.3, 0.4)):  # one window's sentences, together
        passed.offer("j", "transcribe", fraction, now=0.01 * n)
    passed.flush(now=0.5)
    assert written == [("j", "transcribe", 0.0)]  # held: under a second since the last write
    assert 0.45 <= passed.wait_s(now=0.5) <= 0.55  # the forwarder wakes when it is due
    passed.flush(now=1.0)
    assert written[-1] == ("j", "transcribe", 0.4)  # the latest of the burst, not the first
    passed.offer("j", "transcribe", 0.405, now=2.5)  # under a percent on: not worth a write
    passed.offer("j", "transcribe", 0.39, now=2.6)  # behind the last write: never
    passed.flush(now=5.0)
    assert written[-1] == ("j", "transcribe", 0.4)
    passed.offer("j", "transcribe", 0.7, now=5.0)  # a second on and 30 % further: at once
    passed.offer("j", "transcribe", 1.0, now=5.1)  # the stage's end: at once
    assert written[-2:] == [("j", "transcribe", 0.7), ("j", "transcribe", 1.0)]
    assert len(written) == 4


def test_a_new_stage_is_written_at_once_and_drops_what_the_last_stage_held() -> None:
    passed, written = gate()
    passed.offer("j", "transcribe", 0.2, now=0.0)
    passed.offer("j", "transcribe", 0.5, now=0.2)  # held
    passed.offer("j", "speakers", 0.0, now=0.3)
    passed.flush(now=10.0)
    assert written == [("j", "transcribe", 0.2), ("j", "speakers", 0.0)]
    assert passed.wait_s(now=10.0) == 1.0  # nothing held


def test_each_job_is_throttled_on_its_own() -> None:
    passed, written = gate()
    passed.offer("a", "transcribe", 0.1, now=0.0)
    passed.offer("b", "transcribe", 0.1, now=0.1)
    passed.offer("a", "transcribe", 0.5, now=0.2)
    passed.offer("b", "transcribe", 0.9, now=1.2)  # b's second is up; a's is not yet
    assert written == [("a", "transcribe", 0.1), ("b", "transcribe", 0.1), ("b", "transcribe", 0.9)]
    passed.flush(now=1.2)
    assert written[-1] == ("a", "transcribe", 0.5)


def test_a_lease_renewal_keeps_the_progress_and_a_job_that_starts_again_starts_at_0(
    tmp_path: Path,
) -> None:
    cat = Catalog(tmp_path / "c.duckdb")
    owner = cat.add_user(username="alice", password_hash="x").id
    job_id = cat.add_job(
        kind="ingest", owner_id=owner, status="queued", payload={"resumable": True}, max_attempts=3
    )
    system = cat.system()
    claimed = system.claim_job(lease_s=60, kinds=("ingest",))
    assert claimed is not None and claimed.id == job_id
    cat.report_progress(job_id, stage="transcribe", progress=0.29, lease_s=60)
    cat.renew_lease(job_id, lease_s=60)  # the worker, while the compute runs
    running = system.job(job_id)
    assert (running.stage, running.progress) == ("transcribe", 0.29)
    assert job_state(running) == "transcribe 29%"  # 0.29 * 100 is 28.999…: still 29

    # The server stops mid-transcription; at the next start the job is queued and taken again.
    assert system.recover_jobs(expired_only=False) == ([job_id], [])
    again = system.claim_job(lease_s=60, kinds=("ingest",))
    assert again is not None and again.id == job_id
    assert (again.stage, again.progress, again.attempts) == ("starting", 0.0, 2)
    assert job_state(again) == "starting 0% (try 2 of 3)"
    cat.report_progress(job_id, stage="transcribe", progress=0.996, lease_s=60)
    assert job_state(system.job(job_id)) == "transcribe 99% (try 2 of 3)"  # 100 % is done


def test_a_reel_being_made_shows_the_part_it_is_cutting_then_the_join(tmp_path: Path) -> None:
    """What the page's bar is given for a reel (``gr.Progress``), not Gradio's estimate."""
    cat = Catalog(tmp_path / "c.duckdb")
    owner = cat.add_user(username="alice", password_hash="x").id
    job_id = cat.add_job(kind="reel", owner_id=owner, status="queued")
    system = cat.system()
    assert making_progress(system.job(job_id), parts=5) == (None, "queued: waiting for the worker")
    assert system.claim_job(lease_s=60, kinds=("reel",)) is not None
    assert making_progress(system.job(job_id), parts=5) == (None, "starting")
    for done, shown in ((0.0, "cutting part 1 of 5"), (0.6, "cutting part 4 of 5")):
        cat.report_progress(job_id, stage="cut", progress=done, lease_s=60)
        assert making_progress(system.job(job_id), parts=5) == (done, shown)
    cat.report_progress(job_id, stage="join", progress=0.0, lease_s=60)
    assert making_progress(system.job(job_id), parts=5) == (None, "joining the parts")
