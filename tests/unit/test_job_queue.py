"""The queue across owners, on a real catalog: owners take turns within a lane (one owner's long
queue delays another's next job by at most the job in hand), the lanes take only their own
kinds, and an owner's queued and running jobs are capped at the insert (``job.queue_full``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.errors import VidscopeError
from pipelines.storage.catalog import Catalog

EDITS = ("clip", "reel")


def owners(cat: Catalog, *names: str) -> list[str]:
    return [cat.add_user(username=name, password_hash="x").id for name in names]


def queue(cat: Catalog, owner: str, n: int, kind: str = "clip") -> list[str]:
    return [cat.add_job(kind=kind, owner_id=owner, status="queued") for _ in range(n)]


def run_all(cat: Catalog, kinds: tuple[str, ...] = EDITS) -> list[str]:
    """Claims and finishes jobs one at a time, as one lane's thread does; the claim order."""
    order = []
    while (job := cat.system().claim_job(lease_s=60, kinds=kinds)) is not None:
        order.append(job.id)
        cat.finish_job(job.id)
    return order


def test_another_owner_waits_at_most_for_the_job_in_hand(tmp_path: Path) -> None:
    cat = Catalog(tmp_path / "c.duckdb")
    alice, bob = owners(cat, "alice", "bob")
    alices = queue(cat, alice, 25)
    first = cat.system().claim_job(lease_s=60, kinds=EDITS)
    assert first is not None and first.id == alices[0]  # nobody served yet: the oldest
    [bobs] = queue(cat, bob, 1)  # bob asks while alice's first is being cut
    cat.finish_job(first.id)
    order = run_all(cat)
    assert order[0] == bobs  # next, ahead of alice's other 24
    assert order[1:] == alices[1:]


def test_owners_take_turns_whatever_the_length_of_their_queues(tmp_path: Path) -> None:
    cat = Catalog(tmp_path / "c.duckdb")
    alice, bob, carol = owners(cat, "alice", "bob", "carol")
    alices = queue(cat, alice, 6)
    bobs = queue(cat, bob, 2)
    carols = queue(cat, carol, 1)
    order = run_all(cat)
    assert order == [
        alices[0],
        bobs[0],
        carols[0],
        alices[1],
        bobs[1],
        *alices[2:],
    ]


def test_a_second_edits_lane_is_kept_for_other_owners(tmp_path: Path) -> None:
    """The worker's two edits lanes claim one job per owner: while alice's clip is cut, the
    other lane takes bob's, never a second of alice's, and waits when only she is queued."""
    cat = Catalog(tmp_path / "c.duckdb")
    alice, bob = owners(cat, "alice", "bob")
    alices = queue(cat, alice, 3)

    def claim() -> str | None:
        job = cat.system().claim_job(lease_s=60, kinds=EDITS, one_per_owner=True)
        return job.id if job else None

    assert claim() == alices[0]
    assert claim() is None  # only alice waits, and she has a lane already
    [bobs] = queue(cat, bob, 1)
    assert claim() == bobs
    cat.finish_job(alices[0])
    assert claim() == alices[1]


def test_a_lane_takes_only_its_own_kinds(tmp_path: Path) -> None:
    cat = Catalog(tmp_path / "c.duckdb")
    [alice] = owners(cat, "alice")
    ingests = queue(cat, alice, 2, kind="ingest")
    clips = queue(cat, alice, 2, kind="clip")
    # The edits lane's clip is not behind the ingests queued before it.
    assert run_all(cat, EDITS) == clips
    assert run_all(cat, ("ingest",)) == ingests


def test_a_retry_waiting_for_its_delay_is_not_taken(tmp_path: Path) -> None:
    cat = Catalog(tmp_path / "c.duckdb")
    alice, bob = owners(cat, "alice", "bob")
    [later] = queue(cat, alice, 1)
    cat.retry_job(later, delay_s=3600, error_code="processing.failed", message="x")
    [now] = queue(cat, bob, 1)
    assert run_all(cat) == [now]


def test_an_owner_has_at_most_the_cap_of_queued_and_running_jobs(tmp_path: Path) -> None:
    cat = Catalog(tmp_path / "c.duckdb")
    alice, bob = owners(cat, "alice", "bob")
    for _ in range(3):
        cat.add_job(kind="clip", owner_id=alice, status="queued", max_active=3)
    with pytest.raises(VidscopeError) as refused:
        cat.add_job(kind="reel", owner_id=alice, status="queued", max_active=3)
    assert refused.value.code == "job.queue_full"
    assert "3 jobs" in refused.value.message
    assert "VIDSCOPE_JOB_MAX_ACTIVE_PER_OWNER" in refused.value.message
    assert len(cat.list_jobs(owner_id=alice)) == 3  # nothing recorded
    # A running job counts; another owner has their own room; a finished job frees a place.
    job = cat.system().claim_job(lease_s=60)
    assert job is not None
    with pytest.raises(VidscopeError, match="VIDSCOPE_JOB_MAX_ACTIVE_PER_OWNER"):
        cat.add_job(kind="clip", owner_id=alice, status="queued", max_active=3)
    cat.add_job(kind="clip", owner_id=bob, status="queued", max_active=3)
    cat.finish_job(job.id, error_code="processing.failed", error_message="x")
    cat.add_job(kind="clip", owner_id=alice, status="queued", max_active=3)
    # Retrying a failed job queues it: the cap holds there too.
    with pytest.raises(VidscopeError, match="VIDSCOPE_JOB_MAX_ACTIVE_PER_OWNER"):
        cat.requeue_failed_job(job.id, max_active=3)
    assert cat.system().job(job.id).status == "failed"


def test_the_cap_and_the_insert_are_one_transaction(tmp_path: Path) -> None:
    """A refused job inside a caller's transaction (a clip row with its job) undoes both."""
    cat = Catalog(tmp_path / "c.duckdb")
    [alice] = owners(cat, "alice")
    cat.add_job(kind="clip", owner_id=alice, status="queued", max_active=1)
    with pytest.raises(VidscopeError), cat.transaction():
        cat.add_job(kind="ingest", owner_id=alice, status="running")
        cat.add_job(kind="clip", owner_id=alice, status="queued", max_active=1)
    assert len(cat.list_jobs(owner_id=alice)) == 1
